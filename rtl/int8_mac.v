// SPDX-License-Identifier: Apache-2.0
// int8_mac: int8 x int8 + int32 accumulator register, wrap-around or saturating (spec-notes section 4).
//
// Each accepted pair (valid_i high at a rising edge, clear_i low) replaces the accumulator with
// acc + a_i * b_i, computed exactly and then fitted into 32 bits: two's-complement wrap when sat_i
// is 0, clamped to [-2^31, 2^31 - 1] when sat_i is 1. ovf_o is set when the exact sum of an
// accepted pair left int32 (in either mode) and stays set until clear_i (sticky), exactly as
// refmodel.int8.int8_mac_stream.
//
// Parameters: none (the widths are fixed by the INT8 MAC contract).
// Ports:
//   clk_i    clock
//   rst_ni   asynchronous reset, active low: acc_o <= 0, ovf_o <= 0, valid_o <= 0
//   clear_i  synchronous clear: acc <= 0, ovf <= 0; priority over valid_i (that pair is dropped)
//   valid_i  a_i/b_i hold a pair to accumulate
//   a_i      signed int8 operand
//   b_i      signed int8 operand
//   sat_i    1: saturate on overflow, 0: wrap (sampled with the pair)
//   acc_o    signed int32 accumulator
//   ovf_o    sticky overflow flag since the last clear or reset
//   valid_o  high for one clock after an accepted pair (acc_o holds its result)
// Latency: one clock (acc_o shows the pair's result after the rising edge that accepted it).

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "fp8kit_defs.vh"

// Linting every rtl/*.v in one Verilator run sees several independent top modules by design.
// verilator lint_off MULTITOP
module int8_mac (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        clear_i,
  input  wire        valid_i,
  input  wire [7:0]  a_i,
  input  wire [7:0]  b_i,
  input  wire        sat_i,
  output wire [31:0] acc_o,
  output wire        ovf_o,
  output wire        valid_o
);

  reg  [31:0]        acc_q;
  reg  [31:0]        acc_d;
  reg                ovf_q;
  reg                ovf_d;
  reg                valid_q;

  // exact product (|p| <= 2^14) and exact sum in 34 bits
  wire signed [15:0] prod = $signed(a_i) * $signed(b_i);
  wire signed [33:0] sum  = $signed({{2{acc_q[31]}}, acc_q}) + $signed({{18{prod[15]}}, prod});
  // the sum fits int32 iff its top three bits agree
  wire               step_ovf = (sum[33:31] != 3'b000) && (sum[33:31] != 3'b111);

  always @* begin
    acc_d = acc_q;
    ovf_d = ovf_q;
    if (clear_i) begin
      acc_d = 32'h0000_0000;
      ovf_d = 1'b0;
    end else if (valid_i) begin
      ovf_d = ovf_q | step_ovf;
      if (step_ovf && sat_i) begin
        acc_d = sum[33] ? 32'h8000_0000 : 32'h7FFF_FFFF;
      end else begin
        acc_d = sum[31:0];
      end
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_q   <= 32'h0000_0000;
      ovf_q   <= 1'b0;
      valid_q <= 1'b0;
    end else begin
      acc_q   <= acc_d;
      ovf_q   <= ovf_d;
      valid_q <= valid_i & ~clear_i;
    end
  end

  assign acc_o   = acc_q;
  assign ovf_o   = ovf_q;
  assign valid_o = valid_q;

endmodule

`resetall
