"""fp8_fma against refmodel.arith.fma: `fp8kit vectors --op fma` files replayed in the $readmemh bench.

Vectors come from fp8kit.vectors (level 1: boundary a x boundary b x edge and per-product
accumulators, every mode, sat 0/1, sr edge words; level 2: plus cancellations and random codes);
the bench (verif/replay/tb_fp8_fma_replay.v) compares in the simulator and prints
"<N> vectors, <M> mismatches". Parameters come from fp8kit.rtlspec.params.fma_rtl_params.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fp8kit import vectors as vec
from verif.replay import replay

CONFIGS = [
    ("float8_e4m3fn", "float8_e4m3fn", "float32"),
    ("float8_e4m3fn", "float8_e4m3fn", "bfloat16"),
    ("float8_e4m3fn", "float8_e4m3fn", "float16"),
    ("float8_e5m2", "float8_e5m2", "float32"),
    ("float8_e4m3fn", "float8_e5m2", "float32"),
]


def _ids(cfg: tuple[str, str, str]) -> str:
    return "-".join(x.replace("float8_", "") for x in cfg)


def sampled(v: vec.Vectors, n: int, seed: int) -> vec.Vectors:
    """``n`` cases of ``v`` (sorted, without repeats), as a vector file's contents."""
    keep = np.sort(np.random.default_rng(seed).choice(v.rows.shape[0], min(n, v.rows.shape[0]), replace=False))
    return vec.Vectors({**v.header, "cases": int(keep.size)}, v.rows[keep])


@pytest.mark.rtl
@pytest.mark.parametrize("cfg", CONFIGS, ids=_ids)
def test_fp8_fma_replay(tmp_path: Path, cfg: tuple[str, str, str]) -> None:
    fmt_a, fmt_b, acc = cfg
    v = sampled(vec.generate("fma", fmt=fmt_a, fmt_b=fmt_b, acc=acc, level=2, count=20000, seed=1), 12000, 1)
    n, bad, out = replay(vec.write(v, tmp_path / "fma.hex"))
    assert n == 12000
    assert bad == 0, "\n".join(out.splitlines()[:40])


@pytest.mark.rtl
@pytest.mark.slow
@pytest.mark.parametrize("cfg", CONFIGS, ids=_ids)
def test_fp8_fma_replay_full(tmp_path: Path, cfg: tuple[str, str, str]) -> None:
    fmt_a, fmt_b, acc = cfg
    v = vec.generate("fma", fmt=fmt_a, fmt_b=fmt_b, acc=acc, level=2, count=100000, seed=2)
    n, bad, out = replay(vec.write(v, tmp_path / "fma.hex"))
    assert n == v.header["cases"] > 250000
    assert bad == 0, "\n".join(out.splitlines()[:40])
