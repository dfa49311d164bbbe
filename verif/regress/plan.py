"""The regression plan: which simulations ``fp8kit regress`` runs at each level.

A :class:`Case` is one cocotb simulation: a toplevel built with one parameter set (always from
``refmodel`` Formats through ``fp8kit.rtlspec.params``), one testbench module and its settings. The plan
spans modules x operand formats x accumulators x rounding modes:

======== =========================================== =============================================
module   quick                                       full
======== =========================================== =============================================
lfsr32   2 seeds, 4,096 words                        4 seeds, 65,536 words
int8_mac random streams (1,000) + both int32 limits  random streams (100,000) + limits
fp8_mul  every code pair of 6 format pairs           every code pair of every ordered pair of the
                                                     registered <= 8-bit RTL operand formats
fp8_fma  3 operand pairs x 3 accumulators x 7 modes, 3 pairs x 3 accs x 7 modes, directed +
         directed + 200 random vectors each          150,000 random each (>= 10^6 per pair x acc)
fp8_mac  3 configurations x 7 modes, 2 x 150 steps   2 x 75,000 steps each (>= 10^6 per config)
mx_dot   6 element types (PIPE 0, 1, 2), 400 blocks  20,000 blocks each
fp8_dpa  7 units (5 presets' steps, FP4 and FP6       20,000 random steps each
         units; PIPE 0, 1, 2): directed + 400 random
gemm_    the 7 fp8_dpa units as tiles (1x4 ... 4x4): the directed tiles, a 64x64x256 GEMM with C
tile     the directed steps as one-step tiles, a     and a 67x61 GEMM from +0 with a short last
         4ROWS x 4COLS GEMM of 8 steps with C, a     step each; the hopper-fp8 tile also a
         GEMM from +0 with partial tiles and a       128x128x256 GEMM
         short last step
======== =========================================== =============================================

Every case has a stable id (``module/config``) and a seed derived from it and the run's seed, so
``--only ID --seed S`` reproduces one case exactly.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import zlib
from collections.abc import Sequence
from pathlib import Path

from refmodel.datapath import FusedDot
from refmodel.encodings import RoundingMode
from refmodel.formats import get_format, registered_formats
from refmodel.presets import PRESETS
from fp8kit.vectors.dpa import DpaConfig, config
from fp8kit.rtlspec.params import (fma_rtl_params, int8_mac_rtl_params, is_rtl_operand, lfsr32_rtl_params,
                                   mac_rtl_params, mul_rtl_params, mx_dot_rtl_params)
from verif.gemm_tile.jobs import GemmShape, TileConfig, pads_exactly

__all__ = ["LEVELS", "Case", "parse_shard", "plan", "select"]

LEVELS = ("quick", "full")

MUL_PAIRS_QUICK = [
    ("float8_e4m3fn", "float8_e4m3fn"), ("float8_e5m2", "float8_e5m2"), ("float8_e4m3fn", "float8_e5m2"),
    ("float8_e4m3fnuz", "float8_e5m2fnuz"), ("float6_e3m2fn", "float4_e2m1fn"), ("float8_e3m4", "float6_e2m3fn"),
]
FMA_PAIRS = [("float8_e4m3fn", "float8_e4m3fn"), ("float8_e5m2", "float8_e5m2"), ("float8_e4m3fn", "float8_e5m2")]
FMA_ACCS = ["float32", "bfloat16", "float16"]
MAC_CONFIGS = [
    ("float8_e4m3fn", "float8_e4m3fn", "bfloat16", 0x00000001),
    ("float8_e4m3fn", "float8_e5m2", "float32", 0xACE1ACE1),
    ("float8_e5m2", "float8_e5m2", "float16", 0x12345678),
]
MX_PIPES = {"mxfp8_e4m3": 0, "mxfp8_e5m2": 1, "mxfp6_e3m2": 2, "mxfp6_e2m3": 0, "mxfp4_e2m1": 1, "mxint8": 2}


def _preset_unit(name: str, fa: str, fb: str) -> DpaConfig:
    p = PRESETS[name]
    return config(p.datapath, fa, fb, p.acc_fmt)


DPA_UNITS: dict[str, tuple[DpaConfig, int]] = {
    "hopper-fp8/e4m3fn-x-e5m2": (_preset_unit("hopper-fp8", "float8_e4m3fn", "float8_e5m2"), 1),
    "hopper-fp8-f16/e5m2-x-e5m2": (_preset_unit("hopper-fp8-f16", "float8_e5m2", "float8_e5m2"), 2),
    "ada-fp8/e4m3fn-x-e4m3fn": (_preset_unit("ada-fp8", "float8_e4m3fn", "float8_e4m3fn"), 0),
    "blackwell-fp8/e5m2-x-e4m3fn": (_preset_unit("blackwell-fp8", "float8_e5m2", "float8_e4m3fn"), 0),
    "blackwell-mxfp8/mxfp8_e4m3-x-mxfp8_e5m2": (_preset_unit("blackwell-mxfp8", "mxfp8_e4m3", "mxfp8_e5m2"), 1),
    "l4-f5-rne/e2m1fn/float16": (config(FusedDot(4, 5, get_format("float16"), "rne", None, 1, "canonical"),
                                        "float4_e2m1fn", "float4_e2m1fn", "float16"), 2),
    "l8-f10-rtz/e3m2fn-x-e2m3fn/bfloat16": (config(FusedDot(8, 10, get_format("bfloat16"), "rtz", -130),
                                                   "float6_e3m2fn", "float6_e2m3fn", "bfloat16"), 0),
}
"""The fp8_dpa units of the regression: a case id suffix -> (the unit, PIPE)."""
GEMM_TILES: dict[str, tuple[int, int]] = {
    "hopper-fp8/e4m3fn-x-e5m2": (4, 4), "hopper-fp8-f16/e5m2-x-e5m2": (2, 3), "ada-fp8/e4m3fn-x-e4m3fn": (3, 2),
    "blackwell-fp8/e5m2-x-e4m3fn": (2, 2), "blackwell-mxfp8/mxfp8_e4m3-x-mxfp8_e5m2": (2, 2),
    "l4-f5-rne/e2m1fn/float16": (4, 4), "l8-f10-rtz/e3m2fn-x-e2m3fn/bfloat16": (1, 4),
}
"""The gemm_tile cases: a unit of :data:`DPA_UNITS` (with its PIPE) -> (ROWS, COLS)."""
SR_BITS = 16


@dataclasses.dataclass(frozen=True)
class Case:
    """One simulation of the regression.

    Attributes:
        id: stable name, ``module/config`` (used by ``--only`` and in reports).
        op: the coverage model (``verif.coverage``): mul, fma, mac, int8_mac, mx_dot, dpa, gemm_tile or
            lfsr32.
        toplevel: the Verilog module simulated.
        tb_module: the cocotb test module.
        params: Verilog parameters (from refmodel).
        env: testbench settings (``FP8KIT_*``), without the seed.
        expected_tests: cocotb tests that must run.
        sources: Verilog files; empty: the manifest's list for ``toplevel``.
    """

    id: str
    op: str
    toplevel: str
    tb_module: str
    params: tuple[tuple[str, int], ...]
    env: tuple[tuple[str, str], ...]
    expected_tests: int
    sources: tuple[str, ...] = ()

    def seed(self, run_seed: int) -> int:
        """The case's seed: a CRC of its id mixed with the run's seed (31 bits)."""
        return (zlib.crc32(self.id.encode()) ^ (int(run_seed) * 0x9E3779B1)) & 0x7FFFFFFF

    def run(self, run_seed: int, build_dir: Path, *, rtl_dir: Path | None = None, waves: bool = False,
            sim: str = "icarus"):
        """Simulate this case with :func:`verif.common.run_sim` and return its ``SimResult``.

        The case's seed (:meth:`seed`) is the cocotb seed and the benches' stimulus seed
        (``FP8KIT_SEED_TB``/``FP8KIT_TB_SEED``). ``rtl_dir`` takes the manifest's files and the include
        directory from another copy of ``rtl/`` (cases with their own ``sources`` keep them).

        Raises:
            verif.common.SimBuildError: the build failed (the simulator's first error lines).
            verif.common.SimFailure: too few cocotb tests ran, or one failed.
        """
        from verif.common import run_sim

        seed = self.seed(run_seed)
        env = {**dict(self.env), "FP8KIT_SEED_TB": str(seed), "FP8KIT_TB_SEED": str(seed)}
        return run_sim(self.toplevel, self.tb_module, dict(self.params), sources=list(self.sources) or None,
                       rtl_dir=rtl_dir, extra_env=env, expected_tests=self.expected_tests, seed=seed, waves=waves,
                       build_dir=build_dir, sim=sim)


def _case(id_: str, op: str, toplevel: str, tb: str, params: dict, env: dict, expected: int) -> Case:
    return Case(id_, op, toplevel, tb, tuple(sorted((k, int(v)) for k, v in params.items())),
                tuple(sorted((k, str(v)) for k, v in env.items())), expected)


def _short(fmt: str) -> str:
    return fmt.removeprefix("float8_").removeprefix("float6_").removeprefix("float4_")


def _mul_pairs(level: str) -> list[tuple[str, str]]:
    if level == "quick":
        return MUL_PAIRS_QUICK
    small = [f.name for f in registered_formats() if f.bits <= 8 and is_rtl_operand(f)]
    return [(a, b) for a in small for b in small]


def plan(level: str) -> list[Case]:
    """Every case of ``level`` (``quick`` or ``full``), sorted by id.

    Raises:
        ValueError: an unknown level.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown regression level {level!r}; allowed: {', '.join(LEVELS)}")
    full = level == "full"
    cases: list[Case] = []
    for seed in ([1, 0xDEADBEEF, 0x80000000, 0xFFFFFFFF] if full else [1, 0xDEADBEEF]):
        cases.append(_case(f"lfsr32/seed{seed:08x}", "lfsr32", "lfsr32", "verif.lfsr32.tb_lfsr32", lfsr32_rtl_params(seed),
                           {"FP8KIT_LFSR_SEED": seed, "FP8KIT_LFSR_WORDS": 65536 if full else 4096}, 2))
    cases.append(_case("int8_mac/streams", "int8_mac", "int8_mac", "verif.int8_mac.tb_int8_mac", int8_mac_rtl_params(),
                       {"FP8KIT_INT8_RANDOM": 100_000 if full else 1000}, 4))
    for fa, fb in _mul_pairs(level):
        cases.append(_case(f"fp8_mul/{_short(fa)}-x-{_short(fb)}", "mul", "fp8_mul", "verif.fp8_mul.tb_fp8_mul",
                           mul_rtl_params(fa, fb), {"FP8KIT_FMT_A": fa, "FP8KIT_FMT_B": fb, "FP8KIT_MUL_PAIRS": 0}, 1))
    for fa, fb in FMA_PAIRS:
        for acc in FMA_ACCS:
            for mode in RoundingMode:
                name = mode.label
                cases.append(_case(
                    f"fp8_fma/{_short(fa)}-x-{_short(fb)}/{acc}/{name}", "fma", "fp8_fma", "verif.fp8_fma.tb_fp8_fma",
                    fma_rtl_params(fa, fb, acc, SR_BITS),
                    {"FP8KIT_FMT_A": fa, "FP8KIT_FMT_B": fb, "FP8KIT_ACC": acc, "FP8KIT_SR_BITS": SR_BITS,
                     "FP8KIT_MODES": int(mode), "FP8KIT_FMA_VECTORS": 150_000 if full else 200}, 1))
    for fa, fb, acc, lseed in MAC_CONFIGS:
        for mode in RoundingMode:
            name = mode.label
            cases.append(_case(
                f"fp8_mac/{_short(fa)}-x-{_short(fb)}/{acc}/{name}", "mac", "fp8_mac", "verif.fp8_mac.tb_fp8_mac",
                mac_rtl_params(fa, fb, acc, SR_BITS, lseed),
                {"FP8KIT_FMT_A": fa, "FP8KIT_FMT_B": fb, "FP8KIT_ACC": acc, "FP8KIT_SR_BITS": SR_BITS,
                 "FP8KIT_LFSR_SEED": lseed, "FP8KIT_MODES": int(mode), "FP8KIT_MAC_STEPS": 75_000 if full else 150}, 1))
    for t, pipe in MX_PIPES.items():
        cases.append(_case(f"mx_dot/{t}/pipe{pipe}", "mx_dot", "mx_dot", "verif.mx_dot.tb_mx_dot",
                           mx_dot_rtl_params(t, 32, pipe), {"FP8KIT_MX_TYPE": t,
                                                            "FP8KIT_MX_CASES": 20_000 if full else 400}, 1))
    for name, (unit, pipe) in DPA_UNITS.items():
        cases.append(_case(f"fp8_dpa/{name}", "dpa", "fp8_dpa", "verif.fp8_dpa.tb_fp8_dpa", unit.rtl_params(pipe),
                           {"FP8KIT_DPA": unit.to_json(), "FP8KIT_DPA_CASES": 20_000 if full else 400}, 1))
    for name, (rows, cols) in GEMM_TILES.items():
        unit, pipe = DPA_UNITS[name]
        cfg = TileConfig(unit, rows, cols, pipe, _gemm_shapes(name, unit, rows, cols, full))
        cases.append(_case(f"gemm_tile/{name}/{rows}x{cols}", "gemm_tile", "gemm_tile", "verif.gemm_tile.tb_gemm_tile",
                           cfg.rtl_params(), {"FP8KIT_GEMM_TILE": cfg.to_json()}, 1))
    return sorted(cases, key=lambda c: c.id)


def _gemm_shapes(name: str, unit: DpaConfig, rows: int, cols: int, full: bool) -> tuple[GemmShape, ...]:
    """A GEMM with C and one from +0 whose tiles reach past M and N, with a short last step where the
    unit pads exactly (every unit of the plan); full: 64x64x256 and (67, 61), the hopper-fp8 tile also
    128x128x256."""
    lanes = unit.lanes
    short = lanes // 2 + 1 if pads_exactly(unit) else 0
    if not full:
        return (GemmShape(4 * rows, 4 * cols, 8 * lanes, True),
                GemmShape(2 * rows + 1, max(2 * cols - 1, 1), 3 * lanes + short, False))
    shapes = [GemmShape(64, 64, 256, True), GemmShape(67, 61, 256 + short, False)]
    if name.startswith("hopper-fp8/"):
        shapes.append(GemmShape(128, 128, 256, True))
    return tuple(shapes)


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` (1 <= i <= n) as ``(i, n)``.

    Raises:
        ValueError: anything else, naming the bad value.
    """
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like i/n (e.g. 2/4), got {text!r}") from None
    if not 1 <= i <= n:
        raise ValueError(f"--shard {text!r}: need 1 <= i <= n")
    return i, n


def select(cases: Sequence[Case], *, only: Sequence[str] = (), shard: tuple[int, int] = (1, 1)) -> list[Case]:
    """The cases matching any ``only`` glob (all if none), then shard ``i`` of ``n`` (every n-th case).

    Raises:
        ValueError: an ``only`` pattern that matches no case.
    """
    picked = list(cases)
    if only:
        for pat in only:
            if not any(fnmatch.fnmatchcase(c.id, pat) for c in cases):
                raise ValueError(f"--only {pat!r} matches no case; try `fp8kit regress --list`")
        picked = [c for c in cases if any(fnmatch.fnmatchcase(c.id, pat) for pat in only)]
    i, n = shard
    return picked[i - 1::n]
