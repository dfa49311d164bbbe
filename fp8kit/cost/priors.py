"""Priors of the cost calibration: isolated primitives synthesized by the Yosys flow of :mod:`fp8kit.cost.synth`.

Each kind of term of the analytic model (:data:`fp8kit.cost.model.KINDS`) gets one prior constant, its
synthesized area over its raw model GE on small benches (docs/cost-model.md, "Calibration").
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

from fp8kit.cost import model as cost
from fp8kit.cost.model import KINDS
from fp8kit.cost.synth import cache_dir, gate_equivalents, map_lines, run_yosys, yosys_version

__all__ = ["PRIMITIVE_BENCHES", "primitive_priors"]

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
    """Each kind's synthesized / raw GE on :data:`PRIMITIVE_BENCHES` (same flow as :func:`fp8kit.cost.synth.synth`).

    For a bench with terms of other kinds (the conditional negation is XOR2s and
    an incrementer) the other kinds' priors are subtracted first.

    Raises:
        fp8kit.cost.synth.YosysMissing: Yosys is not installed.
    """
    version = yosys_version()
    synth_ge: dict[str, float] = dict.fromkeys(KINDS, 0.0)
    raw: dict[str, dict[str, float]] = {k: {} for k in KINDS}
    for kind, text, terms in PRIMITIVE_BENCHES:
        key = hashlib.sha256((version + text + "".join(map_lines("t", "S"))).encode()).hexdigest()[:20]
        folder = (cache or cache_dir()) / f"primitive-{kind}-{key}"
        meta = folder / "meta.json"
        if not meta.is_file():
            (folder).mkdir(parents=True, exist_ok=True)
            (folder / "t.v").write_text(text + "\n")
            script = "\n".join([f"read_verilog {folder / 't.v'}"] + map_lines("t", str(folder / "stat.json"))) + "\n"
            run_yosys(script, folder, timeout, f"yosys synthesis of the {kind} primitive")
            cells = json.loads((folder / "stat.json").read_text())["design"]["num_cells_by_type"]
            meta.write_text(json.dumps({"ge": gate_equivalents({k: int(v) for k, v in cells.items()})}))
        synth_ge[kind] += json.loads(meta.read_text())["ge"]
        for k, v in terms().items():
            raw[kind][k] = raw[kind].get(k, 0.0) + v
    priors: dict[str, float] = {}
    for kind in KINDS:  # KINDS order puts "inc" before "xor", the only mixed bench
        other = sum(priors[k] * v for k, v in raw[kind].items() if k != kind)
        priors[kind] = (synth_ge[kind] - other) / raw[kind][kind]
    return priors
