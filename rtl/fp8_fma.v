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
//   rm_i[2:0]                   rounding mode: 0 rne, 1 rtz, 2 rdn, 3 rup, 4 rmm, 5 sr, 6 rto
//                               (7 is reserved and behaves as rne)
//   rand_i[SR_BITS-1:0]         random integer r for sr: round away iff t + r >= 2**SR_BITS
//   sat_i                       results that overflow by rounding become +-max finite
//   res_o[ACC_EXP_W+ACC_MAN_W:0] result code
//   flags_o[4:0]                {NV, DZ, OF, UF, NX}; DZ is always 0
// Latency: combinational (0 cycles), no clock.
//
// Datapath: the exact product sits at a fixed place of a window; the accumulator significand is
// placed relative to it (right-shifted into a sticky bit when far below, clamped when far above,
// the product then collapsing to a sticky bit). The window keeps every bit that can decide a
// rounding in any mode (ACC_MAN_W + 1 result bits, SR_BITS bits of t, round and sticky), so the
// signed sum is exact up to one sticky bit below all of them. A leading-zero count normalises the
// magnitude (limited at the subnormal boundary), and one rounding step produces the code.

`resetall
`timescale 1ns / 1ps
`default_nettype none

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
  localparam [31:0] V_A_BIAS = A_BIAS;
  localparam [31:0] V_B_BIAS = B_BIAS;
  localparam [31:0] V_ACC_OFF = ACC_BIAS + M;
  localparam [31:0] V_PFRAC = A_MAN_W + B_MAN_W;
  localparam [31:0] V_S = S;
  localparam [31:0] V_DMAX = DMAX;
  localparam [31:0] V_EMIN = EMIN;
  localparam [31:0] V_TOP = FW - 2;
  localparam [31:0] V_RSH_MAX = M + 2;
  localparam [31:0] V_FW1 = FW - 1;
  localparam [EW-1:0] K_ONE = 1;
  localparam [EW-1:0] K_A_BIAS = V_A_BIAS[EW-1:0];
  localparam [EW-1:0] K_B_BIAS = V_B_BIAS[EW-1:0];
  localparam [EW-1:0] K_ACC_OFF = V_ACC_OFF[EW-1:0];
  localparam [EW-1:0] K_PFRAC = V_PFRAC[EW-1:0];
  localparam [EW-1:0] K_S = V_S[EW-1:0];
  localparam [EW-1:0] K_DMAX = V_DMAX[EW-1:0];
  localparam [EW-1:0] K_EMIN = V_EMIN[EW-1:0];
  localparam [EW-1:0] K_TOP = V_TOP[EW-1:0];
  localparam [EW-1:0] K_RSH_MAX = V_RSH_MAX[EW-1:0];
  localparam [EW-1:0] K_FW1 = V_FW1[EW-1:0];
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

  // ---------------------------------------------------------------- unpack
  wire                 a_s = a_i[A_EXP_W+A_MAN_W];
  wire [A_EXP_W-1:0]   a_e = a_i[A_EXP_W+A_MAN_W-1:A_MAN_W];
  wire [A_MAN_W-1:0]   a_m = a_i[A_MAN_W-1:0];
  wire                 b_s = b_i[B_EXP_W+B_MAN_W];
  wire [B_EXP_W-1:0]   b_e = b_i[B_EXP_W+B_MAN_W-1:B_MAN_W];
  wire [B_MAN_W-1:0]   b_m = b_i[B_MAN_W-1:0];
  wire                 c_s = acc_i[CW-1];
  wire [ACC_EXP_W-1:0] c_e = acc_i[CW-2:M];
  wire [M-1:0]         c_m = acc_i[M-1:0];

  wire a_e0 = ~|a_e;
  wire b_e0 = ~|b_e;
  wire c_e0 = ~|c_e;

  // operand classes per specials convention (rtl/include/fp8kit_class.vh)
  `include "fp8kit_class.vh"
  // {nan, snan, inf, zero, sub} of each code
  wire [4:0] a_cls = fp8kit_class(A_SPECIALS, A_EXP_W, A_MAN_W, {{(31-A_EXP_W-A_MAN_W){1'b0}}, a_i});
  wire [4:0] b_cls = fp8kit_class(B_SPECIALS, B_EXP_W, B_MAN_W, {{(31-B_EXP_W-B_MAN_W){1'b0}}, b_i});
  // the accumulator's sign does not enter its class (ieee)
  wire [4:0] c_cls = fp8kit_class(0, ACC_EXP_W, M, {{(33-CW){1'b0}}, acc_i[CW-2:0]});
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
  wire [A_MAN_W:0] a_sig = {~a_e0, a_m};
  wire [B_MAN_W:0] b_sig = {~b_e0, b_m};
  wire [PW-1:0]    p_sig = a_sig * b_sig;
  wire             p_neg = a_s ^ b_s;
  wire             p_zero = a_zero | b_zero;
  wire             p_invalid = (a_inf & b_zero) | (a_zero & b_inf);
  wire             p_nan = a_nan | b_nan | p_invalid;
  wire             p_inf = ~p_nan & (a_inf | b_inf);
  wire [M:0]       c_sig = {~c_e0, c_m};

  // unbiased exponents (subnormals count at emin) and LSB exponents of the two addends
  wire [EW-1:0] a_exp = {{(EW-A_EXP_W){1'b0}}, a_e} + {{(EW-1){1'b0}}, a_e0} - K_A_BIAS;
  wire [EW-1:0] b_exp = {{(EW-B_EXP_W){1'b0}}, b_e} + {{(EW-1){1'b0}}, b_e0} - K_B_BIAS;
  wire [EW-1:0] lp = a_exp + b_exp - K_PFRAC;
  wire [EW-1:0] lc = {{(EW-ACC_EXP_W){1'b0}}, c_e} + {{(EW-1){1'b0}}, c_e0} - K_ACC_OFF;

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
  reg  [EW-1:0]    lz;
  reg  [EW-1:0]    e_msb;    // floor(log2 |sum|)
  reg  [EW-1:0]    nsh;
  reg  [FW-1:0]    nrm;
  reg              sub;      // the result binade is below min normal
  reg  [EW-1:0]    exp_idx;
  integer          k;
  reg  [EW-1:0]    kk;

  always @* begin
    lz = {EW{1'b0}};
    kk = {EW{1'b0}};
    for (k = 0; k < FW; k = k + 1) begin
      if (mag[k]) lz = K_FW1 - kk;
      kk = kk + K_ONE;
    end
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
      3'd1: ;  // rtz
      3'd2: begin inc = inexact & s_neg; inc2 = inexact2 & s_neg; end  // rdn
      3'd3: begin inc = inexact & ~s_neg; inc2 = inexact2 & ~s_neg; end  // rup
      3'd4: begin inc = rbit; inc2 = rbit2; end  // rmm
      3'd5: inc = sr_sum[SR_BITS];  // sr
      3'd6: keep_r = {keep[M:1], keep[0] | inexact};  // rto
      // rne; the finer rounding only matters for an all-ones significand, whose ties go up
      default: begin inc = rbit & (stk | keep[0]); inc2 = rbit2; end
    endcase
    mcode = {exp_idx, {M{1'b0}}} + {{(EW-1){1'b0}}, keep_r} + {{(EW+M-1){1'b0}}, inc};
    over = (mag != {FW{1'b0}}) && (mcode >= K_OVER);
    if (rm_i == 3'd5) begin
      tiny = mcode < K_MIN_NORMAL;
    end else begin
      // tiny unless the value sits just below min normal and rounds up to it unbounded
      tiny = sub & ~((e_msb == K_EMIN - K_ONE) & all1_2 & inc2);
    end
    case (rm_i)
      3'd1, 3'd6: to_max = 1'b1;
      3'd2: to_max = ~s_neg;
      3'd3: to_max = s_neg;
      default: to_max = 1'b0;
    endcase
    to_max = to_max | sat_i;
    zero_neg = (c_zero & p_zero & (c_s == p_neg)) ? c_s : (rm_i == 3'd2);
    if (mag == {FW{1'b0}}) begin
      fin_code = {zero_neg, {(CW-1){1'b0}}};
    end else if (over) begin
      // +-max finite: exponent all ones but the LSB, mantissa all ones; +-Inf: exponent all ones
      fin_code = to_max ? {s_neg, {(ACC_EXP_W-1){1'b1}}, 1'b0, {M{1'b1}}}
                        : {s_neg, {ACC_EXP_W{1'b1}}, {M{1'b0}}};
    end else begin
      fin_code = {s_neg, mcode[CW-2:0]};
    end
    // {NV, DZ, OF, UF, NX}
    fin_flags = {1'b0, 1'b0, over, tiny & (inexact | over) & ~over, inexact | over};
  end

  // ---------------------------------------------------------------- specials
  wire clash = p_inf & c_inf & (p_neg != c_s);
  wire r_nan = c_nan | p_nan | clash;
  wire r_inf = ~r_nan & (p_inf | c_inf);
  wire r_inf_neg = p_inf ? p_neg : c_s;
  // IEEE 754-2019 section 7.2: a signalling NaN in any operand is invalid
  wire nv = p_invalid | clash | a_snan | b_snan | c_snan;

  always @* begin
    if (r_nan) begin
      // canonical quiet NaN: positive, exponent all ones, mantissa MSB set
      res_o = {1'b0, {ACC_EXP_W{1'b1}}, 1'b1, {(M-1){1'b0}}};
      flags_o = {nv, 4'b0000};
    end else if (r_inf) begin
      res_o = {r_inf_neg, {ACC_EXP_W{1'b1}}, {M{1'b0}}};
      flags_o = {nv, 4'b0000};
    end else begin
      res_o = fin_code;
      flags_o = {nv | fin_flags[4], fin_flags[3:0]};
    end
  end

endmodule

`resetall
