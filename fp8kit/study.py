"""``fp8kit study sr``: long dot products in narrow accumulators, rne and rtz against sr.

Each trial (seed) draws one dot product of FP8 operands -- activations
``|N(0, 1)|`` (post-ReLU) times weights ``N(0.25, 0.5)``, both rounded to
``float8_e4m3fn`` -- so that the running sum grows about linearly, as the
partial sums of a GEMM with a positive mean do.  Every accumulator and
rounding mode runs the same products through :func:`refmodel.arith.mac`
(stochastic rounding fed by the shared LFSR, one seed per trial).  The exact
prefix sums come from the products as integers (every e4m3fn product is a
multiple of 2**-18 below 2**18, so 2**16 of them sum exactly in int64).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from refmodel.arith import accumulator_format, mac, mul
from refmodel.codec import decode, encode
from refmodel.formats import get_format

__all__ = ["StudyRow", "sr_study", "DEFAULT_ACCS", "DEFAULT_LENGTHS", "DEFAULT_MODES"]

OPERAND = "float8_e4m3fn"
DEFAULT_ACCS = ("bfloat16", "float16", "e5m7", "e6m5")
DEFAULT_LENGTHS = (256, 1024, 4096, 16384)
DEFAULT_MODES = ("rne", "rtz", "sr")


@dataclasses.dataclass(frozen=True)
class StudyRow:
    """Relative error of one accumulator and mode at one length, over the trials.

    ``mean`` is the signed mean of ``(result - exact) / exact`` (the bias),
    ``std`` its sample standard deviation across trials, ``worst`` the
    largest magnitude seen.
    """

    acc: str
    mode: str
    length: int
    mean: float
    std: float
    worst: float
    trials: int


def _operands(trials: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    act = np.abs(rng.standard_normal((trials, length)))
    wgt = rng.normal(0.25, 0.5, (trials, length))
    return encode(act, OPERAND).astype(np.int64), encode(wgt, OPERAND).astype(np.int64)


def _exact_prefix_sums(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact running sums of the products, as float64 (exact: integers times 2**-18 below 2**53)."""
    p = mul(a, b, OPERAND)
    fmt = get_format(OPERAND)
    lsb = 2 * (fmt.emin - fmt.man_bits)  # the smallest product's exponent: -18
    units = p.sig.astype(np.int64) << (p.exp.astype(np.int64) - p.frac_bits - lsb)
    sums = np.cumsum(np.where(p.sign == 1, -units, units), axis=-1)
    if np.abs(sums).max(initial=0) >= 1 << 53:
        raise ValueError("prefix sums beyond 2**53: use fewer terms")
    return sums.astype(np.float64) * 2.0**lsb


def sr_study(
    lengths: tuple[int, ...] = DEFAULT_LENGTHS,
    accs: tuple[str, ...] = DEFAULT_ACCS,
    modes: tuple[str, ...] = DEFAULT_MODES,
    trials: int = 8,
    sr_bits: int = 16,
    seed: int = 0,
) -> list[StudyRow]:
    """Run the study; one row per accumulator, mode and length.

    Args:
        lengths: dot-product lengths at which the running sum is compared
            (the longest one sets the stream length), at most 65,536.
        accs: accumulator formats (IEEE-style; names or ``eXmY`` customs).
        modes: rounding modes of the accumulator.
        trials: independent dot products (data seed ``seed``, LFSR seed ``k + 1`` for trial k).
        sr_bits: random bits per stochastic rounding.

    Raises:
        ValueError: bad lengths, formats or modes.
    """
    lengths = tuple(sorted({int(n) for n in lengths}))
    if not lengths or lengths[0] < 1 or lengths[-1] > 1 << 16:
        raise ValueError(f"lengths must lie in 1...65536, got {lengths}")
    if trials < 2:
        raise ValueError(f"trials must be >= 2 to estimate a spread, got {trials}")
    formats = [accumulator_format(name) for name in accs]
    a, b = _operands(trials, lengths[-1], seed)
    exact = _exact_prefix_sums(a, b)
    at = np.array(lengths) - 1
    rows = []
    for fmt in formats:
        for mode in modes:
            kw = {"sr_bits": sr_bits, "lfsr_seed": np.arange(1, trials + 1)} if mode == "sr" else {}
            acc = mac(a, b, fmt_a=OPERAND, acc_fmt=fmt, rounding=mode, **kw).acc[:, at]
            rel = (decode(acc, fmt, np.float64) - exact[:, at]) / np.abs(exact[:, at])
            for j, n in enumerate(lengths):
                col = rel[:, j]
                rows.append(StudyRow(fmt.name, mode, n, float(col.mean()), float(col.std(ddof=1)),
                                     float(np.abs(col).max()), trials))
    return rows


def plot(rows: list[StudyRow], path: str) -> None:
    """Relative error (signed mean, with the across-trial spread) versus length, one panel per accumulator."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    accs = list(dict.fromkeys(r.acc for r in rows))
    fig, axes = plt.subplots(1, len(accs), figsize=(4.2 * len(accs), 3.8), squeeze=False, sharey=True)
    for ax, acc in zip(axes[0], accs):
        for mode in dict.fromkeys(r.mode for r in rows):
            sel = [r for r in rows if r.acc == acc and r.mode == mode]
            n = [r.length for r in sel]
            ax.errorbar(n, [r.mean for r in sel], yerr=[r.std for r in sel], marker="o", capsize=3, label=mode)
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_xscale("log", base=2)
        ax.set_title(f"accumulator {acc}")
        ax.set_xlabel("dot-product length")
    axes[0][0].set_ylabel("relative error of the sum (mean, +-1 std over trials)")
    axes[0][0].legend()
    fig.suptitle(f"{OPERAND} products accumulated sequentially: rne/rtz stagnate, sr stays unbiased")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
