// SPDX-License-Identifier: Apache-2.0
// fp8_mac: accumulator register around fp8_fma, with sticky flags and an internal LFSR for sr.
//
// Matches refmodel.arith.mac (acc_init = +0, lfsr_seed = SEED, rand from the LFSR).
//
// Parameters
//   A_EXP_W, A_MAN_W, A_BIAS, A_SPECIALS, B_*  operand formats, as fp8_fma
//   ACC_EXP_W, ACC_MAN_W                       accumulator format (IEEE-style)
//   SR_BITS                                    random bits of stochastic rounding (low LFSR bits)
//   SEED                                       LFSR seed, non-zero
// Ports
//   clk_i, rst_ni         clock; asynchronous active-low reset (acc +0, flags 0, LFSR = SEED)
//   clear_i               synchronous clear, same effect as reset; wins over valid_i
//   valid_i               accept (a_i, b_i): acc <= fma(acc, a_i, b_i), flags |= its flags,
//                         the LFSR leaps once
//   a_i, b_i, rm_i, sat_i operands, rounding mode (fp8_fma codes), saturation
//   acc_o                 accumulator code
//   flags_o[4:0]          {NV, DZ, OF, UF, NX}, sticky since the last clear or reset
// Latency: 1 cycle; acc_o and flags_o show an accepted operation after the next rising edge.

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "fp8kit_defs.vh"

// Linting every rtl/*.v in one Verilator run sees several independent top modules by design.
// verilator lint_off MULTITOP
module fp8_mac #(
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
  // LFSR seed (non-zero)
  parameter [31:0] SEED = 32'h0000_0001
) (
  input  wire                         clk_i,
  input  wire                         rst_ni,
  input  wire                         clear_i,
  input  wire                         valid_i,
  input  wire [A_EXP_W+A_MAN_W:0]     a_i,
  input  wire [B_EXP_W+B_MAN_W:0]     b_i,
  input  wire [2:0]                   rm_i,
  input  wire                         sat_i,
  output wire [ACC_EXP_W+ACC_MAN_W:0] acc_o,
  output wire [4:0]                   flags_o
);

  // accumulator width (derived, do not override)
  localparam integer CW = ACC_EXP_W + ACC_MAN_W + 1;

`ifndef SYNTHESIS
  initial begin
    if (SR_BITS < 1 || SR_BITS > 32) begin
      $display("fp8_mac: SR_BITS=%0d not in 1...32", SR_BITS);
      $fatal(1);
    end
  end
`endif

  reg  [CW-1:0] acc_q;
  reg  [CW-1:0] acc_d;
  reg  [4:0]    flags_q;
  reg  [4:0]    flags_d;
  wire [CW-1:0] fma_res;
  wire [4:0]    fma_flags;
  // only the low SR_BITS bits of the LFSR word feed stochastic rounding (spec-notes section 3)
  /* verilator lint_off UNUSEDSIGNAL */
  wire [31:0]   word;
  /* verilator lint_on UNUSEDSIGNAL */
  wire          step = valid_i & ~clear_i;

  lfsr32 #(
    .SEED(SEED)
  ) u_lfsr32 (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .clear_i(clear_i),
    .step_i(step),
    .word_o(word)
  );

  fp8_fma #(
    .A_EXP_W(A_EXP_W), .A_MAN_W(A_MAN_W), .A_BIAS(A_BIAS), .A_SPECIALS(A_SPECIALS),
    .B_EXP_W(B_EXP_W), .B_MAN_W(B_MAN_W), .B_BIAS(B_BIAS), .B_SPECIALS(B_SPECIALS),
    .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W), .SR_BITS(SR_BITS)
  ) u_fp8_fma (
    .a_i(a_i),
    .b_i(b_i),
    .acc_i(acc_q),
    .rm_i(rm_i),
    .rand_i(word[SR_BITS-1:0]),
    .sat_i(sat_i),
    .res_o(fma_res),
    .flags_o(fma_flags)
  );

  always @* begin
    acc_d = acc_q;
    flags_d = flags_q;
    if (clear_i) begin
      acc_d = {CW{1'b0}};
      flags_d = 5'b00000;
    end else if (valid_i) begin
      acc_d = fma_res;
      flags_d = flags_q | fma_flags;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_q <= {CW{1'b0}};
      flags_q <= 5'b00000;
    end else begin
      acc_q <= acc_d;
      flags_q <= flags_d;
    end
  end

  assign acc_o = acc_q;
  assign flags_o = flags_q;

endmodule

`resetall
