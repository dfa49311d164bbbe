"""The ``fp8_dpa`` rows of ``fp8kit cost --dpa``: area of one fused-dot step over lanes L and fraction
bits F, beside the GEMM error of the same :class:`~refmodel.datapath.FusedDot` (docs/cost-model.md).

One description serves both axes.  A row is a :class:`fp8kit.cost.model.Datapath` of kind ``fp8_dpa``
that holds the ``FusedDot`` itself and the element and accumulator :class:`~refmodel.formats.Format`\\ s;
the model's widths and the Yosys ``chparam`` values both come from
:func:`fp8kit.rtlspec.params.dpa_rtl_params` of it, and the error is that ``FusedDot`` run by
:func:`refmodel.gemm.matmul`.

The sweep (:func:`sweep_dot`): for each (L, F), the step of NVIDIA's FP8 tensor cores with those two
widths -- rounding toward zero into the accumulator's exponent range with ``min(F, M_acc)`` fraction
bits (E8M13 at F = 13, float32 from F = 23), a zero term at exponent -133, the all-ones NaN.  So
``hopper-fp8`` is the row L = 32, F = 13 and ``blackwell-fp8`` the row L = 32, F = 25 exactly;
``ada-fp8`` (L = 16, F = 13) differs from its row only in its zero exponent (-132), which changes no
GE and no error on these operands.  The presets themselves are rows too (:func:`preset_datapaths`).

The error (:func:`gemm_errors`), measured as ``fp8kit study accumulation`` measures it: A (M x K) and
B (K x N) drawn from N(0, 1) (``normal``) or U(0, 1) (``uniform``: all positive, so every truncation
toward zero adds up), each tensor scaled by one power of two that puts its largest magnitude in the
element format's top binade and rounded rne; C = +0.  The reference is the float64 matmul of the
decoded operands, checked to be exact on the drawn values (:func:`exact_reference`).  A row reports, per
distribution, the normwise relative error ``||D - ref||_F / ||ref||_F`` over every output (robust to the
outputs that cancel to near zero under N(0, 1); the Pareto front is taken on it) and the largest
elementwise relative error ``max |D - ref| / |ref|`` (outputs with ``ref == 0`` left out; under N(0, 1)
it comes from the outputs that nearly cancel).  Every row sees the same operands.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from fp8kit.cost.model import Datapath
from refmodel.datapath import FusedDot
from refmodel.encodings import RoundingMode
from refmodel.formats import Format, get_format

__all__ = [
    "DPA_LANES",
    "DPA_FRACS",
    "DPA_OPERAND",
    "DPA_ACC",
    "DPA_ZERO_EXP",
    "DPA_K",
    "DPA_MN",
    "DPA_DISTS",
    "PARETO_DIST",
    "CALIBRATION_POINTS",
    "ErrStats",
    "sweep_dot",
    "dpa_datapaths",
    "preset_datapaths",
    "calibration_dpa",
    "draw_operand",
    "exact_reference",
    "gemm_errors",
    "exact_floor",
    "pareto_front",
    "parse_int_list",
    "DPA_ROW_KEYS",
    "dpa_table",
    "dpa_rows_csv",
    "plot_dpa",
]

DPA_LANES: tuple[int, ...] = (4, 8, 16, 32)
"""The sweep's lanes per step L (issue 16)."""

DPA_FRACS: tuple[int, ...] = tuple(range(10, 31))
"""The sweep's fraction bits F, 10...30."""

DPA_OPERAND = "float8_e4m3fn"
"""The element format of A and B in the sweep."""

DPA_ACC = "float32"
"""The accumulator of the sweep."""

DPA_ZERO_EXP = -133
"""The exponent a zero term takes in the maximum (``hopper-fp8`` and ``blackwell-fp8``, MMA-Sim)."""

DPA_K = 4096
"""The GEMM's shared dimension K for the error."""

