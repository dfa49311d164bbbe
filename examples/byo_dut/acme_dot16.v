// SPDX-License-Identifier: Apache-2.0
// acme_dot16: a "user's" 16-lane FP8 dot-product-accumulate unit, sum = acc_in + sum_k x[k] * y[k]
// as one fused step (Ada-style: products and acc_in aligned to the largest exponent, truncated 13
// fraction bits below it, summed exactly, rounded once to E8M13 written as a float32 code), with a
// rounding-mode input and a status word of its own layout.
//
// It is rtl/fp8_dpa.v wrapped: two instances (one rounds toward zero, one to nearest even) behind
// acme's own ports, reset polarity, mode codes and status bits, so that fp8kit's bring-your-own-DUT
// suite has a unit whose port map differs from fp8kit's (examples/byo_dut/acme_dot16.toml maps it).
// The instance parameters are fp8kit.rtlspec.params.dpa_rtl_params of the description's unit
// (tests/test_byo.py checks them).
//
// Ports
//   clk          rising-edge clock
//   rst          active-high reset (asynchronous, as fp8_dpa's)
//   in_valid     a step is presented on x, y, acc_in, rnd
//   x, y         16 elements each, lane k in bits [8k +: 8]: x float8_e4m3fn (OCP E4M3), y
//                float8_e5m2 (OCP E5M2)
//   acc_in       float32 accumulator
//   rnd          0 = round toward zero, 1 = round to nearest, ties to even
//   out_valid    sum/exc hold the step presented two cycles earlier
//   sum          float32 code of the step result (its low 10 bits zero: E8M13)
//   exc          bit 0 inexact, bit 1 underflow, bit 2 overflow, bit 3 invalid (no divide by zero)
// Latency: 2 cycles, one step per cycle.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module acme_dot16 (
  input  wire         clk,
  input  wire         rst,
  input  wire         in_valid,
  input  wire [127:0] x,
  input  wire [127:0] y,
  input  wire [31:0]  acc_in,
  input  wire         rnd,
  output wire         out_valid,
  output wire [31:0]  sum,
  output wire [3:0]   exc
);

  wire        rne_valid, rtz_valid;
  wire [31:0] rne_res, rtz_res;
  wire [4:0]  rne_flags, rtz_flags;

  // fp8kit rtl-params of the unit: 16 lanes, E4M3 x E5M2, F = 13, E8M13 into float32, zero exponent
  // -132, all-ones NaN, two register stages; RM 1 (rtz) here, 0 (rne) below
  fp8_dpa #(
    .LANES(16), .A_EXP_W(4), .A_MAN_W(3), .A_BIAS(7), .A_SPECIALS(1),
    .B_EXP_W(5), .B_MAN_W(2), .B_BIAS(15), .B_SPECIALS(0), .SCALED(0), .FRAC_W(13),
    .ACC_EXP_W(8), .ACC_MAN_W(23), .ACC_BIAS(127), .STEP_MAN_W(13), .RM(1),
    .HAS_ZERO_EXP(1), .ZERO_EXP(-132), .NAN_ALL_ONES(1), .PIPE(2)
  ) u_rtz (
    .clk_i(clk), .rst_ni(~rst), .valid_i(in_valid & ~rnd), .a_i(x), .b_i(y), .scale_a_i(8'd127),
    .scale_b_i(8'd127), .c_i(acc_in), .res_o(rtz_res), .flags_o(rtz_flags), .valid_o(rtz_valid)
  );

  fp8_dpa #(
    .LANES(16), .A_EXP_W(4), .A_MAN_W(3), .A_BIAS(7), .A_SPECIALS(1),
    .B_EXP_W(5), .B_MAN_W(2), .B_BIAS(15), .B_SPECIALS(0), .SCALED(0), .FRAC_W(13),
    .ACC_EXP_W(8), .ACC_MAN_W(23), .ACC_BIAS(127), .STEP_MAN_W(13), .RM(0),
    .HAS_ZERO_EXP(1), .ZERO_EXP(-132), .NAN_ALL_ONES(1), .PIPE(2)
  ) u_rne (
    .clk_i(clk), .rst_ni(~rst), .valid_i(in_valid & rnd), .a_i(x), .b_i(y), .scale_a_i(8'd127),
    .scale_b_i(8'd127), .c_i(acc_in), .res_o(rne_res), .flags_o(rne_flags), .valid_o(rne_valid)
  );

  // the instance that took the step answers; fp8_dpa's flags are {NV, DZ, OF, UF, NX}, and acme's
  // status has no divide-by-zero bit (a dot product never raises it), so bit 3 is left unread
  /* verilator lint_off UNUSEDSIGNAL */
  wire [4:0] flags = rne_valid ? rne_flags : rtz_flags;
  /* verilator lint_on UNUSEDSIGNAL */

  assign out_valid = rne_valid | rtz_valid;
  assign sum       = rne_valid ? rne_res : rtz_res;
  assign exc       = {flags[4], flags[2], flags[1], flags[0]};

endmodule

`resetall
