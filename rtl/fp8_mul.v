// SPDX-License-Identifier: Apache-2.0
// fp8_mul: exact product of two narrow floating-point codes (no rounding), as refmodel.arith.mul.
//
// value = (-1)^sign_o * sig_o * 2^(exp_o - (A_MAN_W + B_MAN_W))
//
// Parameters (operand formats; take them from Format.rtl_params("A_") / ("B_"), or
// `fp8kit rtl-params FORMAT --prefix A_`):
//   A_EXP_W, A_MAN_W    exponent and mantissa field widths of a_i (>= 1 each)
//   A_BIAS              exponent bias of a_i (0 .. 2^A_EXP_W)
//   A_SPECIALS          `FP8KIT_SPECIALS_* code: 0 ieee, 1 fn, 2 fnuz, 3 none (4 scale is refused)
//   B_EXP_W, B_MAN_W, B_BIAS, B_SPECIALS   the same for b_i
// Ports:
//   a_i      [A_EXP_W+A_MAN_W:0]   operand code (sign, exponent, mantissa)
//   b_i      [B_EXP_W+B_MAN_W:0]   operand code
//   sign_o                         sign_a XOR sign_b; 0 when the product is NaN
//   exp_o    [max(A_EXP_W,B_EXP_W)+1:0], signed   ea + eb, the sum of the unbiased exponents
//                                  (a subnormal or zero operand counts as emin = 1 - bias);
//                                  0 when the product is Inf or NaN
//   sig_o    [A_MAN_W+B_MAN_W+1:0] product of the integer significands (hidden bits included);
//                                  0 when the product is zero, Inf or NaN
//   class_o  [2:0]                 `FP8KIT_CLASS_* code: NAN if an operand is NaN or Inf*0, else INF
//                                  if an operand is Inf, else ZERO if an operand is zero, else
//                                  SUBNORMAL if an operand is subnormal, else NORMAL
// Latency: combinational (0 clocks); no clock or reset.

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "fp8kit_defs.vh"

// Linting every rtl/*.v in one Verilator run sees several independent top modules by design.
// verilator lint_off MULTITOP
module fp8_mul #(
  // operand A exponent field width
  parameter integer A_EXP_W    = 4,
  // operand A mantissa field width
  parameter integer A_MAN_W    = 3,
  // operand A exponent bias
  parameter integer A_BIAS     = 7,
  // operand A special-value convention (`FP8KIT_SPECIALS_*)
  parameter integer A_SPECIALS = 1,
  // operand B exponent field width
  parameter integer B_EXP_W    = 4,
  // operand B mantissa field width
  parameter integer B_MAN_W    = 3,
  // operand B exponent bias
  parameter integer B_BIAS     = 7,
  // operand B special-value convention (`FP8KIT_SPECIALS_*)
  parameter integer B_SPECIALS = 1
) (
  input  wire [A_EXP_W+A_MAN_W:0]                                   a_i,
  input  wire [B_EXP_W+B_MAN_W:0]                                   b_i,
  output wire                                                       sign_o,
  // width EXP_O_W (below); Verilog-2005 cannot name a body localparam in the port list
  output wire signed [((A_EXP_W > B_EXP_W) ? A_EXP_W : B_EXP_W)+1:0] exp_o,
  output wire [A_MAN_W+B_MAN_W+1:0]                                 sig_o,
  output wire [2:0]                                                 class_o
);

  // signed width of exp_o: |ea + eb| < 2^(max(A_EXP_W, B_EXP_W)+1) (derived, do not override)
  localparam integer EXP_O_W = ((A_EXP_W > B_EXP_W) ? A_EXP_W : B_EXP_W) + 2;
  // significand widths, hidden bit included (derived, do not override)
  localparam integer A_SIG_W = A_MAN_W + 1;
  localparam integer B_SIG_W = B_MAN_W + 1;
  localparam integer SIG_W   = A_SIG_W + B_SIG_W;
  // class codes (derived, do not override)
  localparam [2:0] CLS_ZERO   = `FP8KIT_CLASS_ZERO;
  localparam [2:0] CLS_SUB    = `FP8KIT_CLASS_SUBNORMAL;
  localparam [2:0] CLS_NORMAL = `FP8KIT_CLASS_NORMAL;
  localparam [2:0] CLS_INF    = `FP8KIT_CLASS_INF;
  localparam [2:0] CLS_NAN    = `FP8KIT_CLASS_NAN;

`ifndef SYNTHESIS
  initial begin
    if (A_EXP_W < 1 || A_MAN_W < 1 || B_EXP_W < 1 || B_MAN_W < 1) begin
      $display("fp8_mul: EXP_W and MAN_W must be >= 1, got A %0d/%0d B %0d/%0d",
               A_EXP_W, A_MAN_W, B_EXP_W, B_MAN_W);
      $fatal(1);
    end
    if (A_BIAS < 0 || A_BIAS > (1 << A_EXP_W) || B_BIAS < 0 || B_BIAS > (1 << B_EXP_W)) begin
      $display("fp8_mul: BIAS must be in 0 .. 2^EXP_W, got A_BIAS %0d B_BIAS %0d", A_BIAS, B_BIAS);
      $fatal(1);
    end
    if (A_EXP_W + A_MAN_W + 1 > 31 || B_EXP_W + B_MAN_W + 1 > 31) begin
      $display("fp8_mul: operands are at most 31 bits wide, got A %0d B %0d", A_EXP_W + A_MAN_W + 1,
               B_EXP_W + B_MAN_W + 1);
      $fatal(1);
    end
    if (A_SPECIALS < 0 || A_SPECIALS > 3 || B_SPECIALS < 0 || B_SPECIALS > 3) begin
      $display("fp8_mul: SPECIALS must be 0 ieee, 1 fn, 2 fnuz or 3 none, got A %0d B %0d",
               A_SPECIALS, B_SPECIALS);
      $fatal(1);
    end
  end
