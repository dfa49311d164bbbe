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

__all__ = ["DEFAULT_MAX_PER_MODULE", "EQUIVALENT", "MODULES", "OWN_CASES_ONLY", "RTL", "TARGETED", "Named", "Stuck",
           "equivalent_reason", "generate", "targeted_mutants"]

RTL = paths.rtl_dir()
"""The RTL mutated (:func:`fp8kit.paths.rtl_dir`)."""
MODULES = simulated(RTL)
"""The mutated files, ``rtl/<module>.v``: every module a simulation top reaches (the manifest's
:func:`fp8kit.rtlspec.manifest.simulated`, leaves first)."""
DEFAULT_MAX_PER_MODULE = 40
"""Generic mutants sampled per module in a default run (the named ones always run)."""
OWN_CASES_ONLY: dict[str, str] = {
    "gemm_tile": "whole GEMMs through an array of fp8_dpa units (7 to 33 s of simulation per quick case on "
                 "Icarus, against 5 to 7 s for an fp8_dpa case); every module below it (fp8_dpa, fp8_unpack, lzc) "
                 "is reached through fp8_dpa, whose bench drives each of its ports directly with the same units",
}
"""Simulation tops whose quick cases run only for mutants of their own file, with the reason (the cases of
every other top run for a mutant of any file the top's sources include: verif.mutate.runner.affected_cases)."""


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
    "fp8_dpa": (
        Named("trunc_off_by_one", "a truncation off-by-one: products keep FRAC_W - 1 fraction bits below emax",
              "wire [TW-1:0]  wide = {p_sig[k*PW +: PW], {FRAC_W{1'b0}}};",
              "wire [TW-1:0]  wide = {1'b0, p_sig[k*PW +: PW], {(FRAC_W-1){1'b0}}};"),
        Named("c_trunc_off_by_one", "a truncation off-by-one of C: the accumulator keeps FRAC_W - 1 fraction bits",
              "wire [CTW-1:0]  c_wide = {c_sig, {FRAC_W{1'b0}}};",
              "wire [CTW-1:0]  c_wide = {1'b0, c_sig, {(FRAC_W-1){1'b0}}};"),
        Named("lost_drop", "bits truncated below 2^(emax - FRAC_W) do not count as inexact",
              "(|t_lost) | c_lost", "1'b0"),
        Named("c_lost_drop", "bits of C truncated below 2^(emax - FRAC_W) do not count as inexact",
              "(|t_lost) | c_lost", "(|t_lost)"),
        Named("sticky_drop", "dropped sticky bit of the step rounding", "wire           sticky = |wide[SW-1:0];",
              "wire           sticky = 1'b0;"),
        Named("tie_away", "inverted tie rule: rne ties away from zero",
              "wire           up = (RM == 0) & rbit & (sticky | i_q[0]);", "wire           up = (RM == 0) & rbit;"),
        Named("tie_odd", "inverted tie rule: rne ties to odd",
              "wire           up = (RM == 0) & rbit & (sticky | i_q[0]);",
              "wire           up = (RM == 0) & rbit & (sticky | ~i_q[0]);"),
        Named("rtz_rounds_nearest", "the RM parameter ignored: rtz units round to nearest",
              "wire           up = (RM == 0) & rbit & (sticky | i_q[0]);",
              "wire           up = rbit & (sticky | i_q[0]);"),
        Named("no_subnormal_floor", "no subnormal floor: tiny sums keep STEP_MAN_W bits below their leading one",
              "wire [EW-1:0] top = ($signed(lead) > $signed(floor_e)) ? lead : floor_e;",
              "wire [EW-1:0] top = lead;"),
        Named("zero_exp_ignored", "zero products take no part in the maximum (ZERO_EXP ignored for products)",
              "assign p_cand[k] = live | ((HAS_ZERO_EXP != 0) & ~nan & ~inf);", "assign p_cand[k] = live;"),
        Named("c_zero_exp_ignored", "a zero C takes no part in the maximum (ZERO_EXP ignored for C)",
              "wire          c_cand = c_live | ((HAS_ZERO_EXP != 0) & c_zero);", "wire          c_cand = c_live;"),
        Named("scale_b_ignored", "the product exponent ignores B's block scale",
              "{{(EW-8){1'b0}}, scale_a_i} + {{(EW-8){1'b0}}, scale_b_i} - 14'd254",
              "{{(EW-8){1'b0}}, scale_a_i} - 14'd127"),
        Named("nan_scale_ignored", "A's NaN scale (0xFF) is read as 2^128, not as NaN elements",
              "wire          sc_a_nan = (SCALED != 0) & (&scale_a_i);", "wire          sc_a_nan = 1'b0;"),
        Named("inf_zero_not_nan", "Inf x 0 is not NaN", "wire nan = a_nan | b_nan | inf_zero;",
              "wire nan = a_nan | b_nan;"),
        Named("inf_clash_not_nan", "+Inf + -Inf is not NaN (the Inf of the last sign wins)",
              "wire res_nan = any_nan | (pos_inf & neg_inf);", "wire res_nan = any_nan;"),
        Named("inf_clash_valid", "+Inf + -Inf not invalid",
              "flags_d[`FP8KIT_FLAG_NV_BIT] = any_inv | (pos_inf & neg_inf);",
              "flags_d[`FP8KIT_FLAG_NV_BIT] = any_inv;"),
        Named("snan_c_valid", "a signalling-NaN accumulator does not raise NV", "c_snan | (|p_inv)", "(|p_inv)"),
        Named("snan_elem_valid", "no signalling-NaN element raises NV",
              "assign p_inv[k] = inf_zero | a_cls[3] | b_cls[3];", "assign p_inv[k] = inf_zero;"),
        Named("snan_b_valid", "a signalling-NaN B element does not raise NV (only A's)",
              "assign p_inv[k] = inf_zero | a_cls[3] | b_cls[3];", "assign p_inv[k] = inf_zero | a_cls[3];"),
        Named("ovf_max_finite", "overflow gives the largest finite code instead of Inf",
              "({C_W{sel_ovf}} & {sum_neg, K_INF_MAG})", "({C_W{sel_ovf}} & {sum_neg, K_INF_MAG - 1'b1})"),
        Named("uf_exact", "UF raised for an exact tiny result", "(to_zero | (tiny & inexact))", "(to_zero | tiny)"),
        Named("zero_sum_exact", "a sum that cancels to zero after a truncation is not inexact",
              " | (zero_sum & lost);", ";"),
        Named("hold_broken", "PIPE >= 1: the stage register loads without valid_i", "if (valid_i) q <= s1_d;",
              "q <= s1_d;"),
        Named("out_hold_broken", "PIPE = 2: the output register loads without a valid stage",
              "if (s1_valid) begin", "begin"),
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

_GEN_SINK = "the generate block holds only a lint sink (a wire with no loads): its condition changes no output"
_DPA_SMALL = ("the constant is below 2^(EW-1) for every legal parameter set (FRAC_W <= 40, ACC_MAN_W <= 23, "
              "element mantissas <= 7, LANES <= 256: at most CTW = 23 + 1 + 40 = 64): its bit EW-1 is 0")
_DPA_EW = ("every signed exponent quantity of fp8_dpa lies within +-2^12 for legal parameters (|ZERO_EXP| <= "
           "2000, scales +-254, element and accumulator exponents within +-150, shifts below 70): 13, 14 or 15 "
           "bits hold each exactly, and every comparison is signed")
_DPA_WIDER_SUM = ("a wider exact sum: |sum| < 2^(SW - 1) already fits; the leading-one index, the subnormal floor, "
                  "the shifts and the rounding are all counted from the sum's LSB, and the saturated shift (SW + 1) "
                  "still moves every bit of mag below the round bit")
_DPA_RSH0 = ("at rsh = 0 both paths give i_q = mag with a zero round and sticky bit (a left shift by 0, or a right "
             "shift by 0)")
_DPA_IQ_TOP = ("bit STEP_MAN_W + 1 of i_exact and of i_kept is always 0: the leading one lands at STEP_MAN_W or below "
               "(shl: ls = STEP_MAN_W - top with lead <= top; else a right shift by rsh = top - STEP_MAN_W or more)")
"""Why a mutant of the condition of fp8_dpa's gen_no_clock or gen_no_scales block changes nothing."""

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
    ("fp8_dpa", "localparam [EW-1:0] K_STEP = V_STEP[EW-1:0];", "localparam [EW-1:0] K_STEP = V_STEP[EW-2:0];"):
        _DPA_SMALL,
    **{("fp8_dpa", f"localparam [EW-1:0] K_{n} = V_{n}[EW-1:0];", f"localparam [EW-1:0] K_{n} = V_{n}[EW-2:0];"):
       _DPA_SMALL for n in ("FRAC", "PMAN", "ACCM", "SW1", "TW", "CTW", "RSAT")},
    ("fp8_dpa", "localparam integer PW = PMAN + 2;", "localparam integer PW = PMAN + 3;"):
        "a product significand below 2^PW one bit wider: only a leading zero more (in p_sig, wide, TW); a term "
        "d = TW_old places down keeps nothing and loses every bit, as all_out does",
    ("fp8_dpa", "localparam integer CTW = ACC_MAN_W + 1 + FRAC_W;", "localparam integer CTW = ACC_MAN_W + 2 + FRAC_W;"):
        "C's aligned word one bit wider: a leading zero more; at c_d = CTW_old the shift keeps nothing and "
        "loses every bit, as c_out does",
    ("fp8_dpa", "localparam integer EW = 14;", "localparam integer EW = 15;"): _DPA_EW,
    ("fp8_dpa", "localparam integer EW = 14;", "localparam integer EW = 13;"): _DPA_EW,
    ("fp8_dpa", "localparam integer SW = FRAC_W + 3 + $clog2(LANES + 1);",
     "localparam integer SW = FRAC_W + 4 + $clog2(LANES + 1);"): _DPA_WIDER_SUM,
    ("fp8_dpa", "localparam integer SW = FRAC_W + 3 + $clog2(LANES + 1);",
     "localparam integer SW = FRAC_W + 3 + $clog2(LANES + 2);"): _DPA_WIDER_SUM,
    ("fp8_dpa", "localparam [31:0] V_RSAT = SW + 1;", "localparam [31:0] V_RSAT = SW + 0;"):
        "|sum| < (LANES + 1) * 2^(FRAC_W + 2) <= 2^(SW - 1), so mag[SW-1] is 0: a shift by SW also leaves "
        "nothing kept, a zero round bit and every bit of mag in the sticky bit",
    ("fp8_dpa", "if (p_cand[j] && (!any_cand || $signed(p_exp[j*EW +: EW]) > $signed(emax))) begin",
     "if (p_cand[j] && (!any_cand || $signed(p_exp[j*EW +: EW]) >= $signed(emax))) begin"):
        "an equal exponent replaces emax by the same value",
    ("fp8_dpa", "wire           all_out = ~p_live[k] | ($signed(d) >= $signed(K_TW));",
     "wire           all_out = ~p_live[k] | ($signed(d) > $signed(K_TW));"):
        "at d = TW the shift by d keeps nothing of the TW-bit word and loses every bit, as all_out does",
    ("fp8_dpa", "wire            c_out = ~c_live | ($signed(c_d) >= $signed(K_CTW));",
     "wire            c_out = ~c_live | ($signed(c_d) > $signed(K_CTW));"):
        "at c_d = CTW the shift by c_d keeps nothing of the CTW-bit word and loses every bit, as c_out does",
    ("fp8_dpa", "wire [EW-1:0] top = ($signed(lead) > $signed(floor_e)) ? lead : floor_e;",
     "wire [EW-1:0] top = ($signed(lead) >= $signed(floor_e)) ? lead : floor_e;"):
        "at lead = floor_e both arms give the same value",
    ("fp8_dpa", "wire          shl = $signed(rsh) < 0;", "wire          shl = $signed(rsh) <= 0;"): _DPA_RSH0,
    ("fp8_dpa", "wire          shl = $signed(rsh) < 0;", "wire          shl = $signed(rsh) < 1;"): _DPA_RSH0,
    ("fp8_dpa", "wire          rsat = ~shl & ($signed(rsh) > $signed(K_RSAT));",
     "wire          rsat = ~shl & ($signed(rsh) >= $signed(K_RSAT));"):
        "at rsh = SW + 1 the saturated shift is rsh itself",
    ("fp8_dpa", "wire [4:0]    ls = shl ? lsh_full[4:0] : 5'd0;", "wire [4:0]    ls = shl ? lsh_full[4:0] : 5'd1;"):
        "ls only shifts i_exact, which i_q reads only when shl",
    ("fp8_dpa", "wire [STEP_MAN_W+1:0] i_q = shl ? i_exact[STEP_MAN_W+1:0] : i_kept[STEP_MAN_W+1:0];",
     "wire [STEP_MAN_W+1:0] i_q = shl ? i_exact[STEP_MAN_W+0:0] : i_kept[STEP_MAN_W+1:0];"): _DPA_IQ_TOP,
    ("fp8_dpa", "wire [STEP_MAN_W+1:0] i_q = shl ? i_exact[STEP_MAN_W+1:0] : i_kept[STEP_MAN_W+1:0];",
     "wire [STEP_MAN_W+1:0] i_q = shl ? i_exact[STEP_MAN_W+1:0] : i_kept[STEP_MAN_W+0:0];"): _DPA_IQ_TOP,
    ("fp8_dpa", "wire           ovf = ~base[EW-1] & (code_q >= K_INF_STEP);",
     "wire           ovf = ~base[EW-2] & (code_q >= K_INF_STEP);"):
        "base = top + emax - FRAC_W - emin >= 0 (top >= floor_e) and <= 52 + 2000 + 126 < 2^(EW-2): bits EW-1 "
        "and EW-2 are both 0",
    ("fp8_dpa", "wire [C_W-1:0] mag_wide = {{(ACC_MAN_W-STEP_MAN_W+1){1'b0}}, code_q[ACC_EXP_W+STEP_MAN_W-1:0]}",
     "wire [C_W-1:0] mag_wide = {{(ACC_MAN_W-STEP_MAN_W+1){1'b1}}, code_q[ACC_EXP_W+STEP_MAN_W-1:0]}"):
        "the shift by ACC_MAN_W - STEP_MAN_W moves the fill out of mag_wide except its lowest bit, which lands "
        "in bit C_W-1, the one mag_code drops",
    ("fp8_dpa", "flags_d = 5'b00000;", "flags_d = 5'b00001;"):
        "the default's NX bit is overwritten by the NX assignment that follows",
    ("fp8_dpa", "if (s1_valid) begin", "begin"):
        "res_d is a function of the stage-1 register alone, which loads only with valid_i (PIPE >= 1): while "
        "s1_valid is low it still holds the step whose result res_o holds (after reset: zero, whose res_d is "
        "+0 with no flags, the reset value)",
    ("fp8_dpa", "if (PIPE == 0) begin : gen_no_clock", "if (PIPE != 0) begin : gen_no_clock"): _GEN_SINK,
    ("fp8_dpa", "if (PIPE == 0) begin : gen_no_clock", "if (PIPE == 1) begin : gen_no_clock"): _GEN_SINK,
    ("fp8_dpa", "if (SCALED == 0) begin : gen_no_scales", "if (SCALED != 0) begin : gen_no_scales"): _GEN_SINK,
    ("fp8_dpa", "if (SCALED == 0) begin : gen_no_scales", "if (SCALED == 1) begin : gen_no_scales"): _GEN_SINK,
}
"""Mutants shown equivalent (docs/verification.md, "Mutation testing"), keyed by (module, the first
changed line before, after; both stripped), with the reason. They are not simulated or scored.
:func:`equivalent_reason` adds one rule: a mutant of a lint sink's value."""

_SINK = re.compile(r"wire\b[^=;]*?\b(unused_\w+)\s*=")


def equivalent_reason(module: str, text: str, before: str, after: str) -> str | None:
    """Why the mutant of ``rtl/<module>.v`` (``text``) that turns line ``before`` into ``after`` (both
    stripped) is equivalent, or None: its :data:`EQUIVALENT` entry, else, when both lines assign the same
    ``unused_*`` wire and that name occurs nowhere else in the file, "a lint sink with no loads"."""
    reason = EQUIVALENT.get((module, before, after))
    if reason is not None:
        return reason
    a, b = _SINK.match(before), _SINK.match(after)
    if a and b and a.group(0) == b.group(0) and len(re.findall(rf"\b{a.group(1)}\b", _code(text))) == 1:
        return f"{a.group(1)} is a lint sink with no loads (the name occurs only where it is assigned)"
    return None


def _code(text: str) -> str:
    """``text`` without comments (a name in a comment is not a load)."""
    return re.sub(r"//[^\n]*|/\*.*?\*/", " ", text, flags=re.S)


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
