"""rtl/lfsr32.v on Icarus against refmodel.lfsr, for several seeds."""

from __future__ import annotations

import pytest

from verif.common import run_sim

SEEDS = [0x00000001, 0xDEADBEEF, 0x80000000, 0xFFFFFFFF]


@pytest.mark.rtl
@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed{s:08x}")
def test_lfsr32(seed):
    run_sim(
        "lfsr32",
        "verif.lfsr32.tb_lfsr32",
        {"SEED": seed},
        extra_env={"FP8KIT_LFSR_SEED": str(seed), "FP8KIT_LFSR_WORDS": "4096"},
        expected_tests=2,
    )
