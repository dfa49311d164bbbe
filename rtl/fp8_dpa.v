// SPDX-License-Identifier: Apache-2.0
// fp8_dpa: one fused dot-product-accumulate step of a tensor core: LANES products and the
// accumulator aligned to the largest exponent among them, each truncated toward zero FRAC_W
// fraction bits below it, summed exactly, rounded once into the step format.
//
// Bit-identical (result and flags) to one step of refmodel.datapath.FusedDot with group 1, as
// refmodel.gemm.matmul (or matmul_mx, E8M0 block scales) computes it for K = LANES; semantics in
// docs/gemm.md ("The fused-dot step"), parameter sets from fp8kit.rtlspec.params.dpa_rtl_params.
//
// Parameters
//   LANES                                    products per step (>= 1)
//   A_EXP_W, A_MAN_W, A_BIAS, A_SPECIALS     element format of A (SPECIALS: 0 ieee, 1 fn, 2 fnuz,
//   B_EXP_W, B_MAN_W, B_BIAS, B_SPECIALS     3 none) and of B: FP8, FP6, FP4 or an MX element type
//   SCALED                                   1: every product is scaled by 2**(scale_a_i - 127) *
//                                            2**(scale_b_i - 127) (E8M0; 0xFF is the NaN scale:
//                                            that side's elements are NaN); 0: the scales are ignored
//   FRAC_W                                   fraction bits kept below the largest exponent (F)
//   ACC_EXP_W, ACC_MAN_W, ACC_BIAS           the accumulator format (IEEE: float32, float16, bfloat16)
//   STEP_MAN_W                               fraction bits of the step result (<= ACC_MAN_W), with the
//                                            accumulator's exponent range (13: E8M13 into float32)
//   RM                                       step rounding: `FP8KIT_RM_RNE (0) or `FP8KIT_RM_RTZ (1)
//   HAS_ZERO_EXP, ZERO_EXP                   1: a zero term (C = 0 included) takes exponent ZERO_EXP
//                                            in the maximum; 0: it takes no part
//   NAN_ALL_ONES                             1: NaN is the positive all-ones code (0x7FFFFFFF in
//                                            float32); 0: the canonical quiet NaN (0x7FC00000)
//   PIPE                                     register stages, 0...2 (latency in clk_i cycles): 0
//                                            combinational; 1 registers the aligned sum; 2 also the
//                                            outputs
// Ports
//   clk_i, rst_ni       clock, asynchronous active-low reset (unused when PIPE = 0)
//   valid_i, valid_o    valid_o is valid_i delayed by PIPE cycles; res_o/flags_o are the result of the
//                       inputs presented PIPE rising edges earlier; with PIPE >= 1 they hold the last
//                       valid result while valid_o is low
//   a_i, b_i            LANES element codes each, lane k in bits [k*A_W +: A_W] (A_W = 1 + A_EXP_W +
//                       A_MAN_W; B alike)
//   scale_a_i, scale_b_i  E8M0 block scales of the step's elements (SCALED = 1)
//   c_i                 the accumulator code (ACC format)
//   res_o               the step result, an ACC code (its low ACC_MAN_W - STEP_MAN_W bits zero)
//   flags_o[4:0]        {NV, DZ, OF, UF, NX} (`FP8KIT_FLAG_*_BIT); DZ is always 0.  NV: Inf * 0, Infs
//                       of both signs, a signalling-NaN element or C; NX: a truncation dropped a
//                       nonzero bit or the rounding was inexact; OF: beyond the range (Inf, in both
//                       modes); UF: a nonzero sum rounded to a result below the min normal (zero
//                       included), inexact
// Latency: PIPE cycles, one step per cycle (no stall).
//
// Datapath: elements unpacked by rtl/fp8_unpack.v; each product's exponent is the sum of its
// elements' unbiased exponents (emin for subnormals) and scales; the largest term exponent emax is
// found by a compare chain; each product significand (and C's) is shifted to units of
// 2**(emax - FRAC_W), the bits below truncated (and remembered for NX); the signed terms are added
// exactly; the magnitude is normalised with rtl/lzc.v and rounded once at the step format's quantum.

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "fp8kit_defs.vh"

