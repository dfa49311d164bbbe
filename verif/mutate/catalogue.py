"""The catalogue of mutants: the mutated modules, the named mutants of each (:data:`TARGETED`), the
mutants shown equivalent (:data:`EQUIVALENT`), and the mutants of a run (:func:`generate`)."""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Sequence
from pathlib import Path

from fp8kit import paths
from fp8kit.rtlspec.manifest import simulated
from verif.mutate.mutant import Mutant
from verif.mutate.operators import operator_mutants

__all__ = ["DEFAULT_MAX_PER_MODULE", "EQUIVALENT", "MODULES", "RTL", "TARGETED", "Named", "Stuck", "generate",
           "targeted_mutants"]

RTL = paths.rtl_dir()
"""The RTL mutated (:func:`fp8kit.paths.rtl_dir`)."""
MODULES = simulated(RTL)
"""The mutated files, ``rtl/<module>.v``: every module a simulation top reaches (the manifest's
:func:`fp8kit.rtlspec.manifest.simulated`, leaves first)."""
DEFAULT_MAX_PER_MODULE = 40
"""Generic mutants sampled per module in a default run (the named ones always run)."""


@dataclasses.dataclass(frozen=True)
class Named:
    """A named mutant: replace ``old`` (which must occur exactly once in the file) by ``new``."""

    name: str
    description: str
    old: str
    new: str


@dataclasses.dataclass(frozen=True)
class Stuck:
    """Bit ``bit`` of output ``port`` (declared ``[4:0]``) stuck at ``value``."""

    port: str
    bit: int
    value: int
    label: str

    @property
    def name(self) -> str:
        return f"{self.port}_{self.label.lower()}_sa{self.value}"


_FLAGS = ("NX", "UF", "OF", "DZ", "NV")  # flags_o bit k
_FLAG_STUCK = tuple(Stuck("flags_o", k, v, _FLAGS[k]) for k in range(5) for v in (0, 1) if (k, v) != (3, 0))