DPA_MN = 32
"""The GEMM's M = N for the error (1,024 outputs per distribution)."""

DPA_DISTS: tuple[str, ...] = ("normal", "uniform")
"""Operand distributions of the error: N(0, 1) and U(0, 1)."""

PARETO_DIST = "normal"
"""The distribution whose normwise error the Pareto front (and the ``pareto`` column) is taken on."""

CALIBRATION_POINTS: tuple[tuple[int, int], ...] = (
    (4, 10), (4, 20), (4, 30), (8, 10), (8, 20), (8, 30), (16, 10), (16, 20), (16, 30), (32, 10), (32, 20),
    (32, 30), (32, 13), (32, 25),
)
"""The (L, F) of the sweep that ``--fit`` synthesizes (E4M3 x E4M3 into float32): both ends and the
middle of F at every L, plus the two NVIDIA presets' (L, F) at L = 32."""


def _acc(acc: Any) -> Format:
    return acc if isinstance(acc, Format) else get_format(acc)


def sweep_dot(lanes: int, frac_bits: int, acc: Any = DPA_ACC) -> FusedDot:
    """The sweep's step with L = ``lanes`` and F = ``frac_bits`` into ``acc`` (module docstring).

    The step format has ``acc``'s exponent field and bias and ``min(frac_bits, acc.man_bits)``
    fraction bits (``acc`` itself from F = M_acc on); rounding rtz; zero exponent
    :data:`DPA_ZERO_EXP`; the all-ones NaN.

    Raises:
        ValueError: lanes or fraction bits out of the FusedDot's range, or an accumulator without
            Inf and NaN.
    """
    fc = _acc(acc)
    dot = FusedDot(lanes, frac_bits, fc, RoundingMode.RTZ, DPA_ZERO_EXP, 1, "all-ones")  # checks L and F
    if frac_bits >= fc.man_bits:
        return dot
    return dataclasses.replace(dot, step_fmt=Format(f"e{fc.exp_bits}m{frac_bits}", fc.exp_bits, frac_bits, fc.bias))


def _operands(spec: str) -> tuple[Format, Format]:
    a, _, b = spec.strip().partition(":")
    fa = get_format(a)
    return fa, (get_format(b) if b else fa)


def dpa_datapaths(lanes: Sequence[int] = DPA_LANES, fracs: Sequence[int] = DPA_FRACS,
                  operands: Sequence[str] = (DPA_OPERAND,), acc: Any = DPA_ACC) -> list[Datapath]:
    """The sweep's rows: every element format pair x every L x every F (F fastest).

    Args:
        lanes: the L values; fracs: the F values.
        operands: ``A`` (A and B alike) or ``A:B`` element format names.
        acc: the accumulator.

    Raises:
        ValueError: an empty list, an unknown format, or a set ``rtl/fp8_dpa.v`` rejects (the message
            names the value and what is allowed).
    """
    if not lanes or not fracs or not operands:
        raise ValueError("the fp8_dpa sweep needs at least one L (--lanes), one F (--frac-bits) and one "
                         "element format (--formats)")
    fc = _acc(acc)
    out = []
    for spec in operands:
        fa, fb = _operands(spec)
        for n in lanes:
            for f in fracs:
                out.append(Datapath("fp8_dpa", fa, fc, dot=sweep_dot(n, f, fc), fmt_b=fb))
    return out


