// SPDX-License-Identifier: Apache-2.0
// lfsr32: the shared 32-bit leap-forward Galois LFSR (spec-notes section 3).
//
// One accepted step (step_i high at a rising clock edge) advances the state by LEAP = 32 single
// steps of
//   step(s) = (s >> 1) ^ (s[0] ? POLY : 32'h0)   // POLY 32'h80200003: x^32 + x^22 + x^2 + x + 1
// through a fixed XOR network, so consecutive operations see non-overlapping 32-bit words.
// POLY and LEAP are `FP8KIT_LFSR_POLY and `FP8KIT_LFSR_LEAP of rtl/include/fp8kit_defs.vh,
// generated from refmodel.lfsr.POLY and LEAP.
// Word k after reset or clear (k = 0, 1, ...) is the state after 32*k single steps; word 0 is SEED.
//
// Parameters:
//   SEED     initial state loaded by reset and by clear_i; must be non-zero.
// Ports:
//   clk_i    clock
//   rst_ni   asynchronous reset, active low: state <= SEED
//   clear_i  synchronous reload of SEED (priority over step_i)
//   step_i   advance the state by one leap (32 single steps)
//   word_o   the current state (the random word of the current operation)
// Latency: word_o changes one clock after step_i; the leap network is combinational.

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "fp8kit_defs.vh"

// Linting every rtl/*.v in one Verilator run sees several independent top modules by design.
// verilator lint_off MULTITOP
module lfsr32 #(
  // initial state (reset and clear); non-zero
  parameter [31:0] SEED = 32'h0000_0001
) (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        clear_i,
  input  wire        step_i,
  output wire [31:0] word_o
);

  // Galois feedback mask of x^32 + x^22 + x^2 + x + 1 (derived, do not override)
  localparam [31:0] POLY = `FP8KIT_LFSR_POLY;
  // single steps per accepted operation (derived, do not override)
  localparam integer LEAP = `FP8KIT_LFSR_LEAP;

`ifndef SYNTHESIS
  initial begin
    if (SEED == 32'h0) begin
      $display("lfsr32: SEED must be non-zero (zero is the lock-up state), got %0d", SEED);
      $fatal(1);
    end
  end
`endif

  reg [31:0] state_q;
  reg [31:0] state_d;
  reg [31:0] leap_d;
  integer    i;

  // The leap: LEAP single Galois steps unrolled into one XOR network.
  always @* begin
    leap_d = state_q;
    for (i = 0; i < LEAP; i = i + 1) begin
      leap_d = {1'b0, leap_d[31:1]} ^ (leap_d[0] ? POLY : 32'h0);
    end
  end

  always @* begin
    state_d = state_q;
    if (clear_i) begin
      state_d = SEED;
    end else if (step_i) begin
      state_d = leap_d;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= SEED;
    end else begin
      state_q <= state_d;
    end
  end

  assign word_o = state_q;

endmodule

`resetall
