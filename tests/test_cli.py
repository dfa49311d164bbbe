"""The fp8kit command line, through its entry point."""

from __future__ import annotations

import pytest

from fp8kit.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_formats_table_lists_every_format(capsys):
    code, out, _ = run(capsys, "formats")
    assert code == 0
    for name in ("float8_e4m3fn", "float8_e5m2", "float4_e2m1fn", "float8_e8m0fnu", "bfloat16", "float32"):
        assert name in out
    line = next(ln for ln in out.splitlines() if "float8_e4m3fn" in ln)
    assert "448" in line and "2^-6" in line and "2^-9" in line and "fn" in line


def test_table_shows_every_code(capsys):
    code, out, _ = run(capsys, "table", "float8_e4m3fn")
    assert code == 0
    rows = [ln for ln in out.splitlines() if "0x" in ln]
    assert len(rows) == 256
    assert any("0x7E" in r and "0.1111.110" in r and "448.0" in r and "7*2^6" in r and "normal" in r for r in rows)
    assert any("0x7F" in r and "nan" in r for r in rows)
    assert any("0x01" in r and "subnormal" in r and "1*2^-9" in r for r in rows)


def test_encode_and_decode(capsys):
    code, out, _ = run(capsys, "encode", "ocp_e4m3", "464", "465", "-0", "0x1p-9")
    assert code == 0
    lines = [ln for ln in out.splitlines() if "0x" in ln]
    assert "0x7E" in lines[0] and "0x7F" in lines[1] and "0x80" in lines[2] and "0x01" in lines[3]
    code, out, _ = run(capsys, "encode", "float8_e4m3fn", "1e6", "--saturate", "--rounding", "rtz")
    assert "0x7E" in out and "rtz, saturate" in out
    code, out, _ = run(capsys, "encode", "float8_e4m3fn", "1.0625", "1.0625", "--rounding", "sr", "--sr-bits", "1",
                       "--rand", "0,1")
    rows = [ln for ln in out.splitlines() if "0x" in ln]
    assert "0x38" in rows[0] and "0x39" in rows[1]
    code, out, _ = run(capsys, "decode", "float8_e5m2", "0x7b", "0x7c", "128")
    assert code == 0
    assert "57344.0" in out and "inf" in out and "-0.0" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (("decode", "float8_e4m3fn", "256"), "code 256 is out of range for float8_e4m3fn"),
        (("encode", "e4m3", "1"), "ambiguous; candidates"),
        (("encode", "float4_e2m1fn", "nan"), "which has no NaN"),
        (("table", "nope"), "unknown format 'nope'"),
    ],
)
def test_errors_exit_2_with_a_clear_message(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err


def test_report_runs_every_check_and_passes(capsys):
    code, out, _ = run(capsys, "report", "--samples", "4096")
    assert code == 0
    assert "all" in out and "checks passed" in out
    assert out.count("PASS") >= 30
    for check in ("decode/encode round trip", "rne vs ml_dtypes astype", "every mode vs exact oracle"):
        assert check in out


def test_gen_docs_reports_up_to_date(capsys):
    code, out, _ = run(capsys, "gen-docs")
    assert code == 0 and "up to date" in out


def test_quantize_mx_and_format(capsys, tmp_path):
    import numpy as np

    from refmodel import mx

    x = np.random.default_rng(0).standard_normal((8, 64)).astype(np.float32)
    src = tmp_path / "x.npy"
    np.save(src, x)
    code, out, _ = run(capsys, "quantize", "mxfp6_e2m3", str(src), str(tmp_path / "m.npz"), "--axis", "1")
    assert code == 0 and "mxfp6_e2m3, block 32 along axis 1" in out and "6.25 bits per value" in out
    saved = np.load(tmp_path / "m.npz")
    m = mx.quantize(x, "mxfp6_e2m3", axis=1)
    assert (saved["scales"] == m.scales).all() and (saved["elements"] == m.elements).all()
    assert saved["packed"].tobytes() == m.to_bytes()
    code, out, _ = run(capsys, "quantize", "float8_e5m2", str(src), str(tmp_path / "f.npz"))
    assert code == 0 and "8.00 bits per value" in out
    code, _, err = run(capsys, "quantize", "mxfp8_e4m3", str(src), str(tmp_path / "b.npz"), "--block", "48")
    assert code == 2 and "not a multiple of block 48" in err


def test_sqnr_on_a_tensor_and_builtins(capsys, tmp_path):
    import numpy as np

    src = tmp_path / "g.npy"
    np.save(src, np.random.default_rng(1).standard_normal(4096).astype(np.float32))
    code, out, _ = run(capsys, "sqnr", str(src))
    assert code == 0 and "winner" in out and "float8_e4m3fn" in out
    code, out, _ = run(capsys, "sqnr", "--n", "2048", "--plot", str(tmp_path / "s.png"))
    assert code == 0 and (tmp_path / "s.png").stat().st_size > 1000
    for name in ("gaussian", "laplace", "student-t"):
        assert name in out