// Linting every rtl/*.v in one Verilator run sees several independent top modules by design.
// verilator lint_off MULTITOP
module fp8_dpa #(
  // products per step
  parameter integer LANES        = 32,
  // A element exponent bits
  parameter integer A_EXP_W      = 4,
  // A element mantissa bits
  parameter integer A_MAN_W      = 3,
  // A element exponent bias
  parameter integer A_BIAS       = 7,
  // A element specials convention (0 ieee, 1 fn, 2 fnuz, 3 none)
  parameter integer A_SPECIALS   = 1,
  // B element exponent bits
  parameter integer B_EXP_W      = 4,
  // B element mantissa bits
  parameter integer B_MAN_W      = 3,
  // B element exponent bias
  parameter integer B_BIAS       = 7,
  // B element specials convention (0 ieee, 1 fn, 2 fnuz, 3 none)
  parameter integer B_SPECIALS   = 1,
  // 1: products scaled by both E8M0 block scales
  parameter integer SCALED       = 0,
  // fraction bits kept below the largest exponent
  parameter integer FRAC_W       = 13,
  // accumulator exponent bits
  parameter integer ACC_EXP_W    = 8,
  // accumulator mantissa bits
  parameter integer ACC_MAN_W    = 23,
  // accumulator exponent bias
  parameter integer ACC_BIAS     = 127,
  // fraction bits of the step result
  parameter integer STEP_MAN_W   = 13,
  // step rounding: 0 rne, 1 rtz
  parameter integer RM           = 1,
  // 1: zero terms take ZERO_EXP in the maximum
  parameter integer HAS_ZERO_EXP = 1,
  // the exponent of a zero term
  parameter integer ZERO_EXP     = -133,
  // 1: the all-ones NaN, 0: the canonical quiet NaN
  parameter integer NAN_ALL_ONES = 1,
  // register stages 0...2 = latency in cycles
  parameter integer PIPE         = 0
) (
  input  wire                               clk_i,
  input  wire                               rst_ni,
  input  wire                               valid_i,
  // widths LANES*A_W and LANES*B_W (below); Verilog-2005 cannot name a body localparam in the port list
  input  wire [LANES*(1+A_EXP_W+A_MAN_W)-1:0] a_i,
  input  wire [LANES*(1+B_EXP_W+B_MAN_W)-1:0] b_i,
  input  wire [7:0]                         scale_a_i,
  input  wire [7:0]                         scale_b_i,
  input  wire [ACC_EXP_W+ACC_MAN_W:0]       c_i,
  output reg  [ACC_EXP_W+ACC_MAN_W:0]       res_o,
  output reg  [4:0]                         flags_o,
  output reg                                valid_o
);

  // ---------------------------------------------------------------- derived, do not override
  // element and accumulator code widths
  localparam integer A_W = 1 + A_EXP_W + A_MAN_W;
  localparam integer B_W = 1 + B_EXP_W + B_MAN_W;
  localparam integer C_W = 1 + ACC_EXP_W + ACC_MAN_W;
  // product significand: PMAN fraction bits, PW bits (value in [0, 4))
  localparam integer PMAN = A_MAN_W + B_MAN_W;
  localparam integer PW = PMAN + 2;
  // signed exponent width: element and scale exponents, ZERO_EXP and their differences
  localparam integer EW = 14;
  // a product significand over 2**-FRAC_W (before the alignment shift), and C's
  localparam integer TW = PW + FRAC_W;
  localparam integer CTW = ACC_MAN_W + 1 + FRAC_W;
  // shift-amount widths (they saturate at TW and CTW: every bit out)
  localparam integer TSW = $clog2(TW + 1);
  localparam integer CSW = $clog2(CTW + 1);
  // the signed sum: LANES + 1 terms below 2**(FRAC_W + 2)
  localparam integer SW = FRAC_W + 3 + $clog2(LANES + 1);
  localparam integer LZW = $clog2(SW + 1);
  // the rounding shift saturates at SW + 1 (every bit below the round bit)
  localparam integer RSW = $clog2(SW + 2);
  // accumulator emin and the all-ones exponent field
  localparam integer EMIN = 1 - ACC_BIAS;
  localparam [31:0] V_EMIN = EMIN;
  localparam [31:0] V_ZERO_EXP = ZERO_EXP;
  localparam [31:0] V_FRAC = FRAC_W;
  localparam [31:0] V_STEP = STEP_MAN_W;
  localparam [31:0] V_PMAN = PMAN;
  localparam [31:0] V_ACCM = ACC_MAN_W;
  localparam [31:0] V_SW1 = SW - 1;
  localparam [31:0] V_TW = TW;
  localparam [31:0] V_CTW = CTW;
  localparam [31:0] V_RSAT = SW + 1;
  localparam [EW-1:0] K_EMIN = V_EMIN[EW-1:0];
  localparam [EW-1:0] K_ZERO_EXP = V_ZERO_EXP[EW-1:0];
  localparam [EW-1:0] K_FRAC = V_FRAC[EW-1:0];
  localparam [EW-1:0] K_STEP = V_STEP[EW-1:0];
  localparam [EW-1:0] K_PMAN = V_PMAN[EW-1:0];
  localparam [EW-1:0] K_ACCM = V_ACCM[EW-1:0];
  localparam [EW-1:0] K_SW1 = V_SW1[EW-1:0];
  localparam [EW-1:0] K_TW = V_TW[EW-1:0];
  localparam [EW-1:0] K_CTW = V_CTW[EW-1:0];
  localparam [EW-1:0] K_RSAT = V_RSAT[EW-1:0];
  // the step code's magnitude: exponent field and STEP_MAN_W fraction bits, with room to compare
  localparam integer QW = EW + STEP_MAN_W + 2;
  localparam [QW-1:0] K_INF_STEP = ((1 << ACC_EXP_W) - 1) << STEP_MAN_W;
  localparam [C_W-2:0] K_INF_MAG = {{ACC_EXP_W{1'b1}}, {ACC_MAN_W{1'b0}}};
  localparam [C_W-1:0] K_NAN = (NAN_ALL_ONES != 0) ? {1'b0, {(C_W-1){1'b1}}}
                                                    : {1'b0, {ACC_EXP_W{1'b1}}, 1'b1, {(ACC_MAN_W-1){1'b0}}};
  // the rounding works on IW bits: the sum, or the step significand shifted up
  localparam integer IW = SW + STEP_MAN_W + 2;

