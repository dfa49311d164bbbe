"""Bring your own DUT: a TOML description of a user's FP8 datapath, turned into regression cases.

``fp8kit regress --dut FILE.toml`` verifies a design that was not written to fp8kit's port
conventions. The TOML names the top level, its sources and parameters, the operation it
implements, its latency, its operand and accumulator formats, which of its ports plays which fp8kit
role, and how its rounding-mode codes and flag bits map onto fp8kit's (``docs/byo-dut.md`` documents
every key). :func:`load_dut` validates the file and returns a :class:`DutSpec`;
:meth:`DutSpec.cases` gives one regression case per rounding mode the DUT supports, each run by the
generic bench ``verif.byo.tb_fma``.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

from refmodel.arith import accumulator_format, operand_format
from refmodel.encodings import Flag, RoundingMode
from verif.regress.plan import LEVELS, Case

__all__ = ["OPS", "ROLES", "VECTORS", "DutSpec", "load_dut"]

OPS = ("fma",)
"""The operations a described DUT may implement."""

ROLES = ("clk", "rst", "rst_n", "valid_in", "valid_out", "a", "b", "acc", "rm", "sat", "rand", "result", "flags")
"""The fp8kit port roles a ``[ports]`` table may map (role = the DUT's port name)."""

_REQUIRED = ("a", "b", "acc", "result")
_CLOCKED = ("clk", "rst", "rst_n", "valid_in", "valid_out")
_FLAGS = ("NV", "DZ", "OF", "UF", "NX")
_KEYS = {"dut": ("toplevel", "sources", "op", "latency", "parameters"), "formats": ("a", "b", "acc"),
         "ports": ROLES, "rounding": tuple(m.label for m in RoundingMode), "flags": _FLAGS}
_TABLES = (*_KEYS, "tie")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")
VECTORS = {"quick": 300, "full": 100_000}
"""Random vectors per rounding mode at each level (the directed cases come on top)."""


@dataclasses.dataclass(frozen=True)
class DutSpec:
    """A validated DUT description (see :func:`load_dut`).

    Attributes:
        path: the TOML file (absolute).
        toplevel: the Verilog module simulated.
        sources: its Verilog files (absolute).
        op: the operation (``fma``).
        latency: cycles from an operation's input to its output; 0 = combinational.
        parameters: Verilog parameter overrides.
        fmt_a, fmt_b, acc: the refmodel format names of the operands and the accumulator/result.
        ports: fp8kit role -> DUT port name.
        rounding: supported fp8kit rounding mode -> the DUT's code for it on the ``rm`` port.
        flags: provided fp8kit flag -> bit index in the DUT's ``flags`` port.
        ties: DUT input -> constant value held for the whole run.
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
        skipped = [m.label for m in RoundingMode if m not in self.rounding]
        timing = "combinational" if self.latency == 0 else f"latency {self.latency}"
        text = (f"{self.toplevel} ({self.op}, {self.fmt_a} x {self.fmt_b} + {self.acc}, {timing}): "
                f"modes {' '.join(m.label for m in self.modes)}")
        if skipped:
            text += f" (not supported, not run: {' '.join(skipped)})"
        text += f"; flags {' '.join(f.name for f in sorted(self.flags, reverse=True)) or 'none'}"
        missing = self.missing_flags
        if missing:
            text += f" (not provided, masked: {' '.join(f.name for f in missing)})"
        return text

    def cases(self, level: str) -> list[Case]:
        """One regression case per supported rounding mode, id ``byo/<toplevel>/<mode>``, op ``fma``.

        Each runs ``verif.byo.tb_fma`` on this description (``FP8KIT_BYO_SPEC``) with the directed
        cases of ``verif.fp8_fma`` plus ``VECTORS[level]`` random vectors.

        Raises:
            ValueError: an unknown level.
        """
        if level not in LEVELS:
            raise ValueError(f"unknown regression level {level!r}; allowed: {', '.join(LEVELS)}")
        params = tuple(sorted(self.parameters.items()))
        return [Case(f"byo/{self.toplevel}/{m.label}", self.op, self.toplevel, "verif.byo.tb_fma", params,
                     tuple(sorted({"FP8KIT_BYO_SPEC": str(self.path), "FP8KIT_MODES": str(int(m)),
                                   "FP8KIT_FMA_VECTORS": str(VECTORS[level])}.items())),
                     1, tuple(str(s) for s in self.sources))
                for m in self.modes]


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
    E8M0) and the accumulator has IEEE specials; ``[ports]`` maps known roles to distinct Verilog
    names, with the data roles ``a``, ``b``, ``acc``, ``result``, ``clk`` when the latency is >= 1
    and none of clk/rst/rst_n/valid_in/valid_out when it is 0, at most one of ``rst`` / ``rst_n``, and
    ``rm`` unless exactly one mode is listed; ``[rounding]`` lists at least one fp8kit mode with
    distinct integer codes, ``sr`` only with a ``rand`` port; ``[flags]`` gives distinct bit indices
    of fp8kit flags and is non-empty exactly when a ``flags`` port is mapped; ``[tie]`` holds integer
    constants for DUT inputs that no role drives.

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
    for key, check in (("a", operand_format), ("b", operand_format), ("acc", accumulator_format)):
        name = doc.string("formats", formats, key)
        try:
            names[key] = check(name).name
        except ValueError as exc:
            raise doc.error(f"formats.{key}", str(exc)) from None

    ports_t = doc.table("ports")
    doc.known_keys("ports", ports_t, ROLES)
    ports = {role: doc.ident(f"ports.{role}", name) for role, name in ports_t.items()}
    clash = {n for n in ports.values() if list(ports.values()).count(n) > 1}
    if clash:
        roles = [r for r, n in ports.items() if n in clash]
        raise doc.error("ports", f"port {min(clash)!r} is mapped to several roles ({', '.join(roles)})")
    need = list(_REQUIRED) + (["clk"] if latency else [])
    missing = [r for r in need if r not in ports]
    if missing:
        raise doc.error("ports", f"missing role(s) {', '.join(missing)}: op {op!r} with latency {latency} needs "
                                 f"{', '.join(need)}")
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
    if RoundingMode.SR in rounding and "rand" not in ports:
        raise doc.error("rounding.sr", "stochastic rounding needs the random bits: map a rand port in [ports]")
    if "rm" not in ports and len(rounding) > 1:
        raise doc.error("ports", f"no rm port, but [rounding] lists {len(rounding)} modes; map rm or list the "
                                 "DUT's one fixed mode")

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
    driven = set(ties) & set(ports.values())
    if driven:
        raise doc.error("tie", f"{min(driven)!r} is already mapped in [ports]")

    return DutSpec(path, toplevel, sources, op, latency, parameters, names["a"], names["b"], names["acc"], ports,
                   rounding, flags, ties)
