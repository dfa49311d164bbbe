"""Bad command lines of every fp8kit subcommand: refused with ``fp8kit: error: ...`` naming the value
and what is allowed (exit 2), before any work starts, without a traceback.

``{tmp}`` holds the files of :func:`_files`: ``afile`` (a regular file, so ``{tmp}/afile/x`` cannot
be created even by root, who ignores permission bits), ``adir/``, a good ``good.npy``, one
``.npy``/``.npz`` per refused kind, and gemm's matrices (``m.npy`` (4, 32), ``mt.npy`` (32, 4),
``m40.npy``, ``m40t.npy``, the codes ``codes.npy`` and ``big.npy``).
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from badinput import CliCase, check_cli, ids

C = CliCase
NOT_FLOAT = r"is not a float dtype.*allowed dtypes: float16, float32, float64"
RANGE = r"is out of range; allowed"
UNDER_FILE = r"cannot be created: '{tmp}/afile' is a file, not a directory"
GEMM = ["--format", "e4m3fn", "--datapath", "hopper-fp8"]

CASES = [
    # the command and global options
    C("cmd-typo", ["reprot"], r"invalid choice: 'reprot'.*did you mean 'report'\?"),
    C("cmd-typo-formats", ["formts"], r"invalid choice: 'formts'.*did you mean 'formats'\?"),
    C("cmd-missing", [], r"the following arguments are required: command"),
    C("global-option-typo", ["--debg", "formats"], r"unrecognized arguments: --debg; did you mean --debug"),
    # report
    C("report-samples-zero", ["report", "--samples", "0"], r"--samples: '0' " + RANGE + r": 1\.\.\.67108864"),
    C("report-samples-huge", ["report", "--samples", "99999999999"], r"'99999999999' " + RANGE),
    C("report-samples-float", ["report", "--samples", "1e6"], r"not an integer: '1e6'"),
    C("report-seed-negative", ["report", "--seed", "-1"], r"--seed: '-1' " + RANGE + r": >= 0"),
    C("report-option-typo", ["report", "--smaples", "3"], r"unrecognized arguments: --smaples.*did you mean --samples"),
    # table, formats
    C("table-format-typo", ["table", "e4m3fm"], r"unknown format 'e4m3fm'.*did you mean 'float8_e4m3fn'"),
    C("table-format-missing", ["table"], r"required: format"),
    C("formats-extra-argument", ["formats", "e4m3fn"], r"unrecognized arguments: e4m3fn"),
    # encode, decode
    C("encode-not-a-number", ["encode", "e4m3fn", "x"], r"not a number: 'x' \(allowed: decimal, 0x1\.8p3"),
    C("encode-rounding-typo", ["encode", "e4m3fn", "1", "--rounding", "rnee"],
      r"invalid choice: 'rnee'.*did you mean 'rne'\?"),
    C("encode-nan-typo", ["encode", "e4m3fn", "1", "--nan", "canonicl"], r"invalid choice: 'canonicl'.*'canonical'"),
    C("encode-sr-bits-zero", ["encode", "e4m3fn", "1", "--rounding", "sr", "--sr-bits", "0"],
      r"--sr-bits: '0' " + RANGE + r": 1\.\.\.32"),
    C("encode-sr-bits-huge", ["encode", "e4m3fn", "1", "--rounding", "sr", "--sr-bits", "33"], r"'33' " + RANGE),
    C("encode-rand-float", ["encode", "e4m3fn", "1", "--rounding", "sr", "--rand", "1.5"],
      r"not an integer: '1\.5'"),
    C("encode-seed-word", ["encode", "e4m3fn", "1", "--seed", "abc"], r"--seed: not an integer: 'abc'"),
    C("encode-format-typo", ["encode", "float8_e4m3fnn", "1"], r"unknown format 'float8_e4m3fnn'.*did you mean"),
    C("decode-float-code", ["decode", "e4m3fn", "1.5"], r"not an integer: '1\.5' \(allowed: decimal, 0x"),
    C("decode-huge-code", ["decode", "e4m3fn", "99999999999999999999"],
      r"integer out of range: '99999999999999999999' \(allowed: -2\*\*63"),
    C("decode-bad-hex", ["decode", "e4m3fn", "0x1g"], r"not an integer: '0x1g'"),
    C("decode-code-too-big", ["decode", "e4m3fn", "256"], r"code 256 is out of range for float8_e4m3fn: allowed 0\.\.\.255"),
    # study sr
    C("study-typo", ["study", "rs"], r"invalid choice: 'rs' \(choose from 'sr', 'accumulation'\)"),
    C("study-trials-one", ["study", "sr", "--trials", "1"], r"--trials: '1' " + RANGE + r": 2\.\.\.4096"),
    C("study-length-word", ["study", "sr", "--lengths", "16,abc", "--trials", "2"], r"not an integer: 'abc'"),
    C("study-sr-bits", ["study", "sr", "--sr-bits", "40"], r"--sr-bits: '40' " + RANGE),
    C("study-plot-under-file", ["study", "sr", "--plot", "{tmp}/afile/p.png"], r"--plot .*" + UNDER_FILE),
    C("study-json-directory", ["study", "sr", "--json", "{tmp}/adir"], r"--json '{tmp}/adir' is a directory, not a file"),
    # quantize
    C("quantize-missing-input", ["quantize", "mxfp8_e4m3", "{tmp}/nope.npy", "{tmp}/o.npz"],
      r"input '{tmp}/nope\.npy' does not exist"),
    C("quantize-input-directory", ["quantize", "mxfp8_e4m3", "{tmp}/adir", "{tmp}/o.npz"],
      r"input '{tmp}/adir' is a directory, not a file"),
    C("quantize-complex", ["quantize", "mxfp8_e4m3", "{tmp}/complex.npy", "{tmp}/o.npz"], r"dtype complex64 " + NOT_FLOAT),
    C("quantize-bool", ["quantize", "mxfp8_e4m3", "{tmp}/bool.npy", "{tmp}/o.npz"], r"dtype bool " + NOT_FLOAT),
    C("quantize-float128", ["quantize", "e4m3fn", "{tmp}/float128.npy", "{tmp}/o.npz"], r"dtype float128 " + NOT_FLOAT),
    C("quantize-bfloat16", ["quantize", "e4m3fn", "{tmp}/bfloat16.npy", "{tmp}/o.npz"],
      r"dtype void16 is not a float dtype \(raw bytes: .*bfloat16"),
    C("quantize-object", ["quantize", "e4m3fn", "{tmp}/object.npy", "{tmp}/o.npz"], r"holds an object array; allowed"),
    C("quantize-int", ["quantize", "e4m3fn", "{tmp}/int.npy", "{tmp}/o.npz"], r"dtype int64 " + NOT_FLOAT),
    C("quantize-not-npy", ["quantize", "e4m3fn", "{tmp}/text.npy", "{tmp}/o.npz"], r"is not a \.npy or \.npz file"),
    C("quantize-npz-two-arrays", ["quantize", "e4m3fn", "{tmp}/two.npz", "{tmp}/o.npz"],
      r"holds 2 arrays \(a, b\); a \.npz input must hold exactly one"),
    C("quantize-npz-complex", ["quantize", "e4m3fn", "{tmp}/complex.npz", "{tmp}/o.npz"], r"dtype complex128 " + NOT_FLOAT),
    C("quantize-output-under-file", ["quantize", "e4m3fn", "{tmp}/good.npy", "{tmp}/afile/o.npz"], UNDER_FILE),
    C("quantize-output-directory", ["quantize", "e4m3fn", "{tmp}/good.npy", "{tmp}/adir.npz"],
      r"output '{tmp}/adir\.npz' is a directory, not a file"),
    C("quantize-type-typo", ["quantize", "e4m3fm", "{tmp}/good.npy", "{tmp}/o.npz"], r"unknown format 'e4m3fm'.*did you mean"),
    C("quantize-sr-refused", ["quantize", "e4m3fn", "{tmp}/good.npy", "{tmp}/o.npz", "--rounding", "sr"],
      r"--rounding: invalid choice: 'sr'"),
    C("quantize-block-zero", ["quantize", "mxfp8_e4m3", "{tmp}/good.npy", "{tmp}/o.npz", "--block", "0"],
      r"--block: '0' " + RANGE + r": >= 1"),
    C("quantize-scale-rule-typo", ["quantize", "mxfp8_e4m3", "{tmp}/good.npy", "{tmp}/o.npz", "--scale-rule", "oc"],
      r"invalid choice: 'oc'.*did you mean 'ocp'"),
    # sqnr
    C("sqnr-missing-input", ["sqnr", "{tmp}/nope.npy"], r"input '{tmp}/nope\.npy' does not exist"),
    C("sqnr-int-input", ["sqnr", "{tmp}/int.npy"], r"dtype int64 " + NOT_FLOAT),
    C("sqnr-bfloat16-input", ["sqnr", "{tmp}/bfloat16.npy"], r"dtype void16 is not a float dtype"),
    C("sqnr-n-one", ["sqnr", "--n", "1"], r"--n: '1' " + RANGE + r": 2\.\.\.16777216"),
    C("sqnr-n-huge", ["sqnr", "--n", "1000000000000"], r"'1000000000000' " + RANGE),
    C("sqnr-plot-under-file", ["sqnr", "--plot", "{tmp}/afile/x.png", "--n", "64"], r"--plot .*" + UNDER_FILE),
    # gen-docs, gen-rtl-defs, rtl-params
    C("gen-docs-unknown-option", ["gen-docs", "--force"], r"unrecognized arguments: --force"),
    C("gen-rtl-defs-extra", ["gen-rtl-defs", "extra"], r"unrecognized arguments: extra"),
    C("rtl-params-format-ambiguous", ["rtl-params", "e5m3"], r"format name 'e5m3' is ambiguous"),
    C("rtl-params-format-typo", ["rtl-params", "bfloat61"], r"unknown format 'bfloat61'.*did you mean 'bfloat16'"),
    C("rtl-params-format-missing", ["rtl-params"], r"required: format"),
    C("rtl-params-prefix-not-identifier", ["rtl-params", "float8_e4m3fn", "--prefix", "@@bad@@"],
      r"prefix '@@bad@@' does not make Verilog identifiers"),
    C("rtl-params-prefix-digit", ["rtl-params", "float8_e4m3fn", "--prefix", "1A_"], r"prefix '1A_'"),
    C("replay-timeout-zero", ["replay", "{tmp}/x.hex", "--timeout", "0"], r"--timeout.*'0'"),
    # cost
    C("cost-format-typo", ["cost", "--formats", "int8,e4m3fm"], r"unknown format 'e4m3fm'.*did you mean 'float8_e4m3fn'"),
    C("cost-calibration-missing", ["cost", "--calibration", "{tmp}/nope.json"],
      r"--calibration '{tmp}/nope\.json' does not exist"),
    C("cost-calibration-directory", ["cost", "--calibration", "{tmp}/adir"], r"--calibration '{tmp}/adir' is a directory"),
    C("cost-plot-under-file", ["cost", "--formats", "int8", "--plot", "{tmp}/afile/p"], r"--plot .*" + UNDER_FILE),
    C("cost-synth-timeout-zero", ["cost", "--synth-timeout", "0"], r"--synth-timeout: '0' " + RANGE + r": a finite number > 0"),
    C("cost-dist-typo", ["cost", "--dist", "gauss"], r"invalid choice: 'gauss'.*did you mean 'gaussian'"),
    C("cost-ridge-word", ["cost", "--ridge", "x"], r"--ridge: not a number: 'x'"),
    C("cost-sr-bits-huge", ["cost", "--sr-bits", "64"], r"--sr-bits: '64' " + RANGE + r": 1\.\.\.32"),
    C("cost-cache-dir-file", ["cost", "--formats", "int8", "--synth", "--cache-dir", "{tmp}/afile"],
      r"--cache-dir '{tmp}/afile' is a file, not a directory"),
    # regress
    C("regress-level-typo", ["regress", "--level", "ful"], r"invalid choice: 'ful'.*did you mean 'full'"),
    C("regress-out-file", ["regress", "--out", "{tmp}/afile"], r"--out '{tmp}/afile' is a file, not a directory"),
    C("regress-out-under-file", ["regress", "--out", "{tmp}/afile/out"], UNDER_FILE),
    C("regress-shard", ["regress", "--shard", "5/4", "--out", "{tmp}/r"], r"--shard '5/4': need 1 <= i <= n"),
    C("regress-seed-word", ["regress", "--seed", "one"], r"--seed: not an integer: 'one'"),
    C("regress-dut-missing", ["regress", "--dut", "{tmp}/nope.toml", "--list"], r"{tmp}/nope\.toml: no such DUT"),
    C("regress-simulator", ["regress", "--sim", "xsim", "--out", "{tmp}/r"], r"unknown simulator 'xsim'; supported: icarus"),
    C("regress-rtl-dir-file", ["regress", "--rtl-dir", "{tmp}/afile", "--out", "{tmp}/r"],
      r"--rtl-dir '{tmp}/afile' is not a directory"),
    # mutate
    C("mutate-module-typo", ["mutate", "--module", "fp8_mull", "--list"], r"unknown module 'fp8_mull'.*did you mean 'fp8_mul'"),
    C("mutate-jobs-negative", ["mutate", "--jobs", "-1"], r"--jobs/-j: '-1' " + RANGE + r": 0\.\.\.1024"),
    C("mutate-timeout-zero", ["mutate", "--timeout", "0"], r"--timeout: '0' " + RANGE),
    C("mutate-max-negative", ["mutate", "--max-per-module", "-3"], r"--max-per-module: '-3' " + RANGE),
    C("mutate-out-file", ["mutate", "--out", "{tmp}/afile"], r"--out '{tmp}/afile' is a file, not a directory"),
    # vectors
    C("vectors-op-typo", ["vectors", "--op", "mull", "--out", "{tmp}/v.hex"], r"invalid choice: 'mull'.*did you mean 'mul'"),
    C("vectors-out-directory", ["vectors", "--op", "mul", "--format", "e4m3fn", "--out", "{tmp}/adir"],
      r"--out '{tmp}/adir' is a directory, not a file"),
    C("vectors-out-under-file", ["vectors", "--op", "mul", "--format", "e4m3fn", "--out", "{tmp}/afile/v.hex"], UNDER_FILE),
    C("vectors-lfsr-seed-word", ["vectors", "--op", "mac", "--format", "e4m3fn", "--lfsr-seed", "0xg", "--out", "{tmp}/v"],
      r"--lfsr-seed: not an integer: '0xg'"),
    C("vectors-level-three", ["vectors", "--op", "mul", "--level", "3", "--out", "{tmp}/v"], r"--level: invalid choice: 3"),
    C("vectors-out-missing", ["vectors", "--op", "mul"], r"required: --out"),
    C("vectors-gemm-no-datapath", ["vectors", "--op", "gemm", "--m", "2", "--n", "2", "--out", "{tmp}/v"],
      r"op gemm needs a datapath \(--datapath\), m and n"),
    C("vectors-gemm-mx-preset", ["vectors", "--op", "gemm", "--format", "mxfp8_e4m3", "--datapath", "blackwell-mxfp8",
                                 "--m", "2", "--n", "2", "--out", "{tmp}/v"], r"blackwell-mxfp8 is block-scaled \(MX\)"),
    C("vectors-gemm-sr", ["vectors", "--op", "gemm", "--format", "e4m3fn", "--datapath", "exact", "--rounding", "sr",
                          "--m", "2", "--n", "2", "--out", "{tmp}/v"], r"deterministic rounding modes, not sr"),
    C("vectors-gemm-level-one", ["vectors", "--op", "gemm", "--format", "e4m3fn", "--datapath", "exact", "--level", "1",
                                 "--m", "2", "--n", "2", "--out", "{tmp}/v"], r"count=1 random cases need level 2"),
    C("vectors-gemm-too-big", ["vectors", "--op", "gemm", "--format", "e4m3fn", "--datapath", "exact", "--m", "4096",
                               "--n", "4096", "--k", "64", "--out", "{tmp}/v"], r"gemm vectors with count=1 .*the limit is 4 GiB"),
    C("vectors-m-zero", ["vectors", "--op", "gemm", "--m", "0", "--out", "{tmp}/v"], r"--m: '0' " + RANGE + r": >= 1"),
    C("vectors-datapath-not-gemm", ["vectors", "--op", "mul", "--datapath", "exact", "--out", "{tmp}/v"],
      r"op mul takes no datapath, m or n"),
    C("vectors-dpa-no-datapath", ["vectors", "--op", "dpa", "--out", "{tmp}/v"],
      r"op dpa needs a datapath \(--datapath\): a preset whose datapath is one fp8_dpa step \(hopper-fp8, "),
    C("vectors-dpa-datapath-typo", ["vectors", "--op", "dpa", "--datapath", "hoper-fp8", "--out", "{tmp}/v"],
      r"unknown dpa datapath 'hoper-fp8'.*; did you mean 'hopper-fp8'"),
    C("vectors-dpa-preset-lanes", ["vectors", "--op", "dpa", "--datapath", "ada-fp8", "--lanes", "8", "--out", "{tmp}/v"],
      r"preset ada-fp8 fixes lanes: those are for --datapath fused-dot"),
    C("vectors-dpa-no-frac-bits", ["vectors", "--op", "dpa", "--datapath", "fused-dot", "--lanes", "8", "--out",
                                   "{tmp}/v"], r"fused-dot needs frac_bits \(--frac-bits F"),
    C("vectors-dpa-lanes-zero", ["vectors", "--op", "dpa", "--datapath", "fused-dot", "--lanes", "0", "--out", "{tmp}/v"],
      r"--lanes: '0' " + RANGE + r": >= 1"),
    C("vectors-dpa-lanes-rtl", ["vectors", "--op", "dpa", "--datapath", "fused-dot", "--lanes", "512", "--frac-bits", "9",
                                "--out", "{tmp}/v"], r"fp8_dpa rejects LANES=512; allowed: 1...256"),
    C("vectors-dpa-zero-exp-word", ["vectors", "--op", "dpa", "--datapath", "fused-dot", "--zero-exp", "low", "--out",
                                    "{tmp}/v"], r"--zero-exp: not an integer: 'low' .*, or none"),
    C("vectors-dpa-rounding", ["vectors", "--op", "dpa", "--datapath", "fused-dot", "--lanes", "4", "--frac-bits", "5",
                               "--rounding", "rup", "--out", "{tmp}/v"], r"fp8_dpa rounds rne or rtz, got rup"),
    C("vectors-dpa-k", ["vectors", "--op", "dpa", "--datapath", "hopper-fp8", "--k", "16", "--out", "{tmp}/v"],
      r"op dpa takes no k, m or n"),
    C("vectors-lanes-not-dpa", ["vectors", "--op", "fma", "--lanes", "4", "--out", "{tmp}/v"],
      r"--lanes: for --op dpa with --datapath fused-dot only"),
    # gemm
    *[C(f"gemm-{name}", ["gemm", *files, "--out", "{tmp}/d.npy", *opts], match) for name, files, opts, match in [
        ("missing-a", ["{tmp}/nope.npy", "{tmp}/m.npy"], GEMM, r"A '{tmp}/nope\.npy' does not exist"),
        ("b-directory", ["{tmp}/m.npy", "{tmp}/adir"], GEMM, r"B '{tmp}/adir' is a directory, not a file"),
        ("int-floats", ["{tmp}/int.npy", "{tmp}/m.npy"], GEMM, r"dtype int64 " + NOT_FLOAT),
        ("complex", ["{tmp}/m.npy", "{tmp}/complex.npy"], GEMM, r"dtype complex64 " + NOT_FLOAT),
        ("codes-float", ["{tmp}/m.npy", "{tmp}/mt.npy"], GEMM + ["--codes"],
         r"dtype float32 is not integer codes; allowed with --codes: int8"),
        ("codes-npz", ["{tmp}/two.npz", "{tmp}/mt.npy"], GEMM + ["--codes"], r"is a \.npz archive; --codes takes"),
        ("codes-not-npy", ["{tmp}/text.npy", "{tmp}/mt.npy"], GEMM + ["--codes"], r"is not a \.npy file of integer codes"),
        ("codes-out-of-range", ["{tmp}/big.npy", "{tmp}/codes.npy"], GEMM + ["--codes"],
         r"code 300 is out of range for float8_e4m3fn"),
        ("shapes", ["{tmp}/m.npy", "{tmp}/m.npy"], GEMM, r"A must be \(M, K\) and B \(K, N\).*\(4, 32\) and \(4, 32\)"),
        ("one-dimensional", ["{tmp}/good.npy", "{tmp}/mt.npy"], GEMM, r"got shapes \(64,\) and \(32, 4\)"),
        ("c-shape", ["{tmp}/m.npy", "{tmp}/mt.npy", "{tmp}/m.npy"], GEMM, r"C must have the output shape \(4, 4\), got \(4, 32\)"),
        ("mx-k-not-block", ["{tmp}/m40.npy", "{tmp}/m40t.npy"], ["--format", "mxfp8_e4m3", "--datapath", "blackwell-mxfp8"],
         r"K = 40 is not a multiple of the mxfp8_e4m3 block \(32\); give --pad"),
        ("preset-typo", ["{tmp}/m.npy", "{tmp}/mt.npy"], ["--format", "e4m3fn", "--datapath", "hoper-fp8"],
         r"unknown datapath 'hoper-fp8'; choose from exact, fma-chain, hopper-fp8.*did you mean 'hopper-fp8'"),
        ("format-typo", ["{tmp}/m.npy", "{tmp}/mt.npy"], ["--format", "e4m3fm", "--datapath", "exact"],
         r"unknown format 'e4m3fm'.*did you mean"),
        ("format-three", ["{tmp}/m.npy", "{tmp}/mt.npy"], ["--format", "e4m3fn,e4m3fn,e4m3fn", "--datapath", "exact"],
         r"--format takes FMT or FMT_A,FMT_B, got 'e4m3fn,e4m3fn,e4m3fn'"),
        ("format-not-the-presets", ["{tmp}/m.npy", "{tmp}/mt.npy"], ["--format", "bfloat16", "--datapath", "hopper-fp8"],
         r"format 'bfloat16' is not an operand of preset hopper-fp8; allowed: float8_e4m3fn, float8_e5m2"),
        ("plain-format-mx-preset", ["{tmp}/m.npy", "{tmp}/mt.npy"], ["--format", "e4m3fn", "--datapath", "blackwell-mxfp8"],
         r"format 'e4m3fn' is not an operand of preset blackwell-mxfp8; allowed: mxfp8_e4m3, mxfp8_e5m2"),
        ("acc-not-the-presets", ["{tmp}/m.npy", "{tmp}/mt.npy"], GEMM + ["--acc", "float16"],
         r"accumulator 'float16' is not that of preset hopper-fp8; allowed: float32"),
        ("acc-not-ieee", ["{tmp}/m.npy", "{tmp}/mt.npy"], ["--format", "e4m3fn", "--datapath", "exact", "--acc", "e4m3fn"],
         r"float8_e4m3fn cannot be an accumulator"),
        ("rounding-with-preset", ["{tmp}/m.npy", "{tmp}/mt.npy"], GEMM + ["--rounding", "rtz"],
         r"--rounding is for --datapath exact or fma-chain; preset hopper-fp8"),
        ("rounding-typo", ["{tmp}/m.npy", "{tmp}/mt.npy"], ["--format", "e4m3fn", "--datapath", "exact", "--rounding", "rnee"],
         r"invalid choice: 'rnee'.*did you mean 'rne'"),
        ("mx-codes", ["{tmp}/codes.npy", "{tmp}/codes.npy"], ["--format", "mxfp8_e4m3", "--datapath", "blackwell-mxfp8",
                                                              "--codes"], r"--codes is for plain operands"),
        ("pad-plain", ["{tmp}/m.npy", "{tmp}/mt.npy"], GEMM + ["--pad"], r"--pad is for block-scaled \(MX\) presets"),
        ("out-codes-under-file", ["{tmp}/m.npy", "{tmp}/mt.npy"], GEMM + ["--out-codes", "{tmp}/afile/c.npy"],
         r"--out-codes .*" + UNDER_FILE),
    ]],
    C("gemm-out-directory", ["gemm", "{tmp}/m.npy", "{tmp}/mt.npy", *GEMM, "--out", "{tmp}/adir"],
      r"--out '{tmp}/adir' is a directory, not a file"),
    C("gemm-datapath-missing", ["gemm", "{tmp}/m.npy", "{tmp}/mt.npy", "--format", "e4m3fn", "--out", "{tmp}/d.npy"],
      r"required: --datapath"),
    # exhaust (the parser verif/exhaust/cli.py adds inherits the convention)
    C("exhaust-op-typo", ["exhaust", "--op", "mull"], r"invalid choice: 'mull'.*did you mean 'mul'"),
    C("exhaust-sat", ["exhaust", "--op", "encode", "--sat", "2"], r"--sat: invalid choice: '2'"),
    C("exhaust-level-typo", ["exhaust", "--level", "nightlyy"], r"invalid choice: 'nightlyy'.*did you mean 'nightly'"),
    # replay
    C("replay-missing-file", ["replay", "{tmp}/nope.hex"], r"vector file '{tmp}/nope\.hex' does not exist"),
    C("replay-directory", ["replay", "{tmp}/adir"], r"vector file '{tmp}/adir' is a directory, not a file"),
    C("replay-simulator-typo", ["replay", "{tmp}/afile", "--sim", "icaurs"], r"invalid choice: 'icaurs'.*'icarus'"),
    C("replay-max-report-negative", ["replay", "{tmp}/afile", "--max-report", "-1"], r"--max-report: '-1' " + RANGE),
]


def _files(tmp) -> None:
    (tmp / "afile").write_text("a regular file\n")
    (tmp / "adir").mkdir()
    (tmp / "adir.npz").mkdir()
    (tmp / "text.npy").write_text("not numpy\n")
    np.save(tmp / "good.npy", np.linspace(-2, 2, 64))
    for name, arr in {"complex": np.zeros(4, np.complex64), "bool": np.zeros(4, bool),
                      "float128": np.zeros(4, np.longdouble), "bfloat16": np.zeros(4, ml_dtypes.bfloat16),
                      "int": np.arange(4, dtype=np.int64)}.items():
        np.save(tmp / f"{name}.npy", arr)
    np.save(tmp / "object.npy", np.array([1, None], object), allow_pickle=True)
    for name, shape in {"m": (4, 32), "mt": (32, 4), "m40": (4, 40), "m40t": (40, 4)}.items():
        np.save(tmp / f"{name}.npy", np.ones(shape, np.float32))
    np.save(tmp / "codes.npy", np.full((32, 4), 0x38, np.uint8))
    np.save(tmp / "big.npy", np.full((4, 32), 300, np.uint16))
    np.savez(tmp / "two.npz", a=np.zeros(2), b=np.ones(2))
    np.savez(tmp / "complex.npz", x=np.zeros(2, complex))


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_command_line(case, tmp_path, capsys):
    _files(tmp_path)
    check_cli(case, tmp_path, capsys)