TARGETED: dict[str, tuple[Named | Stuck, ...]] = {
    "lfsr32": (
        Named("tap_swap", "swapped LFSR tap: x^21 term moved to x^22 (POLY 32'h8040_0003)",
              "POLY = `FP8KIT_LFSR_POLY", "POLY = 32'h8040_0003"),
        Named("tap_drop", "dropped LFSR tap x (POLY 32'h8020_0001)", "POLY = `FP8KIT_LFSR_POLY", "POLY = 32'h8020_0001"),
        Named("leap_31", "31 single steps per leap instead of 32", "LEAP = `FP8KIT_LFSR_LEAP", "LEAP = 31"),
        Named("step_over_clear", "step_i wins over clear_i",
              "if (clear_i) begin\n      state_d = SEED;\n    end else if (step_i) begin\n      state_d = leap_d;",
              "if (step_i) begin\n      state_d = leap_d;\n    end else if (clear_i) begin\n      state_d = SEED;"),
    ),
    "int8_mac": (
        Named("ovf_sa0", "ovf_o stuck at 0", "assign ovf_o   = ovf_q;", "assign ovf_o   = 1'b0;"),
        Named("ovf_sa1", "ovf_o stuck at 1", "assign ovf_o   = ovf_q;", "assign ovf_o   = 1'b1;"),
        Named("ovf_not_sticky", "ovf only reflects the last pair (not sticky)", "ovf_d = ovf_q | step_ovf;",
              "ovf_d = step_ovf;"),
        Named("sat_limits_swapped", "saturation to the opposite int32 limit",
              "sum[33] ? 32'h8000_0000 : 32'h7FFF_FFFF", "sum[33] ? 32'h7FFF_FFFF : 32'h8000_0000"),
        Named("ovf_top2", "overflow test on the top two bits only", "(sum[33:31] != 3'b000) && (sum[33:31] != 3'b111)",
              "(sum[33:32] != 2'b00) && (sum[33:32] != 2'b11)"),
    ),
    "fp8_mul": (
        Named("inf_times_zero", "Inf x 0 classed as Inf, not NaN", "a_nan | b_nan | (a_inf & b_zero) | (a_zero & b_inf)",
              "a_nan | b_nan"),
        Named("nan_sign", "sign_o not cleared for a NaN product", "(a_sign ^ b_sign) & (cls != CLS_NAN)",
              "(a_sign ^ b_sign)"),
        Named("sub_before_zero", "subnormal class checked before zero",
              "end else if (a_zero | b_zero) begin\n      cls = CLS_ZERO;\n    end else if (a_sub | b_sub) begin\n"
              "      cls = CLS_SUB;",
              "end else if (a_sub | b_sub) begin\n      cls = CLS_SUB;\n    end else if (a_zero | b_zero) begin\n"
              "      cls = CLS_ZERO;"),
    ),
    "fp8_fma": (
        Named("sticky_round_drop", "dropped sticky bit of the rounding (stk = 0)", "stk = |rem[RW-2:0];",
              "stk = 1'b0;"),
        Named("sticky_lsb_drop", "sticky bit loses the window's bottom bit", "stk = |rem[RW-2:0];",
              "stk = |rem[RW-2:1];"),
        Named("sticky_acc_drop", "dropped sticky bit of an accumulator shifted below the window",
              "c_rsh[2*M+2:M+2], |c_rsh[M+1:0]}", "c_rsh[2*M+2:M+2], 1'b0}"),
        Named("sticky_prod_drop", "dropped sticky bit of a product far below the accumulator",
              "p_al = {{(FW-1){1'b0}}, 1'b1};", "p_al = {FW{1'b0}};"),
        Named("tie_away", "inverted tie rule: rne ties away from zero",
              "default: begin inc = rbit & (stk | keep[0]); inc2 = rbit2; end",
              "default: begin inc = rbit; inc2 = rbit2; end"),
        Named("tie_odd", "inverted tie rule: rne ties to odd",
              "default: begin inc = rbit & (stk | keep[0]); inc2 = rbit2; end",
              "default: begin inc = rbit & (stk | ~keep[0]); inc2 = rbit2; end"),
        Named("rmm_tie_even", "inverted tie rule: rmm ties to even", "`FP8KIT_RM_RMM: begin inc = rbit; inc2 = rbit2; end",
              "`FP8KIT_RM_RMM: begin inc = rbit & (stk | keep[0]); inc2 = rbit2; end"),
        Named("rto_lsb_drop", "rto: the sticky OR into the result LSB dropped",
              "keep_r = {keep[M:1], keep[0] | inexact};", "keep_r = keep;"),
        Named("sr_strict", "sr off by one: round away iff t + r > 2^R", "`FP8KIT_RM_SR: inc = sr_sum[SR_BITS];",
              "`FP8KIT_RM_SR: inc = sr_sum[SR_BITS] & (|sr_sum[SR_BITS-1:0]);"),
        Named("sr_plus_one", "sr off by one: round away iff t + r + 1 >= 2^R",
              "{1'b0, rem[RW-1:RW-SR_BITS]} + {1'b0, rand_i}", "{1'b0, rem[RW-1:RW-SR_BITS]} + {1'b0, rand_i} + 1'b1"),
        Named("tiny_before_rounding", "tininess detected before rounding",
              "tiny = sub & ~((e_msb == K_EMIN - K_ONE) & all1_2 & inc2);", "tiny = sub;"),
        Named("sat_ignored", "sat_i ignored", "to_max = to_max | sat_i;", "to_max = to_max;"),
        Named("snan_not_invalid", "no signalling NaN operand raises NV", "clash | a_snan | b_snan | c_snan;",
              "clash;"),
        Named("snan_operand_valid", "a signalling NaN multiplicand does not raise NV (only the accumulator)",
              "clash | a_snan | b_snan | c_snan;", "clash | c_snan;"),
        Named("inf_clash_valid", "+Inf + -Inf not invalid", "wire clash = p_inf & c_inf & (p_neg != c_s);",
              "wire clash = 1'b0;"),
        *_FLAG_STUCK,
    ),
    "fp8_mac": (
        Named("flags_not_sticky", "flags only reflect the last operation", "flags_d = flags_q | fma_flags;",
              "flags_d = fma_flags;"),
        Named("lfsr_no_clear", "clear_i does not reload the LFSR seed", ".clear_i(clear_i),", ".clear_i(1'b0),"),
        Named("lfsr_free_running", "the LFSR leaps on a clear cycle too", "wire          step = valid_i & ~clear_i;",
              "wire          step = valid_i;"),
        Named("rand_high_bits", "sr takes the high LFSR bits", ".rand_i(word[SR_BITS-1:0]),",
              ".rand_i(word[31 -: SR_BITS]),"),
        *_FLAG_STUCK,
    ),
    "mx_dot": (
        Named("sticky_drop", "dropped sticky bit of the rounding", "wire           sticky = |wide[AW:0];",
              "wire           sticky = 1'b0;"),
        Named("sticky_lsb_drop", "sticky bit loses the bottom bit", "wire           sticky = |wide[AW:0];",
              "wire           sticky = |wide[AW:1];"),
        Named("tie_away", "inverted tie rule: ties away from zero", "wire           up = rnd & (sticky | sig[0]);",
              "wire           up = rnd;"),
        Named("tie_odd", "inverted tie rule: ties to odd", "wire           up = rnd & (sticky | sig[0]);",
              "wire           up = rnd & (sticky | ~sig[0]);"),
        Named("tiny_before_rounding", "tininess detected before rounding",
              "wire           tiny = ~is_norm & ~(e_m127 & u_carry);", "wire           tiny = ~is_norm;"),
        Named("hold_broken", "PIPE >= 1: the stage register loads without valid_i", "if (valid_i) q <= s1_d;",
              "q <= s1_d;"),
        Named("nzero_any", "a -0 result when any product is -0 (not all)", "|p_ninf, &p_nzero};",
              "|p_ninf, |p_nzero};"),
        Named("snan_not_invalid", "no signalling-NaN element raises NV",
              "| (a_zero & b_inf) | a_cls[3] | b_cls[3];", "| (a_zero & b_inf);"),
        Named("snan_b_valid", "a signalling-NaN B element does not raise NV (only A's)",
              "| (a_zero & b_inf) | a_cls[3] | b_cls[3];", "| (a_zero & b_inf) | a_cls[3];"),
        *_FLAG_STUCK,
    ),
}
"""The named mutants of each module."""


