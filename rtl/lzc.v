// SPDX-License-Identifier: Apache-2.0
// lzc: leading-zero count of a WIDTH-bit vector (combinational leaf).
//
// The one leading-zero counter of rtl/: fp8_fma and mx_dot normalise their sums with it.
//
// Parameters
//   WIDTH    width of in_i (>= 1)
// Ports
//   in_i[WIDTH-1:0]            the vector; bit WIDTH-1 is the leading position
//   cnt_o[$clog2(WIDTH+1)-1:0] the number of zeros above the most significant one
//                              (WIDTH - 1 - its index); WIDTH when in_i is zero
//   zero_o                     in_i is zero
// Latency: combinational (0 clocks); no clock or reset.

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "fp8kit_defs.vh"

// Linting every rtl/*.v in one Verilator run sees several independent top modules by design.
// verilator lint_off MULTITOP
module lzc #(
  // width of the counted vector
  parameter integer WIDTH = 8
) (
  input  wire [WIDTH-1:0]           in_i,
  // width CNT_W (below); Verilog-2005 cannot name a body localparam in the port list
  output reg  [$clog2(WIDTH+1)-1:0] cnt_o,
  output wire                       zero_o
);

  // width of cnt_o: holds 0 ... WIDTH (derived, do not override)
  localparam integer CNT_W = $clog2(WIDTH + 1);
  // WIDTH as a CNT_W-bit constant (derived, do not override)
  localparam [31:0] V_WIDTH = WIDTH;
  localparam [CNT_W-1:0] K_WIDTH = V_WIDTH[CNT_W-1:0];
  localparam [CNT_W-1:0] K_ONE = 1;

`ifndef SYNTHESIS
  initial begin
    if (WIDTH < 1) begin
      $display("lzc: WIDTH=%0d must be >= 1", WIDTH);
      $fatal(1);
    end
  end
`endif

  // the count that bit k would give, WIDTH - 1 - k
  reg [CNT_W-1:0] pos;
  integer         k;

  // priority from the LSB up: the last one seen is the most significant
  always @* begin
    cnt_o = K_WIDTH;
    pos = K_WIDTH;
    for (k = 0; k < WIDTH; k = k + 1) begin
      pos = pos - K_ONE;
      if (in_i[k]) cnt_o = pos;
    end
  end

  assign zero_o = ~|in_i;

endmodule

`resetall
