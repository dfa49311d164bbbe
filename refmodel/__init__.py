"""fp8kit golden model: bit-exact narrow floating-point formats."""

from .codec import code_dtype, decode, encode
from .encodings import Flag, RoundingMode, Specials
from .formats import Format, get_format, registered_formats

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