def preset_datapaths(operands: Sequence[str] = (DPA_OPERAND,), acc: Any = DPA_ACC) -> list[tuple[str, Datapath]]:
    """Every preset of :data:`refmodel.presets.PRESETS` that ``fp8_dpa`` implements with these element
    formats into ``acc`` (a ``FusedDot`` of group 1, not block-scaled, whose operands include them and
    whose accumulator is ``acc``), as ``(name, datapath)`` with the preset's own step and zero exponent.

    With the defaults: ``hopper-fp8``, ``ada-fp8`` and ``blackwell-fp8``.  ``hopper-fp8-f16`` (float16
    accumulator: K = 4,096 sums of the error's operands overflow it) and ``blackwell-mxfp8`` (MX
    operands) are not rows.
    """
    from refmodel.presets import PRESETS

    fc = _acc(acc)
    out = []
    for spec in operands:
        fa, fb = _operands(spec)
        for p in PRESETS.values():
            dot = p.datapath
            if (not isinstance(dot, FusedDot) or dot.group != 1 or p.mx or p.acc_fmt != fc
                    or not {fa.name, fb.name} <= set(p.operands)):
                continue
            out.append((p.name, Datapath("fp8_dpa", fa, p.acc_fmt, dot=dot, fmt_b=fb)))
    return out


def calibration_dpa() -> list[Datapath]:
    """The ``fp8_dpa`` configurations of the calibration set (:data:`CALIBRATION_POINTS`)."""
    fa, fc = get_format(DPA_OPERAND), get_format(DPA_ACC)
    return [Datapath("fp8_dpa", fa, fc, dot=sweep_dot(n, f, fc)) for n, f in CALIBRATION_POINTS]


# ------------------------------------------------------------------------------------- the error
@dataclasses.dataclass(frozen=True)
class ErrStats:
    """The error of one row on one distribution: ``norm`` is ``||D - ref||_F / ||ref||_F``, ``max`` the
    largest ``|D - ref| / |ref|`` over the ``outputs`` outputs with ``ref != 0``."""

    norm: float
    max: float
    outputs: int


def draw_operand(rng: np.random.Generator, shape: tuple[int, int], dist: str, fmt: Format) -> np.ndarray:
    """Codes of one tensor drawn from ``dist``, scaled by the power of two that puts its largest
    magnitude in ``fmt``'s top binade, rounded rne (the ``fp8kit study accumulation`` operands for
    E4M3: largest magnitude in [224, 448]).

    Raises:
        ValueError: an unknown distribution.
    """
    from refmodel.codec import encode

    if dist not in DPA_DISTS:
        raise ValueError(f"unknown operand distribution {dist!r}; allowed: {', '.join(DPA_DISTS)}")
    x = rng.standard_normal(shape) if dist == "normal" else rng.uniform(0.0, 1.0, shape)
    scale = 2.0 ** np.floor(np.log2(float(fmt.max_finite) / np.abs(x).max()))
    return encode(x * scale, fmt)


def _span_bits(values: np.ndarray, fmt: Format) -> tuple[float, float]:
    """(log2 of the largest magnitude, log2 of the finest quantum) of nonzero decoded values."""
    mag = np.abs(values[values != 0])
    top = math.log2(float(mag.max()))
    low = max(math.floor(math.log2(float(mag.min()))), fmt.emin) - fmt.man_bits
    return top, float(low)


def exact_reference(av: np.ndarray, bv: np.ndarray, fa: Format, fb: Format) -> np.ndarray:
    """``av @ bv`` in float64, which is exact here: every product is a multiple of the two finest
    quanta and every partial sum is below ``K * max|a| * max|b|``; the check is that the ratio fits
    float64's 53-bit significand.

    Raises:
        ValueError: the drawn values span too many binades for an exact float64 sum (wide element
            formats such as E5M2 over a long K), naming the bits needed.
    """
    if not np.any(av) or not np.any(bv):
        return av @ bv
    (ta, qa), (tb, qb) = _span_bits(av, fa), _span_bits(bv, fb)
    need = ta + tb + math.log2(av.shape[1]) - qa - qb
    if need > 53:
        raise ValueError(f"the float64 reference is not exact for {fa.name} x {fb.name} at K = {av.shape[1]}: "
                         f"the sums span {need:.1f} bits (at most 53); use a shorter K or narrower elements")
    return av @ bv


