"""``fp8kit sqnr``: which narrow format (and which exponent bias) quantises a tensor best.

:func:`run_sqnr` is what the CLI calls: it loads a ``.npy`` tensor (or draws
the built-in distributions), runs :func:`refmodel.scaling.format_search` on
each tensor, prints one rich table per tensor, and optionally writes a PNG
bar chart of SQNR per format and tensor.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from refmodel.scaling import (
    BUILTIN_DISTRIBUTIONS,
    DEFAULT_BIAS_OFFSETS,
    SearchRow,
    builtin_tensor,
    format_search,
)

__all__ = ["load_tensor", "plot_sqnr", "run_sqnr", "search_table", "tensor_summary"]


def load_tensor(path: str) -> np.ndarray:
    """Load a float ``.npy`` (or one-array ``.npz``) as float32 (float64 rounds to nearest even; float16 widens exactly).

    Raises:
        ValueError: the file is missing, unreadable or not a ``.npy``/``.npz``, its dtype is not
            float16/float32/float64 (:func:`fp8kit.userpaths.load_floats`), or it holds no values.
    """
    from fp8kit.userpaths import load_floats

    arr = load_floats(path, "input")
    if not arr.size:
        raise ValueError(f"{path}: the array is empty (shape {arr.shape}); need at least one value")
    with np.errstate(over="ignore", invalid="ignore"):
        return arr.astype(np.float32)


def _fmt_sqnr(v: float) -> str:
    return "inf" if math.isinf(v) else f"{v:.2f}"


def tensor_summary(label: str, x: np.ndarray) -> str:
    """One line naming the tensor: size, amax and rms."""
    x64 = x.astype(np.float64)
    return (f"{label}: {x.size:,} values, amax {float(np.max(np.abs(x64))):.4g}, "
            f"rms {math.sqrt(float(np.mean(x64 * x64))):.4g} (no scaling; rne, saturating)")


def search_table(rows: list[SearchRow]) -> Any:
    """A rich Table of one tensor's search: format, bits, bias, MSE, SQNR dB, winner."""
    from rich.table import Table

    lo, hi = DEFAULT_BIAS_OFFSETS[0], DEFAULT_BIAS_OFFSETS[-1]
    table = Table(
        caption=f"* best bias of IEEE default {lo:+d}...{hi:+d}",
        caption_justify="left",
    )
    for col, justify in (("format", "left"), ("bits", "right"), ("bias", "right"), ("MSE", "right"),
                         ("SQNR dB", "right"), ("winner", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        table.add_row(r.format, str(r.bits), f"{r.bias}{'*' if r.searched else ''}", f"{r.mse:.4e}",
                      _fmt_sqnr(r.sqnr_db), "<- best" if r.winner else "",
                      style="bold green" if r.winner else None)
    return table


def plot_sqnr(results: list[tuple[str, list[SearchRow]]], path: str) -> None:
    """Grouped bar chart: SQNR (dB) per format, one bar per tensor; winners outlined. PNG via Agg.

    Infinite SQNRs (exact round trips) are drawn at the top of the axis and labelled ``inf``.

    Raises:
        ModuleNotFoundError: matplotlib is missing (``pip install 'fp8kit[plot]'``).
    """
    try:
        import matplotlib
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        raise ModuleNotFoundError("--plot needs matplotlib: pip install 'fp8kit[plot]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r.format for _, rows in results for r in rows))
    finite = [r.sqnr_db for _, rows in results for r in rows if math.isfinite(r.sqnr_db)]
    top = max(finite, default=0.0) + 5.0
    width = 0.8 / max(1, len(results))
    fig, ax = plt.subplots(figsize=(max(8.0, 0.7 * len(names) + 2.0), 4.8))
    for k, (label, rows) in enumerate(results):
        by_name = {r.format: r for r in rows}
        pos = [i + (k - (len(results) - 1) / 2) * width for i, n in enumerate(names) if n in by_name]
        sel = [by_name[n] for n in names if n in by_name]
        heights = [min(r.sqnr_db, top) if not math.isnan(r.sqnr_db) else 0.0 for r in sel]
        bars = ax.bar(pos, heights, width, label=label)
        for bar, r in zip(bars, sel):
            if r.winner:
                bar.set_edgecolor("black")
                bar.set_linewidth(2.0)
            if math.isinf(r.sqnr_db):
                ax.annotate("inf", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                            va="bottom", fontsize=7)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([f"{n}*" if any(r.format == n and r.searched for _, rows in results for r in rows)
                        else n for n in names], rotation=45, ha="right")
    ax.set_ylabel("SQNR (dB), higher is better")
    ax.set_title("round trip without scaling, rne + saturation (* best bias searched; outlined: winner)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_sqnr(path: str | None, plot: str | None, n: int, seed: int, console: Any) -> int:
    """Run the format/bias search on one ``.npy`` tensor or on the built-in distributions.

    Args:
        path: a ``.npy`` file of floats (any float dtype, any shape; taken as
            float32, see :func:`load_tensor`), or None for the built-in
            ``gaussian``, ``laplace`` and ``student-t`` tensors of
            :func:`refmodel.scaling.builtin_tensor`.
        plot: where to write a PNG bar chart of SQNR per format and tensor, or None.
        n: values per built-in tensor (ignored with ``path``).
        seed: seed of the built-in tensors (ignored with ``path``).
        console: a ``rich.console.Console`` to print the tables to.

    Returns:
        0 (the exit status).

    Raises:
        ValueError: a missing, unreadable, non-float or empty ``.npy``, non-finite values, bad
            ``n``/``seed``, or a ``plot`` path that cannot be written (checked before the search).
    """
    if plot:
        from fp8kit.userpaths import output_file

        output_file(plot, "--plot", make_parent=True)
    if path is None:
        tensors = [(name, builtin_tensor(name, n, seed)) for name in BUILTIN_DISTRIBUTIONS]
    else:
        tensors = [(str(path), load_tensor(path))]
    results: list[tuple[str, list[SearchRow]]] = []
    for label, x in tensors:
        rows = format_search(x)
        results.append((label, rows))
        console.print(tensor_summary(label, x), markup=False, highlight=False, soft_wrap=True)
        console.print(search_table(rows))
        best = next(r for r in rows if r.winner)
        console.print(f"winner for {label}: {best.format} (bias {best.bias}), {_fmt_sqnr(best.sqnr_db)} dB",
                      markup=False, highlight=False, soft_wrap=True)
    if plot:
        plot_sqnr(results, plot)
        console.print(f"plot written to {plot}", markup=False, highlight=False, soft_wrap=True)
    return 0
