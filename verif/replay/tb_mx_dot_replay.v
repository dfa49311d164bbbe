// SPDX-License-Identifier: Apache-2.0
// tb_mx_dot_replay: replays an `fp8kit vectors --op mx_dot` file through mx_dot.
//
// Parameters: the mx_dot parameters (K, ELEM_*, ELEM_INT8 from fp8kit.rtlspec.params.mx_dot_rtl_params),
//   MAX_CASES (capacity of the vector memory), MAX_REPORT (mismatches printed in full).
//   The DUT is built combinational (PIPE = 0).
// Plusargs: +vectors=<file> (default vectors.hex).
// The file holds the case count, then per case the hex words a_0..a_{K-1} b_0..b_{K-1}
// scale_a scale_b res flags. The first MAX_REPORT mismatches are printed with scales, expected and
// got; the last line is "<N> vectors, <M> mismatches". Simulation only; not synthesizable.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module tb_mx_dot_replay;

  // elements per block
  parameter K = 32;
  // element format
  parameter ELEM_EXP_W = 4;
  parameter ELEM_MAN_W = 3;
  parameter ELEM_BIAS = 7;
  parameter ELEM_SPECIALS = 1;
  parameter ELEM_INT8 = 0;
  // vector memory capacity in cases
  parameter MAX_CASES = 100000;
  // mismatches printed in full
  parameter MAX_REPORT = 20;

  // element width and words per case (derived, do not override)
  localparam integer EW = (ELEM_INT8 != 0) ? 8 : 1 + ELEM_EXP_W + ELEM_MAN_W;
  localparam integer WPC = 2 * K + 4;

  reg  [31:0] mem [0:WPC*MAX_CASES];
  reg  [K*EW-1:0] a;
  reg  [K*EW-1:0] b;
  // the next case's blocks, assembled lane by lane and then applied whole: Verilator 5.006
  // (--binary --timing) missed lane-by-lane writes to a and b and kept the previous result
  reg  [K*EW-1:0] a_n;
  reg  [K*EW-1:0] b_n;
  reg  [7:0] sa;
  reg  [7:0] sb;
  wire [31:0] res;
  wire [4:0] flags;
  wire valid;
  reg  [31:0] exp_res;
  reg  [4:0] exp_flags;
  integer n, i, j, errors;
  reg [1023:0] path;

  mx_dot #(
    .K(K), .ELEM_EXP_W(ELEM_EXP_W), .ELEM_MAN_W(ELEM_MAN_W), .ELEM_BIAS(ELEM_BIAS),
    .ELEM_SPECIALS(ELEM_SPECIALS), .ELEM_INT8(ELEM_INT8)
  ) u_mx_dot (
    .clk_i(1'b0), .rst_ni(1'b1), .valid_i(1'b1),
    .a_i(a), .b_i(b), .scale_a_i(sa), .scale_b_i(sb), .res_o(res), .flags_o(flags), .valid_o(valid)
  );

  initial begin
    if (!$value$plusargs("vectors=%s", path)) path = "vectors.hex";
    $readmemh(path, mem);
    n = mem[0];
    if (n > MAX_CASES) begin
      $display("tb_mx_dot_replay: %0d cases exceed MAX_CASES=%0d", n, MAX_CASES);
      $fatal(1);
    end
    errors = 0;
    for (i = 0; i < n; i = i + 1) begin
      for (j = 0; j < K; j = j + 1) begin
        a_n[j*EW +: EW] = mem[1 + WPC*i + j][EW-1:0];
        b_n[j*EW +: EW] = mem[1 + WPC*i + K + j][EW-1:0];
      end
      a = a_n;
      b = b_n;
      sa = mem[1 + WPC*i + 2*K][7:0];
      sb = mem[2 + WPC*i + 2*K][7:0];
      exp_res = mem[3 + WPC*i + 2*K];
      exp_flags = mem[4 + WPC*i + 2*K][4:0];
      #1;
      if (res !== exp_res || flags !== exp_flags || valid !== 1'b1) begin
        errors = errors + 1;
        if (errors <= MAX_REPORT)
          $display({"MISMATCH case %0d: scale_a=%h scale_b=%h expected res=%h flags=%b ",
                    "got res=%h flags=%b"}, i, sa, sb, exp_res, exp_flags, res, flags);
      end
    end
    $display("%0d vectors, %0d mismatches", n, errors);
    $finish;
  end

endmodule

`resetall
