// SPDX-License-Identifier: Apache-2.0
// fp8_unpack: the fields and the class of one floating-point operand code (combinational leaf).
//
// The one operand unpacker of rtl/: fp8_mul, fp8_fma (both operands and the accumulator) and
// mx_dot (every element of both blocks) instantiate it; semantics as refmodel.codec's decode.
//
// Parameters
//   EXP_W      exponent field width (>= 1)
//   MAN_W      mantissa field width (>= 0; EXP_W + MAN_W <= 31)
//   BIAS       exponent bias: unb_o = max(exp, 1) - BIAS
//   SPECIALS   `FP8KIT_SPECIALS_* code: 0 ieee, 1 fn, 2 fnuz, 3 none
//   UNB_W      width of unb_o (two's complement; wide enough for 2^EXP_W - BIAS and 1 - BIAS)
// Ports
//   code_i[EXP_W+MAN_W:0]   operand code (sign, exponent, mantissa)
//   sign_o                  the sign bit
//   exp_o[EXP_W-1:0]        the biased exponent field
//   exp_zero_o              the exponent field is zero (zero or subnormal)
//   sig_o[MAN_W:0]          the integer significand, hidden bit (exponent != 0) included
//   unb_o[UNB_W-1:0]        the unbiased exponent max(exp, 1) - BIAS (subnormals at emin)
//   cls_o[4:0]              {nan, snan, inf, zero, sub}:
//                             nan   ieee: exponent all ones, mantissa non-zero; fn: exponent and
//                                   mantissa all ones; fnuz: sign set, exponent and mantissa zero;
//                                   none: never
//                             snan  signalling NaN (IEEE 754-2019 section 6.2.1): ieee only, a NaN
//                                   whose mantissa MSB (the quiet bit) is clear
//                             inf   ieee only: exponent all ones, mantissa zero
//                             zero  exponent and mantissa zero, not NaN (either sign)
//                             sub   exponent zero, mantissa non-zero
// Latency: combinational (0 clocks); no clock or reset.

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "fp8kit_defs.vh"

// Linting every rtl/*.v in one Verilator run sees several independent top modules by design.
// verilator lint_off MULTITOP
module fp8_unpack #(
  // exponent field width
  parameter integer EXP_W    = 4,
  // mantissa field width
  parameter integer MAN_W    = 3,
  // exponent bias
  parameter integer BIAS     = 7,
  // special-value convention (`FP8KIT_SPECIALS_*)
  parameter integer SPECIALS = 1,
  // width of the unbiased exponent output
  parameter integer UNB_W    = 6
) (
  input  wire [EXP_W+MAN_W:0] code_i,
  output wire                 sign_o,
  output wire [EXP_W-1:0]     exp_o,
  output wire                 exp_zero_o,
  output wire [MAN_W:0]       sig_o,
  output wire [UNB_W-1:0]     unb_o,
  output wire [4:0]           cls_o
);

  // -BIAS as an UNB_W-bit constant (derived, do not override)
  localparam integer NBIAS_I = -BIAS;
  localparam [UNB_W-1:0] K_NBIAS = NBIAS_I[UNB_W-1:0];
  // SPECIALS as a 3-bit code, the width of the `FP8KIT_SPECIALS_* codes (derived, do not override)
  localparam [31:0] V_SPECIALS = SPECIALS;
  localparam [2:0]  K_SPECIALS = V_SPECIALS[2:0];

`ifndef SYNTHESIS
  initial begin
    if (EXP_W < 1 || MAN_W < 0 || EXP_W + MAN_W > 31) begin
      $display("fp8_unpack: EXP_W=%0d (>= 1) / MAN_W=%0d (>= 0, EXP_W + MAN_W <= 31) unsupported",
               EXP_W, MAN_W);
      $fatal(1);
    end
    if (SPECIALS < 0 || SPECIALS > 3) begin
      $display("fp8_unpack: SPECIALS must be 0 ieee, 1 fn, 2 fnuz or 3 none, got %0d", SPECIALS);
      $fatal(1);
    end
    if (UNB_W < EXP_W + 1 || UNB_W > 32) begin
      $display("fp8_unpack: UNB_W=%0d not in EXP_W + 1 = %0d ... 32", UNB_W, EXP_W + 1);
      $fatal(1);
    end
  end
`endif

  wire             sign = code_i[EXP_W+MAN_W];
  wire [EXP_W-1:0] expo = code_i[EXP_W+MAN_W-1:MAN_W];
  wire             e0 = ~|expo;
  wire             e1 = &expo;
  // mantissa all zeros, all ones, and its MSB (the quiet bit); an empty mantissa is all zeros
  // and all ones at once and has no quiet bit
  wire             m0;
  wire             m1;
  wire             quiet;

  if (MAN_W > 0) begin : gen_man
    wire [MAN_W-1:0] man = code_i[MAN_W-1:0];
    assign m0 = ~|man;
    assign m1 = &man;
    assign quiet = man[MAN_W-1];
    assign sig_o = {~e0, man};
  end else begin : gen_no_man
    assign m0 = 1'b1;
    assign m1 = 1'b1;
    assign quiet = 1'b0;
    assign sig_o = ~e0;
  end

  reg nan;
  always @* begin
    case (K_SPECIALS)
      `FP8KIT_SPECIALS_IEEE: nan = e1 & ~m0;
      `FP8KIT_SPECIALS_FN:   nan = e1 & m1;
      `FP8KIT_SPECIALS_FNUZ: nan = sign & e0 & m0;
      default:               nan = 1'b0;
    endcase
  end

  wire ieee = (K_SPECIALS == `FP8KIT_SPECIALS_IEEE);

  assign sign_o     = sign;
  assign exp_o      = expo;
  assign exp_zero_o = e0;
  // max(exp, 1) - BIAS, in UNB_W bits
  assign unb_o      = {{(UNB_W-EXP_W){1'b0}}, expo} + {{(UNB_W-1){1'b0}}, e0} + K_NBIAS;
  assign cls_o      = {nan, ieee & nan & ~quiet, ieee & e1 & m0, e0 & m0 & ~nan, e0 & ~m0};

endmodule

`resetall
