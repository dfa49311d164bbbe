"""The vectorised rounding core: exact finite values to format codes.

Every encoder and every arithmetic result in the package ends here.  A value
is given as ``(-1)**neg * sig * 2**exp`` with an integer significand
``sig < 2**63`` (exact, or with a sticky least significant bit standing for
discarded non-zero bits far below the rounding position), and
is rounded ONCE into the target :class:`~refmodel.formats.Format`:

1. The quantum is ``2**(max(floor(log2|v|), emin) - M)`` (gradual underflow).
2. ``q = |v| / quantum = i + f`` with ``i`` an integer and ``0 <= f < 1``; the
   magnitude code is ``((max(floor(log2|v|), emin) - emin) << M) + i'`` where
   ``i'`` is ``i`` or ``i + 1`` per the rounding mode -- a carry out of the
   mantissa moves to the next binade by itself.
3. A magnitude code above ``fmt.max_code`` is an overflow, resolved per mode.

Only integer numpy arithmetic is used, so the result is exact for any input
that fits the ``(neg, sig, exp)`` form, whatever its exponent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .encodings import Flag, RoundingMode, Specials, parse_rounding
from .formats import Format, did_you_mean

__all__ = ["EncodeOptions", "Rounded", "round_finite", "encode_float64", "encode_float64_flags", "code_dtype",
           "bit_length", "MAX_SIG_BITS", "check_bool", "rounding_mode", "tiny_after_rounding", "ieee_flags",
           "encode_flags", "NAN_POLICIES", "E8M0_RULES", "POLICY_ALIASES", "policy_name"]

MAX_SIG_BITS = 63
_RNE, _RMM, _RTZ, _RDN, _RUP, _RTO = (RoundingMode.RNE, RoundingMode.RMM, RoundingMode.RTZ, RoundingMode.RDN,
                                      RoundingMode.RUP, RoundingMode.RTO)
_SCALE = Specials.SCALE
_U64 = np.uint64
_NX, _UF, _OF, _NV = int(Flag.NX), int(Flag.UF), int(Flag.OF), int(Flag.NV)
NAN_POLICIES = ("keep-sign", "canonical")
"""The ``nan`` policies of ``encode``: the NaN code written for a NaN result (a NaN input, or an
overflow or Inf that the format delivers as NaN).

- ``"keep-sign"`` (the default): the quiet NaN with the sign of the value encoded, where the format
  has a NaN of each sign (ieee: sign | all-ones exponent | mantissa MSB; fn: sign | all-ones
  magnitude); fnuz formats have the one NaN ``100...0``, unsigned and scale formats their one NaN.
- ``"canonical"``: always the positive quiet NaN, ``fmt.nan_code(False)``.
"""
E8M0_RULES = ("even-significand", "even", "up")
"""The ``e8m0_rule`` tie rules of ``encode`` under rne for formats with no mantissa bits (E8M0).

- ``"even-significand"`` (the default): rne's own rule, the tie goes to the even significand.
  With no mantissa bits every normal significand is 1 (odd), so a tie between two powers of two
  rounds up in magnitude (E8M0: 0.75 -> 1, 3 -> 4); only a tie between zero and the smallest power
  (formats with a zero) goes to zero, the even significand 0.
