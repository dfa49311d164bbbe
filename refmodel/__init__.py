"""fp8kit golden model: bit-exact narrow floating-point formats."""

from .encodings import Flag, RoundingMode, Specials
from .formats import Format, get_format, registered_formats

__all__ = ["Flag", "Format", "RoundingMode", "Specials", "get_format", "registered_formats"]
