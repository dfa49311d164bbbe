"""rtl/mx_dot.v on Icarus through cocotb: every OCP MX element type, each pipeline depth, against refmodel.mx.dot.

The default run drives 400 blocks per configuration; the slow test 2,000 per element type
(FP8KIT_SLOW=bounded) or 20,000 (FP8KIT_SLOW=full).
"""

from __future__ import annotations

import os

import pytest

from fp8kit.rtlspec.params import mx_dot_rtl_params
from verif.common import run_sim

CONFIGS = [
    ("mxfp8_e4m3", 32, 0),
    ("mxfp8_e5m2", 32, 1),
    ("mxfp6_e3m2", 32, 2),
    ("mxfp6_e2m3", 32, 0),
    ("mxfp4_e2m1", 32, 1),
    ("mxint8", 32, 2),
    ("mxfp8_e4m3", 4, 2),
]


@pytest.mark.rtl
@pytest.mark.parametrize("mx_type, k, pipe", CONFIGS, ids=[f"{t}-K{k}-PIPE{p}" for t, k, p in CONFIGS])
def test_mx_dot(mx_type, k, pipe):
    _run(mx_type, k, pipe, 400)


@pytest.mark.rtl
@pytest.mark.slow
@pytest.mark.parametrize("mx_type", sorted({t for t, _, _ in CONFIGS}))
def test_mx_dot_many(mx_type):
    _run(mx_type, 32, 1, 20_000 if os.environ.get("FP8KIT_SLOW") == "full" else 2_000)


def _run(mx_type: str, k: int, pipe: int, cases: int) -> None:
    run_sim(
        "mx_dot",
        "verif.mx_dot.tb_mx_dot",
        mx_dot_rtl_params(mx_type, k, pipe),
        extra_env={"FP8KIT_MX_TYPE": mx_type, "FP8KIT_MX_CASES": str(cases)},
        expected_tests=1,
    )