def _stuck_edits(module: str, text: str, s: Stuck) -> tuple[tuple[int, int, str], ...]:
    """Edits that route ``port`` through an inner signal and force one bit of it (a named port
    connection ``.port(...)`` of an instance is left alone)."""
    decl = re.search(rf"output\s+(reg|wire)\s*\[4:0\]\s*{s.port}\b", text)
    header_end = re.search(r"\n\);\n", text)
    if decl is None or header_end is None:
        raise ValueError(f"{module}: no `output [4:0] {s.port}` port to mutate")
    inner = f"{s.port}_mutant"
    force = f"{s.port} = {inner} | 5'b{1 << s.bit:05b}" if s.value else f"{s.port} = {inner} & 5'b{31 ^ (1 << s.bit):05b}"
    edits = [(decl.start(), decl.end(), f"output wire [4:0] {s.port}"),
             (header_end.end(), header_end.end(), f"  {decl.group(1)} [4:0] {inner};\n  assign {force};\n")]
    edits += [(m.start(), m.end(), inner) for m in re.finditer(rf"(?<!\.)\b{s.port}\b", text)
              if m.start() > header_end.end()]
    return tuple(edits)


def targeted_mutants(module: str, text: str) -> list[Mutant]:
    """The named mutants of one file (:data:`TARGETED`).

    Raises:
        ValueError: a named mutant's text is not found exactly once (the RTL changed under it).
    """
    out = []
    for t in TARGETED.get(module, ()):
        if isinstance(t, Stuck):
            edits = _stuck_edits(module, text, t)
            description = f"{t.port} bit {t.bit} ({t.label}) stuck at {t.value}"
            line = text.count("\n", 0, edits[0][0]) + 1
        else:
            if text.count(t.old) != 1:
                raise ValueError(f"named mutant {module}/{t.name}: {t.old!r} occurs {text.count(t.old)} times in "
                                 f"rtl/{module}.v, expected once")
            start = text.index(t.old)
            edits = ((start, start + len(t.old), t.new),)
            description = t.description
            line = text.count("\n", 0, start) + 1
        out.append(Mutant(f"{module}/{t.name}", module, line, "named", description, edits))
    return out


