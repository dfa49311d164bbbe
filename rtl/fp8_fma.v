// SPDX-License-Identifier: Apache-2.0
// fp8_fma: res_o = acc_i + a_i * b_i with ONE rounding into an IEEE-style accumulator format.
//
// Bit-identical (result and flags) to refmodel.arith.fma; semantics in docs/arithmetic.md.
//
// Parameters
//   A_EXP_W, A_MAN_W, A_BIAS, A_SPECIALS  operand a format (SPECIALS: 0 ieee, 1 fn, 2 fnuz, 3 none)
//   B_EXP_W, B_MAN_W, B_BIAS, B_SPECIALS  operand b format
//   ACC_EXP_W, ACC_MAN_W                  accumulator format, IEEE-style, bias 2**(ACC_EXP_W-1)-1
//   SR_BITS                               R, random bits used by stochastic rounding
// Ports
//   a_i[A_EXP_W+A_MAN_W:0]      operand a code
//   b_i[B_EXP_W+B_MAN_W:0]      operand b code
//   acc_i[ACC_EXP_W+ACC_MAN_W:0] accumulator code
//   rm_i[2:0]                   rounding mode (`FP8KIT_RM_*): 0 rne, 1 rtz, 2 rdn, 3 rup, 4 rmm,
//                               5 sr, 6 rto (7 is reserved and behaves as rne)
//   rand_i[SR_BITS-1:0]         random integer r for sr: round away iff t + r >= 2**SR_BITS
//   sat_i                       results that overflow by rounding become +-max finite
//   res_o[ACC_EXP_W+ACC_MAN_W:0] result code
//   flags_o[4:0]                {NV, DZ, OF, UF, NX} (`FP8KIT_FLAG_*_BIT); DZ is always 0
// Latency: combinational (0 cycles), no clock.
//
// Datapath: the exact product sits at a fixed place of a window; the accumulator significand is
// placed relative to it (right-shifted into a sticky bit when far below, clamped when far above,
// the product then collapsing to a sticky bit). The window keeps every bit that can decide a
// rounding in any mode (ACC_MAN_W + 1 result bits, SR_BITS bits of t, round and sticky), so the
// signed sum is exact up to one sticky bit below all of them. A leading-zero count (rtl/lzc.v)
// normalises the magnitude (limited at the subnormal boundary), and one rounding step produces
// the code. The operands and the accumulator are unpacked by rtl/fp8_unpack.v.

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "fp8kit_defs.vh"

