"""The port map of a described DUT (``verif.byo``) in cocotb: handles, width checks, ties and the drive loop.

Shared by the BYO benches (``verif/byo/tb_fma.py``, ``verif/byo/tb_dpa.py``); each gives the input
roles it drives and the width each role's port must have, and hands :meth:`Harness.run` one integer
per operation and input role (a lane bus as one integer, lane k in bits ``[k*W +: W]``).

Timing: latency 0 sets the inputs, waits 1 ns and samples. Latency L >= 1 runs a 10 ns clock,
holds the reset role (``rst`` high or ``rst_n`` low) for 3 cycles, then presents one operation per
clock on the falling edge. With a ``valid_in`` port about one cycle in eight is idle (valid low,
random junk on the data inputs); with a ``valid_out`` port every output must come with valid high
exactly L cycles after its operation and valid must be low in every other cycle (each violation is
a timing error); without one, the outputs are sampled L cycles after each operation.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer

from refmodel.encodings import Flag
from verif.byo import DutSpec
from verif.common.tb import env_int

__all__ = ["IDLE", "Harness", "flag_names"]

IDLE = 8
"""With a ``valid_in`` port, about one cycle in ``IDLE`` is idle."""


def flag_names(value: int) -> str:
    """fp8kit flag names of a flags word (``NV|NX``), ``-`` for none."""
    return "|".join(f.name for f in Flag if value & int(f)) or "-"


class Harness:
    """One DUT description's ports in a running simulation.

    Args:
        dut: the cocotb toplevel.
        spec: the validated description (:func:`verif.byo.load_dut`).
        inputs: the data input roles the bench drives, in order (unmapped ones are skipped).
        widths: role -> the exact width its port must have (per lane for a role mapped to a list of
            ports, one per lane); ``rm`` and ``flags`` are checked against ``[rounding]`` and ``[flags]``.

    Raises:
        AssertionError: at time 0, a mapped port the DUT does not have, or a port of the wrong width.
    """

    def __init__(self, dut, spec: DutSpec, inputs: Sequence[str], widths: Mapping[str, int]) -> None:
        self.dut, self.spec = dut, spec
        self.inputs = tuple(r for r in inputs if r in spec.ports)
        self.port = {role: (tuple(self._handle(role, n) for n in name) if isinstance(name, tuple)
                            else self._handle(role, name)) for role, name in spec.ports.items()}
        self._check_widths(widths)
        self.flag_mask = sum(int(f) for f in spec.flags)

    def _handle(self, role: str, name: str):
        try:
            return getattr(self.dut, name)
        except AttributeError:
            where = f"[ports] {role}" if role else "[tie]"
            raise AssertionError(f"{self.spec.toplevel} has no port {name!r} ({where} of {self.spec.path})") from None

    def width(self, role: str) -> int:
        """The bits a role's port (or its lane ports together) holds."""
        h = self.port[role]
        return sum(len(x) for x in h) if isinstance(h, tuple) else len(h)

    def _check_widths(self, widths: Mapping[str, int]) -> None:
        """Fail at time 0 unless every mapped port has the width its role needs."""
        spec, bad = self.spec, []
        exact = {**{r: 1 for r in ("clk", "rst", "rst_n", "valid_in", "valid_out")}, **widths}
        least = {"rm": max(max(spec.rounding.values()).bit_length(), 1),
                 "flags": max(spec.flags.values(), default=0) + 1}
        for role, h in self.port.items():
            for k, (port, name) in enumerate(zip(h, spec.ports[role]) if isinstance(h, tuple)
                                             else [(h, spec.ports[role])]):
                what = f"{role} = {name!r}" if not isinstance(h, tuple) else f"{role} lane {k} = {name!r}"
                width = len(port)
                if role in exact and width != exact[role]:
                    bad.append(f"{what} is {width} bits, expected {exact[role]}")
                if role in least and width < least[role]:
                    bad.append(f"{what} is {width} bits, needs >= {least[role]}")
        assert not bad, f"{spec.toplevel}: port widths do not match {spec.path}: " + "; ".join(bad)

    def set(self, role: str, value: int) -> None:
        """Drive a role's port; a role mapped to lane ports gets lane k of ``value`` on port k."""
        h = self.port[role]
        if not isinstance(h, tuple):
            h.value = int(value)
            return
        at = 0
        for port in h:
            port.value = (int(value) >> at) & ((1 << len(port)) - 1)
            at += len(port)

    def read(self, role: str) -> int:
        """The port's value, or -1 if it has X/Z bits (never equal to an expected value)."""
        v = self.port[role].value
        return int(v) if v.is_resolvable else -1

    def _drive(self, ops: Mapping[str, Sequence[int]], k: int) -> None:
        for role in self.inputs:
            self.set(role, ops[role][k])

    def _junk(self, rng: np.random.Generator) -> None:
        """Random values on every data input (an idle cycle's, which the DUT must ignore)."""
        for role in self.inputs:
            bits = self.width(role)
            self.set(role, int.from_bytes(rng.bytes((bits + 7) // 8), "little") & ((1 << bits) - 1))

    async def run(self, ops: Mapping[str, Sequence[int]], n: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Apply ``n`` operations (``ops``: input role -> one integer per operation).

        Returns:
            The DUT's result codes and raw flags words (-1: never sampled, or X/Z), and the timing errors.
        """
        res, flags = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
        for name, value in self.spec.ties.items():
            self._handle("", name).value = value
        if self.spec.latency == 0:
            for k in range(n):
                self._drive(ops, k)
                await Timer(1, unit="ns")
                res[k] = self.read("result")
                if "flags" in self.port:
                    flags[k] = self.read("flags")
            return res, flags, []
        return res, flags, await self._clocked(ops, n, res, flags)

    async def _clocked(self, ops, n: int, res: np.ndarray, flags: np.ndarray) -> list[str]:
        p, lat = self.port, self.spec.latency
        Clock(p["clk"], 10, unit="ns").start()
        rng = np.random.default_rng(env_int("FP8KIT_SEED_TB", 1) + 1)
        for role in self.inputs:
            self.set(role, 0)
        if "valid_in" in p:
            p["valid_in"].value = 0
        reset = [(r, v) for r, v in (("rst", 1), ("rst_n", 0)) if r in p]
        for role, active in reset:
            p[role].value = active
        for _ in range(3):
            await FallingEdge(p["clk"])
        for role, active in reset:
            p[role].value = 1 - active
        issued: deque[tuple[int, int]] = deque()  # (cycle, operation) in flight
        errors: list[str] = []
        k = cycle = 0
        while k < n or issued:
            # outputs of the edge just past: the operation presented lat cycles ago is due
            due = issued.popleft()[1] if issued and issued[0][0] == cycle - lat else None
            if "valid_out" in p:
                valid = self.read("valid_out") == 1
                if valid and due is None:
                    errors.append(f"cycle {cycle}: {self.spec.ports['valid_out']} high, but no operation was "
                                  f"presented {lat} cycles before")
                elif due is not None and not valid:
                    errors.append(f"cycle {cycle}: {self.spec.ports['valid_out']} low, but operation {due} was "
                                  f"presented {lat} cycles before")
                    due = None
            if due is not None:
                res[due] = self.read("result")
                if "flags" in p:
                    flags[due] = self.read("flags")
            if k < n and ("valid_in" not in p or rng.integers(IDLE)):
                self._drive(ops, k)
                if "valid_in" in p:
                    p["valid_in"].value = 1
                issued.append((cycle, k))
                k += 1
            elif "valid_in" in p:
                p["valid_in"].value = 0
                self._junk(rng)
            await FallingEdge(p["clk"])
            cycle += 1
        return errors

    def to_fp8kit_flags(self, raw: np.ndarray) -> np.ndarray:
        """Map the DUT's flags words onto fp8kit's ``Flag`` layout (-1 stays -1); no flags port: zeros."""
        if "flags" not in self.port:
            return np.zeros(raw.size, np.int64)
        out = np.zeros(raw.size, np.int64)
        for flag, bit in self.spec.flags.items():
            out |= np.where((raw >> bit) & 1, int(flag), 0)
        return np.where(raw < 0, -1, out)

    def mismatched(self, want_res: np.ndarray, want_flags: np.ndarray, got_res: np.ndarray,
                   got_flags: np.ndarray) -> np.ndarray:
        """Indices of the operations whose result code, or provided flags (fp8kit layout), differ; X/Z counts."""
        m = self.flag_mask
        return np.flatnonzero((got_res != want_res) | ((got_flags & m) != (want_flags & m)) | (got_flags < 0))

    def outcome(self, k: int, want_res: np.ndarray, want_flags: np.ndarray, got_res: np.ndarray,
                got_flags: np.ndarray) -> str:
        """``expected 0x.. FLAGS, got 0x.. FLAGS`` of operation ``k`` (flags masked to the provided ones)."""
        got = ("X/Z or never sampled" if got_res[k] < 0 or got_flags[k] < 0
               else f"0x{int(got_res[k]):X} {flag_names(int(got_flags[k]))}")
        return f"expected 0x{int(want_res[k]):X} {flag_names(int(want_flags[k]) & self.flag_mask)}, got {got}"

    def provided_bins(self, bins: Iterable[str]) -> set[str]:
        """Coverage bins less the ``flags:`` bins of flags the DUT does not provide (``flags:NV``, ``flags:rm=rne,NV``)."""
        missing = {f.name for f in self.spec.missing_flags}
        return {x for x in bins if not (x.startswith("flags:") and re.split("[:,]", x)[-1] in missing)}

    def notes(self) -> list[str]:
        """The report's notes: the flags masked out, if any."""
        missing = self.spec.missing_flags
        if not missing:
            return []
        return [f"{self.spec.toplevel} provides no {' '.join(f.name for f in missing)} flag: masked out of the "
                "comparison and of the flag coverage"]
