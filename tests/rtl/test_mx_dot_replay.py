"""mx_dot against refmodel.mx.dot: `fp8kit vectors --op mx_dot` files replayed in the $readmemh bench.

Vectors come from fp8kit.vectors (level 1: boundary element pairs, one-value, cancelling and
edge-plus-tiny blocks under edge and float32-boundary scales; level 2 adds quantised data, raw
codes, boundary scale pairs, cancellations and -0 rows); the bench
(verif/replay/tb_mx_dot_replay.v) compares in the simulator. Parameters come from
fp8kit.rtlspec.params.mx_dot_rtl_params.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fp8kit import vectors as vec
from verif.replay import replay

CONFIGS = ["mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4_e2m1", "mxint8"]


@pytest.mark.rtl
@pytest.mark.parametrize("mx_type", CONFIGS)
def test_mx_dot_replay(tmp_path: Path, mx_type: str) -> None:
    v = vec.generate("mx_dot", fmt=mx_type, level=2, count=1200, seed=1)
    n, bad, out = replay(vec.write(v, tmp_path / "mx_dot.hex"))
    assert n == v.header["cases"] >= 2000
    assert bad == 0, "\n".join(out.splitlines()[:40])