`ifndef SYNTHESIS
  initial begin
    if (LANES < 1 || LANES > 256) begin
      $display("fp8_dpa: LANES=%0d not in 1...256", LANES);
      $fatal(1);
    end
    if (A_EXP_W < 1 || A_EXP_W > 5 || A_MAN_W < 0 || A_MAN_W > 7 || B_EXP_W < 1 || B_EXP_W > 5 ||
        B_MAN_W < 0 || B_MAN_W > 7 || A_MAN_W + B_MAN_W < 1) begin
      $display("fp8_dpa: element formats E%0dM%0d and E%0dM%0d unsupported (exponent 1...5, mantissa 0...7)",
               A_EXP_W, A_MAN_W, B_EXP_W, B_MAN_W);
      $fatal(1);
    end
    if (FRAC_W < 1 || FRAC_W > 40) begin
      $display("fp8_dpa: FRAC_W=%0d not in 1...40", FRAC_W);
      $fatal(1);
    end
    if (ACC_EXP_W < 5 || ACC_EXP_W > 8 || ACC_MAN_W < 2 || ACC_MAN_W > 23 || STEP_MAN_W < 1 ||
        STEP_MAN_W > ACC_MAN_W) begin
      $display("fp8_dpa: accumulator E%0dM%0d with STEP_MAN_W=%0d unsupported", ACC_EXP_W, ACC_MAN_W,
               STEP_MAN_W);
      $fatal(1);
    end
    if (RM != 0 && RM != 1) begin
      $display("fp8_dpa: RM=%0d is neither rne (0) nor rtz (1)", RM);
      $fatal(1);
    end
    if (SCALED < 0 || SCALED > 1 || HAS_ZERO_EXP < 0 || HAS_ZERO_EXP > 1 || NAN_ALL_ONES < 0 ||
        NAN_ALL_ONES > 1 || ZERO_EXP < -2000 || ZERO_EXP > 2000) begin
      $display("fp8_dpa: SCALED, HAS_ZERO_EXP and NAN_ALL_ONES are 0 or 1, |ZERO_EXP| <= 2000");
      $fatal(1);
    end
    if (PIPE < 0 || PIPE > 2) begin
      $display("fp8_dpa: PIPE=%0d not in 0...2", PIPE);
      $fatal(1);
    end
  end
`endif

  // ---------------------------------------------------------------- the scales
  wire          sc_a_nan = (SCALED != 0) & (&scale_a_i);
  wire          sc_b_nan = (SCALED != 0) & (&scale_b_i);
  // 2**(scale_a - 127) * 2**(scale_b - 127): the exponent sa + sb - 254
  wire [EW-1:0] sc_exp = (SCALED != 0) ? {{(EW-8){1'b0}}, scale_a_i} + {{(EW-8){1'b0}}, scale_b_i} - 14'd254
                                       : {EW{1'b0}};

  // ---------------------------------------------------------------- the accumulator term
  wire               c_s;
  wire [ACC_MAN_W:0] c_sig;
  wire [EW-1:0]      c_unb;
  wire [4:0]         c_cls;
  wire [ACC_EXP_W-1:0] unused_c_e;
  wire               unused_c_e0;

  fp8_unpack #(
    .EXP_W(ACC_EXP_W), .MAN_W(ACC_MAN_W), .BIAS(ACC_BIAS), .SPECIALS(0), .UNB_W(EW)
  ) u_fp8_unpack_c (
    .code_i(c_i),
    .sign_o(c_s),
    .exp_o(unused_c_e),
    .exp_zero_o(unused_c_e0),
    .sig_o(c_sig),
    .unb_o(c_unb),
    .cls_o(c_cls)
  );

  wire c_nan = c_cls[4];
  wire c_snan = c_cls[3];
  wire c_inf = c_cls[2];
  wire c_zero = c_cls[1];
  wire unused_c_sub = c_cls[0];
  wire c_live = ~c_nan & ~c_inf & ~c_zero;

  // ---------------------------------------------------------------- per-lane products
  wire [LANES-1:0]    p_live;     // both elements finite and nonzero
  wire [LANES-1:0]    p_cand;     // takes part in the maximum (live, or a zero term with ZERO_EXP)
  wire [LANES-1:0]    p_neg;      // the product's sign
  wire [LANES-1:0]    p_nan;      // NaN element (or NaN scale) or Inf * 0
  wire [LANES-1:0]    p_inv;      // Inf * 0 or a signalling-NaN element
  wire [LANES-1:0]    p_pinf;     // +Inf product
  wire [LANES-1:0]    p_ninf;     // -Inf product
  wire [LANES*PW-1:0] p_sig;      // product significand (0 unless live)
  wire [LANES*EW-1:0] p_exp;      // exponent in the maximum (ZERO_EXP for a zero term)

  genvar k;
  for (k = 0; k < LANES; k = k + 1) begin : gen_lane
    wire [A_W-1:0]     a_c = a_i[k*A_W +: A_W];
    wire [B_W-1:0]     b_c = b_i[k*B_W +: B_W];
    wire               a_s;
    wire               b_s;
    wire [A_MAN_W:0]   a_sig;
    wire [B_MAN_W:0]   b_sig;
    wire [EW-1:0]      a_unb;
    wire [EW-1:0]      b_unb;
    wire [4:0]         a_cls;
    wire [4:0]         b_cls;
    wire [A_EXP_W-1:0] unused_a_e;
    wire [B_EXP_W-1:0] unused_b_e;
    wire               unused_a_e0;
    wire               unused_b_e0;

    fp8_unpack #(
      .EXP_W(A_EXP_W), .MAN_W(A_MAN_W), .BIAS(A_BIAS), .SPECIALS(A_SPECIALS), .UNB_W(EW)
    ) u_fp8_unpack_a (
      .code_i(a_c),
      .sign_o(a_s),
      .exp_o(unused_a_e),
      .exp_zero_o(unused_a_e0),
      .sig_o(a_sig),
      .unb_o(a_unb),
      .cls_o(a_cls)
    );

    fp8_unpack #(
      .EXP_W(B_EXP_W), .MAN_W(B_MAN_W), .BIAS(B_BIAS), .SPECIALS(B_SPECIALS), .UNB_W(EW)
    ) u_fp8_unpack_b (
      .code_i(b_c),
      .sign_o(b_s),
      .exp_o(unused_b_e),
      .exp_zero_o(unused_b_e0),
      .sig_o(b_sig),
      .unb_o(b_unb),
      .cls_o(b_cls)
    );

    // a NaN scale makes every element of its side NaN (its other classes void)
    wire a_nan = a_cls[4] | sc_a_nan;
    wire b_nan = b_cls[4] | sc_b_nan;
    wire a_inf = a_cls[2] & ~sc_a_nan;
    wire b_inf = b_cls[2] & ~sc_b_nan;
    wire a_zero = a_cls[1] & ~sc_a_nan;
    wire b_zero = b_cls[1] & ~sc_b_nan;
    wire unused_sub = a_cls[0] ^ b_cls[0];
    wire inf_zero = ~a_nan & ~b_nan & ((a_inf & b_zero) | (a_zero & b_inf));
    wire nan = a_nan | b_nan | inf_zero;
    wire inf = ~nan & (a_inf | b_inf);
    wire live = ~a_nan & ~b_nan & ~a_inf & ~b_inf & ~a_zero & ~b_zero;

    assign p_live[k] = live;
    assign p_cand[k] = live | ((HAS_ZERO_EXP != 0) & ~nan & ~inf);
    assign p_neg[k] = a_s ^ b_s;
    assign p_nan[k] = nan;
    assign p_inv[k] = inf_zero | a_cls[3] | b_cls[3];
    assign p_pinf[k] = inf & ~(a_s ^ b_s);
    assign p_ninf[k] = inf & (a_s ^ b_s);
    assign p_sig[k*PW +: PW] = ({{(PW-A_MAN_W-1){1'b0}}, a_sig} * {{(PW-B_MAN_W-1){1'b0}}, b_sig}) & {PW{live}};
    assign p_exp[k*EW +: EW] = live ? a_unb + b_unb + sc_exp : K_ZERO_EXP;
  end

  // ---------------------------------------------------------------- the largest term exponent
  wire          c_cand = c_live | ((HAS_ZERO_EXP != 0) & c_zero);
  wire [EW-1:0] c_exp = c_live ? c_unb : K_ZERO_EXP;
  reg  [EW-1:0] emax;
  reg           any_cand;
  integer       j;
  always @* begin
    emax = c_exp;
    any_cand = c_cand;
    for (j = 0; j < LANES; j = j + 1) begin
      if (p_cand[j] && (!any_cand || $signed(p_exp[j*EW +: EW]) > $signed(emax))) begin
        emax = p_exp[j*EW +: EW];
      end
      any_cand = any_cand | p_cand[j];
    end
  end

  // ---------------------------------------------------------------- alignment and the exact sum
  // term k over 2**(emax - FRAC_W): (sig << FRAC_W) >> (PMAN + emax - e_k), truncated toward zero
  wire [LANES*SW-1:0] t_term;
  wire [LANES-1:0]    t_lost;
  for (k = 0; k < LANES; k = k + 1) begin : gen_align
    wire [EW-1:0]  d = emax - p_exp[k*EW +: EW] + K_PMAN;
    // d >= TW (or a zero term, whose d is not needed): every bit out
    wire           all_out = ~p_live[k] | ($signed(d) >= $signed(K_TW));
    wire [TSW-1:0] sh = all_out ? TW[TSW-1:0] : d[TSW-1:0];
    wire [TW-1:0]  wide = {p_sig[k*PW +: PW], {FRAC_W{1'b0}}};
    wire [TW-1:0]  kept = wide >> sh;
    wire [TW-1:0]  low = wide & ~({TW{1'b1}} << sh);
    // a live term keeps below 2**(FRAC_W + 2) (sh >= PMAN): the top PMAN bits of kept are zero
    wire [SW-1:0]  mag = {{(SW-FRAC_W-2){1'b0}}, kept[FRAC_W+1:0]};
    wire           unused_kept_top = ^kept[TW-1:FRAC_W+2];
    assign t_term[k*SW +: SW] = (mag ^ {SW{p_neg[k]}}) + {{(SW-1){1'b0}}, p_neg[k]};
    assign t_lost[k] = |low;
  end

  wire [EW-1:0]   c_d = emax - c_unb + K_ACCM;
  wire            c_out = ~c_live | ($signed(c_d) >= $signed(K_CTW));
  wire [CSW-1:0]  c_sh = c_out ? CTW[CSW-1:0] : c_d[CSW-1:0];
  wire [CTW-1:0]  c_wide = {c_sig, {FRAC_W{1'b0}}};
  wire [CTW-1:0]  c_kept = c_wide >> c_sh;
  wire            c_lost = |(c_wide & ~({CTW{1'b1}} << c_sh));
  // a live C keeps below 2**(FRAC_W + 1) (c_sh >= ACC_MAN_W)
  wire [SW-1:0]   c_mag = {{(SW-FRAC_W-1){1'b0}}, c_kept[FRAC_W:0]};
  wire            unused_c_top = ^c_kept[CTW-1:FRAC_W+1];
  wire [SW-1:0]   c_term = (c_mag ^ {SW{c_s}}) + {{(SW-1){1'b0}}, c_s};

  reg [SW-1:0] acc;
  integer      i;
  always @* begin
    acc = c_term;
    for (i = 0; i < LANES; i = i + 1) begin
      acc = acc + t_term[i*SW +: SW];
    end
  end

  // stage-1 bundle: sum, emax, lost, any term, NaN, invalid, +Inf, -Inf
  localparam integer S1W = SW + EW + 6;
  wire [S1W-1:0] s1_d = {acc, emax, (|t_lost) | c_lost, any_cand,
                         c_nan | (|p_nan), c_snan | (|p_inv), (c_inf & ~c_s) | (|p_pinf), (c_inf & c_s) | (|p_ninf)};
  wire [S1W-1:0] s1_q;
  wire           s1_valid;

  if (PIPE >= 1) begin : gen_s1_reg
    reg [S1W-1:0] q;
    reg           v;
    always @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        q <= {S1W{1'b0}};
        v <= 1'b0;
      end else begin
        v <= valid_i;
        if (valid_i) q <= s1_d;
      end
    end
    assign s1_q = q;
    assign s1_valid = v;
  end else begin : gen_s1_comb
    assign s1_q = s1_d;
    assign s1_valid = valid_i;
  end

  wire [SW-1:0] sum = s1_q[S1W-1 -: SW];
  wire [EW-1:0] e_top = s1_q[EW+5:6];
  wire          lost = s1_q[5];
  wire          any_term = s1_q[4];
  wire          any_nan = s1_q[3];
  wire          any_inv = s1_q[2];
  wire          pos_inf = s1_q[1];
  wire          neg_inf = s1_q[0];

  // ---------------------------------------------------------------- stage 2: normalise, round
  wire          sum_neg = sum[SW-1];
  wire [SW-1:0] mag = (sum ^ {SW{sum_neg}}) + {{(SW-1){1'b0}}, sum_neg};
  wire          sum_zero = ~|sum;
  wire [LZW-1:0] lz;
  wire           unused_lz_zero;

  lzc #(
    .WIDTH(SW)
  ) u_lzc (
    .in_i(mag),
    .cnt_o(lz),
    .zero_o(unused_lz_zero)
  );

  // the leading one's index, and the subnormal floor emin - emax + FRAC_W in the same units
  wire [EW-1:0] lead = K_SW1 - {{(EW-LZW){1'b0}}, lz};
  wire [EW-1:0] floor_e = K_EMIN - e_top + K_FRAC;
  wire [EW-1:0] top = ($signed(lead) > $signed(floor_e)) ? lead : floor_e;
  // right shift to the step quantum (negative: the value is exact, shifted left)
  wire [EW-1:0] rsh = top - K_STEP;
  wire          shl = $signed(rsh) < 0;
  wire          rsat = ~shl & ($signed(rsh) > $signed(K_RSAT));
  wire [RSW-1:0] rs = shl ? {RSW{1'b0}} : (rsat ? K_RSAT[RSW-1:0] : rsh[RSW-1:0]);
  wire [EW-1:0] lsh_full = {EW{1'b0}} - rsh;
  // a left shift is at most STEP_MAN_W (top >= 0): five bits
  wire [4:0]    ls = shl ? lsh_full[4:0] : 5'd0;
  wire [EW-6:0] unused_ls_top = lsh_full[EW-1:5];
  // {mag, guard}: bits below the quantum move into the guard word
  wire [2*SW:0]  wide = {mag, {(SW+1){1'b0}}} >> rs;
  wire [SW-1:0]  kept = wide[2*SW -: SW];
  wire           rbit = wide[SW];
  wire           sticky = |wide[SW-1:0];
  // either way the step significand is below 2**(STEP_MAN_W + 1): the bits above it are zero
  wire [IW-1:0]  i_exact = {{(IW-SW){1'b0}}, mag} << ls;
  wire [IW-1:0]  i_kept = {{(IW-SW){1'b0}}, kept};
  wire [STEP_MAN_W+1:0] i_q = shl ? i_exact[STEP_MAN_W+1:0] : i_kept[STEP_MAN_W+1:0];
  wire           unused_i_top = ^{i_exact[IW-1:STEP_MAN_W+2], i_kept[IW-1:STEP_MAN_W+2]};
  wire           up = (RM == 0) & rbit & (sticky | i_q[0]);
  wire [STEP_MAN_W+1:0] i_r = i_q + {{(STEP_MAN_W+1){1'b0}}, up};
  wire           inexact = lost | rbit | sticky;
  // the step code's magnitude: (top + emax - FRAC_W - emin) << STEP_MAN_W plus the rounded significand
  wire [EW-1:0]  base = top + e_top - K_FRAC - K_EMIN;
  wire [QW-1:0]  code_q = ({{(QW-EW){1'b0}}, base} << STEP_MAN_W) + {{(QW-STEP_MAN_W-2){1'b0}}, i_r};
  wire           ovf = ~base[EW-1] & (code_q >= K_INF_STEP);
  wire           tiny = code_q < (1 << STEP_MAN_W);
  wire           to_zero = ~|i_r;
  wire [C_W-1:0] mag_wide = {{(ACC_MAN_W-STEP_MAN_W+1){1'b0}}, code_q[ACC_EXP_W+STEP_MAN_W-1:0]}
                            << (ACC_MAN_W - STEP_MAN_W);
  wire [C_W-2:0] mag_code = mag_wide[C_W-2:0];
  wire           unused_code_top = ^{mag_wide[C_W-1], code_q[QW-1:ACC_EXP_W+STEP_MAN_W]};

  // result selection as and-or terms (one-hot)
  wire res_nan = any_nan | (pos_inf & neg_inf);
  wire sel_nan = res_nan;
  wire sel_inf = ~res_nan & (pos_inf | neg_inf);
  wire sel_fin = ~res_nan & ~pos_inf & ~neg_inf & any_term & ~sum_zero;
  wire sel_ovf = sel_fin & ovf;
  wire sel_num = sel_fin & ~ovf & ~to_zero;
  wire [C_W-1:0] res_d = ({C_W{sel_nan}} & K_NAN)
                       | ({C_W{sel_inf}} & {neg_inf, K_INF_MAG})
                       | ({C_W{sel_ovf}} & {sum_neg, K_INF_MAG})
                       | ({C_W{sel_num}} & {sum_neg, mag_code});
  wire zero_sum = ~res_nan & ~pos_inf & ~neg_inf & any_term & sum_zero;
  reg  [4:0] flags_d;
  always @* begin
    flags_d = 5'b00000;
    flags_d[`FP8KIT_FLAG_NV_BIT] = any_inv | (pos_inf & neg_inf);
    flags_d[`FP8KIT_FLAG_OF_BIT] = sel_ovf;
    flags_d[`FP8KIT_FLAG_UF_BIT] = sel_fin & ~ovf & (to_zero | (tiny & inexact));
    flags_d[`FP8KIT_FLAG_NX_BIT] = sel_ovf | (sel_fin & inexact) | (zero_sum & lost);
  end

  // ---------------------------------------------------------------- output register (PIPE >= 2)
  if (PIPE >= 2) begin : gen_out_reg
    always @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        res_o <= {C_W{1'b0}};
        flags_o <= 5'd0;
        valid_o <= 1'b0;
      end else begin
        valid_o <= s1_valid;
        if (s1_valid) begin
          res_o <= res_d;
          flags_o <= flags_d;
        end
      end
    end
  end else begin : gen_out_comb
    always @* begin
      res_o = res_d;
      flags_o = flags_d;
      valid_o = s1_valid;
    end
  end
  if (PIPE == 0) begin : gen_no_clock
    // the clock and reset are not used without pipeline registers
    wire unused_clk = clk_i ^ rst_ni;
  end
  if (SCALED == 0) begin : gen_no_scales
    wire unused_scales = ^{scale_a_i, scale_b_i};
  end

endmodule

`resetall
