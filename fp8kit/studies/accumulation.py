"""``fp8kit study accumulation``: GEMM error versus K for accelerator datapaths (DeepSeek-V3 section 3.3.2).

Each trial draws A (M, K_max) and B (K_max, N) from ``normal`` N(0, 1) or ``uniform`` U(0, 1) (all
positive: no cancellation, so the truncation of every fused-dot step adds up), quantises each tensor to
``float8_e4m3fn`` with rne after scaling it by one power of two that puts its largest magnitude in
[224, 448) (per-tensor scaling; a power of two changes no relative error), and runs the first K columns
of A and rows of B through every datapath of :func:`refmodel.gemm.matmul`.

The reference is the float64 matmul of the decoded operands, which is exact: every E4M3 value is an
integer times 2**-9 below 2**9, so every partial sum of K <= 2**17 products is an integer times 2**-18
below 2**53.  The error of an output is ``|D - ref| / |ref|`` (outputs with ``ref == 0`` left out).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from refmodel.codec import decode, encode
from refmodel.datapath import Exact, Promote
from refmodel.gemm import matmul
from refmodel.presets import get_preset

__all__ = ["AccRow", "accumulation_study", "plot", "DEFAULT_KS", "DEFAULT_PRESETS", "DEFAULT_EVERY", "DISTS"]

OPERAND = "float8_e4m3fn"
DEFAULT_KS = (256, 512, 1024, 2048, 4096)
DEFAULT_PRESETS = ("hopper-fp8", "hopper-fp8-promote128", "blackwell-fp8", "exact")
DEFAULT_EVERY = (32, 64, 128, 256)
DISTS = ("normal", "uniform")
_MAX_K = 1 << 17  # the float64 reference is exact up to here


@dataclasses.dataclass(frozen=True)
class AccRow:
    """Relative error of one datapath at one K over every output of every trial.

    ``max`` and ``mean`` are of ``|D - ref| / |ref|``; ``outputs`` counts the outputs with ``ref != 0``.
    """

    datapath: str
    k: int
    max: float
    mean: float
    outputs: int


def _datapaths(presets: tuple[str, ...], every: tuple[int, ...]) -> dict[str, object]:
    out = {}
    for name in presets:
        out[name] = Exact() if name == "exact" else get_preset(name).datapath
    inner = get_preset("hopper-fp8").datapath
    for e in every:
        out[f"hopper-fp8 promote every {e}"] = Promote(inner, e)
    return out


def _operand(rng: np.random.Generator, shape: tuple[int, int], dist: str) -> np.ndarray:
    """Codes of one tensor drawn from ``dist``, scaled by a power of two to [224, 448) and rounded."""
    x = rng.standard_normal(shape) if dist == "normal" else rng.uniform(0.0, 1.0, shape)
    scale = 2.0 ** np.floor(np.log2(448.0 / np.abs(x).max()))
    return encode(x * scale, OPERAND)


def accumulation_study(
    ks: tuple[int, ...] = DEFAULT_KS,
    presets: tuple[str, ...] = DEFAULT_PRESETS,
    every: tuple[int, ...] = DEFAULT_EVERY,
    trials: int = 4,
    m: int = 16,
    n: int = 16,
    dist: str = "uniform",
    seed: int = 0,
) -> list[AccRow]:
    """Run the study; one row per datapath and K.

    Args:
        ks: the shared dimensions K (each 1...131,072); the longest sets the drawn operands, every K
            uses their first K columns of A and rows of B.
        presets: names of ``refmodel.presets.PRESETS`` with E4M3 operands, or ``exact`` (Exact, rne,
            into float32).
        every: promotion intervals of ``Promote(hopper-fp8, every)`` rows (may be empty).
        trials: independent (A, B) draws; m, n: the GEMM's M and N.
        dist: ``normal`` or ``uniform``.

    Raises:
        ValueError: a bad K, trial count, size, distribution, preset or interval.
    """
    ks = tuple(sorted({int(k) for k in ks}))
    if not ks or ks[0] < 1 or ks[-1] > _MAX_K:
        raise ValueError(f"every K must lie in 1...{_MAX_K} (the float64 reference is exact there), got {ks}")
    if dist not in DISTS:
        raise ValueError(f"dist must be one of {', '.join(DISTS)}, got {dist!r}")
    for name, value in (("trials", trials), ("m", m), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4096:
            raise ValueError(f"{name} must be an integer in 1...4096, got {value!r}")
    for name in presets:
        if name != "exact" and OPERAND not in get_preset(name).operands:
            raise ValueError(f"preset {name!r} does not take {OPERAND} operands; choose exact or a preset of "
                             "refmodel.presets whose operands include it (hopper-fp8, blackwell-fp8, ...)")
    paths = _datapaths(tuple(presets), tuple(every))
    rng = np.random.default_rng(seed)
    errs: dict[tuple[str, int], list[np.ndarray]] = {(name, k): [] for name in paths for k in ks}
    for _ in range(trials):
        a, b = _operand(rng, (m, ks[-1]), dist), _operand(rng, (ks[-1], n), dist)
        av, bv = decode(a, OPERAND, np.float64), decode(b, OPERAND, np.float64)
        for k in ks:
            ref = av[:, :k] @ bv[:k, :]
            live = ref != 0
            for name, dp in paths.items():
                d, _ = matmul(a[:, :k], b[:k, :], fmt_a=OPERAND, acc_fmt="float32", datapath=dp)
                got = d.view(np.float32).astype(np.float64)
                errs[name, k].append(np.abs(got[live] - ref[live]) / np.abs(ref[live]))
    rows = []
    for (name, k), parts in errs.items():
        e = np.concatenate(parts)
        rows.append(AccRow(name, k, float(e.max(initial=0.0)), float(e.mean()) if e.size else 0.0, int(e.size)))
    return rows


def plot(rows: list[AccRow], path: str, title: str) -> None:
    """Max (solid) and mean (dashed) relative error versus K, one colour per datapath, log-log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for i, name in enumerate(dict.fromkeys(r.datapath for r in rows)):
        sel = [r for r in rows if r.datapath == name]
        ks = [r.k for r in sel]
        colour = f"C{i}"
        ax.plot(ks, [max(r.max, 1e-12) for r in sel], "o-", color=colour, label=name)
        ax.plot(ks, [max(r.mean, 1e-12) for r in sel], "s--", color=colour, alpha=0.6)
    ax.axhline(2.0**-24, color="grey", lw=0.8, ls=":")
    ax.text(ax.get_xlim()[0], 2.0**-24, " float32 half ULP (2^-24)", va="bottom", fontsize=8, color="grey")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("K")
    ax.set_ylabel("relative error |D - exact| / |exact| (solid max, dashed mean)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
