// SPDX-License-Identifier: Apache-2.0
// tb_fp8_mul_replay: replays an `fp8kit vectors --op mul` file through fp8_mul (combinational).
//
// Parameters: the fp8_mul parameters (iverilog -P, from Format.rtl_params("A_") / ("B_")),
//   MAX_CASES (capacity of the vector memory), MAX_REPORT (mismatches printed in full).
// Plusargs: +vectors=<file> (default vectors.hex).
// The file holds the case count, then per case the hex words a b sign exp sig class (exp in
// two's complement of its width). The first MAX_REPORT mismatches are printed with operands,
// expected and got; the last line is "<N> vectors, <M> mismatches".
// Simulation only; not synthesizable.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module tb_fp8_mul_replay;

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
  // vector memory capacity in cases
  parameter MAX_CASES = 65536;
  // mismatches printed in full
  parameter MAX_REPORT = 20;

  // words per case and output widths, as fp8_mul (derived, do not override)
  localparam integer WPC = 6;
  localparam integer EXP_O_W = ((A_EXP_W > B_EXP_W) ? A_EXP_W : B_EXP_W) + 2;
  localparam integer SIG_W = A_MAN_W + B_MAN_W + 2;

  reg  [31:0] mem [0:WPC*MAX_CASES];
  reg  [A_EXP_W+A_MAN_W:0] a;
  reg  [B_EXP_W+B_MAN_W:0] b;
  wire sign;
  wire signed [EXP_O_W-1:0] exp_o;
  wire [SIG_W-1:0] sig;
  wire [2:0] cls;
  reg  exp_sign;
  reg  [EXP_O_W-1:0] exp_exp;
  reg  [SIG_W-1:0] exp_sig;
  reg  [2:0] exp_cls;
  integer n, i, errors;
  reg [1023:0] path;

  fp8_mul #(
    .A_EXP_W(A_EXP_W), .A_MAN_W(A_MAN_W), .A_BIAS(A_BIAS), .A_SPECIALS(A_SPECIALS),
    .B_EXP_W(B_EXP_W), .B_MAN_W(B_MAN_W), .B_BIAS(B_BIAS), .B_SPECIALS(B_SPECIALS)
  ) u_fp8_mul (
    .a_i(a), .b_i(b), .sign_o(sign), .exp_o(exp_o), .sig_o(sig), .class_o(cls)
  );

  initial begin
    if (!$value$plusargs("vectors=%s", path)) path = "vectors.hex";
    $readmemh(path, mem);
    n = mem[0];
    if (n > MAX_CASES) begin
      $display("tb_fp8_mul_replay: %0d cases exceed MAX_CASES=%0d", n, MAX_CASES);
      $fatal(1);
    end
    errors = 0;
    for (i = 0; i < n; i = i + 1) begin
      a = mem[1 + WPC*i][A_EXP_W+A_MAN_W:0];
      b = mem[2 + WPC*i][B_EXP_W+B_MAN_W:0];
      exp_sign = mem[3 + WPC*i][0];
      exp_exp = mem[4 + WPC*i][EXP_O_W-1:0];
      exp_sig = mem[5 + WPC*i][SIG_W-1:0];
      exp_cls = mem[6 + WPC*i][2:0];
      #1;
      if (sign !== exp_sign || exp_o !== exp_exp || sig !== exp_sig || cls !== exp_cls) begin
        errors = errors + 1;
        if (errors <= MAX_REPORT)
          $display({"MISMATCH case %0d: a=%h b=%h expected sign=%b exp=%h sig=%h class=%0d ",
                    "got sign=%b exp=%h sig=%h class=%0d"},
                   i, a, b, exp_sign, exp_exp, exp_sig, exp_cls, sign, exp_o, sig, cls);
      end
    end
    $display("%0d vectors, %0d mismatches", n, errors);
    $finish;
  end

endmodule

`resetall
