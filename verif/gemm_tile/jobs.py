"""The GEMMs of the ``gemm_tile`` bench, cut into tile jobs, with the expected results from ``refmodel.gemm``.

A :class:`TileConfig` names one tile (an ``fp8_dpa`` unit, ``ROWS`` x ``COLS``, ``PIPE``) and the random
GEMMs a run computes (:class:`GemmShape`: M, N, K and whether C is loaded).  :func:`gemms` makes them
(seeded) together with the directed GEMMs (:func:`directed_gemms`: the unit's directed steps on the
diagonal of one-step tiles); each :class:`Gemm` carries its expected D codes and sticky flags, computed
for the whole GEMM by :func:`refmodel.gemm.matmul` (:func:`refmodel.gemm.matmul_mx` for E8M0-scaled MX
units).  :func:`tile_jobs` cuts a GEMM into the beats the tile takes: the C rows (none when the GEMM has
no C: the tile starts from +0), the K steps of ``LANES`` (K zero-padded to a multiple of ``LANES``, M and N
to multiples of the tile) and the D rows expected back.

Zero padding of K is exact only under :func:`pads_exactly` (docs/rtl.md, "gemm_tile"); a shape that
needs it on any other unit is refused.
"""

from __future__ import annotations

import dataclasses
import json
from typing import NamedTuple

import numpy as np

from fp8kit.rtlspec.params import gemm_tile_rtl_params, pack_lanes
from fp8kit.vectors.dpa import DpaConfig, dpa_structured
from refmodel.codec import classify, encode
from refmodel.encodings import CodeClass
from refmodel.formats import Format
from refmodel.gemm import matmul, matmul_mx
from refmodel.mx import MxArray

__all__ = ["Gemm", "GemmShape", "TileConfig", "TileJob", "directed_gemms", "expected", "gemms", "pads_exactly",
           "random_gemm", "tile_jobs"]


class GemmShape(NamedTuple):
    """One random GEMM of a run: D (m, n) = A (m, k) * B (k, n) [+ C when ``with_c``]."""

    m: int
    n: int
    k: int
    with_c: bool = True