def _check_gemm(k: int, mn: int, dists: Sequence[str]) -> None:
    for name, value, hi in (("K", k, 1 << 17), ("M = N", mn, 1 << 16)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= hi:
            raise ValueError(f"{name} must be an integer in 1...{hi}, got {value!r}")
    for d in dists:
        if d not in DPA_DISTS:
            raise ValueError(f"unknown operand distribution {d!r}; allowed: {', '.join(DPA_DISTS)}")


@functools.lru_cache(maxsize=16)
def _drawn(fa: Format, fb: Format, dist: str, k: int, mn: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A and B codes of one draw (the same for every row and for the exact floor) and the exact reference."""
    from refmodel.codec import decode

    rng = np.random.default_rng([seed, DPA_DISTS.index(dist)])
    a, b = draw_operand(rng, (mn, k), dist, fa), draw_operand(rng, (k, mn), dist, fb)
    ref = exact_reference(decode(a, fa, np.float64), decode(b, fb, np.float64), fa, fb)
    for x in (a, b, ref):
        x.setflags(write=False)
    return a, b, ref


def _stats(fa: Format, fb: Format, acc: Format, datapath: Any, dist: str, k: int, mn: int, seed: int) -> ErrStats:
    from refmodel.codec import decode
    from refmodel.gemm import matmul

    a, b, ref = _drawn(fa, fb, dist, k, mn, seed)
    d, _ = matmul(a, b, fmt_a=fa, fmt_b=fb, acc_fmt=acc, datapath=datapath)
    got = decode(d, acc, np.float64)
    live = ref != 0
    e = np.abs(got[live] - ref[live]) / np.abs(ref[live])
    scale = float(np.linalg.norm(ref))
    norm = float(np.linalg.norm(got - ref)) / scale if scale else 0.0
    return ErrStats(norm, float(e.max(initial=0.0)), int(e.size))


def gemm_errors(dps: Sequence[Datapath], *, k: int = DPA_K, mn: int = DPA_MN, dists: Sequence[str] = DPA_DISTS,
                seed: int = 0) -> list[dict[str, ErrStats]]:
    """The error of each ``fp8_dpa`` row's ``FusedDot`` on a GEMM of ``mn x k x mn`` (module docstring).

    The operands are drawn once per distribution and element format pair (seeded by ``seed``), so every
    row of a pair sees the same A and B.

    Returns:
        One ``{dist: ErrStats}`` per datapath.

    Raises:
        ValueError: a datapath that is not ``fp8_dpa``, K out of 1...131,072 (as the study) or M = N out
            of 1...65,536, an unknown distribution, or a reference that would not be exact.
    """
    _check_gemm(k, mn, dists)
    if any(dp.kind != "fp8_dpa" for dp in dps):
        raise ValueError("the GEMM error is measured for fp8_dpa rows only")
    return [{d: _stats(dp.fmt, dp.fmt_b, dp.acc, dp.dot, d, k, mn, seed) for d in dists}  # type: ignore[arg-type]
            for dp in dps]


def exact_floor(fmt_a: Any, fmt_b: Any = None, acc: Any = DPA_ACC, *, k: int = DPA_K, mn: int = DPA_MN,
                dists: Sequence[str] = DPA_DISTS, seed: int = 0) -> dict[str, ErrStats]:
    """The error of :class:`refmodel.datapath.Exact` (the exact sum, one rne rounding into ``acc``) on the
    operands :func:`gemm_errors` draws: the floor no step datapath goes below on average.

    Raises:
        ValueError: as :func:`gemm_errors`.
    """
    from refmodel.datapath import Exact

    _check_gemm(k, mn, dists)
    fa = fmt_a if isinstance(fmt_a, Format) else get_format(fmt_a)
    fb = fa if fmt_b is None else (fmt_b if isinstance(fmt_b, Format) else get_format(fmt_b))
    return {d: _stats(fa, fb, _acc(acc), Exact(), d, k, mn, seed) for d in dists}


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points (area, error) that no other point beats in both (less or equal area and
    strictly less error, or strictly less area and no more error), by increasing area."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    front, best = [], math.inf
    for i in order:
        if points[i][1] < best:
            front.append(i)
            best = points[i][1]
    return front


def parse_int_list(text: str, what: str, lo: int, hi: int) -> list[int]:
    """``4,8,16`` or a range ``10-30`` (or both, ``4,10-12``) as a list of integers in ``lo...hi``.

    Raises:
        ValueError: an empty list, a non-integer, a reversed range or a value out of range, naming
            the option (``what``) and what is allowed.
    """
    out: list[int] = []
    for part in (p.strip() for p in str(text).split(",")):
        a, sep, b = part.partition("-")
        try:
            vals = list(range(int(a), int(b) + 1)) if sep else [int(part)]
        except ValueError:
            raise ValueError(f"{what} {text!r}: {part!r} is not an integer or a range A-B; e.g. 4,8,16 or 10-30") \
                from None
        if sep and not vals:
            raise ValueError(f"{what} {text!r}: the range {part!r} is empty (write the smaller end first)")
        bad = [v for v in vals if not lo <= v <= hi]
        if bad:
            raise ValueError(f"{what} {text!r}: {bad[0]} is out of range; allowed: {lo}...{hi}")
        out += vals
    return list(dict.fromkeys(out))


# ------------------------------------------------------------------------------------- the rows
DPA_ROW_KEYS: tuple[str, ...] = (
    "datapath", "sweep", "preset", "format", "acc", "lanes", "frac_bits", "step", "rounding", "zero_exp", "ge_model",
    "ge_step_model", "ge_synth", "err_pct", *(f"err_{d}_{s}" for d in DPA_DISTS for s in ("norm", "max")),
    "pareto", "blocks",
)
"""Keys of every ``fp8kit cost --dpa`` row, in order (its ``--json`` schema).  ``ge_model`` and
``ge_synth`` are GE per MAC (the step's instance over L), ``ge_step_model`` the whole instance;
``err_<dist>_norm``/``_max`` the GEMM error (:func:`gemm_errors`); ``pareto`` whether the row is on the
front of GE per MAC against ``err_normal_norm`` among the rows; ``sweep`` whether the
row is one of the sweep's (False: a preset that is none of them)."""


def _same_step(a: Datapath, b: Datapath) -> bool:
    return (a.dot, a.fmt, a.fmt_b, a.acc) == (b.dot, b.fmt, b.fmt_b, b.acc)


def dpa_table(dps: Sequence[Datapath], presets: Sequence[tuple[str, Datapath]] = (), *,
              calibration: Any = None, synth: bool = False, cache: Any = None, timeout: float | None = None,
              jobs: int = 1, k: int = DPA_K, seed: int = 0, progress: Any = None) -> list[dict[str, Any]]:
    """The rows of ``fp8kit cost --dpa`` (keys :data:`DPA_ROW_KEYS`): one per sweep datapath, then one per
    preset that is not one of them (a preset equal to a sweep row names that row in its ``preset`` column).

    Args:
        dps: the sweep (:func:`dpa_datapaths`); presets: ``(name, datapath)`` (:func:`preset_datapaths`).
        calibration: the model's constants (default the checked-in file).
        synth: also synthesize every row with Yosys (cached; ``jobs`` in parallel, ``timeout`` s each).
        k: K of the error GEMM; seed: its operand draws.
        progress: called as ``progress(datapath, row)`` after each synthesis.

    Raises:
        ValueError: as :func:`gemm_errors`.
        fp8kit.cost.synth.YosysMissing: ``synth`` without Yosys.
        fp8kit.procs.StepTimeout: a Yosys run took over ``timeout`` s.
    """
    from fp8kit.cost.model import area, load_calibration

    cal = calibration if calibration is not None else load_calibration()
    todo: list[tuple[Datapath, str | None]] = [(dp, None) for dp in dps]
    for name, pdp in presets:
        hit = next((i for i, (dp, _) in enumerate(todo) if _same_step(dp, pdp)), None)
        if hit is None:
            todo.append((pdp, name))
        else:
            dp, old = todo[hit]
            todo[hit] = (dp, name if old is None else f"{old},{name}")
    errs = gemm_errors([dp for dp, _ in todo], k=k, seed=seed)
    rows = []
    for i, ((dp, name), err) in enumerate(zip(todo, errs)):
        ar, d = area(dp, cal), dp.dot
        assert d is not None
        row: dict[str, Any] = {
            "datapath": dp.kind, "sweep": i < len(dps), "preset": name, "format": dp.format_name, "acc": dp.acc_name, "lanes": d.lanes,
            "frac_bits": d.frac_bits, "step": d.step_fmt.name, "rounding": d.rounding.label, "zero_exp": d.zero_exp,
            "ge_model": ar.per_mac, "ge_step_model": ar.total, "ge_synth": None, "err_pct": None,
        }
        for dist in DPA_DISTS:
            e = err.get(dist)
            row[f"err_{dist}_norm"] = None if e is None else e.norm
            row[f"err_{dist}_max"] = None if e is None else e.max
        row["pareto"] = False
        row["blocks"] = {b: v / dp.per for b, v in ar.blocks.items()}
        rows.append(row)
    front = pareto_front([(r["ge_model"], r[f"err_{PARETO_DIST}_norm"]) for r in rows])
    for i in front:
        rows[i]["pareto"] = True
    if synth:
        from fp8kit.cost.synth import SYNTH_TIMEOUT, synth as run_synth
        from fp8kit.procs import thread_map

        dpl = [dp for dp, _ in todo]
        results = thread_map(lambda dp: run_synth(dp, cache=cache, timeout=timeout or SYNTH_TIMEOUT), dpl, jobs)
        for dp, row, res in zip(dpl, rows, results):
            row["ge_synth"] = res.ge / dp.per
            row["err_pct"] = 100.0 * (row["ge_model"] / row["ge_synth"] - 1.0)
            if progress:
                progress(dp, row)
    return rows


def dpa_rows_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as CSV: the scalar keys of :data:`DPA_ROW_KEYS`, then one ``ge_<block>`` column per block."""
    from fp8kit.cost.table import rows_csv

    return rows_csv(list(rows), DPA_ROW_KEYS)


# ------------------------------------------------------------------------------------- the charts
_NOTE_F = (10, 13, 16, 20, 23)
_PRESET_MARKS = ("*", "P", "X", "D", "s")


def plot_dpa(rows: Sequence[dict[str, Any]], prefix: str, *, k: int = DPA_K, seed: int = 0) -> list[str]:
    """Write ``<prefix>-dpa-pareto.png`` (GE per MAC against the normwise GEMM error, one panel per
    distribution, each L a line over F, the Pareto front, the presets and the exact datapath's error
    (:func:`exact_floor`, on the same operands: ``k``, ``seed``) marked) and
    ``<prefix>-dpa-area.png`` (GE per MAC against F per L: the model's lines, the synthesized rows as
    markers). Returns the paths.

    Raises:
        ModuleNotFoundError: matplotlib is missing (``pip install 'fp8kit[plot]'``).
    """
    from fp8kit.cost.table import pyplot

    plt = pyplot()

    paths = [f"{prefix}-dpa-pareto.png", f"{prefix}-dpa-area.png"]
    lanes = list(dict.fromkeys(r["lanes"] for r in rows))
    colour = {n: f"C{i}" for i, n in enumerate(sorted(lanes))}
    sweep = [r for r in rows if r["sweep"]]
    named = [r for r in rows if r["preset"]]
    fa, _, fb = rows[0]["format"].partition(":")
    floor = exact_floor(fa, fb or None, rows[0]["acc"], k=k, seed=seed)
    fig, axes = plt.subplots(1, len(DPA_DISTS), figsize=(6.2 * len(DPA_DISTS), 5.4))
    for ax, dist in zip(np.atleast_1d(axes), DPA_DISTS):
        key = f"err_{dist}_norm"
        for n in sorted(lanes):
            sel = sorted((r for r in sweep if r["lanes"] == n), key=lambda r: r["frac_bits"])
            ax.plot([r["ge_model"] for r in sel], [r[key] for r in sel], "o-", ms=3, lw=0.8, color=colour[n],
                    label=f"L = {n}")
            for r in sel:
                if r["frac_bits"] in _NOTE_F:
                    ax.annotate(f"F{r['frac_bits']}", (r["ge_model"], r[key]), fontsize=6, xytext=(3, 3),
                                textcoords="offset points", color=colour[n])
        front = pareto_front([(r["ge_model"], r[key]) for r in rows])
        pts = [(rows[i]["ge_model"], rows[i][key]) for i in front]
        ax.step([g for g, _ in pts], [e for _, e in pts], "k--", where="post", lw=1, label="Pareto front")
        for j, r in enumerate(named):
            ax.plot(r["ge_model"], r[key], _PRESET_MARKS[j % len(_PRESET_MARKS)], ms=11, mfc="none", mec="k",
                    mew=1.1, label=f"{r['preset']} (L = {r['lanes']}, F = {r['frac_bits']})")
        ax.axhline(floor[dist].norm, color="grey", lw=0.8, ls=":")
        ax.annotate("exact sum, one rne rounding to " + rows[0]["acc"], (0.01, floor[dist].norm), fontsize=7,
                    xycoords=("axes fraction", "data"), xytext=(0, 3), textcoords="offset points", color="grey")
        ax.set_yscale("log", base=2)
        ax.set_xlabel("GE per MAC (model; one fp8_dpa step / L)")
        ax.set_ylabel("||D - exact||_F / ||exact||_F")
        what = "N(0,1): signed, errors partly cancel" if dist == "normal" else "U(0,1): all positive, no cancellation"
        ax.set_title(f"{dist} operands ({what})", fontsize=9)
        ax.grid(True, which="major", lw=0.3)
        ax.legend(fontsize=7)
    fmt, acc = rows[0]["format"], rows[0]["acc"]
    fig.suptitle(f"fp8_dpa: area against GEMM error ({fmt} elements, {acc} accumulator, K = {k}, "
                 f"{DPA_MN}x{DPA_MN} outputs, rtz steps into E8M min(F, 23); presets marked)", fontsize=9)
    fig.tight_layout()
    fig.savefig(paths[0], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7.5, 5.0))
    for n in sorted(lanes):
        sel = sorted((r for r in sweep if r["lanes"] == n), key=lambda r: r["frac_bits"])
        ax.plot([r["frac_bits"] for r in sel], [r["ge_model"] for r in sel], "-", color=colour[n], label=f"L = {n} model")
        syn = [r for r in sel if r["ge_synth"] is not None]
        if syn:
            ax.plot([r["frac_bits"] for r in syn], [r["ge_synth"] for r in syn], "o", mfc="none", color=colour[n],
                    label=f"L = {n} Yosys")
    for j, r in enumerate(named):
        ax.plot(r["frac_bits"], r["ge_model"], _PRESET_MARKS[j % len(_PRESET_MARKS)], ms=11, mfc="none", mec="k",
                label=f"{r['preset']} (model)")
    ax.set_xlabel("F: fraction bits kept below the largest exponent")
    ax.set_ylabel("GE per MAC (NAND2 equivalents, Nangate45 X1)")
    ax.set_title("fp8_dpa area per MAC: the model (lines) and Yosys (circles)", fontsize=9)
    ax.grid(True, lw=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(paths[1], dpi=110)
    plt.close(fig)
    return paths