`endif

  // ---------------------------------------------------------------- operand fields and classes
  wire                      a_sign;
  wire                      b_sign;
  // max(e, 1) - bias, in EXP_O_W bits (rtl/fp8_unpack.v)
  wire signed [EXP_O_W-1:0] a_unb;
  wire signed [EXP_O_W-1:0] b_unb;
  wire [A_SIG_W-1:0]        a_sig;
  wire [B_SIG_W-1:0]        b_sig;
  // {nan, snan, inf, zero, sub} of each code
  wire [4:0]                a_cls;
  wire [4:0]                b_cls;
  // the exponent fields are not needed beyond the unbiased exponents
  wire [A_EXP_W-1:0]        unused_a_exp;
  wire [B_EXP_W-1:0]        unused_b_exp;
  wire                      unused_a_e0;
  wire                      unused_b_e0;

  fp8_unpack #(
    .EXP_W(A_EXP_W), .MAN_W(A_MAN_W), .BIAS(A_BIAS), .SPECIALS(A_SPECIALS), .UNB_W(EXP_O_W)
  ) u_fp8_unpack_a (
    .code_i(a_i),
    .sign_o(a_sign),
    .exp_o(unused_a_exp),
    .exp_zero_o(unused_a_e0),
    .sig_o(a_sig),
    .unb_o(a_unb),
    .cls_o(a_cls)
  );

  fp8_unpack #(
    .EXP_W(B_EXP_W), .MAN_W(B_MAN_W), .BIAS(B_BIAS), .SPECIALS(B_SPECIALS), .UNB_W(EXP_O_W)
  ) u_fp8_unpack_b (
    .code_i(b_i),
    .sign_o(b_sign),
    .exp_o(unused_b_exp),
    .exp_zero_o(unused_b_e0),
    .sig_o(b_sig),
    .unb_o(b_unb),
    .cls_o(b_cls)
  );

  // a signalling NaN is a NaN product like any other (fp8_mul has no flags)
  wire unused_snan = a_cls[3] ^ b_cls[3];
  wire a_nan = a_cls[4];
  wire a_inf = a_cls[2];
  wire a_zero = a_cls[1];
  wire a_sub = a_cls[0];
  wire b_nan = b_cls[4];
  wire b_inf = b_cls[2];
  wire b_zero = b_cls[1];
  wire b_sub = b_cls[0];

  // ---------------------------------------------------------------- exact product
  wire [SIG_W-1:0] sig_prod = a_sig * b_sig;
  wire signed [EXP_O_W-1:0] exp_sum = a_unb + b_unb;

  reg [2:0] cls;
  always @* begin
    if (a_nan | b_nan | (a_inf & b_zero) | (a_zero & b_inf)) begin
      cls = CLS_NAN;
    end else if (a_inf | b_inf) begin
      cls = CLS_INF;
    end else if (a_zero | b_zero) begin
      cls = CLS_ZERO;
    end else if (a_sub | b_sub) begin
      cls = CLS_SUB;
    end else begin
      cls = CLS_NORMAL;
    end
  end

  wire special = (cls == CLS_NAN) | (cls == CLS_INF);

  assign sign_o  = (a_sign ^ b_sign) & (cls != CLS_NAN);
  assign exp_o   = special ? {EXP_O_W{1'b0}} : exp_sum;
  assign sig_o   = (special | (cls == CLS_ZERO)) ? {SIG_W{1'b0}} : sig_prod;
  assign class_o = cls;

endmodule

`resetall
