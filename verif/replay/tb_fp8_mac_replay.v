// SPDX-License-Identifier: Apache-2.0
// tb_fp8_mac_replay: replays an `fp8kit vectors --op mac` file through fp8_mac (1-cycle register).
//
// Parameters: the fp8_mac parameters (iverilog -P, from fp8kit.rtlspec.params.fma_rtl_params plus SEED),
//   MAX_CASES (capacity of the vector memory), MAX_REPORT (mismatches printed in full).
// Plusargs: +vectors=<file> (default vectors.hex).
// The file holds the case count, then per case (one accepted operation) the hex words
// first a b rm sat rand acc flags. first = 1 inserts a clear_i cycle before the operation (acc +0,
// flags 0, LFSR back to SEED). Before the accepting edge the low SR_BITS of the DUT's LFSR word
// must equal rand; after it acc_o and flags_o must equal acc and flags. The first MAX_REPORT
// mismatches are printed; the last line is "<N> vectors, <M> mismatches".
// Inputs change on the falling clock edge. Simulation only; not synthesizable.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module tb_fp8_mac_replay;

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
  // LFSR seed (non-zero)
  parameter [31:0] SEED = 32'h0000_0001;
  // vector memory capacity in cases
  parameter MAX_CASES = 100000;
  // mismatches printed in full
  parameter MAX_REPORT = 20;

  // words per case, accumulator width (derived, do not override)
  localparam integer WPC = 8;
  localparam integer CW = ACC_EXP_W + ACC_MAN_W + 1;

  reg  [31:0] mem [0:WPC*MAX_CASES];
  reg  clk, rst_n, clear, valid, sat;
  reg  [A_EXP_W+A_MAN_W:0] a;
  reg  [B_EXP_W+B_MAN_W:0] b;
  reg  [2:0] rm;
  wire [CW-1:0] acc;
  wire [4:0] flags;
  reg  [SR_BITS-1:0] exp_rand, got_rand;
  reg  [CW-1:0] exp_acc;
  reg  [4:0] exp_flags;
  integer n, i, errors;
  reg [1023:0] path;

  fp8_mac #(
    .A_EXP_W(A_EXP_W), .A_MAN_W(A_MAN_W), .A_BIAS(A_BIAS), .A_SPECIALS(A_SPECIALS),
    .B_EXP_W(B_EXP_W), .B_MAN_W(B_MAN_W), .B_BIAS(B_BIAS), .B_SPECIALS(B_SPECIALS),
    .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W), .SR_BITS(SR_BITS), .SEED(SEED)
  ) u_fp8_mac (
    .clk_i(clk), .rst_ni(rst_n), .clear_i(clear), .valid_i(valid),
    .a_i(a), .b_i(b), .rm_i(rm), .sat_i(sat), .acc_o(acc), .flags_o(flags)
  );

  always #5 clk = ~clk;

  initial begin
    if (!$value$plusargs("vectors=%s", path)) path = "vectors.hex";
    $readmemh(path, mem);
    n = mem[0];
    if (n > MAX_CASES) begin
      $display("tb_fp8_mac_replay: %0d cases exceed MAX_CASES=%0d", n, MAX_CASES);
      $fatal(1);
    end
    clk = 1'b1;
    rst_n = 1'b0;
    {clear, valid, sat, a, b, rm} = 0;
    @(negedge clk);
    rst_n = 1'b1;
    errors = 0;
    for (i = 0; i < n; i = i + 1) begin
      if (mem[1 + WPC*i][0]) begin
        clear = 1'b1;
        valid = 1'b0;
        @(negedge clk);
        clear = 1'b0;
      end
      a = mem[2 + WPC*i][A_EXP_W+A_MAN_W:0];
      b = mem[3 + WPC*i][B_EXP_W+B_MAN_W:0];
      rm = mem[4 + WPC*i][2:0];
      sat = mem[5 + WPC*i][0];
      exp_rand = mem[6 + WPC*i][SR_BITS-1:0];
      exp_acc = mem[7 + WPC*i][CW-1:0];
      exp_flags = mem[8 + WPC*i][4:0];
      valid = 1'b1;
      got_rand = u_fp8_mac.word[SR_BITS-1:0];
      @(negedge clk);
      valid = 1'b0;
      if (acc !== exp_acc || flags !== exp_flags || got_rand !== exp_rand) begin
        errors = errors + 1;
        if (errors <= MAX_REPORT)
          $display({"MISMATCH case %0d: first=%0d a=%h b=%h rm=%0d sat=%0d expected rand=%h ",
                    "acc=%h flags=%b got rand=%h acc=%h flags=%b"},
                   i, mem[1 + WPC*i][0], a, b, rm, sat, exp_rand, exp_acc, exp_flags, got_rand,
                   acc, flags);
      end
    end
    $display("%0d vectors, %0d mismatches", n, errors);
    $finish;
  end

endmodule

`resetall
