"""A zero-delay simulator of a Yosys gate-level JSON netlist, many independent lanes at once.

The netlist is the one :func:`fp8kit.cost.synth.synth` caches, mapped onto :data:`fp8kit.cost.synth.GATE_GE`;
each net holds one Python int with a bit per lane, and the gates are evaluated in topological order by
code generated from the netlist. :func:`fp8kit.cost.energy.simulate_energy` drives it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from fp8kit.cost.synth import GATE_GE

__all__ = ["Netlist"]

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


class Netlist:
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

    def run(self, inputs: list[dict[str, np.ndarray]], watch: str, *,
            clock_units: float) -> tuple[float, float, np.ndarray]:
        """Simulate ``len(inputs)`` cycles; each dict maps input port -> per-lane integer values.

        Every output toggle of a cell costs that cell's GE, every flop ``clock_units`` per lane and cycle.

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
                energy += sum(f * w for f, w in zip(flips, self.weights)) + clock_units * len(self.flops) * lanes
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
