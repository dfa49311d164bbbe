// SPDX-License-Identifier: Apache-2.0
// tb_int8_mac_replay: replays an `fp8kit vectors --op int8_mac` file through int8_mac.
//
// Parameters: MAX_CASES (capacity of the vector memory), MAX_REPORT (mismatches printed in full).
// Plusargs: +vectors=<file> (default vectors.hex).
// The file holds the case count, then per case (row) the hex words first a b sat rep acc ovf.
// first = 1 inserts a clear_i cycle before the row; the row then holds valid_i, a_i, b_i and
// sat_i for rep clocks (rep accepted pairs), after which acc_o, ovf_o must equal acc, ovf and
// valid_o must be 1. The first MAX_REPORT mismatches are printed; the last line is
// "<N> vectors, <M> mismatches". Inputs change on the falling clock edge.
// Simulation only; not synthesizable.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module tb_int8_mac_replay;

  // vector memory capacity in cases
  parameter MAX_CASES = 100000;
  // mismatches printed in full
  parameter MAX_REPORT = 20;

  // words per case (derived, do not override)
  localparam integer WPC = 7;

  reg  [31:0] mem [0:WPC*MAX_CASES];
  reg  clk, rst_n, clear, valid, sat;
  reg  [7:0] a;
  reg  [7:0] b;
  wire [31:0] acc;
  wire ovf, valid_o;
  reg  [31:0] rep;
  reg  [31:0] exp_acc;
  reg  exp_ovf;
  integer n, i, errors;
  reg [1023:0] path;

  int8_mac u_int8_mac (
    .clk_i(clk), .rst_ni(rst_n), .clear_i(clear), .valid_i(valid), .a_i(a), .b_i(b), .sat_i(sat),
    .acc_o(acc), .ovf_o(ovf), .valid_o(valid_o)
  );

  always #5 clk = ~clk;

  initial begin
    if (!$value$plusargs("vectors=%s", path)) path = "vectors.hex";
    $readmemh(path, mem);
    n = mem[0];
    if (n > MAX_CASES) begin
      $display("tb_int8_mac_replay: %0d cases exceed MAX_CASES=%0d", n, MAX_CASES);
      $fatal(1);
    end
    clk = 1'b1;
    rst_n = 1'b0;
    {clear, valid, sat, a, b} = 0;
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
      a = mem[2 + WPC*i][7:0];
      b = mem[3 + WPC*i][7:0];
      sat = mem[4 + WPC*i][0];
      rep = mem[5 + WPC*i];
      exp_acc = mem[6 + WPC*i];
      exp_ovf = mem[7 + WPC*i][0];
      valid = 1'b1;
      repeat (rep) @(negedge clk);
      valid = 1'b0;
      if (acc !== exp_acc || ovf !== exp_ovf || valid_o !== 1'b1) begin
        errors = errors + 1;
        if (errors <= MAX_REPORT)
          $display({"MISMATCH case %0d: first=%0d a=%h b=%h sat=%0d rep=%0d expected acc=%h ovf=%b ",
                    "got acc=%h ovf=%b valid_o=%b"},
                   i, mem[1 + WPC*i][0], a, b, sat, rep, exp_acc, exp_ovf, acc, ovf, valid_o);
      end
    end
    $display("%0d vectors, %0d mismatches", n, errors);
    $finish;
  end

endmodule

`resetall