_NO_MAN = ("the MAN_W = 0 branch (gen_no_man) is elaborated by no configuration: no registered format or MX "
        "type has a 0-bit mantissa (only mx_dot allows ELEM_MAN_W = 0)")
"""Why a mutant of fp8_unpack's MAN_W = 0 branch cannot be killed (no simulated configuration has it)."""

EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("fp8_mul", "wire unused_snan = a_cls[3] ^ b_cls[3];",
     "wire unused_snan = a_cls[4] ^ b_cls[3];"):
        "unused_snan is a lint sink with no loads",
    ("fp8_mul", "wire unused_snan = a_cls[3] ^ b_cls[3];",
     "wire unused_snan = a_cls[2] ^ b_cls[3];"):
        "unused_snan is a lint sink with no loads",
    ("fp8_mul", "wire unused_snan = a_cls[3] ^ b_cls[3];",
     "wire unused_snan = a_cls[3] | b_cls[3];"):
        "unused_snan is a lint sink with no loads",
    ("fp8_mul", "wire unused_snan = a_cls[3] ^ b_cls[3];",
     "wire unused_snan = a_cls[3] ^ b_cls[4];"):
        "unused_snan is a lint sink with no loads",
    ("fp8_mul", "wire unused_snan = a_cls[3] ^ b_cls[3];",
     "wire unused_snan = a_cls[3] ^ b_cls[2];"):
        "unused_snan is a lint sink with no loads",
    ("fp8_mul", "localparam integer EXP_O_W = ((A_EXP_W > B_EXP_W) ? A_EXP_W : B_EXP_W) + 2;",
     "localparam integer EXP_O_W = ((A_EXP_W >= B_EXP_W) ? A_EXP_W : B_EXP_W) + 2;"):
        "max(A_EXP_W, B_EXP_W) either way: at A_EXP_W == B_EXP_W both branches give the same value",
    ("fp8_mul", "localparam integer EXP_O_W = ((A_EXP_W > B_EXP_W) ? A_EXP_W : B_EXP_W) + 2;",
     "localparam integer EXP_O_W = ((A_EXP_W > B_EXP_W) ? A_EXP_W : B_EXP_W) + 3;"):
        "the internal unbiased exponents and exp_sum gain one sign bit; |ea + eb| < 2^(max+1) fits the "
        "port's max+2 bits (the port's width is its own expression), so exp_o = exp_sum drops only a "
        "copy of the sign: same outputs (Verilator -Wall reports the width, lint is not a kill)",
    ("fp8_fma", "wire unused_sub = a_cls[0] ^ b_cls[0] ^ c_cls[0];",
     "wire unused_sub = a_cls[1] ^ b_cls[0] ^ c_cls[0];"):
        "unused_sub is a lint sink with no loads",
    ("fp8_fma", "wire unused_sub = a_cls[0] ^ b_cls[0] ^ c_cls[0];",
     "wire unused_sub = a_cls[0] ^ b_cls[1] ^ c_cls[0];"):
        "unused_sub is a lint sink with no loads",
    ("fp8_fma", "wire unused_sub = a_cls[0] ^ b_cls[0] ^ c_cls[0];",
     "wire unused_sub = a_cls[0] ^ b_cls[0] ^ c_cls[1];"):
        "unused_sub is a lint sink with no loads",
    ("fp8_fma", "mag = s_neg ? (~sum[FW-1:0] + 1'b1) : sum[FW-1:0];",
     "mag = s_neg ? (~sum[FW-1:0] + 1'b1) : sum[FW-2:0];"):
        "a non-negative sum never sets bit FW-1: c_al <= (2^(M+1)-1) * 2^(DMAX+1) = 2^(FW-1) - 2^(DMAX+1) "
        "and p_al < 2^(S+PW+1) < 2^(DMAX+1)",
    ("fp8_unpack", "localparam [2:0]  K_SPECIALS = V_SPECIALS[2:0];",
     "localparam [2:0]  K_SPECIALS = V_SPECIALS[1:0];"):
        "SPECIALS is 0...3 (checked at elaboration): bit 2 of the code is 0",
    ("fp8_unpack", "if (MAN_W > 0) begin : gen_man", "if (MAN_W >= 0) begin : gen_man"): _NO_MAN,
    ("fp8_unpack", "assign m0 = 1'b1;", "assign m0 = 1'b0;"): _NO_MAN,
    ("fp8_unpack", "assign m1 = 1'b1;", "assign m1 = 1'b0;"): _NO_MAN,
    ("fp8_unpack", "assign quiet = 1'b0;", "assign quiet = 1'b1;"): _NO_MAN,
    ("fp8_unpack", "assign sig_o = ~e0;", "assign sig_o = e0;"): _NO_MAN,
    ("int8_mac", "wire               step_ovf = (sum[33:31] != 3'b000) && (sum[33:31] != 3'b111);",
     "wire               step_ovf = (sum[32:31] != 3'b000) && (sum[33:31] != 3'b111);"):
        "|sum| <= 2^31 + 2^14: sum[33:31] is never 100, the only pattern the two tests tell apart",
    ("int8_mac", "acc_d = sum[33] ? 32'h8000_0000 : 32'h7FFF_FFFF;",
     "acc_d = sum[32] ? 32'h8000_0000 : 32'h7FFF_FFFF;"):
        "used only on overflow, where sum[33:31] is 001 or 110: bit 32 equals bit 33",
    ("fp8_fma", "localparam [EW-1:0] K_S = V_S[EW-1:0];", "localparam [EW-1:0] K_S = V_S[EW-2:0];"):
        "S = M + SR_BITS + 4 < 2^(EW-1): bit EW-1 of the constant is 0",
    ("fp8_fma", "localparam [EW-1:0] K_TOP = V_TOP[EW-1:0];", "localparam [EW-1:0] K_TOP = V_TOP[EW-2:0];"):
        "FW - 2 < 2^(EW-1): bit EW-1 of the constant is 0",
    ("fp8_fma", "c_al = {{(FW-M-2){1'b0}}, c_rsh[2*M+2:M+2], |c_rsh[M+1:0]};",
     "c_al = {{(FW-M-2){1'b0}}, c_rsh[2*M+1:M+2], |c_rsh[M+1:0]};"):
        "in this branch c_rsh_n >= 1, so the right shift always clears c_rsh[2*M+2]",
    ("fp8_fma", "wire             stk = |rem[RW-2:0];", "wire             stk = |rem[RW-2:1];"):
        "nrm[0] is a shifted-in 0 unless the window's top sits exactly at emin (A_BIAS + B_BIAS = "
        "6 + SR_BITS + M + 2^(ACC_EXP_W-1)), which no pair of registered formats meets",
    ("fp8_mac", "wire          step = valid_i & ~clear_i;", "wire          step = valid_i;"):
        "lfsr32 gives clear_i priority over step_i, and clear_i is wired to it",
    ("mx_dot", "wire unused_clk = clk_i ^ rst_ni;", "wire unused_clk = clk_i | rst_ni;"):
        "a lint sink with no loads",
    ("mx_dot", "wire           sticky = |wide[AW:0];", "wire           sticky = |wide[AW:1];"):
        "wide[0] is a shifted-in 0 unless d = 26, and then norm's leading one already sets the sticky bit",
    ("mx_dot", "localparam integer SHMAX = 2 * ((1 << ELEM_EXP_W) - 2);",
     "localparam integer SHMAX = 2 * ((2 << ELEM_EXP_W) - 2);"):
        "only widens the exact accumulator (TW, AW); LSB0 is unchanged and EOFF follows AW",
    ("mx_dot", "localparam integer TW = (ELEM_INT8 != 0) ? 15 : PW + SHMAX;",
     "localparam integer TW = (ELEM_INT8 != 0) ? 16 : PW + SHMAX;"):
        "|k_a * k_b| <= 2^14 fits 15 bits: a 16th only widens the exact accumulator, as SHMAX's does",
    ("mx_dot", "wire unused_sub = a_cls[0] ^ b_cls[0];", "wire unused_sub = a_cls[0] | b_cls[0];"):
        "unused_sub is a lint sink with no loads",
    ("mx_dot", "wire [4:0]  d = (is_norm) ? 5'd0 : ((|d_full[14:5]) || (d_full[4:0] > 5'd26)) ? 5'd26 : d_full[4:0];",
     "wire [4:0]  d = (is_norm) ? 5'd0 : ((|d_full[14:5]) || (d_full[4:0] >= 5'd26)) ? 5'd26 : d_full[4:0];"):
        "at d_full = 26 both arms give 26",
    ("fp8_fma", "((ACC_EXP_W > B_EXP_W) ? ACC_EXP_W : B_EXP_W) :", "((ACC_EXP_W >= B_EXP_W) ? ACC_EXP_W : B_EXP_W) :"):
        "at ACC_EXP_W = B_EXP_W both arms give the same maximum",
}
"""Mutants shown equivalent (docs/verification.md, "Mutation testing"), keyed by (module, the first
changed line before, after; both stripped), with the reason. They are not simulated or scored."""


