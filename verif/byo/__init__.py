"""Bring your own DUT: a TOML description of a user's FP8 datapath, turned into regression cases.

``fp8kit regress --dut FILE.toml`` verifies a design that was not written to fp8kit's port
conventions. The TOML names the top level, its sources and parameters, the operation it
implements (``fma``, or ``dpa``: one fused dot-product step, whose arithmetic a ``[dpa]`` table
gives), its latency, its operand and accumulator formats, which of its ports plays which fp8kit
role, and how its rounding-mode codes and flag bits map onto fp8kit's (``docs/byo-dut.md`` documents
every key). :func:`load_dut` validates the file and returns a :class:`DutSpec`;
:meth:`DutSpec.cases` gives one regression case per rounding mode the DUT supports, each run by the
generic bench of its op, ``verif.byo.tb_fma`` or ``verif.byo.tb_dpa``.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

from fp8kit.vectors import dpa as dpa_vectors
from fp8kit.vectors.dpa import DpaConfig
from refmodel.arith import accumulator_format, operand_format
from refmodel.encodings import Flag, RoundingMode
from verif.regress.plan import LEVELS, Case

__all__ = ["DPA_VECTORS", "OPS", "ROLES", "ROLES_BY_OP", "VECTORS", "DutSpec", "load_dut"]

OPS = ("fma", "dpa")
"""The operations a described DUT may implement."""

ROLES = ("clk", "rst", "rst_n", "valid_in", "valid_out", "a", "b", "acc", "rm", "sat", "rand", "result", "flags")
"""The fp8kit port roles a ``[ports]`` table of an fma may map (role = the DUT's port name)."""

ROLES_BY_OP = {"fma": ROLES,
               "dpa": ("clk", "rst", "rst_n", "valid_in", "valid_out", "a", "b", "scale_a", "scale_b", "acc", "rm",
                       "result", "flags")}
"""The port roles per op: dpa's ``a`` and ``b`` are lane buses (or lists of lane ports), with E8M0 block
scales ``scale_a``/``scale_b`` for MX formats; it has no ``sat`` or ``rand``."""

_REQUIRED = ("a", "b", "acc", "result")
_CLOCKED = ("clk", "rst", "rst_n", "valid_in", "valid_out")
_FLAGS = ("NV", "DZ", "OF", "UF", "NX")
_DPA_KEYS = ("preset", *dpa_vectors.UNIT_KEYS)
_KEYS = {"dut": ("toplevel", "sources", "op", "latency", "parameters"), "formats": ("a", "b", "acc"),
         "dpa": _DPA_KEYS, "rounding": tuple(m.label for m in RoundingMode), "flags": _FLAGS}
_TABLES = ("dut", "formats", "ports", "rounding", "flags", "tie", "dpa")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")
VECTORS = {"quick": 300, "full": 100_000}
"""fma: random vectors per rounding mode at each level (the directed cases come on top)."""
DPA_VECTORS = {"quick": 400, "full": 20_000}
"""dpa: random steps per rounding mode at each level (the directed rows come on top), as fp8_dpa's regression."""


@dataclasses.dataclass(frozen=True)
class DutSpec:
    """A validated DUT description (see :func:`load_dut`).

    Attributes:
        path: the TOML file (absolute).
        toplevel: the Verilog module simulated.
        sources: its Verilog files (absolute).
        op: the operation (``fma`` or ``dpa``).
        latency: cycles from an operation's input to its output; 0 = combinational.
        parameters: Verilog parameter overrides.
        fmt_a, fmt_b, acc: the refmodel format names of the operands (dpa: element formats or MX types)
            and the accumulator/result.
        ports: fp8kit role -> DUT port name (dpa's ``a``/``b``: a tuple of one port per lane, or one bus).
        rounding: supported fp8kit rounding mode -> the DUT's code for it on the ``rm`` port.
        flags: provided fp8kit flag -> bit index in the DUT's ``flags`` port.
        ties: DUT input -> constant value held for the whole run.
        unit: dpa: the unit (:class:`fp8kit.vectors.dpa.DpaConfig`, rounding the first mode's; see
            :meth:`dpa_unit`); None for fma.
        preset: dpa: the preset the ``[dpa]`` table names, or None.
    """

    path: Path
    toplevel: str
    sources: tuple[Path, ...]
    op: str
    latency: int
    parameters: dict[str, int]
    fmt_a: str
    fmt_b: str
    acc: str
    ports: dict[str, str]
    rounding: dict[RoundingMode, int]
    flags: dict[Flag, int]
    ties: dict[str, int]
    unit: DpaConfig | None = None
    preset: str | None = None

    def dpa_unit(self, mode: RoundingMode) -> DpaConfig:
        """dpa: the unit with its step rounded in ``mode`` (one regression case each).

        Raises:
            ValueError: not a dpa description, or a mode it does not list.
        """
        if self.unit is None or mode not in self.rounding:
            raise ValueError(f"{self.path}: no dpa unit rounding {RoundingMode(mode).label}")
        return dataclasses.replace(self.unit, datapath=dataclasses.replace(self.unit.datapath, rounding=mode))

    @property
    def modes(self) -> list[RoundingMode]:
        """The supported rounding modes, in fp8kit code order."""
        return sorted(self.rounding)

    @property
    def missing_flags(self) -> list[Flag]:
        """The flags the DUT does not provide (masked out of the comparison)."""
        return [Flag[f] for f in _FLAGS if Flag[f] not in self.flags]

    def describe(self) -> str:
        """One line: the DUT, its latency, the modes run and skipped, the flags compared and masked."""
        skipped = [m.label for m in _modes(self.op) if m not in self.rounding and self.preset is None]
        timing = "combinational" if self.latency == 0 else f"latency {self.latency}"
        if self.unit is None:
            what = f"{self.fmt_a} x {self.fmt_b} + {self.acc}"
        else:
            dp = self.unit.datapath
            zero = "none" if dp.zero_exp is None else str(dp.zero_exp)
            what = (f"{'preset ' + self.preset + ': ' if self.preset else ''}{dp.lanes} lanes of {self.fmt_a} x "
                    f"{self.fmt_b} into {self.acc}, F = {dp.frac_bits}, step {dp.step_fmt.name}, zero exponent "
                    f"{zero}, NaN {dp.nan}")
        text = f"{self.toplevel} ({self.op}, {what}, {timing}): modes {' '.join(m.label for m in self.modes)}"
        if skipped:
            text += f" (not supported, not run: {' '.join(skipped)})"
        text += f"; flags {' '.join(f.name for f in sorted(self.flags, reverse=True)) or 'none'}"
        missing = self.missing_flags
        if missing:
            text += f" (not provided, masked: {' '.join(f.name for f in missing)})"
        return text

    def cases(self, level: str) -> list[Case]:
        """One regression case per supported rounding mode, id ``byo/<toplevel>/<mode>``, op ``fma`` or ``dpa``.

        fma: ``verif.byo.tb_fma`` on this description (``FP8KIT_BYO_SPEC``) with the directed cases of
        ``fp8kit.vectors.fma.bench_cases`` plus ``VECTORS[level]`` random vectors. dpa:
        ``verif.byo.tb_dpa`` with the directed rows of ``fp8kit.vectors.dpa.dpa_structured`` plus
        ``DPA_VECTORS[level]`` random steps.

        Raises:
            ValueError: an unknown level.
        """
        if level not in LEVELS:
            raise ValueError(f"unknown regression level {level!r}; allowed: {', '.join(LEVELS)}")
        params = tuple(sorted(self.parameters.items()))
        more = ({"FP8KIT_FMA_VECTORS": str(VECTORS[level])} if self.op == "fma"
                else {"FP8KIT_DPA_CASES": str(DPA_VECTORS[level])})
        return [Case(f"byo/{self.toplevel}/{m.label}", self.op, self.toplevel, f"verif.byo.tb_{self.op}", params,
                     tuple(sorted({"FP8KIT_BYO_SPEC": str(self.path), "FP8KIT_MODES": str(int(m)), **more}.items())),
                     1, tuple(str(s) for s in self.sources))
                for m in self.modes]


def _modes(op: str) -> tuple[RoundingMode, ...]:
    """The rounding modes an op's model runs: every mode for fma, the deterministic ones for a fused-dot step."""
    return tuple(RoundingMode) if op == "fma" else tuple(m for m in RoundingMode if m is not RoundingMode.SR)


class _Doc:
    """The parsed TOML and the checks shared by every field; errors name the file and the key."""

    def __init__(self, path: Path, data: dict) -> None:
        self.path, self.data = path, data

    def error(self, key: str, problem: str) -> ValueError:
        return ValueError(f"{self.path}: {key}: {problem}")

    def table(self, name: str, required: bool = True) -> dict:
        if name not in self.data:
            if required:
                raise self.error(f"[{name}]", "missing table")
            return {}
        value = self.data[name]
        if not isinstance(value, dict):
            raise self.error(name, f"must be a table [{name}], got {value!r}")
        return value

    def known_keys(self, name: str, table: dict, allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                raise self.error(f"{name}.{key}", f"unknown key; allowed: {', '.join(allowed)}")

    def string(self, name: str, table: dict, key: str, required: bool = True) -> str | None:
        if key not in table:
            if required:
                raise self.error(f"{name}.{key}", "missing")
            return None
        value = table[key]
        if not isinstance(value, str) or not value:
            raise self.error(f"{name}.{key}", f"must be a non-empty string, got {value!r}")
        return value

    def ident(self, key: str, value: object) -> str:
        if not isinstance(value, str) or not _IDENT.match(value):
            raise self.error(key, f"must be a Verilog identifier (a string such as \"clk\"), got {value!r}")
        return value

    def integer(self, key: str, value: object, low: int | None = 0) -> int:
        """``value`` if it is an integer (>= ``low`` unless that is None)."""
        if isinstance(value, bool) or not isinstance(value, int) or (low is not None and value < low):
            raise self.error(key, f"must be an integer{'' if low is None else f' >= {low}'}, got {value!r}")
        return value


def load_dut(path: str | Path) -> DutSpec:
    """Read and validate a DUT description (``docs/byo-dut.md`` has the schema).

    Sources are relative to the TOML file. Checked: every table and key is known; ``[dut]`` has a
    Verilog ``toplevel``, existing ``sources``, an ``op`` in :data:`OPS`, an integer ``latency`` >= 0
    and integer ``parameters``; the formats exist, the operands are multiplier formats (<= 16 bits, no
    E8M0; for dpa also both E8M0-scaled floating-point MX types) and the accumulator has IEEE
    specials; for dpa, ``[dpa]`` names a preset whose datapath is one fused-dot step, or gives
    ``lanes`` and ``frac_bits`` (and optionally ``step_man_bits``, ``zero_exp``, ``nan``) of a unit
    the model runs (:func:`fp8kit.vectors.dpa.resolve`); ``[ports]`` maps the op's roles
    (:data:`ROLES_BY_OP`) to distinct Verilog names (dpa's ``a``/``b`` may be lists of one port per
    lane), with the data roles ``a``, ``b``, ``acc``, ``result``, dpa's ``scale_a``/``scale_b``
    exactly when its formats are MX types, ``clk`` when the latency is >= 1 and none of
    clk/rst/rst_n/valid_in/valid_out when it is 0, at most one of ``rst`` / ``rst_n``, and ``rm``
    unless exactly one mode is listed; ``[rounding]`` lists at least one fp8kit mode with distinct
    integer codes, ``sr`` only with a ``rand`` port (never for dpa), a preset's one mode only;
    ``[flags]`` gives distinct bit indices of fp8kit flags and is non-empty exactly when a
    ``flags`` port is mapped; ``[tie]`` holds integer constants for DUT inputs that no role drives.

    Raises:
        ValueError: the file is missing or not TOML, or any check fails; the message names the file,
            the key, the bad value and what is allowed.
    """
    path = Path(path).resolve()
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"{path}: no such DUT description") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    doc = _Doc(path, data)
    for name in data:
        if name not in _TABLES:
            raise doc.error(f"[{name}]", f"unknown table; allowed: {', '.join(_TABLES)}")

    dut = doc.table("dut")
    doc.known_keys("dut", dut, _KEYS["dut"])
    toplevel = doc.ident("dut.toplevel", doc.string("dut", dut, "toplevel"))
    op = doc.string("dut", dut, "op")
    if op not in OPS:
        raise doc.error("dut.op", f"unknown op {op!r}; allowed: {', '.join(OPS)}")
    if "latency" not in dut:
        raise doc.error("dut.latency", "missing (cycles from input to output; 0 = combinational)")
    latency = doc.integer("dut.latency", dut["latency"])
    srcs = dut.get("sources")
    if not isinstance(srcs, list) or not srcs or not all(isinstance(s, str) and s for s in srcs):
        raise doc.error("dut.sources", f"must be a non-empty list of file names, got {srcs!r}")
    sources = tuple((path.parent / s).resolve() for s in srcs)
    for s, full in zip(srcs, sources):
        if not full.is_file():
            raise doc.error("dut.sources", f"{s!r} does not exist (looked for {full}; paths are relative to the TOML)")
    params = dut.get("parameters", {})
    if not isinstance(params, dict):
        raise doc.error("dut.parameters", f"must be a table of integers, got {params!r}")
    parameters = {doc.ident(f"dut.parameters.{k}", k): doc.integer(f"dut.parameters.{k}", v, low=None)
                  for k, v in params.items()}

    formats = doc.table("formats")
    doc.known_keys("formats", formats, _KEYS["formats"])
    names = {}
    checks = (("a", operand_format), ("b", operand_format)) if op == "fma" else ()
    for key, check in (*checks, ("acc", accumulator_format)):
        name = doc.string("formats", formats, key)
        try:
            names[key] = check(name).name
        except ValueError as exc:
            raise doc.error(f"formats.{key}", str(exc)) from None
    unit, preset = None, None
    if op == "dpa":
        unit, preset = _dpa_unit(doc, formats, names["acc"])
        names.update(a=unit.fmt_a, b=unit.fmt_b)
    elif "dpa" in data:
        raise doc.error("[dpa]", f"the fused-dot unit's table is for op 'dpa' only; dut.op is {op!r}")
    lanes = unit.lanes if unit is not None else None

    ports_t = doc.table("ports")
    doc.known_keys("ports", ports_t, ROLES_BY_OP[op])
    ports = {role: _port_names(doc, role, name, lanes) for role, name in ports_t.items()}
    every = [n for v in ports.values() for n in (v if isinstance(v, tuple) else (v,))]
    clash = {n for n in every if every.count(n) > 1}
    if clash:
        roles = [r for r, v in ports.items() if clash & set(v if isinstance(v, tuple) else (v,))]
        raise doc.error("ports", f"port {min(clash)!r} is mapped to several roles ({', '.join(roles)})"
                        if len(roles) > 1 else f"port {min(clash)!r} is mapped to several lanes of {roles[0]}")
    scaled = unit is not None and unit.scaled
    need = list(_REQUIRED) + (["scale_a", "scale_b"] if scaled else []) + (["clk"] if latency else [])
    missing = [r for r in need if r not in ports]
    if missing:
        raise doc.error("ports", f"missing role(s) {', '.join(missing)}: op {op!r} with latency {latency}"
                                 f"{' and block-scaled formats' if scaled else ''} needs {', '.join(need)}")
    unscaled = [r for r in ("scale_a", "scale_b") if r in ports and not scaled]
    if unscaled:
        raise doc.error(f"ports.{unscaled[0]}", f"the block scales need MX types in [formats] (formats.a is "
                                                f"{names['a']!r}); tie a scale port of an unscaled unit under [tie]")
    if latency == 0:
        bad = [r for r in _CLOCKED if r in ports]
        if bad:
            raise doc.error("ports", f"role(s) {', '.join(bad)} need a clocked DUT, but dut.latency is 0")
    if "rst" in ports and "rst_n" in ports:
        raise doc.error("ports", "map rst (active high) or rst_n (active low), not both")

    rounding_t = doc.table("rounding")
    doc.known_keys("rounding", rounding_t, _KEYS["rounding"])
    if not rounding_t:
        raise doc.error("[rounding]", f"lists no mode; list the DUT's code of each mode it supports "
                                      f"({', '.join(_KEYS['rounding'])})")
    rounding = {RoundingMode[k.upper()]: doc.integer(f"rounding.{k}", v) for k, v in rounding_t.items()}
    if len(set(rounding.values())) < len(rounding):
        raise doc.error("rounding", f"two modes share a code: {rounding_t}")
    if op == "dpa" and RoundingMode.SR in rounding:
        raise doc.error("rounding.sr", "a fused-dot step (op 'dpa') has no stochastic rounding; allowed: "
                                       + ", ".join(m.label for m in _modes(op)))
    if preset is not None and set(rounding) != {unit.datapath.rounding}:
        mode = unit.datapath.rounding.label
        raise doc.error("rounding", f"preset {preset} rounds {mode} only: list {mode} alone (describe the unit "
                                    f"with {', '.join(dpa_vectors.UNIT_KEYS)} instead of a preset to run other modes)")
    if RoundingMode.SR in rounding and "rand" not in ports:
        raise doc.error("rounding.sr", "stochastic rounding needs the random bits: map a rand port in [ports]")
    if "rm" not in ports and len(rounding) > 1:
        raise doc.error("ports", f"no rm port, but [rounding] lists {len(rounding)} modes; map rm or list the "
                                 "DUT's one fixed mode")
    if unit is not None:
        first = min(rounding)
        unit = dataclasses.replace(unit, datapath=dataclasses.replace(unit.datapath, rounding=first))

    flags_t = doc.table("flags", required=False)
    doc.known_keys("flags", flags_t, _FLAGS)
    flags = {Flag[k]: doc.integer(f"flags.{k}", v) for k, v in flags_t.items()}
    if len(set(flags.values())) < len(flags):
        raise doc.error("flags", f"two flags share a bit: {flags_t}")
    if flags and "flags" not in ports:
        raise doc.error("flags", "bit indices given, but [ports] maps no flags port")
    if "flags" in ports and not flags:
        raise doc.error("[flags]", f"[ports] maps flags = {ports['flags']!r}: give the bit index of each flag it "
                                   f"provides ({', '.join(_FLAGS)})")

    tie_t = doc.table("tie", required=False)
    ties = {doc.ident(f"tie.{k}", k): doc.integer(f"tie.{k}", v) for k, v in tie_t.items()}
    driven = set(ties) & set(every)
    if driven:
        raise doc.error("tie", f"{min(driven)!r} is already mapped in [ports]")

    return DutSpec(path, toplevel, sources, op, latency, parameters, names["a"], names["b"], names["acc"], ports,
                   rounding, flags, ties, unit, preset)


def _port_names(doc: _Doc, role: str, value: object, lanes: int | None) -> str | tuple[str, ...]:
    """A role's port: one Verilog name, or for dpa's ``a``/``b`` a list of one port per lane (a tuple)."""
    if not isinstance(value, list):
        return doc.ident(f"ports.{role}", value)
    if lanes is None or role not in ("a", "b"):
        raise doc.error(f"ports.{role}", f"must be a Verilog identifier (a string such as \"clk\"), got {value!r}; "
                                         "a list of lane ports is for op 'dpa' roles a and b only")
    if len(value) != lanes:
        raise doc.error(f"ports.{role}", f"lists {len(value)} ports; the unit has {lanes} lanes (one port each, lane "
                                         "0 first), or give one bus port")
    return tuple(doc.ident(f"ports.{role}[{k}]", v) for k, v in enumerate(value))


def _dpa_unit(doc: _Doc, formats: dict, acc: str) -> tuple[DpaConfig, str | None]:
    """The ``[dpa]`` table of a dpa description as a unit (rounding rtz until ``[rounding]`` is read).

    Raises:
        ValueError: a missing table, an unknown or mistyped key, a preset beside unit keys or one whose
            datapath is not one fused-dot step, formats or parameters the model cannot run.
    """
    table = doc.table("dpa")
    doc.known_keys("dpa", table, _DPA_KEYS)
    fa, fb = (doc.string("formats", formats, k) for k in ("a", "b"))
    try:
        dpa_vectors.resolve(dpa_vectors.FUSED_DOT, fa, fb, acc, unit={"lanes": 1, "frac_bits": 1}, rtl=False)
    except ValueError as exc:  # the formats alone (the [dpa] keys come next)
        raise doc.error("formats", str(exc)) from None
    preset = doc.string("dpa", table, "preset", required=False)
    if preset is not None:
        others = [k for k in table if k != "preset"]
        if others:
            raise doc.error(f"dpa.{others[0]}", f"preset {preset!r} sets it: give a preset or the unit's "
                                                f"{', '.join(dpa_vectors.UNIT_KEYS)}, not both")
        allowed = dpa_vectors.step_presets(rtl=False)
        if preset not in allowed:
            raise doc.error("dpa.preset", f"unknown preset {preset!r} for a fused-dot unit (its datapath must be one "
                                          f"FusedDot step); allowed: {', '.join(allowed)}")
        try:
            return dpa_vectors.resolve(preset, fa, fb, acc, rtl=False)[1], preset
        except ValueError as exc:
            raise doc.error("dpa.preset", str(exc)) from None
    params = {}
    for key in ("lanes", "frac_bits", "step_man_bits"):
        if key in table:
            params[key] = doc.integer(f"dpa.{key}", table[key], low=1)
        elif key != "step_man_bits":
            what = "the products per step" if key == "lanes" else "the fraction bits kept below the largest exponent"
            raise doc.error(f"dpa.{key}", f"missing ({what}), or name a preset "
                                          f"({', '.join(dpa_vectors.step_presets(rtl=False))})")
    if "zero_exp" in table:
        params["zero_exp"] = doc.integer("dpa.zero_exp", table["zero_exp"], low=None)
    if "nan" in table:
        params["nan"] = doc.string("dpa", table, "nan")
    try:
        return dpa_vectors.resolve(dpa_vectors.FUSED_DOT, fa, fb, acc, unit=params, rtl=False)[1], None
    except ValueError as exc:
        raise doc.error("[dpa]", str(exc)) from None