// Linting every rtl/*.v in one Verilator run sees several independent top modules by design.
// verilator lint_off MULTITOP
module fp8_fma #(
  // operand a: exponent bits
  parameter A_EXP_W = 4,
  // operand a: mantissa bits
  parameter A_MAN_W = 3,
  // operand a: exponent bias
  parameter A_BIAS = 7,
  // operand a: specials convention (0 ieee, 1 fn, 2 fnuz, 3 none)
  parameter A_SPECIALS = 1,
  // operand b: exponent bits
  parameter B_EXP_W = 4,
  // operand b: mantissa bits
  parameter B_MAN_W = 3,
  // operand b: exponent bias
  parameter B_BIAS = 7,
  // operand b: specials convention (0 ieee, 1 fn, 2 fnuz, 3 none)
  parameter B_SPECIALS = 1,
  // accumulator exponent bits
  parameter ACC_EXP_W = 8,
  // accumulator mantissa bits
  parameter ACC_MAN_W = 23,
  // random bits of stochastic rounding
  parameter SR_BITS = 16
) (
  input  wire [A_EXP_W+A_MAN_W:0]     a_i,
  input  wire [B_EXP_W+B_MAN_W:0]     b_i,
  input  wire [ACC_EXP_W+ACC_MAN_W:0] acc_i,
  input  wire [2:0]                   rm_i,
  input  wire [SR_BITS-1:0]           rand_i,
  input  wire                         sat_i,
  output reg  [ACC_EXP_W+ACC_MAN_W:0] res_o,
  output reg  [4:0]                   flags_o
);

  // ---------------------------------------------------------------- derived, do not override
  // accumulator width, mantissa bits and bias (derived, do not override)
  localparam integer CW = ACC_EXP_W + ACC_MAN_W + 1;
  localparam integer M = ACC_MAN_W;
  localparam integer ACC_BIAS = (1 << (ACC_EXP_W - 1)) - 1;
  // the accumulator is IEEE-style: `FP8KIT_SPECIALS_IEEE as an integer (derived, do not override)
  localparam [2:0] K_ACC_SPECIALS = `FP8KIT_SPECIALS_IEEE;
  localparam integer ACC_SPECIALS = {29'd0, K_ACC_SPECIALS};
  // product significand width (derived, do not override)
  localparam integer PW = A_MAN_W + B_MAN_W + 2;
  // window position of the product's LSB: room below it for an accumulator that matters
  // (derived, do not override)
  localparam integer S = M + SR_BITS + 4;
  // largest accumulator LSB position; beyond it the product is only a sticky bit
  // (derived, do not override)
  localparam integer DMAX = S + PW + SR_BITS + 3;
  // window width: exact bits up to the accumulator's top plus a carry, and one sticky bit below
  // (derived, do not override)
  localparam integer FW = DMAX + M + 3;
  // width of the leading-zero count of the window (derived, do not override)
  localparam integer LZ_W = $clog2(FW + 1);
  // remainder width below the kept M+1 bits (derived, do not override)
  localparam integer RW = FW - 1 - M;
  // width of the signed exponent arithmetic (derived, do not override)
  localparam integer EMAX_W = (ACC_EXP_W > A_EXP_W) ?
                              ((ACC_EXP_W > B_EXP_W) ? ACC_EXP_W : B_EXP_W) :
                              ((A_EXP_W > B_EXP_W) ? A_EXP_W : B_EXP_W);
  localparam integer EW = EMAX_W + 10;
  // accumulator emin and the largest magnitude code (derived, do not override)
  localparam integer EMIN = 1 - ACC_BIAS;
  // exponent of the lowest product LSB, for the parameter check (derived, do not override)
  localparam integer LP_MIN = (1 - A_BIAS) + (1 - B_BIAS) - A_MAN_W - B_MAN_W;

  // the same constants as 32-bit vectors, then cut to EW bits (derived, do not override)
  localparam [31:0] V_PFRAC = A_MAN_W + B_MAN_W;
  localparam [31:0] V_S = S;
  localparam [31:0] V_DMAX = DMAX;
  localparam [31:0] V_EMIN = EMIN;
  localparam [31:0] V_TOP = FW - 2;
  localparam [31:0] V_RSH_MAX = M + 2;
  localparam [EW-1:0] K_ONE = 1;
  localparam [EW-1:0] K_PFRAC = V_PFRAC[EW-1:0];
  localparam [EW-1:0] K_S = V_S[EW-1:0];
  localparam [EW-1:0] K_DMAX = V_DMAX[EW-1:0];
  localparam [EW-1:0] K_EMIN = V_EMIN[EW-1:0];
  localparam [EW-1:0] K_TOP = V_TOP[EW-1:0];
  localparam [EW-1:0] K_RSH_MAX = V_RSH_MAX[EW-1:0];
  // first overflowing magnitude code and min normal magnitude code (derived, do not override)
  localparam [EW+M-1:0] K_OVER = {{(EW-ACC_EXP_W){1'b0}}, {ACC_EXP_W{1'b1}}, {M{1'b0}}};
  localparam [EW+M-1:0] K_MIN_NORMAL = {{(EW-1){1'b0}}, 1'b1, {M{1'b0}}};

`ifndef SYNTHESIS
  initial begin
    if (A_MAN_W < 1 || B_MAN_W < 1 || A_EXP_W < 1 || B_EXP_W < 1) begin
      $display("fp8_fma: operands need >= 1 exponent and mantissa bit (A %0d/%0d, B %0d/%0d)",
               A_EXP_W, A_MAN_W, B_EXP_W, B_MAN_W);
      $fatal(1);
    end
    if (A_SPECIALS < 0 || A_SPECIALS > 3 || B_SPECIALS < 0 || B_SPECIALS > 3) begin
      $display("fp8_fma: A_SPECIALS=%0d / B_SPECIALS=%0d not in 0...3", A_SPECIALS, B_SPECIALS);
      $fatal(1);
    end
    if (ACC_EXP_W < 2 || ACC_MAN_W < 1 || ACC_EXP_W > 11 || CW > 32) begin
      $display("fp8_fma: ACC_EXP_W=%0d (2...11) / ACC_MAN_W=%0d (>= 1, at most 32 bits) unsupported",
               ACC_EXP_W, ACC_MAN_W);
      $fatal(1);
    end
    if (SR_BITS < 1 || SR_BITS > 32) begin
      $display("fp8_fma: SR_BITS=%0d not in 1...32", SR_BITS);
      $fatal(1);
    end
    if (A_EXP_W + A_MAN_W + 1 > 31 || B_EXP_W + B_MAN_W + 1 > 31) begin
      $display("fp8_fma: operands are at most 31 bits wide (A %0d, B %0d)", A_EXP_W + A_MAN_W + 1,
               B_EXP_W + B_MAN_W + 1);
      $fatal(1);
    end
    // the window's top must reach the subnormal boundary however low the product sits
    if (LP_MIN - S - 2 + FW < EMIN) begin
      $display("fp8_fma: operand biases %0d/%0d too large for this accumulator", A_BIAS, B_BIAS);
      $fatal(1);
    end
  end
