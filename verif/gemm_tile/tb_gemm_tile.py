"""cocotb testbench for rtl/gemm_tile.v: whole GEMMs through the tile against refmodel.gemm.

The run's configuration (``FP8KIT_GEMM_TILE``: a :class:`verif.gemm_tile.jobs.TileConfig` as JSON) names
the unit, the tile, PIPE and the GEMMs: the unit's directed steps as one-step tiles, then one seeded
random GEMM per shape, each cut into tile jobs (:func:`verif.gemm_tile.jobs.tile_jobs`).  A driver
offers every job's C rows and K steps in order, with random bubbles (garbage on the buses, valid low);
a drainer takes the D rows with random back-pressure.  Every output of every GEMM is compared with
``refmodel.gemm.matmul`` / ``matmul_mx`` (codes and sticky flags), and the handshake timing with the
documented one: a step per PIPE + 1 cycles, the first D row PIPE + 1 cycles after the last step, the
next tile's first beat in the cycle after the last D row, d_o/flags_o/last_o held while stalled,
last_o on row ROWS - 1 only.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly

from verif import coverage
from verif.common.tb import check_params, env_int, mismatch_report, reset, write_report
from verif.gemm_tile.jobs import TileConfig, gemms, tile_jobs

_INPUTS = ("c_valid_i", "c_i", "valid_i", "a_i", "b_i", "scale_a_i", "scale_b_i", "last_i", "ready_i")


def _beats(jobs):
    """Every beat the driver offers, in order: ``(kind, job, payload, last)``; kind ``c`` (a C row) or
    ``s`` (a step)."""
    out = []
    for j, job in enumerate(jobs):
        for row in job.c_rows or ():
            out.append(("c", j, row, False))
        for s, step in enumerate(job.steps):
            out.append(("s", j, step, s == len(job.steps) - 1))
    return out


async def _drive(dut, beats, rng, bubble, log):
    """Offer the beats; record the cycle each was first offered and accepted (``log``)."""
    cycle, i, pending = 0, 0, False
    while i < len(beats):
        await FallingEdge(dut.clk_i)
        cycle += 1
        if not pending and rng.random() < bubble:
            other = beats[int(rng.integers(len(beats)))]
            dut.valid_i.value = 0
            dut.c_valid_i.value = 0
            if other[0] == "s":  # another step's words on the bus, not to be taken
                dut.a_i.value, dut.b_i.value, dut.scale_a_i.value, dut.scale_b_i.value = other[2]
                dut.last_i.value = int(rng.integers(2))
            else:
                dut.c_i.value = other[2]
            await ReadOnly()
            if int(dut.ready_o.value) or int(dut.c_ready_o.value):
                log["events"]["input:bubble"] += 1
            continue
        kind, _, payload, last = beats[i]
        if not pending:
            log["offered"].append(cycle)
            pending = True
            if kind == "c":
                dut.valid_i.value = 0
                dut.c_i.value = payload
                dut.c_valid_i.value = 1
            else:
                dut.c_valid_i.value = 0
                dut.a_i.value, dut.b_i.value, dut.scale_a_i.value, dut.scale_b_i.value = payload
                dut.last_i.value = int(last)
                dut.valid_i.value = 1
        await ReadOnly()
        if int(dut.c_ready_o.value if kind == "c" else dut.ready_o.value):
            log["accepted"].append(cycle)
            pending = False
            i += 1
        else:
            log["events"]["input:wait"] += 1
    await FallingEdge(dut.clk_i)
    dut.valid_i.value = 0
    dut.c_valid_i.value = 0


async def _drain(dut, total, rng, stall, limit, log):
    """Take ``total`` D rows: ``(cycle taken, first cycle valid, d_o, flags_o, last_o)``; note protocol
    faults in ``log["faults"]``."""
    cycle, held, since = 0, None, None
    rows, events, faults = log["rows"], log["events"], log["faults"]
    while len(rows) < total:
        await FallingEdge(dut.clk_i)
        cycle += 1
        if cycle > limit:
            faults.append(f"watchdog: {len(rows)} of {total} D rows after {limit} cycles")
            return
        ready = rng.random() >= stall
        dut.ready_i.value = int(ready)
        await ReadOnly()
        if not int(dut.valid_o.value):
            if held is not None:
                faults.append(f"cycle {cycle}: valid_o dropped while a D row was held")
            held, since = None, None
            continue
        cur = (int(dut.d_o.value), int(dut.flags_o.value), int(dut.last_o.value))
        if held is not None and cur != held:
            faults.append(f"cycle {cycle}: a held D row changed: {held} -> {cur}")
        since = cycle if since is None else since
        if ready:
            rows.append((cycle, since, *cur))
            held, since = None, None
        else:
            held = cur
            events["drain:stall"] += 1
            events["drain:stall_last"] += cur[2]


def _timing(cfg: TileConfig, jobs, beats, log) -> list[str]:
    """Handshake timing against the documented one (module docstring)."""
    lines = []
    offered, accepted, rows = log["offered"], log["accepted"], log["rows"]
    gap = cfg.pipe + 1
    last_take = {}  # job -> cycle its last D row was taken
    first_valid = {}
    for n, (take, since, *_rest) in enumerate(rows):
        j = n // cfg.rows
        if n % cfg.rows == 0:
            first_valid[j] = since
        elif take_prev + 1 != since:
            lines.append(f"job {j}: D row {n % cfg.rows} valid in cycle {since}, not the one after row "
                         f"{n % cfg.rows - 1} was taken ({take_prev})")
        take_prev = take
        last_take[j] = take
    prev_step = None
    for i, (kind, j, _, last) in enumerate(beats):
        if i >= len(accepted):
            break
        first_of_job = i == 0 or beats[i - 1][1] != j
        earliest = offered[i]
        if first_of_job and j > 0 and j - 1 in last_take:
            earliest = max(earliest, last_take[j - 1] + 1)
        if kind == "s" and not first_of_job and beats[i - 1][0] == "s":
            earliest = max(earliest, prev_step + gap)
        if accepted[i] != earliest:
            lines.append(f"job {j} beat {i} ({'C row' if kind == 'c' else 'step'}): accepted in cycle "
                         f"{accepted[i]}, expected {earliest} (offered {offered[i]})")
        if kind == "s":
            prev_step = accepted[i]
            if last and j in first_valid and first_valid[j] != accepted[i] + gap:
                lines.append(f"job {j}: first D row valid in cycle {first_valid[j]}, expected {accepted[i] + gap} "
                             f"(last step accepted in {accepted[i]}, PIPE={cfg.pipe})")
    return lines


@cocotb.test()
async def test_gemms_match_model(dut):
    """Every output of every GEMM equals refmodel.gemm (codes, sticky flags), with the documented handshakes."""
    cfg = TileConfig.from_json(os.environ["FP8KIT_GEMM_TILE"])
    check_params(dut, cfg.rtl_params())
    seed = env_int("FP8KIT_SEED_TB", 1)
    run = gemms(cfg, seed)
    jobs = [job for i, g in enumerate(run) for job in tile_jobs(cfg, g, i)]
    beats = _beats(jobs)
    rng_in, rng_out = np.random.default_rng(seed + 1), np.random.default_rng(seed + 2)
    log = {"offered": [], "accepted": [], "rows": [], "faults": [],
           "events": {"input:bubble": 0, "input:wait": 0, "drain:stall": 0, "drain:stall_last": 0}}
    total = len(jobs) * cfg.rows
    limit = 20 * (len(beats) * (cfg.pipe + 1) + total) + 1000

    Clock(dut.clk_i, 10, unit="ns").start()
    await reset(dut, _INPUTS)
    driver = cocotb.start_soon(_drive(dut, beats, rng_in, cfg.bubble / 100, log))
    await _drain(dut, total, rng_out, cfg.stall / 100, limit, log)
    if not log["faults"]:
        await driver

    lanes, c_w = cfg.lanes, cfg.unit.acc.bits
    lines, got_rows = list(log["faults"]), log["rows"]
    res, flg, compared = [], [], 0
    for n, job in enumerate(jobs):
        g = run[job.gemm]
        for i in range(cfg.rows):
            if n * cfg.rows + i >= len(got_rows):
                break
            _, _, d_word, f_word, last = got_rows[n * cfg.rows + i]
            if last != int(i == cfg.rows - 1):
                lines.append(f"{g.name} tile ({job.r0}, {job.c0}) row {i}: last_o={last}")
            for j in range(cfg.cols):
                if not job.live[i, j]:
                    continue
                compared += 1
                want_d, want_f = int(job.d[i, j]), int(job.flags[i, j])
                res.append(want_d)
                flg.append(want_f)
                got_d, got_f = (d_word >> (j * c_w)) & ((1 << c_w) - 1), (f_word >> (5 * j)) & 0x1F
                if (got_d, got_f) != (want_d, want_f):
                    r, c = job.r0 + i, job.c0 + j
                    k = g.a.shape[1]
                    ops = (f" a={[hex(int(x)) for x in g.a[r]]} b={[hex(int(x)) for x in g.b[:, c]]}"
                           if k <= 2 * lanes else f" (K={k})")
                    cc = "+0 (no C)" if g.c is None else f"0x{int(g.c[r, c]):X}"
                    lines.append(f"{g.name} D[{r},{c}]: c={cc}{ops}: expected 0x{want_d:X}/{want_f:05b} "
                                 f"got 0x{got_d:X}/{got_f:05b}")
    lines += _timing(cfg, jobs, beats, log)

    take = [t for t, *_ in got_rows]
    events = dict(log["events"])
    events["drain:burst"] = sum(1 for n in range(0, len(take) - cfg.rows + 1, cfg.rows)
                                if cfg.rows >= 2 and take[n + cfg.rows - 1] - take[n] == cfg.rows - 1)
    hits = coverage.sample_gemm_tile(res, flg, [len(j.steps) for j in jobs], [j.short for j in jobs],
                                     [j.c_rows is not None for j in jobs], [not j.live.all() for j in jobs],
                                     events, cfg)
    wrong = sum(1 for ln in lines if " D[" in ln)
    write_report(compared, len(lines), coverage.defined("gemm_tile", config=cfg), hits, lines[:5],
                 [f"{len(run)} GEMMs, {len(jobs)} tile jobs, {sum(len(j.steps) for j in jobs)} steps; "
                  f"{wrong} outputs differ"])
    assert not lines, mismatch_report(f"gemm_tile {cfg.rows}x{cfg.cols} PIPE={cfg.pipe} {cfg.unit.to_json()}",
                                      lines, compared)