@dataclasses.dataclass(frozen=True)
class TileConfig:
    """One ``gemm_tile`` build and the GEMMs a bench run computes on it.

    Attributes:
        unit: the ``fp8_dpa`` unit of every position.
        rows, cols: the tile (``ROWS``, ``COLS``).
        pipe: every unit's ``PIPE``.
        shapes: the random GEMMs, in order.
        directed: also run the directed one-step tiles (:func:`directed_gemms`), first.
        bubble: percent of the cycles in which the bench offers no new beat (input bubbles).
        stall: percent of the cycles in which it holds ``ready_i`` low (drain back-pressure).
    """

    unit: DpaConfig
    rows: int
    cols: int
    pipe: int = 0
    shapes: tuple[GemmShape, ...] = ()
    directed: bool = True
    bubble: int = 20
    stall: int = 30

    @property
    def lanes(self) -> int:
        return self.unit.lanes

    def rtl_params(self) -> dict[str, int]:
        """The ``gemm_tile`` parameter set (:func:`fp8kit.rtlspec.params.gemm_tile_rtl_params`)."""
        return gemm_tile_rtl_params(self.unit, self.rows, self.cols, self.pipe)

    def to_json(self) -> str:
        """The config as one JSON line (the bench's ``FP8KIT_GEMM_TILE`` setting)."""
        return json.dumps({"unit": json.loads(self.unit.to_json()), "rows": self.rows, "cols": self.cols,
                           "pipe": self.pipe, "shapes": [list(s) for s in self.shapes],
                           "directed": self.directed, "bubble": self.bubble, "stall": self.stall}, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> "TileConfig":
        d = json.loads(text)
        return TileConfig(DpaConfig.from_json(json.dumps(d["unit"])), int(d["rows"]), int(d["cols"]), int(d["pipe"]),
                          tuple(GemmShape(int(m), int(n), int(k), bool(c)) for m, n, k, c in d["shapes"]),
                          bool(d["directed"]), int(d["bubble"]), int(d["stall"]))

    def check(self) -> None:
        """Refuse what the tile cannot compute exactly.

        Raises:
            ValueError: a parameter set ``gemm_tile.v`` rejects, an empty shape, a K that is not a
                multiple of ``LANES`` on a unit that does not pad exactly (:func:`pads_exactly`), or
                ``bubble``/``stall`` outside 0...99.
        """
        self.rtl_params()
        for name in ("bubble", "stall"):
            if not 0 <= getattr(self, name) <= 99:
                raise ValueError(f"{name}={getattr(self, name)}; allowed: 0...99 percent")
        for s in self.shapes:
            if min(s.m, s.n, s.k) < 1:
                raise ValueError(f"GEMM {s.m}x{s.n}x{s.k}: every dimension must be >= 1")
            if s.k % self.lanes and not pads_exactly(self.unit):
                raise ValueError(f"GEMM {s.m}x{s.n}x{s.k}: K is not a multiple of LANES={self.lanes}, and zero "
                                 f"padding is not exact for this unit (zero_exp {self.unit.datapath.zero_exp} above "
                                 f"the accumulator's emin {self.unit.acc.emin})")


def pads_exactly(unit: DpaConfig) -> bool:
    """Whether zero-padding a short last step gives the model's shorter step for all data.

    A padded lane is a +0 product: with ``zero_exp`` None it takes no part; otherwise it adds
    ``zero_exp`` to the candidates of the step's largest exponent.  That maximum already holds the
    accumulator's exponent (at least the accumulator's emin) when the accumulator is finite and nonzero,
    and ``zero_exp`` itself when it is zero (a zero term); an Inf or NaN accumulator decides the result
    whatever the products.  So padding changes nothing when ``zero_exp <= emin`` of the accumulator.
    Above it, a live accumulator below ``2**zero_exp`` with every live product below it too would be
    truncated at a higher exponent than the model's short step uses.
    """
    zero_exp = unit.datapath.zero_exp
    return zero_exp is None or zero_exp <= unit.acc.emin


@dataclasses.dataclass
class Gemm:
    """One GEMM and its expected results.

    Attributes:
        name: what it is (``random 64x64x256``, ``directed 3``).
        a, b: element codes, (M, K) and (K, N) (int64).
        c: accumulator codes (M, N), or None (the tile starts from +0).
        scale_a, scale_b: E8M0 block scales, (M, K / LANES) and (K / LANES, N) (blocks of LANES
            elements along K), or None when the unit is not scaled.
        d, flags: the expected D codes and sticky flags (M, N).
    """

    name: str
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray | None
    scale_a: np.ndarray | None
    scale_b: np.ndarray | None
    d: np.ndarray
    flags: np.ndarray


def expected(unit: DpaConfig, a: np.ndarray, b: np.ndarray, c: np.ndarray | None, scale_a: np.ndarray | None = None,
             scale_b: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """D and the sticky flags of ``C + A @ B`` through the unit's FusedDot, from ``refmodel.gemm``.

    Scaled units take E8M0 scales per block of ``LANES`` elements along K (``matmul_mx``).
    """
    if unit.scaled:
        m, k = a.shape
        n = b.shape[1]
        blocks = -(-k // unit.lanes)
        pad = blocks * unit.lanes - k
        ea = np.pad(a, ((0, 0), (0, pad))).astype(np.uint8)
        eb = np.pad(b, ((0, pad), (0, 0))).astype(np.uint8)
        ma = MxArray(unit.fmt_a, unit.lanes, 1, (m, k), scale_a.astype(np.uint8), ea)
        mb = MxArray(unit.fmt_b, unit.lanes, 0, (k, n), scale_b.astype(np.uint8), eb)
        d, f = matmul_mx(ma, mb, c, acc_fmt=unit.acc, datapath=unit.datapath)
    else:
        d, f = matmul(a, b, c, fmt_a=unit.element("a"), fmt_b=unit.element("b"), acc_fmt=unit.acc,
                      datapath=unit.datapath)
    return d.astype(np.int64), f.astype(np.int64)


def _finite(fmt: Format) -> np.ndarray:
    codes = np.arange(1 << fmt.bits)
    cls = classify(codes, fmt)
    return codes[(cls != CodeClass.NAN) & (cls != CodeClass.INF)]


def _specials(fmt: Format) -> np.ndarray:
    return np.setdiff1d(np.arange(1 << fmt.bits), _finite(fmt))


def _elements(fmt: Format, outer: int, k: int, rng: np.random.Generator, special: float) -> np.ndarray:
    """(outer, k) element codes, one style per row: N(0, 1) times a power of two, any finite code,
    exponents within a window of three binades, or N(0, 1) with half the elements zero; a NaN or Inf
    element (where the format has one) with probability ``special``."""
    finite = _finite(fmt)
    style = rng.integers(0, 4, outer)
    x = encode(np.clip(rng.standard_normal((outer, k)) * np.exp2(rng.integers(-3, 3, (outer, 1))), -fmt.max_finite,
                       fmt.max_finite), fmt, saturate=True).astype(np.int64)
    x = np.where((style == 1)[:, None], rng.choice(finite, (outer, k)), x)
    e = (finite >> fmt.man_bits) & ((1 << fmt.exp_bits) - 1)
    for i in np.flatnonzero(style == 2):
        lo = rng.integers(0, max(1, int(e.max()) - 2))
        x[i] = rng.choice(finite[(e >= lo) & (e <= lo + 2)], k)
    x = np.where((style == 3)[:, None] & (rng.random((outer, k)) < 0.5), 0, x)
    odd = _specials(fmt)
    if odd.size and special > 0:
        pick = rng.random((outer, k)) < special
        x[pick] = rng.choice(odd, int(pick.sum()))
    return x


def _accumulators(fmt: Format, m: int, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """(m, n) C codes: +-0, values near the size of a K-term sum of N(0, 1) products, any finite code,
    and rarely Inf or NaN."""
    near = encode(rng.standard_normal((m, n)) * np.sqrt(k), fmt).astype(np.int64)
    anyc = rng.integers(0, 1 << fmt.bits, (m, n))
    anyc = np.where(classify(anyc, fmt) >= CodeClass.INF, near, anyc)
    mode = rng.random((m, n))
    c = np.select([mode < 0.1, mode < 0.8, mode < 0.998], [rng.integers(0, 2, (m, n)) << (fmt.bits - 1), near, anyc],
                  0)
    odd = np.array([int(fmt.inf_codes[0]), int(fmt.inf_codes[0] | fmt.sign_mask), int(fmt.nan_code(False))])
    return np.where(mode >= 0.998, rng.choice(odd, (m, n)), c)


def _scales(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """E8M0 scales: mostly within 2**+-4 of 1.0, one in 50 an extreme (0x00, 0xFE) and one in 500 NaN."""
    s = 127 + rng.integers(-4, 5, shape)
    mode = rng.random(shape)
    return np.select([mode < 0.01, mode < 0.02, mode < 0.022], [0, 254, 255], s).astype(np.int64)


def random_gemm(unit: DpaConfig, shape: GemmShape, rng: np.random.Generator, name: str,
                special: float = 1e-4) -> Gemm:
    """A random GEMM of ``shape`` (:func:`_elements`, :func:`_accumulators`, :func:`_scales`) and its results."""
    m, n, k, with_c = shape
    a = _elements(unit.element("a"), m, k, rng, special)
    b = _elements(unit.element("b"), n, k, rng, special).T.copy()
    c = _accumulators(unit.acc, m, n, k, rng) if with_c else None
    blocks = -(-k // unit.lanes)
    sa = _scales((m, blocks), rng) if unit.scaled else None
    sb = _scales((blocks, n), rng) if unit.scaled else None
    d, f = expected(unit, a, b, c, sa, sb)
    return Gemm(name, a, b, c, sa, sb, d, f)


def directed_gemms(cfg: TileConfig) -> list[Gemm]:
    """The unit's directed steps (:func:`fp8kit.vectors.dpa.dpa_structured`) as one-step GEMMs of the
    tile's shape (ROWS, LANES) x (LANES, COLS): step ``i`` gives row ``i`` of A, column ``i`` of B,
    their scales and ``C[i, i]``, so the diagonal outputs are those steps (off the diagonal, the other
    pairings; C there is that of the column's step)."""
    rows = dpa_structured(cfg.unit)
    lanes = cfg.lanes
    g = min(cfg.rows, cfg.cols)
    out = []
    for j, i0 in enumerate(range(0, len(rows), g)):
        pick = [(i0 + i) % len(rows) for i in range(max(cfg.rows, cfg.cols))]
        r = rows[pick]
        a = r[:cfg.rows, :lanes]
        b = r[:cfg.cols, lanes:2 * lanes].T.copy()
        sa, sb = r[:cfg.rows, 2 * lanes:2 * lanes + 1], r[:cfg.cols, 2 * lanes + 1][None, :]
        c = np.tile(r[:cfg.cols, 2 * lanes + 2][None, :], (cfg.rows, 1))
        np.fill_diagonal(c, r[:g, 2 * lanes + 2])
        scaled = cfg.unit.scaled
        d, f = expected(cfg.unit, a, b, c, sa if scaled else None, sb if scaled else None)
        out.append(Gemm(f"directed {j}", a, b, c, sa if scaled else None, sb if scaled else None, d, f))
    return out


def gemms(cfg: TileConfig, seed: int) -> list[Gemm]:
    """The run's GEMMs: the directed ones (when ``cfg.directed``), then one random GEMM per shape.

    Raises:
        ValueError: as :meth:`TileConfig.check`.
    """
    cfg.check()
    rng = np.random.default_rng(seed)
    out = directed_gemms(cfg) if cfg.directed else []
    for s in cfg.shapes:
        out.append(random_gemm(cfg.unit, s, rng, f"random {s.m}x{s.n}x{s.k}{'' if s.with_c else ' (no C)'}"))
    return out


@dataclasses.dataclass
class TileJob:
    """One tile of one GEMM, as the beats the tile takes and gives.

    Attributes:
        gemm: index of the GEMM in the run; r0, c0: the tile's first row and column in it.
        c_rows: the C row words (column j in bits ``[j*C_W +: C_W]``), or None (start from +0).
        steps: per K step the words ``(a_i, b_i, scale_a_i, scale_b_i)``.
        d, flags: the expected D codes and flags (ROWS, COLS); live: the positions inside the GEMM
            (the others are padding, not compared).
        short: the last step is zero-padded (K is not a multiple of LANES).
    """

    gemm: int
    r0: int
    c0: int
    c_rows: list[int] | None
    steps: list[tuple[int, int, int, int]]
    d: np.ndarray
    flags: np.ndarray
    live: np.ndarray
    short: bool


def tile_jobs(cfg: TileConfig, g: Gemm, index: int) -> list[TileJob]:
    """The tiles of ``g`` in row-major order: M, N zero-padded to multiples of ROWS and COLS, K to a
    multiple of LANES (scales of padded rows, columns and blocks 127)."""
    unit, lanes, rows, cols = cfg.unit, cfg.lanes, cfg.rows, cfg.cols
    m, k = g.a.shape
    n = g.b.shape[1]
    mp, np_, kp = -(-m // rows) * rows, -(-n // cols) * cols, -(-k // lanes) * lanes
    steps = kp // lanes
    a = np.pad(g.a, ((0, mp - m), (0, kp - k)))
    b = np.pad(g.b, ((0, kp - k), (0, np_ - n)))
    if unit.scaled:
        sa = np.pad(g.scale_a, ((0, mp - m), (0, 0)), constant_values=127)
        sb = np.pad(g.scale_b, ((0, 0), (0, np_ - n)), constant_values=127)
    else:
        sa, sb = np.full((mp, steps), 127), np.full((steps, np_), 127)
    c = None if g.c is None else np.pad(g.c, ((0, mp - m), (0, np_ - n)))
    d = np.pad(g.d, ((0, mp - m), (0, np_ - n)))
    f = np.pad(g.flags, ((0, mp - m), (0, np_ - n)))
    live = np.pad(np.ones((m, n), bool), ((0, mp - m), (0, np_ - n)))
    wa, wb, wc = unit.element("a").bits, unit.element("b").bits, unit.acc.bits
    jobs = []
    for r0 in range(0, mp, rows):
        for c0 in range(0, np_, cols):
            beats = []
            for s in range(steps):
                ks = slice(s * lanes, (s + 1) * lanes)
                beats.append((pack_lanes(a[r0:r0 + rows, ks].reshape(-1), wa),
                              pack_lanes(b[ks, c0:c0 + cols].T.reshape(-1), wb),
                              pack_lanes(sa[r0:r0 + rows, s], 8), pack_lanes(sb[s, c0:c0 + cols], 8)))
            c_rows = None if c is None else [pack_lanes(c[r0 + i, c0:c0 + cols], wc) for i in range(rows)]
            tile = (slice(r0, r0 + rows), slice(c0, c0 + cols))
            jobs.append(TileJob(index, r0, c0, c_rows, beats, d[tile], f[tile], live[tile], kp != k))
    return jobs
