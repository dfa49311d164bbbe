"""fp8kit's golden model: bit-exact narrow floating-point formats, arithmetic, MX and scaling.

An embeddable package: it imports numpy, ml_dtypes and its own modules only, reads no file of the
repository and starts no process (docs/architecture.md; tests/test_layers.py checks it). The exact
oracles every fast path is tested against are in :mod:`refmodel.oracle`.
"""

from . import _moved
from .codec import code_dtype, decode, encode
from .encodings import Flag, RoundingMode, Specials
from .formats import Format, get_format, registered_formats

_moved.install()

__all__ = [
    "Flag",
    "Format",
    "RoundingMode",
    "Specials",
    "code_dtype",
    "decode",
    "encode",
    "get_format",
    "registered_formats",
]
