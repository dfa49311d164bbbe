"""Throughput of the exhaustive sweeps' parts: the Verilator harness alone, the expected records, the encode proof.

For each RTL op one chunk of expected records is written to a file first; the harness then reads
it from that file, so its figure is simulation and comparison only. Wall time and the harness
process's CPU time (user + system, from wait4) are both reported: on a shared machine the CPU
figure is the one that says what a free core does. The model figures are process CPU time too
(numpy runs one thread). ``python bench/bench_exhaust.py [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from refmodel.encodings import RoundingMode
from refmodel.formats import get_format
from verif.exhaust.model import EncodeSweep, SrSweep
from verif.exhaust.rtl import FmaSweep, Int8Sweep, MulSweep, MxLaneSweep

F = get_format


def _harness_rate(sweep, start: int, count: int) -> dict:
    exe = sweep.harness()
    c0 = time.process_time()
    want = sweep.expected(start, count)
    t_model = time.process_time() - c0
    outer = np.ascontiguousarray(sweep.outer, np.uint64)
    with tempfile.NamedTemporaryFile(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as f:
        f.write(np.uint64(outer.size).tobytes() + outer.tobytes() + np.array([start, count], np.uint64).tobytes())
        f.write(want.tobytes())
        f.flush()
        with open(f.name, "rb") as stdin:
            t0 = time.perf_counter()
            proc = subprocess.Popen([str(exe)], stdin=stdin, stdout=subprocess.PIPE)
            out = proc.stdout.read().decode()
            proc.stdout.close()
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
    assert status == 0 and out.strip().endswith(f"{count} 0"), out[-300:]
    cpu = usage.ru_utime + usage.ru_stime
    return {"sweep": sweep.key, "vectors": count, "harness_wall_Mps": count / wall / 1e6,
            "harness_cpu_Mps": count / cpu / 1e6, "expected_cpu_Mps": count / t_model / 1e6}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    rows = []
    e4, e5, acc = F("float8_e4m3fn"), F("float8_e5m2"), F("e5m7")
    cases = [
        (MulSweep(e4, e5), 0, 1 << 16),
        (FmaSweep(e4, e4, acc, RoundingMode.RNE, False), 1 << 24, 1 << 23),
        (FmaSweep(e4, e4, acc, RoundingMode.SR, False, acc_step=64), 1 << 25, 1 << 23),
        (Int8Sweep(), 0, 1 << 22),
        (MxLaneSweep("mxfp8_e4m3"), 127 << 24, 1 << 23),
    ]
    for sweep, start, count in cases:
        sweep.expected(start, 1 << 16)  # build the model tables first
        rows.append(_harness_rate(sweep, start, count))
        print(json.dumps(rows[-1]))
    for sweep, start in [(EncodeSweep(e4, RoundingMode.RNE, False), 0x3F000000),
                         (SrSweep(e4, False), 0)]:
        t0, c0 = time.perf_counter(), time.process_time()
        n, bad = sweep.check(start, sweep.chunk)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert not bad
        rows.append({"sweep": sweep.key, "vectors": n, "model_wall_Mps": n / dt / 1e6, "model_cpu_Mps": n / cpu / 1e6})
        print(json.dumps(rows[-1]))
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": platform.node(), "load": os.getloadavg(), "rows": rows},
                                              indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
