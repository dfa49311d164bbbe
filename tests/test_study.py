"""fp8kit study sr: a small run must show rne stagnation and sr staying unbiased."""

from __future__ import annotations

import math

import pytest

from fp8kit.cli import main
from fp8kit.study import sr_study


def test_small_study_shows_stagnation_and_unbiased_sr():
    rows = sr_study(lengths=(64, 2048), accs=("bfloat16",), modes=("rne", "rtz", "sr"), trials=6)
    by = {(r.mode, r.length): r for r in rows}
    assert len(rows) == 6 and all(r.trials == 6 for r in rows)
    # rne and rtz lose a large, consistent fraction of the long sum...
    assert by["rne", 2048].mean < -0.1 and by["rne", 2048].std < abs(by["rne", 2048].mean) / 3
    assert by["rtz", 2048].mean < by["rne", 2048].mean
    # ...sr's mean error is within three standard errors of zero and far smaller than rne's
    sr = by["sr", 2048]
    assert abs(sr.mean) <= 3 * sr.std / math.sqrt(sr.trials)
    assert abs(sr.mean) < abs(by["rne", 2048].mean) / 5


def test_study_errors():
    with pytest.raises(ValueError, match="lengths must lie in 1...65536"):
        sr_study(lengths=(100_000,))
    with pytest.raises(ValueError, match="cannot be an accumulator"):
        sr_study(lengths=(16,), accs=("float8_e4m3fn",))
    with pytest.raises(ValueError, match="trials must be >= 2"):
        sr_study(lengths=(16,), trials=1)


def test_study_cli(capsys, tmp_path):
    out_json = tmp_path / "rows.json"
    code = main(["study", "sr", "--lengths", "32,128", "--accs", "e6m5", "--trials", "3", "--json", str(out_json)])
    out = capsys.readouterr().out
    assert code == 0
    assert "e6m5" in out and "n=128" in out and "sr" in out
    assert out_json.read_text().count('"mode"') == 6
