// SPDX-License-Identifier: Apache-2.0
// fp8kit_cost_mac: fp8_mac with rm_i tied to one rounding mode, the FP-MAC top of the cost model.
//
// fp8kit cost --synth synthesizes this module (fp8kit/cost/synth.py) with its parameters set by
// Yosys chparam from fp8kit.rtlspec.params.fma_rtl_params, so that Yosys removes the logic of
// the rounding modes the configuration never uses. Everything else is fp8_mac.
//
// Parameters
//   A_EXP_W, A_MAN_W, A_BIAS, A_SPECIALS, B_*  operand formats, as fp8_fma
//   ACC_EXP_W, ACC_MAN_W                       accumulator format (IEEE-style)
//   SR_BITS                                    random bits of stochastic rounding
//   RM                                         the one rounding mode, a `FP8KIT_RM_* code (0...6)
// Ports
//   clk_i, rst_ni, clear_i, valid_i, a_i, b_i, sat_i, acc_o, flags_o   as fp8_mac (rm_i is RM)
// Latency: 1 cycle, as fp8_mac.

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "fp8kit_defs.vh"

// Linting every rtl/*.v in one Verilator run sees several independent top modules by design.
// verilator lint_off MULTITOP
module fp8kit_cost_mac #(
  // operand a format
  parameter A_EXP_W = 4,
  parameter A_MAN_W = 3,
  parameter A_BIAS = 7,
  parameter A_SPECIALS = 1,
  // operand b format
  parameter B_EXP_W = 4,
  parameter B_MAN_W = 3,
  parameter B_BIAS = 7,
  parameter B_SPECIALS = 1,
  // accumulator format
  parameter ACC_EXP_W = 8,
  parameter ACC_MAN_W = 23,
  // random bits of stochastic rounding
  parameter SR_BITS = 16,
  // the rounding mode rm_i is tied to (`FP8KIT_RM_*)
  parameter RM = 0
) (
  input  wire                         clk_i,
  input  wire                         rst_ni,
  input  wire                         clear_i,
  input  wire                         valid_i,
  input  wire [A_EXP_W+A_MAN_W:0]     a_i,
  input  wire [B_EXP_W+B_MAN_W:0]     b_i,
  input  wire                         sat_i,
  output wire [ACC_EXP_W+ACC_MAN_W:0] acc_o,
  output wire [4:0]                   flags_o
);

  // RM as a 3-bit rm_i code (derived, do not override)
  localparam [31:0] V_RM = RM;
  localparam [2:0]  K_RM = V_RM[2:0];

`ifndef SYNTHESIS
  initial begin
    if (RM < `FP8KIT_RM_RNE || RM > `FP8KIT_RM_RTO) begin
      $display("fp8kit_cost_mac: RM=%0d is not a rounding mode (0...6)", RM);
      $fatal(1);
    end
  end
`endif

  fp8_mac #(
    .A_EXP_W(A_EXP_W), .A_MAN_W(A_MAN_W), .A_BIAS(A_BIAS), .A_SPECIALS(A_SPECIALS),
    .B_EXP_W(B_EXP_W), .B_MAN_W(B_MAN_W), .B_BIAS(B_BIAS), .B_SPECIALS(B_SPECIALS),
    .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W), .SR_BITS(SR_BITS)
  ) u_fp8_mac (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .clear_i(clear_i),
    .valid_i(valid_i),
    .a_i(a_i),
    .b_i(b_i),
    .rm_i(K_RM),
    .sat_i(sat_i),
    .acc_o(acc_o),
    .flags_o(flags_o)
  );

endmodule

`resetall
