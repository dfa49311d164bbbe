"""Number-format descriptors: one frozen :class:`Format` per format, and the registry.

A format is defined by five fields (exponent bits, mantissa bits, bias,
special-value convention, signedness); everything else -- ranges, special
codes, RTL parameters -- is derived here and nowhere else.  Unsigned formats
have no sign bit; encoding a negative nonzero value into one gives NaN.

Value of a code (sign s, exponent field e, mantissa field m):
``(-1)**s * 2**(e - bias) * (1 + m / 2**M)`` when e > 0, and
``(-1)**s * 2**(1 - bias) * (m / 2**M)`` when e == 0 (subnormals), except
for the special codes of the convention and for ``SCALE`` formats, where every
code is ``2**(e - bias)`` and the all-ones code is NaN.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from typing import Any, Iterator

from .encodings import Specials

__all__ = ["Format", "get_format", "registered_formats", "FORMAT_ALIASES"]

_SPECIALS_NAMES = {
    "ieee": Specials.IEEE,
    "fn": Specials.FN,
    "fnuz": Specials.FNUZ,
    "none": Specials.NONE,
    "scale": Specials.SCALE,
    "unsigned-scale": Specials.SCALE,
}


def _parse_specials(specials: str | int | Specials) -> Specials:
    if isinstance(specials, Specials):
        return specials
    if isinstance(specials, str) and specials.lower() in _SPECIALS_NAMES:
        return _SPECIALS_NAMES[specials.lower()]
    if isinstance(specials, int) and not isinstance(specials, bool):
        try:
            return Specials(specials)
        except ValueError:
            pass
    raise ValueError(
        f"unknown specials {specials!r}; allowed: " + ", ".join(sorted(_SPECIALS_NAMES))
    )


@dataclasses.dataclass(frozen=True)
class Format:
    """A binary floating-point format ``ExMy`` with a bias and a special-value convention.

    Attributes:
        name: registry name (ml_dtypes spelling for the registered formats).
        exp_bits: exponent field width E (>= 1).
        man_bits: mantissa (trailing significand) field width M (>= 0).
        bias: exponent bias; any integer.
        specials: Inf/NaN convention, see :class:`refmodel.encodings.Specials`.
        signed: whether a sign bit leads the code.  Unsigned formats (``SCALE``, and
            ``FN`` ones such as UE5M3) encode no negative value.
    """

    name: str
    exp_bits: int
    man_bits: int
    bias: int
    specials: Specials = Specials.IEEE
    signed: bool = True

    def __post_init__(self) -> None:
        for field in ("exp_bits", "man_bits", "bias"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{field} must be an int, got {value!r}")
        object.__setattr__(self, "specials", _parse_specials(self.specials))
        if self.exp_bits < 1:
            raise ValueError(f"exp_bits must be >= 1, got {self.exp_bits}")
        if self.man_bits < 0:
            raise ValueError(f"man_bits must be >= 0, got {self.man_bits}")
        if self.specials is Specials.SCALE:
            if self.signed or self.man_bits != 0:
                raise ValueError(
                    "specials='scale' needs an unsigned format with man_bits=0 "
                    f"(got signed={self.signed}, man_bits={self.man_bits})"
                )
        elif not self.signed and self.specials is not Specials.FN:
            raise ValueError(
                "unsigned formats need specials 'fn' or 'scale' (a NaN for negative inputs, "
                f"no Inf), not {self.specials.name.lower()!r}"
            )
        if self.specials is Specials.IEEE and self.man_bits == 0:
            raise ValueError("specials='ieee' needs man_bits >= 1 to encode NaN")
        if self.specials is Specials.IEEE and self.exp_bits < 2:
            raise ValueError("specials='ieee' needs exp_bits >= 2 (one binade for Inf/NaN, one finite)")
        if self.specials is Specials.FN and self.exp_bits + self.man_bits < 2:
            raise ValueError("specials='fn' needs at least two magnitude bits")

    # ----------------------------------------------------------------- construction
    @classmethod
    def custom(
        cls,
        exp_bits: int,
        man_bits: int,
        bias: int | None = None,
        specials: str | int | Specials = "ieee",
        *,
        signed: bool | None = None,
        name: str | None = None,
    ) -> "Format":
        """Any ExMy of at most 16 bits with any bias.

        Args:
            exp_bits: exponent field width E (1...15).
            man_bits: mantissa field width M (0...14); 1 + E + M <= 16 when signed.
            bias: exponent bias; default the IEEE bias ``2**(E-1) - 1``.
            specials: ``"ieee"``, ``"fn"``, ``"fnuz"``, ``"none"`` or ``"scale"``.
            signed: default True, False for ``"scale"``; unsigned ``"fn"``
                formats are allowed too (name suffix ``u``).
            name: default ``"e{E}m{M}"`` plus ``"_b{bias}"`` and the specials
                suffix when they are not the defaults.

        Raises:
            ValueError: widths out of range or an impossible combination.
        """
        spec = _parse_specials(specials)
        if signed is None:
            signed = spec is not Specials.SCALE
        if not isinstance(exp_bits, int) or exp_bits < 1:
            raise ValueError(f"exp_bits must be >= 1, got {exp_bits!r}")
        default_bias = (1 << (exp_bits - 1)) - 1
        if bias is None:
            bias = default_bias
        bits = int(signed) + exp_bits + man_bits
        if bits > 16:
            raise ValueError(
                f"custom formats have at most 16 bits; e{exp_bits}m{man_bits} "
                f"{'signed ' if signed else ''}has {bits}"
            )
        if name is None:
            name = f"e{exp_bits}m{man_bits}"
            if bias != default_bias:
                name += f"_b{bias}"
            if spec is not Specials.IEEE:
                name += "_" + spec.name.lower()
            if not signed and spec is not Specials.SCALE:
                name += "u"
        return cls(name, exp_bits, man_bits, bias, spec, signed)

    @classmethod
    def from_name(cls, name: "str | Format | Any") -> "Format":
        """Look a format up by ml_dtypes name, alias, unambiguous short name or dtype.

        Raises:
            ValueError: unknown or ambiguous name, listing the candidates.
        """
        return get_format(name)

    # ------------------------------------------------------------------ code layout
    @property
    def bits(self) -> int:
        """Total code width."""
        return int(self.signed) + self.exp_bits + self.man_bits

    @property
    def code_count(self) -> int:
        """Number of codes, ``2**bits``."""
        return 1 << self.bits

    @property
    def sign_mask(self) -> int:
        """The sign bit of a code (0 for unsigned formats)."""
        return (1 << (self.bits - 1)) if self.signed else 0

    @property
    def mag_mask(self) -> int:
        """The magnitude bits of a code."""
        return (1 << (self.exp_bits + self.man_bits)) - 1

    @property
    def max_code(self) -> int:
        """Magnitude code of the largest finite value."""
        s = self.specials
        if s is Specials.IEEE:
            return (((1 << self.exp_bits) - 1) << self.man_bits) - 1
        if s in (Specials.FN, Specials.SCALE):
            return self.mag_mask - 1
        return self.mag_mask

    @property
    def has_inf(self) -> bool:
        return self.specials is Specials.IEEE

    @property
    def has_nan(self) -> bool:
        return self.specials is not Specials.NONE

    @property
    def has_zero(self) -> bool:
        return self.specials is not Specials.SCALE

    @property
    def has_negative_zero(self) -> bool:
        return self.signed and self.specials not in (Specials.FNUZ, Specials.SCALE)

    @property
    def has_subnormals(self) -> bool:
        return self.man_bits > 0 and self.specials is not Specials.SCALE

    @property
    def nan_codes(self) -> tuple[int, ...]:
        """Every code that decodes to NaN, ascending (formats of at most 16 bits).

        Raises:
            ValueError: for wider formats (float32 has 2**24 - 2 NaN codes).
        """
        if self.bits > 16:
            raise ValueError(f"nan_codes is only listed for formats of <= 16 bits, not {self.name}")
        s = self.specials
        if s is Specials.IEEE:
            top = ((1 << self.exp_bits) - 1) << self.man_bits
            mags = range(top + 1, top + (1 << self.man_bits))
            return tuple(mags) + tuple(m | self.sign_mask for m in mags)
        if s is Specials.FN:
            return (self.mag_mask, self.mag_mask | self.sign_mask) if self.signed else (self.mag_mask,)
        if s is Specials.FNUZ:
            return (self.sign_mask,)
        if s is Specials.SCALE:
            return (self.mag_mask,)
        return ()

    @property
    def inf_codes(self) -> tuple[int, ...]:
        """The +Inf and -Inf codes (empty when the format has no Inf)."""
        if not self.has_inf:
            return ()
        top = ((1 << self.exp_bits) - 1) << self.man_bits
        return (top, top | self.sign_mask)

    def nan_code(self, negative: bool = False) -> int:
        """The NaN code written for a NaN result: the quiet NaN with the given sign.

        ieee: exponent all ones, mantissa MSB set; fn: all-ones magnitude;
        fnuz and scale: their single NaN (sign ignored).

        Raises:
            ValueError: the format has no NaN.
        """
        s = self.specials
        if s is Specials.NONE:
            raise ValueError(f"{self.name} has no NaN")
        if s is Specials.IEEE:
            mag = (((1 << self.exp_bits) - 1) << self.man_bits) | (1 << (self.man_bits - 1))
        elif s is Specials.FN:
            mag = self.mag_mask
        else:
            return self.nan_codes[0]
        return mag | (self.sign_mask if negative else 0)

    # -------------------------------------------------------------------- exponents
    @property
    def emin(self) -> int:
        """Unbiased exponent of the smallest normal binade (scale: of code 0)."""
        if self.specials is Specials.SCALE:
            return -self.bias
        return 1 - self.bias

    @property
    def emax(self) -> int:
        """Unbiased exponent of the binade holding the largest finite value."""
        return self.emin + ((self.max_code >> self.man_bits) - (0 if self.specials is Specials.SCALE else 1))

    @property
    def precision(self) -> int:
        """Significand bits including the hidden bit."""
        return self.man_bits + 1

    # ------------------------------------------------------------------------ values
    @property
    def max_finite(self) -> float:
        """Largest finite value (inf if beyond float64, only for very wide custom formats)."""
        mant = self.max_code & ((1 << self.man_bits) - 1)
        sig = (1 << self.man_bits) + mant if self.specials is not Specials.SCALE else 1
        return _ldexp(sig, self.emax - self.man_bits)

    @property
    def min_normal(self) -> float:
        """Smallest positive normal value, ``2**emin`` (scale formats: the smallest value)."""
        return _ldexp(1, self.emin)

    @property
    def min_subnormal(self) -> float | None:
        """Smallest positive subnormal, ``2**(emin - M)``; None without subnormals."""
        return _ldexp(1, self.emin - self.man_bits) if self.has_subnormals else None

    @property
    def min_positive(self) -> float:
        """Smallest positive value (subnormal when the format has them)."""
        sub = self.min_subnormal
        return self.min_normal if sub is None else sub

    @property
    def eps(self) -> float:
        """Distance from 1 to the next larger value, ``2**-M``."""
        return _ldexp(1, -self.man_bits)

    # ------------------------------------------------------------------------- RTL
    def rtl_params(self, prefix: str = "") -> dict[str, int]:
        """The Verilog parameter overrides for this format -- their only producer.

        Returns ``{prefix+"EXP_W", prefix+"MAN_W", prefix+"BIAS", prefix+"SPECIALS"}``,
        and ``prefix+"SIGNED": 0`` for an unsigned format other than a scale
        (UE5M3); a signed format's SIGNED is the RTL default, 1, and not written.

        Raises:
            ValueError: a prefix that does not make Verilog identifiers (empty, or a letter or
                ``_`` followed by letters, digits and ``_``).
        """
        if not isinstance(prefix, str) or not re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)?", prefix):
            raise ValueError(f"RTL parameter prefix {prefix!r} does not make Verilog identifiers; allowed: empty, "
                             "or a letter or _ followed by letters, digits and _ (A_, B_, ACC_)")
        params = {
            f"{prefix}EXP_W": self.exp_bits,
            f"{prefix}MAN_W": self.man_bits,
            f"{prefix}BIAS": self.bias,
            f"{prefix}SPECIALS": int(self.specials),
        }
        if not self.signed and self.specials is not Specials.SCALE:
            params[f"{prefix}SIGNED"] = 0
        return params

    def describe(self) -> str:
        """One-line summary: name, layout, bias, specials."""
        sign = "S." if self.signed else ""
        return (
            f"{self.name}: {sign}E{self.exp_bits}M{self.man_bits}, bias {self.bias}, "
            f"specials {self.specials.name.lower()}"
        )


def _ldexp(mant: int, exp: int) -> float:
    try:
        return math.ldexp(mant, exp)
    except OverflowError:
        return math.inf


# --------------------------------------------------------------------------- registry
_REGISTERED: dict[str, Format] = {}


def _register(fmt: Format) -> None:
    _REGISTERED[fmt.name] = fmt


for _f in (
    Format("float8_e4m3fn", 4, 3, 7, Specials.FN),
    Format("float8_e5m2", 5, 2, 15, Specials.IEEE),
    Format("float8_e4m3fnuz", 4, 3, 8, Specials.FNUZ),
    Format("float8_e5m2fnuz", 5, 2, 16, Specials.FNUZ),
    Format("float8_e4m3b11fnuz", 4, 3, 11, Specials.FNUZ),
    Format("float8_e4m3", 4, 3, 7, Specials.IEEE),
    Format("float8_e3m4", 3, 4, 3, Specials.IEEE),
    Format("float6_e3m2fn", 3, 2, 3, Specials.NONE),
    Format("float6_e2m3fn", 2, 3, 1, Specials.NONE),
    Format("float4_e2m1fn", 2, 1, 1, Specials.NONE),
    Format("float8_e8m0fnu", 8, 0, 127, Specials.SCALE, signed=False),
    Format("float8_e5m3fnu", 5, 3, 15, Specials.FN, signed=False),
    Format("float16", 5, 10, 15, Specials.IEEE),
    Format("bfloat16", 8, 7, 127, Specials.IEEE),
    Format("float32", 8, 23, 127, Specials.IEEE),
):
    _register(_f)

FORMAT_ALIASES: dict[str, str] = {
    "ocp_e4m3": "float8_e4m3fn",
    "ocp_e5m2": "float8_e5m2",
    "ue5m3": "float8_e5m3fnu",
}

_SHORT_RE = re.compile(r"^e(\d+)m(\d+)$")


def registered_formats() -> Iterator[Format]:
    """Every registered format, in registration order."""
    return iter(_REGISTERED.values())


def get_format(name: "str | Format | Any") -> Format:
    """Resolve a format name, alias, short name, Format or numpy/ml_dtypes dtype.

    Accepted: a registered ml_dtypes name (``"float8_e4m3fn"``), an alias
    (``"ocp_e4m3"``), a short name that names exactly one format
    (``"e4m3fn"``, ``"e3m4"``), ``"eXmY"`` with no registered format of that
    shape (the IEEE-style ``Format.custom(X, Y)``, e.g. ``"e5m7"``), or a
    dtype whose name is registered.

    Raises:
        ValueError: unknown name, or a short name such as ``"e4m3"`` that fits
            several formats (the candidates are listed).
    """
    if isinstance(name, Format):
        return name
    if not isinstance(name, str):
        dtype_name = getattr(name, "name", None)
        if dtype_name is None:
            try:
                import numpy as np

                dtype_name = np.dtype(name).name
            except TypeError:
                raise ValueError(f"not a format: {name!r}") from None
        name = dtype_name
    key = name.strip().lower()
    if key in _REGISTERED:
        return _REGISTERED[key]
    if key in FORMAT_ALIASES:
        return _REGISTERED[FORMAT_ALIASES[key]]
    by_short = {f.name.split("_", 1)[1]: f for f in _REGISTERED.values() if "_" in f.name}
    match = _SHORT_RE.match(key)
    if match:
        family = [f for s, f in by_short.items() if re.match(rf"^{key}(?!\d)", s)]
        if len(family) == 1 and (family[0].signed or family[0].specials is Specials.SCALE):
            return family[0]
        if len(family) == 1:  # an unsigned format is never picked for a plain "eXmY"
            raise ValueError(
                f"format name {name!r} is ambiguous: the unsigned {family[0].name} "
                f"or the signed Format.custom({match.group(1)}, {match.group(2)})"
            )
        if len(family) > 1:
            names = ", ".join(f.name for f in family)
            raise ValueError(
                f"format name {name!r} is ambiguous; candidates: {names} "
                f"(or Format.custom({match.group(1)}, {match.group(2)}, ...))"
            )
        # no registered format of that shape: the IEEE-style custom format eXmY
        return Format.custom(int(match.group(1)), int(match.group(2)))
    elif key in by_short:
        return by_short[key]
    names = list(_REGISTERED) + list(FORMAT_ALIASES)
    raise ValueError(f"unknown format {name!r}{did_you_mean(key, names)}; valid names: {', '.join(names)}; "
                     "or use Format.custom()")


def did_you_mean(word: str, names: "list[str]") -> str:
    """``" (did you mean 'x'?)"`` (or ``'x' or 'y'``) for the close matches of ``word`` (difflib), else ``""``."""
    close = difflib.get_close_matches(word, names, n=2, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