- ``"even"``: the tie goes to the even code (the even exponent field: 0.75 -> 0.5, 3 -> 2).
- ``"up"``: every inexact value rounds up in magnitude (CUDA's RCEIL for MX scales).

Formats with mantissa bits take only ``"even-significand"``, plain rne.
"""
POLICY_ALIASES: dict[str, dict[str, str]] = {
    "nan": {"ml_dtypes": "keep-sign"},
    "e8m0_rule": {"ml_dtypes": "even-significand"},
}
"""Other names accepted for a policy, each meaning exactly its target: ``"ml_dtypes"``, the name both
defaults had before they were named for what they do (the peer library behaves so; for E8M0 ties from
version 0.5.1 on)."""
_POLICIES = {"nan": NAN_POLICIES, "e8m0_rule": E8M0_RULES}


def policy_name(option: str, value: object) -> str:
    """The name of a ``nan`` or ``e8m0_rule`` policy, an alias (:data:`POLICY_ALIASES`) replaced by its target.

    Args:
        option: ``"nan"`` or ``"e8m0_rule"``.
        value: the policy as given.

    Returns:
        One of :data:`NAN_POLICIES` or :data:`E8M0_RULES`.

    Raises:
        ValueError: ``value`` is neither a name nor an alias of one; the message lists both.
    """
    names, aliases = _POLICIES[option], POLICY_ALIASES[option]
    if isinstance(value, str):
        if value in names:
            return value
        if value in aliases:
            return aliases[value]
    allowed = ", ".join(repr(n) for n in names)
    alias = ", ".join(f"{a!r} for {t!r}" for a, t in aliases.items())
    hint = did_you_mean(value, [*names, *aliases]) if isinstance(value, str) else ""
    raise ValueError(f"{option} must be one of {allowed} (or {alias}), got {value!r}{hint}")


def rounding_mode(rounding: "str | int | RoundingMode") -> RoundingMode:
    """:func:`refmodel.encodings.parse_rounding`, with "did you mean" for a misspelt name.

    Raises:
        ValueError: an unknown name or code (or a bool, a float...), named, with the allowed ones.
    """
    try:
        return parse_rounding(rounding)
    except ValueError as exc:
        if not isinstance(rounding, str):
            raise
        hint = did_you_mean(rounding.strip().lower(), [m.label for m in RoundingMode])
        raise ValueError(f"{exc}{hint}") from None


def check_bool(value: object, name: str) -> bool:
    """``value`` as a bool: True/False (also numpy's) or the integers 0 and 1, nothing else.

    Raises:
        ValueError: any other value (``"no"``, 2, 0.5, None...), named.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    raise ValueError(f"{name} must be a bool (True or False, or 0/1), got {value!r}")


@dataclass(frozen=True)
class EncodeOptions:
    """Everything besides the value that decides a code.

    Attributes:
        fmt: target format.
        mode: rounding mode.
        saturate: overflow (and +-Inf) gives +-max finite instead of Inf/NaN.
        nan: ``"keep-sign"`` (sign-preserving quiet NaN) or ``"canonical"``
            (always ``fmt.nan_code(False)``); :data:`NAN_POLICIES`. An alias
            (``"ml_dtypes"``) is stored as the name it stands for.
        e8m0_rule: tie rule of formats with no mantissa bits: ``"even-significand"``
            (rne's: the even significand, so ties between powers of two round up in
            magnitude), ``"even"`` (ties to the even code) or ``"up"`` (every inexact
            value rounds up, CUDA's RCEIL); :data:`E8M0_RULES`, aliases as for ``nan``.
        sr_bits: R, the number of random bits for ``sr`` (1...32).
    """

    fmt: Format
    mode: RoundingMode = RoundingMode.RNE
    saturate: bool = False
    nan: str = "keep-sign"
    e8m0_rule: str = "even-significand"
    sr_bits: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "saturate", check_bool(self.saturate, "saturate"))
        object.__setattr__(self, "nan", policy_name("nan", self.nan))
        object.__setattr__(self, "e8m0_rule", policy_name("e8m0_rule", self.e8m0_rule))
        if self.e8m0_rule != "even-significand":
            if self.fmt.man_bits != 0:
                raise ValueError(
                    f"e8m0_rule={self.e8m0_rule!r} applies to formats without mantissa bits, "
                    f"not {self.fmt.name}"
                )
            if self.mode is not RoundingMode.RNE:
                raise ValueError(
                    f"e8m0_rule={self.e8m0_rule!r} replaces rne's tie rule; "
                    f"it cannot be combined with rounding={self.mode.label!r}"
                )
        if self.mode is RoundingMode.SR:
            if self.sr_bits is None:
                raise ValueError("rounding='sr' needs sr_bits (1...32) and random bits (rand or rng)")
            if isinstance(self.sr_bits, bool) or not isinstance(self.sr_bits, (int, np.integer)):
                raise TypeError(f"sr_bits must be an int in 1...32, got {self.sr_bits!r}")
            if not 1 <= self.sr_bits <= 32:
                raise ValueError(f"sr_bits must be in 1...32, got {self.sr_bits}")

    def nan_codes_for(self, neg: np.ndarray) -> np.ndarray:
        """The NaN code written for a NaN result of sign ``neg`` (uint64)."""
        fmt = self.fmt
        pos = np.uint64(fmt.nan_code(False))
        if self.nan == "canonical" or not fmt.signed or fmt.specials is Specials.FNUZ:
            return np.full(neg.shape, pos, np.uint64)
        return np.where(neg, np.uint64(fmt.nan_code(True)), pos)

    def inf_or_nan(self, neg: np.ndarray) -> np.ndarray:
        """The code of an infinite result: +-Inf where the format has Inf, else NaN."""
        fmt = self.fmt
        if fmt.has_inf:
            inf = np.uint64(fmt.inf_codes[0])
            return np.where(neg, inf | np.uint64(fmt.sign_mask), inf)
        return self.nan_codes_for(neg)

    def max_finite_code(self, neg: np.ndarray) -> np.ndarray:
        top = np.uint64(self.fmt.max_code)
        if not self.fmt.signed:
            return np.full(neg.shape, top, np.uint64)
        return np.where(neg, top | np.uint64(self.fmt.sign_mask), top)


def bit_length(sig: np.ndarray) -> np.ndarray:
    """Bit length of each ``0 <= sig < 2**63`` (0 for 0), exactly (int64).

    float64's exponent gives it, except where the conversion rounded up to
    the next power of two; one comparison corrects that.
    """
    sig = np.asarray(sig, np.uint64)
    bl = np.frexp(sig.astype(np.float64))[1].astype(np.int64)
    over = (sig >> np.maximum(bl - 1, 0).astype(np.uint64)) == 0
    return bl - (over & (bl > 0))


class Rounded(NamedTuple):
    """Codes and the two facts the IEEE flags need, per element."""

    code: np.ndarray  # uint64 codes
    inexact: np.ndarray  # bool: the rounded value differs from the input
    overflow: np.ndarray  # bool: the rounded magnitude (unbounded exponent) exceeds max finite
    log2: np.ndarray  # int64: floor(log2|input|) (meaningless for zero inputs)


def round_finite(
    neg: np.ndarray,
    sig: np.ndarray,
    exp: np.ndarray,
    opts: EncodeOptions,
    rand: np.ndarray | None = None,
) -> Rounded:
    """Round finite values ``(-1)**neg * sig * 2**exp`` into ``opts.fmt`` codes.

    Args:
        neg: bool array, the sign (True for negative values and -0).
        sig: uint64 array, the integer significand, ``sig < 2**63``.
        exp: int64 array, the power of two scaling ``sig``.
        opts: target format and rounding options.
        rand: integers in ``[0, 2**sr_bits)`` for sr.

    Returns:
        :class:`Rounded`: uint64 codes (same shape), and the inexact and
        overflow masks.  Zeros keep their sign (fnuz, unsigned: +0).  Overflow: +-max
        finite when saturating, for formats without Inf/NaN, and where the
        mode rounds toward zero (rtz, rto; rdn for positive, rup for negative
        values); otherwise Inf (ieee) or NaN.  Scale formats: zero and
        negative values give NaN, values below ``2**emin`` code 0; other
        unsigned formats: negative nonzero values give NaN.
    """
    fmt, mode = opts.fmt, opts.mode
    man = fmt.man_bits
    neg = np.asarray(neg, bool)
    sig = np.asarray(sig, np.uint64)
    exp = np.asarray(exp, np.int64)
    zero = sig == 0

    # Normalise to exactly 63 significant bits: the quantum is then >= 2**(62 - M) units away,
    # so i, the round bit, the sticky bit and the R <= 32 bits of t all fit in uint64.
    bl = bit_length(sig)
    norm = np.where(zero, 0, MAX_SIG_BITS - bl)
    sig = sig << norm.astype(np.uint64)
    exp = exp - norm
    lg = exp + (MAX_SIG_BITS - 1)  # floor(log2|v|) for nonzero values
    lg_c = np.where(zero, fmt.emin, np.maximum(lg, fmt.emin))
    shift = (lg_c - man) - exp  # quantum exponent minus exp: >= 62 - man > 32
    sh = np.minimum(shift, 64).astype(np.uint64)  # numpy shifts by >= 64 give 0
    i = sig >> sh
    rem = sig - (i << sh)
    rbit = (rem >> (sh - np.uint64(1))) & np.uint64(1)
    sticky = (rem & ((np.uint64(1) << (sh - np.uint64(1))) - np.uint64(1))) != 0
    inexact = rem != 0

    if fmt.specials is _SCALE:
        i_base = np.uint64(1)  # the hidden 1 is not stored: code = binade index + carry
    else:
        i_base = np.uint64(0)

    base = (lg_c - fmt.emin).astype(np.uint64) << np.uint64(man)  # code of the binade's first value
    if mode is _RNE:
        if opts.e8m0_rule == "up":
            inc = inexact
        else:  # even-significand (M = 0: a normal significand is odd, ties go up); even: even code
            lsb = i & np.uint64(1) if opts.e8m0_rule == "even-significand" else (base + i - i_base) & np.uint64(1)
            inc = (rbit == 1) & (sticky | (lsb == 1))
    elif mode is _RMM:
        inc = rbit == 1
    elif mode is _RTZ:
        inc = np.zeros(i.shape, bool)
    elif mode is _RDN:
        inc = inexact & neg
    elif mode is _RUP:
        inc = inexact & ~neg
    elif mode is _RTO:
        i = i | inexact.astype(np.uint64)
        inc = np.zeros(i.shape, bool)
    else:  # SR: away iff t + r >= 2**R, t = the discarded fraction truncated to R bits
        if rand is None:
            raise ValueError("rounding='sr' needs random bits (rand or rng)")
        r_bits = int(opts.sr_bits)  # type: ignore[arg-type]
        t = rem >> np.minimum(shift - r_bits, 64).astype(np.uint64)  # shift - R > 0
        inc = ((t + np.asarray(rand, np.uint64)) >> np.uint64(r_bits)) != 0

    mag = base + i + inc.astype(np.uint64) - i_base
    over = mag > np.uint64(fmt.max_code)
    code = np.where(over, np.uint64(0), mag)
    if fmt.signed:
        sign = np.where(neg & ((mag != 0) | fmt.has_negative_zero), np.uint64(fmt.sign_mask), np.uint64(0))
        code = code | sign

    if fmt.specials is _SCALE:
        under = ~zero & (lg < fmt.emin)
        code = np.where(under, np.uint64(0), code)
        over = over & ~under

    if over.any():
        code = np.where(over, _overflow_codes(neg, opts), code)
    if fmt.specials is _SCALE:
        code = np.where(neg | zero, np.uint64(fmt.nan_code()), code)
    elif not fmt.signed:  # no negative values: NaN, also where they would round to zero
        code = np.where(neg & ~zero, np.uint64(fmt.nan_code()), code)
    return Rounded(code, inexact | over, over, lg)


def _overflow_codes(neg: np.ndarray, opts: EncodeOptions) -> np.ndarray:
    """Codes for results beyond max finite, per spec-notes section 2."""
    fmt, mode = opts.fmt, opts.mode
    if opts.saturate or not fmt.has_nan:
        return opts.max_finite_code(neg)
    to_max = np.zeros(neg.shape, bool)
    if mode in (RoundingMode.RTZ, RoundingMode.RTO):
        to_max[...] = True
    elif mode is RoundingMode.RDN:
        to_max |= ~neg
    elif mode is RoundingMode.RUP:
        to_max |= neg
    return np.where(to_max, opts.max_finite_code(neg), opts.inf_or_nan(neg))


def code_dtype(fmt: Format) -> type:
    """The unsigned integer dtype holding codes of ``fmt`` (uint8/16/32)."""
    for width in (8, 16, 32):
        if fmt.bits <= width:
            return {8: np.uint8, 16: np.uint16, 32: np.uint32}[width]
    raise ValueError(f"{fmt.name} has {fmt.bits} bits; codes are limited to 32 bits")


def float64_fields(v: np.ndarray) -> tuple[np.ndarray, ...]:
    """``(neg, sig, exp, nan, inf)`` of a float64 array: finite values are ``(-1)**neg * sig * 2**exp``
    exactly (Inf and NaN get ``sig = 0``)."""
    neg = np.signbit(v)
    nan = np.isnan(v)
    inf = np.isinf(v)
    mant, e = np.frexp(np.where(nan | inf, 0.0, np.abs(v)))
    sig = (mant * 2.0**53).astype(np.uint64)
    return neg, sig, e.astype(np.int64) - 53, nan, inf


def encode_float64(v: np.ndarray, opts: EncodeOptions, rand: np.ndarray | None = None) -> np.ndarray:
    """Exact encode of a float64 array (any values: finite, +-Inf, NaN) to uint64 codes.

    The general path: every fast path is built from it and tested against it.
    NaN into a format without NaN must be refused by the caller.
    """
    neg, sig, exp, nan, inf = float64_fields(v)
    return _special_codes(round_finite(neg, sig, exp, opts, rand).code, neg, nan, inf, opts)


def encode_float64_flags(
    v: np.ndarray, opts: EncodeOptions, rand: np.ndarray | None, snan: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`encode_float64`'s codes and :func:`encode_flags`'s flags; ``snan`` marks the inputs
    that were signalling NaNs before they were widened to float64."""
    neg, sig, exp, nan, inf = float64_fields(v)
    rounded = round_finite(neg, sig, exp, opts, rand)
    code = _special_codes(rounded.code, neg, nan, inf, opts)
    return code, encode_flags(neg, sig, exp, rounded, opts, nan=nan, inf=inf, snan=snan)


def _special_codes(code: np.ndarray, neg: np.ndarray, nan: np.ndarray, inf: np.ndarray,
                   opts: EncodeOptions) -> np.ndarray:
    """``code`` with the codes of the +-Inf and NaN inputs put in."""
    fmt = opts.fmt
    if not (nan.any() or inf.any()):
        return code
    if opts.saturate and fmt.signed:
        inf_code = opts.max_finite_code(neg)
    elif fmt.has_inf:
        inf_code = opts.inf_or_nan(neg)
    elif not fmt.signed:  # -Inf is negative: NaN; +Inf as in a signed format
        inf_code = np.where(neg | (not opts.saturate), np.uint64(fmt.nan_code()), np.uint64(fmt.max_code))
    elif not fmt.has_nan:
        inf_code = opts.max_finite_code(neg)
    else:
        inf_code = opts.nan_codes_for(neg)
    code = np.where(inf, inf_code, code)
    if nan.any():
        code = np.where(nan, opts.nan_codes_for(neg), code)
    return code


# ---------------------------------------------------------------------------- flags
def tiny_after_rounding(neg, sig, exp, rounded: Rounded, opts: EncodeOptions) -> np.ndarray:
    """Tininess after rounding (IEEE 754-2019 section 7.5) of the values ``(-1)**neg * sig * 2**exp``.

    Deterministic modes: the nonzero value rounded with an unbounded exponent
    range is below min normal.  Only values in the binade just below min normal
    can round up to it: for those, rounding twice the value (whose binade is
    normal, so the quantum is the unbounded one, doubled) tells; under
    ``e8m0_rule="even"`` (no mantissa bits) the tie ``1.5 * 2**(emin - 1)``
    goes to the even exponent field counted on below the range (0 there), so
    it is tiny.  sr: the delivered result (``rounded``) is below min normal
    (an overflow is not).  Scale formats (no zero, no subnormals: every
    positive value below ``2**emin`` is delivered as ``2**emin`` in every
    mode): the value itself is below ``2**emin``.
    """
    fmt = opts.fmt
    if fmt.specials is _SCALE:
        return (sig != 0) & (rounded.log2 < fmt.emin)
    if opts.mode is RoundingMode.SR:
        return ~rounded.overflow & ((rounded.code & _U64(fmt.mag_mask)) < _U64(1 << fmt.man_bits))
    lg = rounded.log2
    tiny = (sig != 0) & (lg < fmt.emin)
    edge = np.flatnonzero(tiny & (lg == fmt.emin - 1))
    if edge.size:
        probe = EncodeOptions(fmt, opts.mode, False, "canonical", opts.e8m0_rule, opts.sr_bits)
        doubled = round_finite(neg[edge], sig[edge], exp[edge] + 1, probe).code
        tiny[edge] = (doubled & _U64(fmt.mag_mask)) < _U64(2 << fmt.man_bits)
        if opts.e8m0_rule == "even":  # the doubled grid's even code is one field up: ties stay tiny
            s = sig[edge]
            bl = bit_length(s)
            tiny[edge] |= (bl >= 2) & (s == (_U64(3) << np.maximum(bl - 2, 0).astype(_U64)))
    return tiny


def ieee_flags(rounded: Rounded, tiny: np.ndarray) -> np.ndarray:
    """NX, OF and UF (tiny and inexact) of rounded finite values, as uint8 :class:`Flag` bits."""
    return (rounded.inexact * _NX | rounded.overflow * _OF | (tiny & rounded.inexact) * _UF).astype(np.uint8)


def encode_flags(neg, sig, exp, rounded: Rounded, opts: EncodeOptions, *, nan=None, inf=None,
                 snan=None) -> np.ndarray:
    """The flags of a conversion to ``opts.fmt`` (docs/formats.md, "Flags of encode"), uint8.

    Finite values ``(-1)**neg * sig * 2**exp`` rounded to ``rounded`` get
    :func:`ieee_flags`; ``nan``/``inf``/``snan`` (bool arrays, default none)
    mark NaN, +-Inf and signalling-NaN inputs.  NV alone (no other flag) for a
    signalling NaN, +-Inf into a format without Inf, a negative nonzero value
    or -Inf into an unsigned format, and zero into a scale format; NX alone for
    +-Inf saturated to +-max finite; nothing for other NaN and Inf inputs.
    """
    fmt = opts.fmt
    flags = ieee_flags(rounded, tiny_after_rounding(neg, sig, exp, rounded, opts))
    zero = sig == 0
    nan = np.zeros(zero.shape, bool) if nan is None else nan
    inf = np.zeros(zero.shape, bool) if inf is None else inf
    invalid = np.zeros(zero.shape, bool) if snan is None else snan
    if not fmt.has_inf:
        invalid = invalid | inf
    if not fmt.signed:
        invalid = invalid | (neg & ~nan & (~zero | inf))
    if fmt.specials is _SCALE:
        invalid = invalid | (zero & ~nan & ~inf)
    flags = np.where(nan | inf, (inf & (opts.saturate and fmt.signed)) * _NX, flags)
    return np.where(invalid, _NV, flags).astype(np.uint8)
