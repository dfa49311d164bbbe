// SPDX-License-Identifier: Apache-2.0
// tb_fp8_fma_replay: replays an `fp8kit vectors --op fma` file through fp8_fma (combinational).
//
// Parameters: the fp8_fma parameters (iverilog -P, from fp8kit.rtlspec.params.fma_rtl_params),
//   MAX_CASES (capacity of the vector memory), MAX_REPORT (mismatches printed in full).
// Plusargs: +vectors=<file> (default vectors.hex).
// The file holds the case count, then per case the hex words a b acc rm rand sat res flags.
// The first MAX_REPORT mismatches are printed with operands, expected and got; the last line is
// "<N> vectors, <M> mismatches". Simulation only; not synthesizable.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module tb_fp8_fma_replay;

  // operand a format
  parameter A_EXP_W = 4;
  parameter A_MAN_W = 3;
  parameter A_BIAS = 7;
  parameter A_SPECIALS = 1;
  // operand b format
  parameter B_EXP_W = 4;
  parameter B_MAN_W = 3;
  parameter B_BIAS = 7;
  parameter B_SPECIALS = 1;
  // accumulator format
  parameter ACC_EXP_W = 8;
  parameter ACC_MAN_W = 23;
  // stochastic-rounding random bits
  parameter SR_BITS = 16;
  // vector memory capacity in cases
  parameter MAX_CASES = 400000;
  // mismatches printed in full
  parameter MAX_REPORT = 20;

  // words per case (derived, do not override)
  localparam integer WPC = 8;
  localparam integer CW = ACC_EXP_W + ACC_MAN_W + 1;

  reg  [31:0] mem [0:WPC*MAX_CASES];
  reg  [A_EXP_W+A_MAN_W:0] a;
  reg  [B_EXP_W+B_MAN_W:0] b;
  reg  [CW-1:0] acc;
  reg  [2:0] rm;
  reg  [SR_BITS-1:0] rnd;
  reg  sat;
  wire [CW-1:0] res;
  wire [4:0] flags;
  reg  [CW-1:0] exp_res;
  reg  [4:0] exp_flags;
  integer n, i, errors;
  reg [1023:0] path;

  fp8_fma #(
    .A_EXP_W(A_EXP_W), .A_MAN_W(A_MAN_W), .A_BIAS(A_BIAS), .A_SPECIALS(A_SPECIALS),
    .B_EXP_W(B_EXP_W), .B_MAN_W(B_MAN_W), .B_BIAS(B_BIAS), .B_SPECIALS(B_SPECIALS),
    .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W), .SR_BITS(SR_BITS)
  ) u_fp8_fma (
    .a_i(a), .b_i(b), .acc_i(acc), .rm_i(rm), .rand_i(rnd), .sat_i(sat),
    .res_o(res), .flags_o(flags)
  );

  initial begin
    if (!$value$plusargs("vectors=%s", path)) path = "vectors.hex";
    $readmemh(path, mem);
    n = mem[0];
    if (n > MAX_CASES) begin
      $display("tb_fp8_fma_replay: %0d cases exceed MAX_CASES=%0d", n, MAX_CASES);
      $fatal(1);
    end
    errors = 0;
    for (i = 0; i < n; i = i + 1) begin
      a = mem[1 + WPC*i][A_EXP_W+A_MAN_W:0];
      b = mem[2 + WPC*i][B_EXP_W+B_MAN_W:0];
      acc = mem[3 + WPC*i][CW-1:0];
      rm = mem[4 + WPC*i][2:0];
      rnd = mem[5 + WPC*i][SR_BITS-1:0];
      sat = mem[6 + WPC*i][0];
      exp_res = mem[7 + WPC*i][CW-1:0];
      exp_flags = mem[8 + WPC*i][4:0];
      #1;
      if (res !== exp_res || flags !== exp_flags) begin
        errors = errors + 1;
        if (errors <= MAX_REPORT) $display({"MISMATCH case %0d: a=%h b=%h acc=%h rm=%0d rand=%h sat=%0d ",
                  "expected res=%h flags=%b got res=%h flags=%b"},
                 i, a, b, acc, rm, rnd, sat, exp_res, exp_flags, res, flags);
      end
    end
    $display("%0d vectors, %0d mismatches", n, errors);
    $finish;
  end

endmodule

`resetall