def generate(modules: Sequence[str] = MODULES, *, max_per_module: int | None = DEFAULT_MAX_PER_MODULE,
             seed: int = 1, rtl: Path = RTL) -> list[Mutant]:
    """The mutants of a run: per module, a sample of the generic mutants plus every named one.

    Args:
        modules: file stems of ``rtl/`` (:data:`MODULES`).
        max_per_module: generic mutants kept per module, drawn without replacement by a generator
            seeded with ``(seed, module)`` and kept in file order; ``None`` keeps all of them.
        seed: the sampling seed.
        rtl: the directory holding the files.

    Raises:
        ValueError: an unknown module or a negative ``max_per_module``.
    """
    bad = [m for m in modules if m not in MODULES]
    if bad:
        raise ValueError(f"unknown module {', '.join(map(repr, bad))}; known: {', '.join(MODULES)}")
    if max_per_module is not None and max_per_module < 0:
        raise ValueError(f"--max-per-module must be >= 0, got {max_per_module}")
    out = []
    for module in modules:
        text = (rtl / f"{module}.v").read_text()
        generic = operator_mutants(module, text)
        if max_per_module is not None and len(generic) > max_per_module:
            keep = sorted(random.Random(f"{seed}:{module}").sample(range(len(generic)), max_per_module))
            generic = [generic[k] for k in keep]
        named = targeted_mutants(module, text)
        same = {mu.apply(text) for mu in named}
        out += [mu for mu in generic if mu.apply(text) not in same] + named
    return out