`endif

  // ---------------------------------------------------------------- unpack (rtl/fp8_unpack.v)
  wire           a_s;
  wire           b_s;
  wire           c_s;
  wire [A_MAN_W:0] a_sig;
  wire [B_MAN_W:0] b_sig;
  wire [M:0]     c_sig;
  // unbiased exponents (subnormals count at emin), EW bits
  wire [EW-1:0]  a_exp;
  wire [EW-1:0]  b_exp;
  // the accumulator's LSB exponent: max(e, 1) - (ACC_BIAS + M)
  wire [EW-1:0]  lc;
  // {nan, snan, inf, zero, sub} of each code
  wire [4:0]     a_cls;
  wire [4:0]     b_cls;
  wire [4:0]     c_cls;
  // the exponent fields are not needed beyond the unbiased exponents
  wire [A_EXP_W-1:0] unused_a_e;
  wire [B_EXP_W-1:0] unused_b_e;
  wire [ACC_EXP_W-1:0] unused_c_e;
  wire           unused_a_e0;
  wire           unused_b_e0;
  wire           unused_c_e0;

  fp8_unpack #(
    .EXP_W(A_EXP_W), .MAN_W(A_MAN_W), .BIAS(A_BIAS), .SPECIALS(A_SPECIALS), .UNB_W(EW)
  ) u_fp8_unpack_a (
    .code_i(a_i),
    .sign_o(a_s),
    .exp_o(unused_a_e),
    .exp_zero_o(unused_a_e0),
    .sig_o(a_sig),
    .unb_o(a_exp),
    .cls_o(a_cls)
  );

  fp8_unpack #(
    .EXP_W(B_EXP_W), .MAN_W(B_MAN_W), .BIAS(B_BIAS), .SPECIALS(B_SPECIALS), .UNB_W(EW)
  ) u_fp8_unpack_b (
    .code_i(b_i),
    .sign_o(b_s),
    .exp_o(unused_b_e),
    .exp_zero_o(unused_b_e0),
    .sig_o(b_sig),
    .unb_o(b_exp),
    .cls_o(b_cls)
  );

  // the accumulator is IEEE-style; its sign does not enter its class
  fp8_unpack #(
    .EXP_W(ACC_EXP_W), .MAN_W(M), .BIAS(ACC_BIAS + M), .SPECIALS(ACC_SPECIALS), .UNB_W(EW)
  ) u_fp8_unpack_acc (
    .code_i(acc_i),
    .sign_o(c_s),
    .exp_o(unused_c_e),
    .exp_zero_o(unused_c_e0),
    .sig_o(c_sig),
    .unb_o(lc),
    .cls_o(c_cls)
  );

  // the subnormal bits are not needed here
  wire unused_sub = a_cls[0] ^ b_cls[0] ^ c_cls[0];
  wire a_nan = a_cls[4];
  wire a_snan = a_cls[3];
  wire a_inf = a_cls[2];
  wire a_zero = a_cls[1];
  wire b_nan = b_cls[4];
  wire b_snan = b_cls[3];
  wire b_inf = b_cls[2];
  wire b_zero = b_cls[1];
  wire c_nan = c_cls[4];
  wire c_snan = c_cls[3];
  wire c_inf = c_cls[2];
  wire c_zero = c_cls[1];

  // ---------------------------------------------------------------- exact product
  wire [PW-1:0]    p_sig = a_sig * b_sig;
  wire             p_neg = a_s ^ b_s;
  wire             p_zero = a_zero | b_zero;
  wire             p_invalid = (a_inf & b_zero) | (a_zero & b_inf);
  wire             p_nan = a_nan | b_nan | p_invalid;
  wire             p_inf = ~p_nan & (a_inf | b_inf);

  // LSB exponent of the product (the accumulator's is lc)
  wire [EW-1:0] lp = a_exp + b_exp - K_PFRAC;

  // ---------------------------------------------------------------- align and add
  reg  [EW-1:0]    d;        // accumulator LSB position in the window (exact part)
  reg  [EW-1:0]    win_lsb;  // exponent of the window's exact LSB (the sticky bit is one below)
  reg  [FW-1:0]    c_al;     // aligned accumulator magnitude, bit 0 = sticky
  reg  [FW-1:0]    p_al;     // aligned product magnitude, bit 0 = sticky
  reg  [2*M+2:0]   c_rsh;    // accumulator shifted right, for positions below the window
  reg  [EW-1:0]    c_rsh_n;
  reg  [FW:0]      sum;      // signed sum
  reg              s_neg;
  reg  [FW-1:0]    mag;

  always @* begin
    d = lc - lp + K_S;
    win_lsb = lp - K_S;
    c_al = {FW{1'b0}};
    p_al = {FW{1'b0}};
    c_rsh = {(2*M+3){1'b0}};
    c_rsh_n = {EW{1'b0}};
    if (p_zero || c_zero) begin
      // one addend is zero: place the other exactly
      if (p_zero) win_lsb = lc - K_S;
      c_al = {{(FW-M-1-S-1){1'b0}}, c_sig, {(S+1){1'b0}}};
      p_al = {{(FW-PW-S-1){1'b0}}, p_sig, {(S+1){1'b0}}};
    end else if (d[EW-1]) begin
      // accumulator below the window: shift right, lost bits become the sticky bit
      c_rsh_n = {EW{1'b0}} - d;
      if (c_rsh_n > K_RSH_MAX) c_rsh_n = K_RSH_MAX;
      c_rsh = {c_sig, {(M+2){1'b0}}} >> c_rsh_n;
      c_al = {{(FW-M-2){1'b0}}, c_rsh[2*M+2:M+2], |c_rsh[M+1:0]};
      p_al = {{(FW-PW-S-1){1'b0}}, p_sig, {(S+1){1'b0}}};
    end else if (d > K_DMAX) begin
      // accumulator far above: the product only matters as a sticky bit
      win_lsb = lc - K_DMAX;
      c_al = {1'b0, c_sig, {(DMAX+1){1'b0}}};
      p_al = {{(FW-1){1'b0}}, 1'b1};
    end else begin
      c_al = {{(FW-M-1){1'b0}}, c_sig} << (d + K_ONE);
      p_al = {{(FW-PW-S-1){1'b0}}, p_sig, {(S+1){1'b0}}};
    end
    sum = (c_s ? (~{1'b0, c_al} + 1'b1) : {1'b0, c_al}) + (p_neg ? (~{1'b0, p_al} + 1'b1) :
          {1'b0, p_al});
    s_neg = sum[FW];
    mag = s_neg ? (~sum[FW-1:0] + 1'b1) : sum[FW-1:0];
  end

  // ---------------------------------------------------------------- normalise
  // leading zeros of the magnitude (rtl/lzc.v; FW when it is zero, where lz does not matter)
  wire [LZ_W-1:0]  lz_cnt;
  wire             mag_zero;

  lzc #(
    .WIDTH(FW)
  ) u_lzc (
    .in_i(mag),
    .cnt_o(lz_cnt),
    .zero_o(mag_zero)
  );

  reg  [EW-1:0]    lz;
  reg  [EW-1:0]    e_msb;    // floor(log2 |sum|)
  reg  [EW-1:0]    nsh;
  reg  [FW-1:0]    nrm;
  reg              sub;      // the result binade is below min normal
  reg  [EW-1:0]    exp_idx;

  always @* begin
    lz = {{(EW-LZ_W){1'b0}}, lz_cnt};
    // the window's bit FW-1 has exponent win_lsb + FW - 2 (bit 0 is the sticky half-LSB)
    e_msb = win_lsb + K_TOP - lz;
    sub = $signed(e_msb) < $signed(K_EMIN);
    nsh = sub ? (win_lsb + K_TOP - K_EMIN) : lz;
    nrm = mag << nsh;
    exp_idx = sub ? {EW{1'b0}} : (e_msb - K_EMIN);
  end

  // ---------------------------------------------------------------- round
  wire [M:0]       keep = nrm[FW-1:RW];
  wire [RW-1:0]    rem = nrm[RW-1:0];
  wire             rbit = rem[RW-1];
  wire             stk = |rem[RW-2:0];
  wire             inexact = rbit | stk;
  wire [SR_BITS:0] sr_sum = {1'b0, rem[RW-1:RW-SR_BITS]} + {1'b0, rand_i};

  // the unbounded-exponent rounding one bit finer, for tininess just below min normal
  wire             all1_2 = &nrm[FW-2:RW-1];
  wire             rbit2 = nrm[RW-2];
  wire             inexact2 = |nrm[RW-2:0];

  reg              inc;
  reg              inc2;
  reg  [M:0]       keep_r;
  reg  [EW+M-1:0]  mcode;
  reg              over;
  reg              tiny;
  reg              to_max;
  reg              zero_neg;
  reg  [CW-1:0]    fin_code;
  reg  [4:0]       fin_flags;

  always @* begin
    keep_r = keep;
    inc = 1'b0;
    inc2 = 1'b0;
    case (rm_i)
      `FP8KIT_RM_RTZ: ;
      `FP8KIT_RM_RDN: begin inc = inexact & s_neg; inc2 = inexact2 & s_neg; end
      `FP8KIT_RM_RUP: begin inc = inexact & ~s_neg; inc2 = inexact2 & ~s_neg; end
      `FP8KIT_RM_RMM: begin inc = rbit; inc2 = rbit2; end
      `FP8KIT_RM_SR: inc = sr_sum[SR_BITS];
      `FP8KIT_RM_RTO: keep_r = {keep[M:1], keep[0] | inexact};
      // rne; the finer rounding only matters for an all-ones significand, whose ties go up
      default: begin inc = rbit & (stk | keep[0]); inc2 = rbit2; end
    endcase
    mcode = {exp_idx, {M{1'b0}}} + {{(EW-1){1'b0}}, keep_r} + {{(EW+M-1){1'b0}}, inc};
    over = ~mag_zero && (mcode >= K_OVER);
    if (rm_i == `FP8KIT_RM_SR) begin
      tiny = mcode < K_MIN_NORMAL;
    end else begin
      // tiny unless the value sits just below min normal and rounds up to it unbounded
      tiny = sub & ~((e_msb == K_EMIN - K_ONE) & all1_2 & inc2);
    end
    case (rm_i)
      `FP8KIT_RM_RTZ, `FP8KIT_RM_RTO: to_max = 1'b1;
      `FP8KIT_RM_RDN: to_max = ~s_neg;
      `FP8KIT_RM_RUP: to_max = s_neg;
      default: to_max = 1'b0;
    endcase
    to_max = to_max | sat_i;
    zero_neg = (c_zero & p_zero & (c_s == p_neg)) ? c_s : (rm_i == `FP8KIT_RM_RDN);
    if (mag_zero) begin
      fin_code = {zero_neg, {(CW-1){1'b0}}};
    end else if (over) begin
      // +-max finite: exponent all ones but the LSB, mantissa all ones; +-Inf: exponent all ones
      fin_code = to_max ? {s_neg, {(ACC_EXP_W-1){1'b1}}, 1'b0, {M{1'b1}}}
                        : {s_neg, {ACC_EXP_W{1'b1}}, {M{1'b0}}};
    end else begin
      fin_code = {s_neg, mcode[CW-2:0]};
    end
    // NV and DZ stay 0 here
    fin_flags = 5'b00000;
    fin_flags[`FP8KIT_FLAG_OF_BIT] = over;
    fin_flags[`FP8KIT_FLAG_UF_BIT] = tiny & (inexact | over) & ~over;
    fin_flags[`FP8KIT_FLAG_NX_BIT] = inexact | over;
  end

  // ---------------------------------------------------------------- specials
  wire clash = p_inf & c_inf & (p_neg != c_s);
  wire r_nan = c_nan | p_nan | clash;
  wire r_inf = ~r_nan & (p_inf | c_inf);
  wire r_inf_neg = p_inf ? p_neg : c_s;
  // IEEE 754-2019 section 7.2: a signalling NaN in any operand is invalid
  wire nv = p_invalid | clash | a_snan | b_snan | c_snan;

  always @* begin
    flags_o = 5'b00000;
    if (r_nan) begin
      // canonical quiet NaN: positive, exponent all ones, mantissa MSB set
      res_o = {1'b0, {ACC_EXP_W{1'b1}}, 1'b1, {(M-1){1'b0}}};
    end else if (r_inf) begin
      res_o = {r_inf_neg, {ACC_EXP_W{1'b1}}, {M{1'b0}}};
    end else begin
      res_o = fin_code;
      flags_o = fin_flags;
    end
    flags_o[`FP8KIT_FLAG_NV_BIT] = nv;
  end

endmodule

`resetall
