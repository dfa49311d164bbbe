"""rtl/int8_mac.v on Icarus against refmodel.int8.int8_mac_stream (wrap and saturating)."""

from __future__ import annotations

import pytest

from verif.common import run_sim


@pytest.mark.rtl
def test_int8_mac():
    # 2 tests x 2 sat modes
    run_sim("int8_mac", "verif.int8_mac.tb_int8_mac", expected_tests=4)
