"""Vectors per second of the two RTL checking paths: $readmemh replay benches and cocotb benches.

Replay (``verif.replay``): one level-1 vector file per op is generated (fp8kit.vectors), written,
built into its bench and simulated; generation, writing, the build and the simulation are timed
separately, and vectors/s is cases over simulation wall time (which includes ``$readmemh``
loading the file). ``--sim`` picks Icarus, Verilator or both. For int8_mac, whose rows hold
repeated operations, the operations (accepted pairs) are counted as well.

cocotb (``--cocotb``): the existing cocotb benches through ``verif.common.run_sim`` on Icarus; the
time is the cocotb test time from results.xml (stimulus, simulation and the batched refmodel
scoreboard; the build excluded) and the vectors are the bench's own count from its report.

Usage: python bench/bench_replay.py [--ops mul,fma,...] [--sim icarus,verilator] [--cocotb] [--quick]
Prints a Markdown table; never asserts times.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from fp8kit import vectors as vec
from fp8kit.rtlspec.params import fma_rtl_params, int8_mac_rtl_params, mac_rtl_params, mul_rtl_params, mx_dot_rtl_params

OPS = tuple(vec.OPS)


def vector_set(op: str, quick: bool) -> vec.Vectors:
    """The timed file of an op: level 1, the largest ones thinned so that Icarus takes seconds."""
    if op == "mul":
        return vec.generate("mul", fmt="float8_e4m3fn")
    if op == "fma":
        v = vec.generate("fma", fmt="float8_e4m3fn", acc="float32")
        keep = np.arange(v.rows.shape[0]) % (40 if quick else 8) == 0
        return vec.Vectors({**v.header, "cases": int(keep.sum())}, v.rows[keep])
    if op == "mac":
        return vec.generate("mac", fmt="float8_e4m3fn", acc="bfloat16", rounding="rne,sr" if quick else None)
    if op == "int8_mac":
        v = vec.generate("int8_mac")
        if quick:  # the edge pairs and the all-pairs stream, not the 131,000-clock limit streams
            ids = np.cumsum(v.column("first")) - 1
            keep = ~np.isin(ids, np.unique(ids[v.column("rep") > 1]))
            return vec.Vectors({**v.header, "cases": int(keep.sum())}, v.rows[keep])
        return v
    return vec.generate("mx_dot", fmt="mxfp8_e4m3")


def time_replay(op: str, sims: list[str], quick: bool, work: Path) -> list[dict]:
    from verif.replay import timed_replay

    t0 = time.perf_counter()
    v = vector_set(op, quick)
    t1 = time.perf_counter()
    path = vec.write(v, work / f"{op}.hex")
    t2 = time.perf_counter()
    ops = int(v.column("rep").sum()) if op == "int8_mac" else v.rows.shape[0]
    rows = []
    for sim in sims:
        result, build_s, sim_s = timed_replay(path, work, simulator=sim)
        rows.append({"path": f"replay, {sim}", "op": op, "vectors": result.vectors, "operations": ops,
                     "mismatches": result.mismatches, "gen_s": t1 - t0, "write_s": t2 - t1, "build_s": build_s,
                     "sim_s": sim_s})
    return rows


COCOTB = {  # op -> (toplevel, cocotb module, parameters, environment)
    "mul": ("fp8_mul", "verif.fp8_mul.tb_fp8_mul",
            mul_rtl_params("float8_e4m3fn", "float8_e4m3fn"),
            {"FP8KIT_FMT_A": "float8_e4m3fn", "FP8KIT_FMT_B": "float8_e4m3fn", "FP8KIT_MUL_PAIRS": "0"}),
    "fma": ("fp8_fma", "verif.fp8_fma.tb_fp8_fma", fma_rtl_params("float8_e4m3fn", "float8_e4m3fn", "float32", 16),
            {"FP8KIT_FMT_A": "float8_e4m3fn", "FP8KIT_FMT_B": "float8_e4m3fn", "FP8KIT_ACC": "float32",
             "FP8KIT_SR_BITS": "16", "FP8KIT_FMA_VECTORS": "8192"}),
    "mac": ("fp8_mac", "verif.fp8_mac.tb_fp8_mac",
            mac_rtl_params("float8_e4m3fn", "float8_e4m3fn", "bfloat16", 16, seed=1),
            {"FP8KIT_FMT_A": "float8_e4m3fn", "FP8KIT_FMT_B": "float8_e4m3fn", "FP8KIT_ACC": "bfloat16",
             "FP8KIT_SR_BITS": "16", "FP8KIT_LFSR_SEED": "1", "FP8KIT_MAC_STEPS": "200"}),
    "int8_mac": ("int8_mac", "verif.int8_mac.tb_int8_mac", int8_mac_rtl_params(), {"FP8KIT_INT8_RANDOM": "3000"}),
    "mx_dot": ("mx_dot", "verif.mx_dot.tb_mx_dot", mx_dot_rtl_params("mxfp8_e4m3", 32, 0),
               {"FP8KIT_MX_TYPE": "mxfp8_e4m3", "FP8KIT_MX_CASES": "2000"}),
}


def time_cocotb(op: str) -> dict:
    from verif.common import run_sim

    toplevel, module, params, env = COCOTB[op]
    result = run_sim(toplevel, module, params, extra_env=env, expected_tests=1, seed=1)
    cases = ET.parse(result.results_xml).getroot().iter("testcase")
    sim_s = sum(float(c.get("time")) for c in cases)
    return {"path": "cocotb, icarus", "op": op, "vectors": int(result.report.get("vectors", 0)), "operations": None,
            "mismatches": int(result.report.get("mismatches", 0)), "gen_s": None, "write_s": None, "build_s": None,
            "sim_s": sim_s}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", default=",".join(OPS), help=f"comma-separated, from {', '.join(OPS)}")
    ap.add_argument("--sim", default="icarus", help="icarus, verilator or icarus,verilator (replay)")
    ap.add_argument("--cocotb", action="store_true", help="also time the cocotb benches (Icarus)")
    ap.add_argument("--quick", action="store_true", help="smaller fma, mac and int8_mac files")
    args = ap.parse_args(argv)
    ops = [o.strip() for o in args.ops.split(",")]
    bad = [o for o in ops if o not in OPS]
    if bad:
        ap.error(f"unknown op(s) {', '.join(bad)}; allowed: {', '.join(OPS)}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for op in ops:
            rows += time_replay(op, args.sim.split(","), args.quick, Path(tmp))
            if args.cocotb:
                rows.append(time_cocotb(op))

    def fmt(x: float | None, spec: str) -> str:
        return "—" if x is None else format(x, spec)

    print("| path | op | vectors | mismatches | generate + write, s | build, s | simulate, s | vectors/s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        gen = None if r["gen_s"] is None else r["gen_s"] + r["write_s"]
        rate = f"{r['vectors'] / r['sim_s']:,.0f}"
        if r["operations"] is not None and r["operations"] != r["vectors"]:
            rate += f" ({r['operations'] / r['sim_s']:,.0f} operations/s)"
        print(f"| {r['path']} | {r['op']} | {r['vectors']:,} | {r['mismatches']} | {fmt(gen, '.2f')} | "
              f"{fmt(r['build_s'], '.2f')} | {r['sim_s']:.2f} | {rate} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
