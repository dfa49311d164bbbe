"""Cases of ``rtl/fp8_dpa.v``: one fused-dot step per row, expected outputs from ``refmodel.gemm``.

A row is ``a_0..a_{L-1}, b_0..b_{L-1}, scale_a, scale_b, c, res, flags`` (int64): the step's element
codes, its E8M0 block scales (127, i.e. 1.0, when the step is not scaled), the accumulator code and
the expected result and flags of one step of the :class:`refmodel.datapath.FusedDot` (``matmul`` with
K = L, or ``matmul_mx`` with one block of L elements per operand).

:class:`DpaConfig` names what one unit computes; :func:`dpa_structured` gives the directed rows (every
alignment distance around F, cancellation, carries and ties, NaN/Inf/-0, block-scale extremes,
overflow, underflow), :func:`dpa_random_cases` seeded random rows; :func:`resolve` makes a unit from a
preset or from its parameters (``fp8kit vectors --op dpa``, a BYO description's ``[dpa]`` table) and
:func:`cases` gives a vector file's rows (level 1 the directed rows, level 2 plus random ones).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from fp8kit.vectors.io import Column
from refmodel import arith
from refmodel.codec import classify, decode, encode
from refmodel.datapath import FusedDot, check_datapath
from refmodel.encodings import CodeClass, Specials
from refmodel.formats import Format, get_format
from refmodel.gemm import matmul, matmul_mx
from refmodel.mx import MX_TYPES, MxArray, get_mx_type
from refmodel.presets import PRESETS
from refmodel.rounding import rounding_mode

__all__ = ["FUSED_DOT", "UNIT_KEYS", "DpaConfig", "cases", "config", "dpa_columns", "dpa_expected",
           "dpa_random_cases", "dpa_structured", "dpa_witnesses", "level1_bound", "resolve", "step_presets"]

_CHUNK = 256
"""Rows per model call: the expected outputs are the diagonal of a CHUNK x CHUNK GEMM."""


@dataclass(frozen=True)
class DpaConfig:
    """One ``fp8_dpa`` unit: the step datapath, the element formats (or E8M0-scaled MX types of both
    operands) and the accumulator."""

    datapath: FusedDot
    fmt_a: str
    fmt_b: str
    acc_fmt: str = "float32"

    @property
    def lanes(self) -> int:
        return self.datapath.lanes

    @property
    def scaled(self) -> bool:
        return self.fmt_a.startswith("mx")

    def element(self, side: str) -> Format:
        name = self.fmt_a if side == "a" else self.fmt_b
        return get_mx_type(name).element if self.scaled else get_format(name)

    @property
    def acc(self) -> Format:
        return get_format(self.acc_fmt)

    def to_json(self) -> str:
        """The config as one JSON line (the benches' ``FP8KIT_DPA`` setting)."""
        dp = self.datapath
        s = dp.step_fmt
        return json.dumps({"lanes": dp.lanes, "frac_bits": dp.frac_bits, "step": [s.exp_bits, s.man_bits, s.bias],
                           "rounding": dp.rounding.label, "zero_exp": dp.zero_exp, "nan": dp.nan,
                           "fmt_a": self.fmt_a, "fmt_b": self.fmt_b, "acc": self.acc_fmt}, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> "DpaConfig":
        d = json.loads(text)
        e, m, bias = d["step"]
        step = Format(f"e{e}m{m}", e, m, bias)
        acc = get_format(d["acc"])
        if (step.exp_bits, step.man_bits, step.bias) == (acc.exp_bits, acc.man_bits, acc.bias):
            step = acc
        dp = FusedDot(d["lanes"], d["frac_bits"], step, d["rounding"], d["zero_exp"], 1, d["nan"])
        return DpaConfig(dp, d["fmt_a"], d["fmt_b"], d["acc"])

    def rtl_params(self, pipe: int = 0) -> dict[str, int]:
        """The ``fp8_dpa`` parameter set (:func:`fp8kit.rtlspec.params.dpa_rtl_params`)."""
        from fp8kit.rtlspec.params import dpa_rtl_params

        return dpa_rtl_params(self.datapath, self.fmt_a, self.fmt_b, self.acc_fmt, pipe)


def dpa_columns(cfg: DpaConfig) -> list[Column]:
    """The vector-file columns of a row (docs/vectors.md)."""
    fa, fb, fc = cfg.element("a"), cfg.element("b"), cfg.acc
    lanes = cfg.lanes
    return ([Column(f"a_{i}", fa.bits, "in", f"A element {i} ({fa.name})") for i in range(lanes)]
            + [Column(f"b_{i}", fb.bits, "in", f"B element {i} ({fb.name})") for i in range(lanes)]
            + [Column("scale_a", 8, "in", "E8M0 scale of A (127 when unscaled)"),
               Column("scale_b", 8, "in", "E8M0 scale of B"),
               Column("c", fc.bits, "in", f"accumulator ({fc.name})"),
               Column("res", fc.bits, "out", "one fused-dot step, an accumulator code"),
               Column("flags", 5, "out", "{NV, DZ, OF, UF, NX}")])


def dpa_expected(cfg: DpaConfig, a: np.ndarray, b: np.ndarray, scale_a: np.ndarray, scale_b: np.ndarray,
                 c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The expected ``(res, flags)`` of rows (``a``, ``b``: (n, L) codes; ``scale_*``, ``c``: (n,))."""
    n, lanes = a.shape
    res, flags = np.zeros(n, np.int64), np.zeros(n, np.int64)
    for i0 in range(0, n, _CHUNK):
        sl = slice(i0, min(i0 + _CHUNK, n))
        m = sl.stop - sl.start
        cc = np.repeat(c[sl, None], m, axis=1)
        if cfg.scaled:
            ma = MxArray(cfg.fmt_a, lanes, 1, (m, lanes), scale_a[sl, None].astype(np.uint8), a[sl].astype(np.uint8))
            mb = MxArray(cfg.fmt_b, lanes, 0, (lanes, m), scale_b[None, sl].astype(np.uint8),
                         np.ascontiguousarray(b[sl].T).astype(np.uint8))
            d, f = matmul_mx(ma, mb, cc, acc_fmt=cfg.acc, datapath=cfg.datapath)
        else:
            d, f = matmul(a[sl], b[sl].T, cc, fmt_a=cfg.element("a"), fmt_b=cfg.element("b"), acc_fmt=cfg.acc,
                          datapath=cfg.datapath)
        res[sl], flags[sl] = np.diagonal(d).astype(np.int64), np.diagonal(f).astype(np.int64)
    return res, flags


def _rows(cfg: DpaConfig, a, b, sa, sb, c) -> np.ndarray:
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    sa, sb, c = (np.asarray(x, np.int64).reshape(-1) for x in (sa, sb, c))
    res, flags = dpa_expected(cfg, a, b, sa, sb, c)
    return np.concatenate([a, b, sa[:, None], sb[:, None], c[:, None], res[:, None], flags[:, None]], axis=1)


def _codes(fmt: Format, values) -> np.ndarray:
    """Codes of values ``fmt`` represents exactly (rne encode of exact values)."""
    return encode(np.asarray(values, np.float64), fmt).astype(np.int64)


def _finite_codes(fmt: Format) -> np.ndarray:
    codes = np.arange(1 << fmt.bits)
    cls = classify(codes, fmt)
    return codes[(cls != CodeClass.NAN) & (cls != CodeClass.INF)]


def dpa_random_cases(cfg: DpaConfig, count: int, seed: int) -> np.ndarray:
    """``count`` seeded random rows: half with element exponents in a narrow window (the products meet
    within F), half uniform over the finite codes (a NaN or Inf element 1 in 200); C zero, near the
    products, far above them or any finite code; scales mostly near 127 when scaled."""
    rng = np.random.default_rng(seed)
    lanes, fa, fb, fc = cfg.lanes, cfg.element("a"), cfg.element("b"), cfg.acc

    def operand(fmt: Format) -> np.ndarray:
        finite = _finite_codes(fmt)
        x = rng.choice(finite, (count, lanes))
        narrow = rng.random(count) < 0.5
        e = (finite >> fmt.man_bits) & ((1 << fmt.exp_bits) - 1)
        lo = rng.integers(0, max(1, int(e.max()) - 2), count)
        for i in np.flatnonzero(narrow):
            pool = finite[(e >= lo[i]) & (e <= lo[i] + 2)]
            x[i] = rng.choice(pool, lanes)
        odd = np.setdiff1d(np.arange(1 << fmt.bits), finite)
        if odd.size:
            pick = rng.random((count, lanes)) < 0.005
            x[pick] = rng.choice(odd, int(pick.sum()))
        x[rng.random((count, lanes)) < 0.1] = 0
        return x

    a, b = operand(fa), operand(fb)
    if cfg.scaled:
        sa = np.where(rng.random(count) < 0.1, rng.integers(0, 256, count), 127 + rng.integers(-6, 7, count))
        sb = np.where(rng.random(count) < 0.1, rng.integers(0, 256, count), 127 + rng.integers(-6, 7, count))
    else:
        sa = sb = np.full(count, 127)
    c_any = rng.choice(_finite_codes(fc) if fc.bits <= 16 else rng.integers(0, 1 << fc.bits, 4096), count)
    mode = rng.integers(0, 4, count)
    mag = np.abs(rng.standard_normal(count)) * np.exp2(np.where(mode == 1, 0, rng.integers(8, 30, count)))
    near = _codes(fc, np.where(rng.random(count) < 0.5, -mag, mag))
    c = np.select([mode == 0, mode <= 2], [rng.integers(0, 2, count) << (fc.bits - 1), near], c_any)
    c = np.where(classify(c, fc) == CodeClass.NAN, 0, c)
    return _rows(cfg, a, b, sa, sb, c)


def dpa_witnesses(cfg: DpaConfig) -> np.ndarray:
    """The rows that decide which of OF, UF and UF-to-zero a unit can raise (``verif.coverage``): C at
    the largest finite value under the largest products of either sign; subnormal C over zero products;
    the smallest product alone and in every lane; when scaled, the largest products under the largest
    scales and 1.0 products under scales 2**-79 and 2**-76 each (one lane and every lane)."""
    lanes, fa, fb, fc = cfg.lanes, cfg.element("a"), cfg.element("b"), cfg.acc
    big_a, big_b = fa.max_code, fb.max_code
    one_a, one_b = int(_codes(fa, [1.0])[0]), int(_codes(fb, [1.0])[0])
    m = fc.man_bits
    spec = []  # (a code, b code, lanes used, scale of both, c)
    for sign in (0, int(fb.sign_mask)):
        spec.append((big_a, big_b | sign, lanes, 127, fc.max_code))
    spec += [(0, 0, 0, 127, c) for c in (1, (1 << (m - 1)) | 1, (1 << m) - 1)]
    spec += [(1, 1, 1, 127, 0), (1, 1, lanes, 127, 0)]
    if cfg.scaled:
        spec += [(big_a, big_b, lanes, 254, 0)]
        spec += [(one_a, one_b, n, s, 0) for s in (48, 51) for n in (1, lanes)]
    a = np.array([[r[0] if k < r[2] else 0 for k in range(lanes)] for r in spec], np.int64)
    b = np.array([[r[1] if k < r[2] else 0 for k in range(lanes)] for r in spec], np.int64)
    s = np.array([r[3] for r in spec], np.int64)
    return _rows(cfg, a, b, s, s, np.array([r[4] for r in spec], np.int64))


def dpa_structured(cfg: DpaConfig) -> np.ndarray:
    """The directed rows: every alignment distance d = F-3 ... F+3 of a second product (both signs, in
    every lane) and of C, cancelling pairs, a carry out of the top and round-to-nearest ties, NaN and
    Inf elements and C (Inf * 0, Inf - Inf, a signalling-NaN C), C = -0 with zero products, C far
    above and below the products, overflow and underflow, when scaled scale extremes, and the rows of
    :func:`dpa_witnesses`."""
    lanes, fa, fb, fc = cfg.lanes, cfg.element("a"), cfg.element("b"), cfg.acc
    f = cfg.datapath.frac_bits
    one_a, one_b = _codes(fa, [1.0])[0], _codes(fb, [1.0])[0]
    pow_a = {e: int(_codes(fa, [2.0**e])[0]) for e in range(-40, 40) if _representable(fa, 2.0**e)}
    pow_b = {e: int(_codes(fb, [2.0**e])[0]) for e in range(-40, 40) if _representable(fb, 2.0**e)}
    rows_a, rows_b, rows_c, rows_s = [], [], [], []

    def add(av, bv, cv, scales=(127, 127)):
        rows_a.append(av)
        rows_b.append(bv)
        rows_c.append(cv)
        rows_s.append(scales)

    zero_a, zero_b = np.zeros(lanes, np.int64), np.zeros(lanes, np.int64)
    c0 = 0
    # a second product 2**-d below the first (1 * 1), d around F, both signs, in every lane
    for d in range(f - 3, f + 4):
        split = [(ea, -d - ea) for ea in pow_a if -d - ea in pow_b]
        if split:  # elements too narrow for a product 2**-d leave only C at that distance
            ea, eb = split[len(split) // 2]
            for lane in range(1, lanes):
                for neg in (False, True):
                    av, bv = zero_a.copy(), zero_b.copy()
                    av[0], bv[0] = one_a, one_b
                    av[lane], bv[lane] = pow_a[ea] | (fa.sign_mask if neg else 0), pow_b[eb]
                    add(av, bv, c0)
        # C at 2**-d below the product 1 (both signs)
        av, bv = zero_a.copy(), zero_b.copy()
        av[0], bv[0] = one_a, one_b
        for cv in _codes(fc, [2.0**-d, -(2.0**-d), 1.5 * 2.0**-d]):
            add(av, bv, int(cv))
    # cancellation: x and -x (exact zero), and 1 - (1 - 2**-k)
    av, bv = zero_a.copy(), zero_b.copy()
    if lanes >= 2:
        av[0], bv[0], av[1], bv[1] = one_a, one_b, one_a | fa.sign_mask, one_b
        add(av.copy(), bv.copy(), c0)
        add(av.copy(), bv.copy(), int(fc.sign_mask))
    # every lane at the largest finite product: a carry out of the top; ties under rne
    big_a, big_b = fa.max_code, fb.max_code
    add(np.full(lanes, big_a), np.full(lanes, big_b), c0)
    for cv in _codes(fc, [1.0, -1.0, 2.0**(f + 1), 2.0**-(f + 1)]):
        add(np.full(lanes, one_a), np.full(lanes, one_b), int(cv))
    # NaN and Inf elements, Inf * 0, Inf - Inf; NaN, Inf and signalling-NaN C; -0 C with zero products
    specials_a = [int(x) for x in np.setdiff1d(np.arange(1 << fa.bits), _finite_codes(fa))]
    for s in specials_a[:4]:
        av, bv = np.full(lanes, one_a), np.full(lanes, one_b)
        av[lanes - 1] = s
        add(av, bv, c0)
        bv[lanes - 1] = 0
        add(av.copy(), bv.copy(), c0)
    if fa.specials is Specials.IEEE and lanes >= 2:
        pinf = int(fa.inf_codes[0])
        av, bv = np.full(lanes, one_a), np.full(lanes, one_b)
        av[0], av[1] = pinf, pinf | fa.sign_mask
        add(av, bv, c0)
    acc_specials = [int(fc.inf_codes[0]), int(fc.inf_codes[0] | fc.sign_mask), int(fc.nan_code(False)),
                    int(fc.inf_codes[0] | 1)]  # the last: a signalling NaN
    for cv in acc_specials:
        add(np.full(lanes, one_a), np.full(lanes, one_b), cv)
    add(zero_a.copy(), zero_b.copy(), int(fc.sign_mask))
    add(zero_a.copy(), zero_b.copy(), 0)
    # C far above and far below the products, overflow, underflow
    for cv in _codes(fc, [2.0**60, -(2.0**60), 2.0**-60]) if fc.emax > 60 else _codes(fc, [2.0**14, 2.0**-14]):
        add(np.full(lanes, one_a), np.full(lanes, one_b), int(cv))
    add(np.full(lanes, big_a), np.full(lanes, big_b), fc.max_code)
    small_a, small_b = 1, 1  # the smallest subnormal element codes
    add(np.full(lanes, small_a), np.full(lanes, small_b), c0)
    add(np.full(lanes, small_a), np.full(lanes, small_b | fb.sign_mask), 1)
    av, bv = zero_a.copy(), zero_b.copy()
    av[0], bv[0] = small_a, small_b
    add(av, bv, c0)  # one smallest product alone: rounds to zero where it is below the step's quantum
    m = fc.man_bits
    for cv in (1, (1 << (m - 1)) | 1, (1 << m) - 1):  # subnormal C, zero products: tiny, maybe inexact
        add(zero_a.copy(), zero_b.copy(), cv)
        add(zero_a.copy(), zero_b.copy(), cv | fc.sign_mask)
    if cfg.scaled:
        for scales in ((0, 0), (254, 254), (0xFF, 127), (127, 0xFF), (0, 254), (200, 200), (20, 20), (48, 48), (51, 51)):
            add(np.full(lanes, one_a), np.full(lanes, one_b), c0, scales)
            add(np.full(lanes, big_a), np.full(lanes, big_b), c0, scales)
    for av, bv, cv, scales in _step_edge_rows(cfg, pow_a, pow_b):
        add(av, bv, cv, scales)
    s = np.array(rows_s, np.int64)
    return np.concatenate([_rows(cfg, np.array(rows_a), np.array(rows_b), s[:, 0], s[:, 1], np.array(rows_c)),
                           dpa_witnesses(cfg)])


def _step_edge_rows(cfg: DpaConfig, pow_a: dict[int, int], pow_b: dict[int, int]) -> list[tuple]:
    """Directed rows at the edges of the step's rounding (added for the fp8_dpa mutation run,
    docs/verification.md), each ``(a codes, b codes, c, (scale_a, scale_b))``:

    - deep cancellation: the product 1 (lane 0) against C = -(1 + ulp) and -(1 - ulp / 2), and the
      mirror image: a sum of one or half a unit of C's last place, normalised by a left shift of
      nearly the step's whole significand;
    - a carry into Inf: C = the step's largest finite value and one product of half its last place
      (2**(emax - S - 1), from element powers of two or, when scaled, from the scales), both signs:
      under rne the tie rounds to even, up to exactly the Inf code (OF), under rtz it stays;
    - the min normal with lost bits: C = +-the accumulator's min normal and one smallest product
      (under the scales 2**-127 each when scaled), which the alignment may truncate away: the result
      is the min normal, inexact, not tiny.
    """
    lanes, fa, fb, fc = cfg.lanes, cfg.element("a"), cfg.element("b"), cfg.acc
    step = cfg.datapath.step_fmt
    one_a, one_b = int(_codes(fa, [1.0])[0]), int(_codes(fb, [1.0])[0])
    one_c = int(_codes(fc, [1.0])[0])
    sign_c = int(fc.sign_mask)
    unit = (127, 127)

    def lane0(a, b):
        av, bv = np.zeros(lanes, np.int64), np.zeros(lanes, np.int64)
        av[0], bv[0] = a, b
        return av, bv

    out = []
    for cv in (one_c + 1, one_c - 1):
        out.append((*lane0(one_a, one_b), cv | sign_c, unit))
        out.append((*lane0(one_a | int(fa.sign_mask), one_b), cv, unit))
    k = step.emax - step.man_bits - 1
    top = int(_codes(fc, [(2.0 - 2.0**-step.man_bits) * 2.0**step.emax])[0])
    split = [(ea, k - ea) for ea in pow_a if k - ea in pow_b]
    if split:
        ea, eb = split[len(split) // 2]
        pair, scales = (pow_a[ea], pow_b[eb]), unit
    elif cfg.scaled and abs(k) <= 254:
        pair, scales = (one_a, one_b), (127 + k // 2, 127 + k - k // 2)
    else:
        pair = None
    if pair is not None:
        out.append((*lane0(*pair), top, scales))
        out.append((*lane0(pair[0] | int(fa.sign_mask), pair[1]), top | sign_c, scales))
    tiny = (0, 0) if cfg.scaled else unit
    for cv in (1 << fc.man_bits, (1 << fc.man_bits) | sign_c):
        out.append((*lane0(1, 1), cv, tiny))
    return out


def _representable(fmt: Format, x: float) -> bool:
    code = encode(np.array([x]), fmt)
    return float(decode(code, fmt, np.float64)[0]) == x


def config(datapath: FusedDot, fmt_a: str, fmt_b: str | None = None, acc_fmt: Any = "float32") -> DpaConfig:
    """A :class:`DpaConfig` with canonical format names."""
    fb = fmt_a if fmt_b is None else fmt_b
    canon = (lambda n: get_mx_type(n).name) if str(fmt_a).startswith("mx") else (lambda n: get_format(n).name)
    return DpaConfig(datapath, canon(fmt_a), canon(fb), get_format(acc_fmt).name)


FUSED_DOT = "fused-dot"
"""The datapath name of a unit given by its parameters (:data:`UNIT_KEYS`) instead of a preset."""

UNIT_KEYS = ("lanes", "frac_bits", "step_man_bits", "zero_exp", "nan")
"""The parameters of a ``fused-dot`` unit besides its formats and rounding: L, F, the step format's
fraction bits (default the accumulator's), the zero terms' exponent (``None``/``"none"``: they take no
part) and the NaN style (default :class:`refmodel.datapath.FusedDot`'s)."""

_DEFAULTS = {f.name: f.default for f in FusedDot.__dataclass_fields__.values() if f.name in ("rounding", "zero_exp",
                                                                                           "nan")}


def step_presets(rtl: bool = True) -> tuple[str, ...]:
    """The presets whose datapath is one fused-dot step (a :class:`FusedDot` with group 1); with ``rtl``,
    only those ``rtl/fp8_dpa.v`` can build (:func:`fp8kit.rtlspec.params.dpa_rtl_params`)."""
    from fp8kit.rtlspec.params import dpa_rtl_params

    names = []
    for name, p in PRESETS.items():
        if not isinstance(p.datapath, FusedDot) or p.datapath.group != 1:
            continue
        try:
            if rtl:
                dpa_rtl_params(p.datapath, p.operands[0], p.operands[-1], p.acc_fmt)
        except ValueError:
            continue
        names.append(name)
    return tuple(names)


def _operands(fmt_a: Any, fmt_b: Any) -> tuple[str, str]:
    """Canonical names of two element formats, or of two E8M0-scaled floating-point MX types.

    Raises:
        ValueError: an unknown name, one MX type beside a plain format, an MX type without E8M0 scales or
            with integer elements, a plain format that cannot be a multiplier operand.
    """
    names = [str(f).strip().lower() for f in (fmt_a, fmt_b)]
    scaled = [n in MX_TYPES for n in names]
    if any(scaled) and not all(scaled):
        raise ValueError(f"a dpa unit scales both operands or neither: {fmt_a!r} and {fmt_b!r} (MX types have E8M0 "
                         "block scales, plain formats none)")
    if not all(scaled):
        return arith.operand_format(names[0]).name, arith.operand_format(names[1]).name
    out = []
    for n in names:
        t = get_mx_type(n)
        if t.element is None or t.scale.name != "float8_e8m0fnu":
            raise ValueError(f"a dpa unit takes E8M0-scaled floating-point MX types, not {t.name}")
        out.append(t.name)
    return out[0], out[1]


def resolve(datapath: Any, fmt: Any = None, fmt_b: Any = None, acc: Any = None, rounding: Any = None,
            unit: dict[str, Any] | None = None, *, rtl: bool = True) -> tuple[str, DpaConfig]:
    """The unit a datapath name and formats select, and the datapath's name.

    A preset (:func:`step_presets`) takes its own step, rounding and accumulator (``acc`` defaults to
    it), and operands among its own (``fmt`` defaults to its first; ``fmt_b`` to ``fmt``).
    ``fused-dot`` takes ``unit`` (:data:`UNIT_KEYS`: ``lanes`` and ``frac_bits`` required), any operand
    formats (default float8_e4m3fn) or E8M0-scaled MX types, an accumulator with Inf and NaN (default
    float32) and one deterministic ``rounding`` (default FusedDot's, rtz); the step format has the
    accumulator's exponent range and ``step_man_bits`` fraction bits.

    Args:
        rtl: also require a unit ``rtl/fp8_dpa.v`` builds (False: any the model runs, for a user's DUT).

    Raises:
        ValueError: an unknown datapath (the allowed ones listed), ``rounding`` or ``unit`` with a preset, a
            missing or unknown unit key, a format or accumulator the preset does not take, formats or
            parameters the model (or with ``rtl`` the RTL) cannot take, each named.
    """
    presets = step_presets(rtl)
    unit = dict(unit or {})
    if isinstance(fmt, str) and "," in fmt:  # FMT_A,FMT_B as gemm's --format takes it
        names = [f.strip() for f in fmt.split(",")]
        if len(names) != 2 or not all(names) or fmt_b is not None:
            raise ValueError(f"--format takes FMT or FMT_A,FMT_B (then no --format-b), got {fmt!r}")
        fmt, fmt_b = names
    if datapath in presets:
        from fp8kit.vectors.gemm import resolve as resolve_preset

        if rounding is not None:
            raise ValueError(f"preset {datapath} rounds as published ({PRESETS[datapath].datapath.rounding.label}); "
                             f"the rounding is for --datapath {FUSED_DOT}")
        if unit:
            raise ValueError(f"preset {datapath} fixes {', '.join(unit)}: those are for --datapath {FUSED_DOT}")
        p = PRESETS[datapath]
        fa = p.operands[0] if fmt is None else fmt
        s = resolve_preset(datapath, f"{fa},{fa if fmt_b is None else fmt_b}", acc)
        return s.name, config(s.datapath, s.operands[0], s.operands[1], s.acc)
    if datapath != FUSED_DOT:
        what = "fp8_dpa step" if rtl else "fused-dot step"
        raise ValueError(f"unknown dpa datapath {datapath!r} (a preset whose datapath is one {what}, or "
                         f"{FUSED_DOT} with its parameters); allowed: {', '.join((*presets, FUSED_DOT))}")
    unknown = [k for k in unit if k not in UNIT_KEYS]
    if unknown:
        raise ValueError(f"unknown {FUSED_DOT} parameter {unknown[0]!r}; allowed: {', '.join(UNIT_KEYS)}")
    need = {"lanes": "lanes (--lanes L: the products per step)",
            "frac_bits": "frac_bits (--frac-bits F: the fraction bits kept below the largest exponent)"}
    missing = [text for k, text in need.items() if unit.get(k) is None]
    if missing:
        raise ValueError(f"datapath {FUSED_DOT} needs {' and '.join(missing)}")
    fa = "float8_e4m3fn" if fmt is None else fmt
    names = _operands(fa, fa if fmt_b is None else fmt_b)
    fc = arith.accumulator_format("float32" if acc is None else acc)
    zero = unit.get("zero_exp", _DEFAULTS["zero_exp"])
    zero = None if isinstance(zero, str) and zero.strip().lower() == "none" else zero
    step_m = unit.get("step_man_bits", fc.man_bits)
    if isinstance(step_m, bool) or not isinstance(step_m, int) or not 1 <= step_m <= fc.man_bits:
        raise ValueError(f"step_man_bits (the step format's fraction bits) must be an integer in 1...{fc.man_bits} "
                         f"(the {fc.name} accumulator's), got {step_m!r}")
    mode = rounding_mode(_DEFAULTS["rounding"] if rounding is None else rounding)
    text = json.dumps({"lanes": unit["lanes"], "frac_bits": unit["frac_bits"], "step": [fc.exp_bits, step_m, fc.bias],
                       "rounding": mode.label, "zero_exp": zero, "nan": unit.get("nan", _DEFAULTS["nan"]),
                       "fmt_a": names[0], "fmt_b": names[1], "acc": fc.name})
    cfg = DpaConfig.from_json(text)
    check_datapath(cfg.datapath, fc)
    if rtl:
        cfg.rtl_params()
    return FUSED_DOT, cfg


def level1_bound(lanes: int) -> int:
    """At least the rows of :func:`dpa_structured` for a unit of ``lanes`` lanes (its directed rows)."""
    return 14 * int(lanes) + 80


def cases(cfg: DpaConfig, level: int, count: int, seed: int) -> tuple[list[Column], list[np.ndarray]]:
    """A vector file's columns and rows: level 1 :func:`dpa_structured`, level 2 plus ``count`` rows of
    :func:`dpa_random_cases` drawn with ``seed``."""
    rows = dpa_structured(cfg)
    if level == 2 and count:
        rows = np.concatenate([rows, dpa_random_cases(cfg, count, seed)])
    return dpa_columns(cfg), list(rows.T)
