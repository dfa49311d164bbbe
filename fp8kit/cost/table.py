"""``fp8kit cost``: area (and energy) tables of every datapath, the calibration fit, the charts.

Names accepted (errors list what is allowed):

- formats: ``int8``; any operand format name of :func:`refmodel.formats.get_format`
  (``e4m3fn``, ``e5m2``, ``e3m4``, ``float6_e3m2fn``, ..., a custom ``eXmY``
  such as ``e2m5``); an OCP MX type (``mxfp8_e4m3``, ``mxfp8_e5m2``,
  ``mxfp6_e3m2``, ``mxfp6_e2m3``, ``mxfp4_e2m1``, ``mxint8``).
- accumulators (FP formats only): ``float32``, ``float16``, ``bfloat16``, any
  IEEE-style ``eXmY``, each optionally ``+sr`` / ``+srR`` (stochastic rounding
  with R LFSR bits).  INT8 always accumulates in int32 and an MX block dot
  product always rounds once to float32, so those get one row each.

Areas are per MAC: an MX row is the ``mx_dot`` instance of K elements divided by K.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fp8kit.cost.model import (
    BLOCKS,
    CALIBRATION_PATH,
    KINDS,
    Calibration,
    Datapath,
    area,
    fit_calibration,
    load_calibration,
    parse_acc,
    raw_matrix,
)
from refmodel.formats import get_format

__all__ = [
    "DEFAULT_FORMATS",
    "DEFAULT_ACCS",
    "ROW_KEYS",
    "datapaths",
    "calibration_set",
    "cost_rows",
    "rows_json",
    "rows_csv",
    "run_fit",
    "plot_rows",
    "pyplot",
    "sqnr_of",
]

DEFAULT_FORMATS: tuple[str, ...] = (
    "int8", "e4m3fn", "float8_e5m2", "e3m4", "e2m5", "float6_e3m2fn", "float6_e2m3fn", "float4_e2m1fn",
    "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4_e2m1", "mxint8",
)
"""The default rows: INT8, the FP8 family, a custom ExMy, FP6, FP4, the MX types."""

DEFAULT_ACCS: tuple[str, ...] = ("float32", "float16", "bfloat16", "bfloat16+sr")
"""The default accumulators of the FP rows (``+sr``: narrow with stochastic rounding)."""

ROW_KEYS: tuple[str, ...] = (
    "datapath", "format", "acc", "sr_bits", "k", "ge_model", "ge_synth", "err_pct", "ratio_int8",
    "ratio_int8_synth", "energy", "energy_ratio_int8", "blocks",
)
"""Keys of every row, in order (the ``--json`` schema)."""

_MX_NAMES = ("mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4_e2m1", "mxint8")


def _mx_datapath(name: str, k: int) -> Datapath:
    from refmodel.mx import get_mx_type

    t = get_mx_type(name)
    if t.scale.name != "float8_e8m0fnu":
        raise ValueError(f"{name} has a {t.scale.name} scale; rtl/mx_dot.v models the E8M0-scaled "
                         f"OCP types: {', '.join(_MX_NAMES)}")
    return Datapath("mx_dot", t.element, None, 0, int(k), t.name)


TABLE_MX_K = 32
"""The MX block length of the cost table (OCP MX's k)."""

FIT_MX_K = 8
"""The MX block length ``--fit`` synthesizes (K = 32 takes minutes per type in ABC; the model scales with K)."""


def datapaths(formats: Sequence[str], accs: Sequence[str], sr_bits: int = 16, mx_k: int = TABLE_MX_K) -> list[Datapath]:
    """The configurations of a table: each FP format x each accumulator, one row for INT8 and each MX type.

    Raises:
        ValueError: an unknown or unsupported format or accumulator, widths out
            of range (the message names the value and what is allowed).
    """
    if not formats:
        raise ValueError("no formats given; e.g. --formats e4m3fn,e5m2,int8,mxfp8_e4m3")
    parsed_accs = [parse_acc(a, sr_bits) for a in accs]
    out: list[Datapath] = []
    for name in formats:
        key = name.strip().lower()
        if key == "int8":
            out.append(Datapath("int8_mac"))
        elif key.startswith("mx") or key.startswith("nvfp4"):
            out.append(_mx_datapath(key, mx_k))
        else:
            try:
                fmt = get_format(key)
            except ValueError as exc:
                raise ValueError(f"{exc}; also allowed: int8, {', '.join(_MX_NAMES)}") from None
            if not parsed_accs:
                raise ValueError("no accumulators given; e.g. --accs float32,bfloat16+sr")
            out += [Datapath("fp_mac", fmt, acc, sr) for acc, sr in parsed_accs]
    return out


def calibration_set(mx_k: int = FIT_MX_K) -> list[Datapath]:
    """The configurations ``fp8kit cost --fit`` synthesizes: the default table (MX at K = ``mx_k``)
    plus sr variants (e6m5+sr16, float16+sr8, float32+sr16) that spread the window widths, then the
    ``fp8_dpa`` points of :func:`fp8kit.cost.dpa.calibration_dpa` (L = 4...32, F = 10...30)."""
    from fp8kit.cost.dpa import calibration_dpa

    dps = datapaths(DEFAULT_FORMATS, DEFAULT_ACCS, 16, mx_k)
    extra = [("e4m3fn", "e6m5+sr16"), ("float8_e5m2", "e6m5+sr16"), ("e3m4", "e6m5+sr16"), ("e2m5", "e6m5+sr16"),
             ("e4m3fn", "float16+sr8"), ("e4m3fn", "float32+sr16")]
    for f, a in extra:
        dps += datapaths([f], [a])
    return dps + calibration_dpa()


def _row(dp: Datapath, cal: Calibration) -> dict[str, Any]:
    ar = area(dp, cal)
    return {
        "datapath": dp.kind, "format": dp.format_name, "acc": dp.acc_name, "sr_bits": dp.sr_bits,
        "k": dp.k if dp.kind == "mx_dot" else 1, "ge_model": ar.per_mac, "ge_synth": None, "err_pct": None,
        "ratio_int8": None, "ratio_int8_synth": None, "energy": None, "energy_ratio_int8": None,
        "blocks": {b: v / dp.per for b, v in ar.blocks.items()},
    }


def cost_rows(dps: Sequence[Datapath], *, calibration: Calibration | None = None, synth: bool = False,
              energy: bool = False, dist: str = "gaussian", cache: Path | None = None,
              progress: Any = None, timeout: float | None = None, synth_mx: bool = True,
              jobs: int = 1) -> list[dict[str, Any]]:
    """One row per datapath (keys :data:`ROW_KEYS`), areas per MAC in GE.

    ``ratio_int8`` divides by the modelled INT8 MAC, ``ratio_int8_synth`` by the
    synthesized one; ``err_pct`` is ``100 * (ge_model / ge_synth - 1)``;
    ``energy`` is NAND2-toggle units per MAC (:func:`fp8kit.cost.energy.simulate_energy`).
    ``synth`` and ``energy`` need Yosys (``energy`` implies ``synth``); ``timeout`` is the seconds
    each Yosys run may take (default :data:`fp8kit.cost.synth.SYNTH_TIMEOUT`); ``synth_mx=False``
    leaves the MX rows unsynthesized (``ge_synth`` None: an ``mx_dot`` at K = 32 takes minutes to tens
    of minutes in ABC); ``jobs`` Yosys runs go in parallel.

    Raises:
        fp8kit.cost.synth.YosysMissing: Yosys asked for but not installed.
        fp8kit.procs.StepTimeout: a Yosys run took over ``timeout`` s.
    """
    cal = calibration if calibration is not None else load_calibration()
    base = Datapath("int8_mac")
    todo = list(dps) if base in dps else [base, *dps]
    rows = {dp: _row(dp, cal) for dp in todo}
    if synth or energy:
        from fp8kit.cost.energy import simulate_energy
        from fp8kit.cost.synth import SYNTH_TIMEOUT, synth as run_synth

        from fp8kit.procs import thread_map

        chosen = [dp for dp in todo if synth_mx or dp.kind != "mx_dot"]
        results = thread_map(lambda d: run_synth(d, cache=cache, timeout=timeout or SYNTH_TIMEOUT), chosen, jobs)
        done = list(zip(chosen, results))
        for dp, res in done:
            r = rows[dp]
            r["ge_synth"] = res.ge / dp.per
            r["err_pct"] = 100.0 * (r["ge_model"] / r["ge_synth"] - 1.0)
            if energy:
                r["energy"] = simulate_energy(dp, res, dist=dist).units_per_mac
            if progress:
                progress(dp, r)
    b = rows[base]
    for r in rows.values():
        r["ratio_int8"] = r["ge_model"] / b["ge_model"]
        if r["ge_synth"] is not None:
            r["ratio_int8_synth"] = r["ge_synth"] / b["ge_synth"]
        if r["energy"] is not None:
            r["energy_ratio_int8"] = r["energy"] / b["energy"]
    return [rows[dp] for dp in dps]


def rows_json(rows: list[dict[str, Any]]) -> str:
    """The rows as a JSON list (keys :data:`ROW_KEYS`)."""
    return json.dumps(rows, indent=1) + "\n"


def rows_csv(rows: list[dict[str, Any]], keys: Sequence[str] = ROW_KEYS) -> str:
    """The rows as CSV: the scalar keys (default :data:`ROW_KEYS`), then one ``ge_<block>`` column per
    block (empty where absent)."""
    scalar = [k for k in keys if k != "blocks"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(scalar + [f"ge_{b}" for b in BLOCKS])
    for r in rows:
        w.writerow([("" if r[k] is None else (f"{r[k]:.6g}" if isinstance(r[k], float) else r[k])) for k in scalar]
                   + [("" if b not in r["blocks"] else f"{r['blocks'][b]:.6g}") for b in BLOCKS])
    return buf.getvalue()


# ------------------------------------------------------------------------------- fitting
def run_fit(*, mx_k: int = FIT_MX_K, ridge: float = 0.2, cache: Path | None = None, out: Path | None = None,
            progress: Any = None, timeout: float | None = None) -> Calibration:
    """Refit the calibration: synthesize the primitives (the priors) and :func:`calibration_set`,
    fit (:func:`fp8kit.cost.model.fit_calibration`), write ``out`` (default the checked-in file).

    Raises:
        fp8kit.cost.synth.YosysMissing: Yosys is not installed.
    """
    from fp8kit.cost.priors import primitive_priors
    from fp8kit.cost.synth import SYNTH_TIMEOUT, synth as run_synth, yosys_version

    priors = primitive_priors(cache=cache, timeout=timeout or SYNTH_TIMEOUT)
    dps = calibration_set(mx_k)
    results = []
    for dp in dps:
        results.append(run_synth(dp, cache=cache, timeout=timeout or SYNTH_TIMEOUT))
        if progress:
            progress(dp, results[-1])
    y = [r.ge for r in results]
    consts = fit_calibration(dps, y, priors=[priors[k] for k in KINDS], ridge=ridge)
    model = raw_matrix(dps) @ consts
    configs = [{"datapath": dp.kind, "format": dp.format_name, "acc": dp.acc_name, "k": dp.k,
                **({"lanes": dp.dot.lanes, "frac_bits": dp.dot.frac_bits, "step": dp.dot.step_fmt.name}
                   if dp.dot is not None else {}),
                "ge_synth": round(g, 1), "ge_model": round(float(m), 1), "err_pct": round(100 * (m / g - 1), 2)}
               for dp, g, m in zip(dps, y, model)]
    meta = {
        "yosys": yosys_version(),
        "flow": "synth -flatten -noshare; dfflegalize; abc -g " + "AND,NAND,OR,NOR,XOR,XNOR,MUX,AOI3,OAI3,AOI4,OAI4",
        "ridge": ridge,
        "priors": {k: round(priors[k], 4) for k in KINDS},
        "command": f"fp8kit cost --fit --mx-k {mx_k} --ridge {ridge}",
        "max_abs_err_pct": round(max(abs(c["err_pct"]) for c in configs), 2),
        "configs": configs,
    }
    cal = Calibration({k: round(float(c), 4) for k, c in zip(KINDS, consts)}, meta)
    path = Path(out) if out is not None else CALIBRATION_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cal.to_json())
    return cal


# --------------------------------------------------------------------------------- charts
def sqnr_of(fmt_name: str, n: int = 65536, seed: int = 0) -> float:
    """SQNR (dB) of a row's operand format on the built-in Gaussian tensor.

    FP formats: :func:`refmodel.scaling.format_search` (an ``eXmY`` shape with its
    best bias, as the search does); INT8: symmetric per-tensor amax scaling to
    +-127, rne; MX types: :func:`refmodel.mx.quantize` (OCP scale rule) and back.
    """
    import numpy as np

    from refmodel.scaling import builtin_tensor, format_search, sqnr_db

    x = builtin_tensor("gaussian", n, seed)
    key = fmt_name.lower()
    if key == "int8":
        x64 = x.astype(np.float64)
        s = float(np.max(np.abs(x64))) / 127
        return sqnr_db(x64, np.clip(np.rint(x64 / s), -127, 127) * s)
    if key.startswith("mx"):
        from refmodel.mx import dequantize, quantize

        return sqnr_db(x, dequantize(quantize(x, key), np.float64))
    fmt = get_format(key)
    entry: Any = fmt
    if fmt.name == f"e{fmt.exp_bits}m{fmt.man_bits}":
        entry = (fmt.exp_bits, fmt.man_bits)
    return format_search(x, [entry])[0].sqnr_db


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (files only, no display).

    Raises:
        ModuleNotFoundError: matplotlib is missing (``pip install 'fp8kit[plot]'``).
    """
    try:
        import matplotlib
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        raise ModuleNotFoundError("--plot needs matplotlib: pip install 'fp8kit[plot]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_rows(rows: list[dict[str, Any]], prefix: str) -> list[str]:
    """Write ``<prefix>-blocks.png`` (stacked GE per block and row) and ``<prefix>-pareto.png``
    (GE per MAC against Gaussian SQNR, the Pareto front joined). Returns the paths.

    Raises:
        ModuleNotFoundError: matplotlib is missing (``pip install 'fp8kit[plot]'``).
    """
    plt = pyplot()

    paths = [f"{prefix}-blocks.png", f"{prefix}-pareto.png"]
    labels = [f"{r['format']} x {r['acc']}" for r in rows]
    fig, ax = plt.subplots(figsize=(max(8.0, 0.38 * len(rows) + 2.0), 5.0))
    bottom = [0.0] * len(rows)
    for b in BLOCKS:
        h = [r["blocks"].get(b, 0.0) for r in rows]
        if any(h):
            ax.bar(range(len(rows)), h, 0.75, bottom=bottom, label=b)
            bottom = [x + y for x, y in zip(bottom, h)]
    synth = [(i, r["ge_synth"]) for i, r in enumerate(rows) if r["ge_synth"] is not None]
    if synth:
        ax.plot([i for i, _ in synth], [g for _, g in synth], "k_", markersize=14, label="synthesized")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("GE per MAC (NAND2 equivalents, Nangate45 X1)")
    ax.set_title("area by block (model); MX rows are one block dot product / K")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(paths[0], dpi=110)
    plt.close(fig)

    sq = {f: sqnr_of(f) for f in dict.fromkeys(r["format"] for r in rows)}
    pts = sorted((r["ge_model"], sq[r["format"]], lab) for r, lab in zip(rows, labels) if math.isfinite(sq[r["format"]]))
    front, best = [], -math.inf
    for g, s, lab in pts:
        if s > best:
            front.append((g, s))
            best = s
    fig, ax = plt.subplots(figsize=(8.0, 5.5))
    for acc in dict.fromkeys(r["acc"] for r in rows):
        sel = [(r["ge_model"], sq[r["format"]], r["format"]) for r in rows if r["acc"] == acc]
        ax.scatter([g for g, _, _ in sel], [s for _, s, _ in sel], label=acc, s=22)
        for g, s, f in sel:
            ax.annotate(f, (g, s), fontsize=6, xytext=(3, 2), textcoords="offset points")
    ax.plot([g for g, _ in front], [s for _, s in front], "k--", lw=1, label="Pareto front")
    ax.set_xscale("log")
    ax.set_xlabel("GE per MAC (model)")
    ax.set_ylabel("SQNR on N(0,1) (dB)")
    ax.set_title("area versus quantisation SQNR (operand format; higher and further left is better)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(paths[1], dpi=110)
    plt.close(fig)
    return paths
