"""``fp8kit exhaust``: exhaustive sweeps of the model (encode, sr) and of the RTL (mul, fma, int8_mac, mx_lane,
dpa_lane)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from refmodel.encodings import RoundingMode, parse_rounding

OPS = ("encode", "sr", "mul", "fma", "int8_mac", "mx_lane", "dpa_lane")
MODEL_OPS = ("encode", "sr")

NIGHTLY = [
    ("encode", "all", "all", "both", {}),
    ("sr", "all", "sr", "both", {}),
    ("mul", "all", "all", "both", {}),
    ("fma", "float8_e4m3fn,float8_e4m3fn,e5m7", "rne,rtz,rdn,rup,rmm,rto", "both", {}),
    ("fma", "float8_e5m2,float8_e5m2,e5m7", "rne,rtz,rdn,rup,rmm,rto", "both", {}),
    ("fma", "float8_e4m3fn,float8_e4m3fn,e5m7", "sr", "both", {"acc_step": 64}),
    ("fma", "float8_e5m2,float8_e5m2,e5m7", "sr", "both", {"acc_step": 64}),
    ("int8_mac", "int8", "all", "both", {}),
    ("mx_lane", "all", "all", "both", {}),
    ("dpa_lane", "all", "all", "both", {}),
]
"""The nightly level: (op, config, rounding, sat, extra) per line, as ``fp8kit exhaust --level nightly`` runs it."""

CI = [
    ("encode", "float8_e4m3fn", "rne", "0", {}),
    ("sr", "float8_e5m2", "sr", "1", {}),
    ("mul", "float8_e4m3fn,float8_e5m2", "all", "both", {}),
    ("fma", "float8_e4m3fn,float8_e4m3fn,e5m7", "rtz", "1", {}),
    ("fma", "float8_e5m2,float8_e5m2,e5m7", "sr", "0", {"acc_step": 64}),
    ("int8_mac", "int8", "all", "both", {}),
    ("mx_lane", "mxfp4_e2m1", "all", "both", {}),
    ("dpa_lane", "fp4", "all", "both", {}),
]
"""The ci level: one chunk of each of these sweeps (a bounded slice through the real harness)."""
CI_CHUNKS = 1


def add_parser(sub) -> None:
    """Register ``exhaust`` on the ``fp8kit`` subparsers."""
    p = sub.add_parser("exhaust", help="exhaustive sweeps: every input of the model's codec (encode, sr) "
                       "or of an RTL module (mul, fma, int8_mac, mx_lane, dpa_lane) through a Verilator C++ harness")
    p.add_argument("--op", choices=OPS, help="what to sweep")
    p.add_argument("--config", help="encode/sr: a format or all (8-bit formats); mul: A,B or all; "
                   "fma: A,B,ACC (e.g. float8_e4m3fn,float8_e4m3fn,e5m7); int8_mac: int8; mx_lane: an MX type or all; "
                   "dpa_lane: an fp8_dpa unit (fp4, fp6, fp6-e2m3, fp6-e3m2, or a regression unit such as "
                   "hopper-fp8/e4m3fn-x-e5m2) or all")
    p.add_argument("--level", choices=["ci", "nightly"], help="run a preset list instead of --op/--config: "
                   "nightly (the full sweeps, docs/verification.md) or ci (one chunk of one sweep per op)")
    p.add_argument("--rounding", default="all", help="encode, fma: comma-separated modes or all (encode never sr)")
    p.add_argument("--sat", default="both", choices=["0", "1", "both"], help="saturation setting(s)")
    p.add_argument("--sr-bits", type=int, default=8, help="fma: SR_BITS (every random word is swept under sr)")
    p.add_argument("--acc-step", type=int, default=1, help="fma: accumulator codes 0, step, 2*step, ...")
    p.add_argument("--shard", default="1/1", help="run shard i of n (chunks k with k %% n == i-1)")
    p.add_argument("--resume", action="store_true", help="skip the chunks that OUT's checkpoints record as done")
    p.add_argument("--out", default="exhaust_out", help="checkpoints (one JSON per sweep) and summary.json")
    p.add_argument("--jobs", "-j", type=int, default=2, help="worker processes, 1...64")
    p.add_argument("--cache", help="RTL sweeps: keep expected records here (.npy per chunk) for reruns at harness speed")
    p.add_argument("--max-chunks", type=int, help="stop each sweep after this many chunks, >= 1 (a bounded slice)")
    p.add_argument("--only-index", type=int, help="check one vector (as a mismatch's repro line prints it)")
    p.add_argument("--list", action="store_true", help="list the selected sweeps and their sizes, run nothing")
    p.set_defaults(func=cmd_exhaust)


def _modes(op: str, text: str) -> list[RoundingMode]:
    if text == "all":
        return [m for m in RoundingMode if op != "encode" or m is not RoundingMode.SR]
    modes = [parse_rounding(t.strip()) for t in text.split(",")]
    if op == "encode" and RoundingMode.SR in modes:
        raise ValueError("--op encode sweeps the deterministic modes; sr has its own sweep: --op sr")
    return modes


def build_sweeps(op: str, config: str, rounding: str = "all", sat: str = "both", sr_bits: int = 8,
                 acc_step: int = 1) -> list:
    """The sweeps selected by the command-line arguments.

    Raises:
        ValueError: unknown op, format, MX type or mode, or a malformed config.
    """
    if op not in OPS:
        raise ValueError(f"unknown op {op!r}; choose one of {', '.join(OPS)}")
    if not config:
        raise ValueError(f"--op {op} needs --config (see fp8kit exhaust --help)")
    sats = {"0": [False], "1": [True], "both": [False, True]}[sat]
    modes = _modes(op, rounding)
    if op in MODEL_OPS:
        from verif.exhaust.model import model_sweeps

        return model_sweeps(op, config, modes, sats)
    from verif.exhaust.rtl import rtl_sweeps

    return rtl_sweeps(op, config, modes, sats, sr_bits, acc_step)


def _selected(args: argparse.Namespace) -> list:
    """The sweeps of ``--level`` or of ``--op``/``--config``.

    Raises:
        ValueError: both or neither given, or what :func:`build_sweeps` refuses.
    """
    if args.level:
        if args.op or args.config:
            raise ValueError("--level runs a preset list; leave out --op and --config")
        preset = NIGHTLY if args.level == "nightly" else CI
        return [s for op, cfg, rnd, sat, extra in preset for s in build_sweeps(op, cfg, rnd, sat, **extra)]
    if not args.op:
        raise ValueError("give --op (and --config) or --level")
    return build_sweeps(args.op, args.config, args.rounding, args.sat, args.sr_bits, args.acc_step)


def _check_shard(shard: tuple[int, int], sweeps: list) -> None:
    """Refuses a shard that holds no chunk of any selected sweep (it would pass with 0 vectors)."""
    most = max(-(-s.size // s.chunk) for s in sweeps)
    if shard[0] > most:
        raise ValueError(f"--shard {shard[0]}/{shard[1]} holds no chunk: the largest selected sweep has {most} "
                         f"chunks, so use n <= {most}")


def cmd_exhaust(args: argparse.Namespace) -> int:
    """Run the selected sweeps; exit 1 on a mismatch, 2 (ValueError) on bad arguments or a bad checkpoint."""
    from fp8kit import procs
    from fp8kit import userpaths

    from verif.exhaust.sweep import check_sizes, parse_shard, run_one, run_sweep

    shard = parse_shard(args.shard)
    try:
        sweeps = _selected(args)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    if args.list:
        for s in sweeps:
            print(f"{s.key}: {s.size:,} vectors in {-(-s.size // s.chunk)} chunks")
        return 0
    if args.only_index is not None:
        if len(sweeps) != 1:
            raise ValueError("--only-index needs one sweep (one config, one --rounding, one --sat)")
        res = run_one(sweeps[0], args.only_index)
        print(json.dumps(res, indent=1))
        return 0 if res["ok"] else 1
    max_chunks = CI_CHUNKS if args.level == "ci" else args.max_chunks
    check_sizes(args.jobs, max_chunks)
    _check_shard(shard, sweeps)
    out = userpaths.output_dir(args.out, "--out")
    cache = userpaths.output_dir(args.cache, "--cache") if args.cache else None
    rows, failed, kept = [], 0, []
    for s in sweeps:
        t0 = time.perf_counter()
        try:
            r = run_sweep(s, out, shard=shard, resume=args.resume, jobs=args.jobs, cache=cache,
                          max_chunks=max_chunks)
        except procs.Interrupted as exc:
            raise procs.Interrupted(kept + exc.kept) from exc
        kept.append(f"{r.checkpoint} ({r.chunks_done}/{r.chunks_total} chunks of {r.key})")
        wall = time.perf_counter() - t0
        rows.append({"sweep": r.key, "vectors": r.vectors, "mismatches": r.mismatches,
                     "chunks": f"{r.chunks_done}/{r.chunks_total}", "wall_s": round(wall, 2),
                     "vectors_per_s": round(r.vectors / r.seconds) if r.seconds else 0})
        print(f"{r.key}: {r.vectors:,} vectors checked, {r.mismatches:,} mismatches, chunks {r.chunks_done}/"
              f"{r.chunks_total}, {wall:.1f} s this run, {rows[-1]['vectors_per_s'] / 1e6:.1f} M vectors/s")
        for ex in r.examples[:5]:
            print(f"  index {ex['index']}: {ex['input']}: got {ex['got']} want {ex['want']}\n    {ex['repro']}")
        failed += r.mismatches > 0
    (out / "summary.json").write_text(json.dumps(rows, indent=1))
    total = sum(r["vectors"] for r in rows)
    print(f"{len(rows)} sweeps, {total:,} vectors checked, {sum(r['mismatches'] for r in rows):,} mismatches")
    return 1 if failed else 0
