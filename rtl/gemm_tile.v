// SPDX-License-Identifier: Apache-2.0
// gemm_tile: an output-stationary ROWS x COLS array of fp8_dpa units that computes a tile of
// D = A * B + C for any K, streamed in steps of LANES: unit (r, c) keeps the accumulator of D[r, c].
//
// Bit-identical (codes and sticky flags of every output) to refmodel.gemm.matmul through the
// FusedDot step of rtl/fp8_dpa.v (matmul_mx with E8M0 block scales whose block is a multiple of
// LANES), for A (ROWS, K), B (K, COLS) and C (ROWS, COLS); docs/rtl.md ("gemm_tile"), parameter sets
// from fp8kit.rtlspec.params.gemm_tile_rtl_params.  A K that is not a multiple of LANES is fed
// zero-padded: the padded lanes are +0 products, which equal the model's shorter last step when
// HAS_ZERO_EXP = 0 or ZERO_EXP <= 1 - ACC_BIAS (every preset; a zero term then never raises the
// largest exponent of a step whose accumulator is live); otherwise only a K that is a multiple of
// LANES is exact.
//
// Parameters
//   ROWS, COLS        rows of A (and of C, D) and columns of B (and of C, D) in the tile (1...64)
//   LANES ... PIPE    every parameter of rtl/fp8_dpa.v, passed to each unit unchanged: LANES,
//                     A_EXP_W, A_MAN_W, A_BIAS, A_SPECIALS, B_* alike, SCALED, FRAC_W, ACC_EXP_W,
//                     ACC_MAN_W, ACC_BIAS, STEP_MAN_W, RM, HAS_ZERO_EXP, ZERO_EXP, NAN_ALL_ONES, PIPE
// Ports (C_W = 1 + ACC_EXP_W + ACC_MAN_W, A_W = 1 + A_EXP_W + A_MAN_W, B_W alike)
//   clk_i, rst_ni       clock, asynchronous active-low reset: accumulators +0, flags 0, phase LOAD
//   c_valid_i, c_ready_o, c_i[COLS*C_W-1:0]
//                       load one row of C per beat (column j in bits [j*C_W +: C_W]), rows 0, 1,
//                       ... in order; c_ready_o is high in the LOAD phase until ROWS rows are in.
//                       Rows not loaded start from +0 (no beat at all: D = A * B from +0)
//   valid_i, ready_o, a_i, b_i, scale_a_i, scale_b_i, last_i
//                       one K step per beat: a_i[ROWS*LANES*A_W-1:0] holds A[r, k0 + k] in bits
//                       [(r*LANES + k)*A_W +: A_W], b_i[COLS*LANES*B_W-1:0] holds B[k0 + k, c] in
//                       [(c*LANES + k)*B_W +: B_W]; scale_a_i[ROWS*8-1:0] the E8M0 scale of row r
//                       in [r*8 +: 8], scale_b_i[COLS*8-1:0] of column c (SCALED = 1; ignored
//                       otherwise); last_i marks the tile's last step.  ready_o is high in LOAD
//                       while c_valid_i is low (a C row goes first) and in STEP when no step is in
//                       flight; the first accepted step ends LOAD
//   valid_o, ready_i, d_o[COLS*C_W-1:0], flags_o[COLS*5-1:0], last_o
//                       drain one row of D per beat, rows 0 ... ROWS-1 in order, with the sticky
//                       flags {NV, DZ, OF, UF, NX} of each output (column j in [j*5 +: 5]: the OR
//                       of its steps' flags); last_o marks row ROWS-1.  d_o, flags_o and last_o
//                       hold while valid_o is high and ready_i low; each row taken is reset to +0
//                       and flags 0, and after the last one the tile is back in LOAD
// Latency and throughput: a C row per cycle; one step per PIPE + 1 cycles (the next step reads the
// accumulator the last one wrote); the first D row is valid PIPE + 1 cycles after the last step is
// accepted; a D row per cycle while ready_i is high.  A tile of S steps with C takes
// ROWS + S*(PIPE + 1) + ROWS cycles without stalls (no overlap of a tile's drain with the next
// tile's load).
//
// Datapath: every unit's c_i is its accumulator register; a_i's row r and b_i's column c feed unit
// (r, c) (each A row is broadcast along its row of units, each B column down its column); the
// units' results and flags are written back when their valid_o rises (flags ORed in).

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "fp8kit_defs.vh"

// Linting every rtl/*.v in one Verilator run sees several independent top modules by design.
// verilator lint_off MULTITOP
module gemm_tile #(
  // rows of A, C and D in the tile
  parameter integer ROWS         = 2,
  // columns of B, C and D in the tile
  parameter integer COLS         = 2,
  // products per step
  parameter integer LANES        = 4,
  // A element exponent bits
  parameter integer A_EXP_W      = 4,
  // A element mantissa bits
  parameter integer A_MAN_W      = 3,
  // A element exponent bias
  parameter integer A_BIAS       = 7,
  // A element specials convention (0 ieee, 1 fn, 2 fnuz, 3 none)
  parameter integer A_SPECIALS   = 1,
  // B element exponent bits
  parameter integer B_EXP_W      = 4,
  // B element mantissa bits
  parameter integer B_MAN_W      = 3,
  // B element exponent bias
  parameter integer B_BIAS       = 7,
  // B element specials convention (0 ieee, 1 fn, 2 fnuz, 3 none)
  parameter integer B_SPECIALS   = 1,
  // 1: products scaled by both E8M0 block scales
  parameter integer SCALED       = 0,
  // fraction bits kept below the largest exponent
  parameter integer FRAC_W       = 13,
  // accumulator exponent bits
  parameter integer ACC_EXP_W    = 8,
  // accumulator mantissa bits
  parameter integer ACC_MAN_W    = 23,
  // accumulator exponent bias
  parameter integer ACC_BIAS     = 127,
  // fraction bits of the step result
  parameter integer STEP_MAN_W   = 13,
  // step rounding: 0 rne, 1 rtz
  parameter integer RM           = 1,
  // 1: zero terms take ZERO_EXP in the maximum
  parameter integer HAS_ZERO_EXP = 1,
  // the exponent of a zero term
  parameter integer ZERO_EXP     = -133,
  // 1: the all-ones NaN, 0: the canonical quiet NaN
  parameter integer NAN_ALL_ONES = 1,
  // register stages of each unit, 0...2
  parameter integer PIPE         = 0
) (
  input  wire                                      clk_i,
  input  wire                                      rst_ni,
  // load C, one row per beat; widths COLS*C_W etc. (Verilog-2005 cannot name body localparams here)
  input  wire                                      c_valid_i,
  output wire                                      c_ready_o,
  input  wire [COLS*(1+ACC_EXP_W+ACC_MAN_W)-1:0]   c_i,
  // the K steps
  input  wire                                      valid_i,
  output wire                                      ready_o,
  input  wire [ROWS*LANES*(1+A_EXP_W+A_MAN_W)-1:0] a_i,
  input  wire [COLS*LANES*(1+B_EXP_W+B_MAN_W)-1:0] b_i,
  input  wire [ROWS*8-1:0]                         scale_a_i,
  input  wire [COLS*8-1:0]                         scale_b_i,
  input  wire                                      last_i,
  // drain D, one row per beat
  output wire                                      valid_o,
  input  wire                                      ready_i,
  output reg  [COLS*(1+ACC_EXP_W+ACC_MAN_W)-1:0]   d_o,
  output reg  [COLS*5-1:0]                         flags_o,
  output wire                                      last_o
);

  // ---------------------------------------------------------------- derived, do not override
  // element and accumulator code widths
  localparam integer A_W = 1 + A_EXP_W + A_MAN_W;
  localparam integer B_W = 1 + B_EXP_W + B_MAN_W;
  localparam integer C_W = 1 + ACC_EXP_W + ACC_MAN_W;
  // one row of D (codes, flags)
  localparam integer DW = COLS * C_W;
  localparam integer FW = COLS * 5;
  // the phases
  localparam [1:0] P_LOAD = 2'd0;
  localparam [1:0] P_STEP = 2'd1;
  localparam [1:0] P_DRAIN = 2'd2;
  // one-hot row pointers: row 0
  localparam [ROWS:0] K_ONE = {{ROWS{1'b0}}, 1'b1};
  localparam [ROWS-1:0] K_ROW0 = K_ONE[ROWS-1:0];

`ifndef SYNTHESIS
  initial begin
    if (ROWS < 1 || ROWS > 64 || COLS < 1 || COLS > 64) begin
      $display("gemm_tile: ROWS=%0d / COLS=%0d not in 1...64", ROWS, COLS);
      $fatal(1);
    end
  end
`endif

  // ---------------------------------------------------------------- control
  reg  [1:0]      phase_q;
  reg  [1:0]      phase_d;
  // a step is in flight (PIPE >= 1); it is the tile's last step
  reg             busy_q;
  reg             busy_d;
  reg             last_q;
  reg             last_d;
  // C rows loaded so far (one-hot; bit ROWS: all of them), D row to drain next (one-hot)
  reg  [ROWS:0]   load_q;
  reg  [ROWS:0]   load_d;
  reg  [ROWS-1:0] drain_q;
  reg  [ROWS-1:0] drain_d;
  // the results of the step in flight are written this cycle (every unit's valid_o)
  wire            pe_done;

  assign c_ready_o = (phase_q == P_LOAD) & ~load_q[ROWS];
  assign ready_o = ((phase_q == P_LOAD) & ~c_valid_i) | ((phase_q == P_STEP) & ~busy_q);
  assign valid_o = phase_q == P_DRAIN;
  assign last_o = valid_o & drain_q[ROWS-1];

  wire c_go = c_valid_i & c_ready_o;
  wire step_go = valid_i & ready_o;
  wire d_go = valid_o & ready_i;
  // PIPE = 0: the results of a step come in the cycle it is accepted
  wire done_last = pe_done & (step_go ? last_i : last_q);
  wire [ROWS-1:0] row_load = {ROWS{c_go}} & load_q[ROWS-1:0];
  wire [ROWS-1:0] row_clear = {ROWS{d_go}} & drain_q;

  always @* begin
    phase_d = phase_q;
    busy_d = busy_q;
    last_d = last_q;
    load_d = load_q;
    drain_d = drain_q;
    case (phase_q)
      P_LOAD: begin
        if (c_go) load_d = load_q << 1;
        if (step_go) phase_d = P_STEP;
      end
      P_DRAIN: begin
        if (d_go) begin
          drain_d = drain_q << 1;
          if (drain_q[ROWS-1]) begin
            phase_d = P_LOAD;
            drain_d = K_ROW0;
            load_d = K_ONE;
          end
        end
      end
      default: ;
    endcase
    if (step_go) begin
      busy_d = 1'b1;
      last_d = last_i;
    end
    if (pe_done) begin
      busy_d = 1'b0;
      if (done_last) begin
        phase_d = P_DRAIN;
        last_d = 1'b0;
      end
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      phase_q <= P_LOAD;
      busy_q <= 1'b0;
      last_q <= 1'b0;
      load_q <= K_ONE;
      drain_q <= K_ROW0;
    end else begin
      phase_q <= phase_d;
      busy_q <= busy_d;
      last_q <= last_d;
      load_q <= load_d;
      drain_q <= drain_d;
    end
  end

  // ---------------------------------------------------------------- the units
  // every accumulator and its flags, unit (r, c) at index r*COLS + c
  wire [ROWS*DW-1:0] acc_all;
  wire [ROWS*FW-1:0] flg_all;

  genvar r;
  genvar c;
  for (r = 0; r < ROWS; r = r + 1) begin : gen_row
    for (c = 0; c < COLS; c = c + 1) begin : gen_col
      wire [C_W-1:0] res;
      wire [4:0]     res_flags;
      wire           res_valid;
      reg  [C_W-1:0] acc_q;
      reg  [C_W-1:0] acc_d;
      reg  [4:0]     flags_q;
      reg  [4:0]     flags_d;

      fp8_dpa #(
        .LANES(LANES),
        .A_EXP_W(A_EXP_W), .A_MAN_W(A_MAN_W), .A_BIAS(A_BIAS), .A_SPECIALS(A_SPECIALS),
        .B_EXP_W(B_EXP_W), .B_MAN_W(B_MAN_W), .B_BIAS(B_BIAS), .B_SPECIALS(B_SPECIALS),
        .SCALED(SCALED), .FRAC_W(FRAC_W),
        .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W), .ACC_BIAS(ACC_BIAS), .STEP_MAN_W(STEP_MAN_W),
        .RM(RM), .HAS_ZERO_EXP(HAS_ZERO_EXP), .ZERO_EXP(ZERO_EXP), .NAN_ALL_ONES(NAN_ALL_ONES),
        .PIPE(PIPE)
      ) u_fp8_dpa (
        .clk_i(clk_i),
        .rst_ni(rst_ni),
        .valid_i(step_go),
        .a_i(a_i[r*LANES*A_W +: LANES*A_W]),
        .b_i(b_i[c*LANES*B_W +: LANES*B_W]),
        .scale_a_i(scale_a_i[r*8 +: 8]),
        .scale_b_i(scale_b_i[c*8 +: 8]),
        .c_i(acc_q),
        .res_o(res),
        .flags_o(res_flags),
        .valid_o(res_valid)
      );

      // a C row loaded, a D row taken (+0, flags 0), or the step's result written back
      always @* begin
        acc_d = acc_q;
        flags_d = flags_q;
        if (row_load[r]) begin
          acc_d = c_i[c*C_W +: C_W];
          flags_d = 5'b00000;
        end else if (row_clear[r]) begin
          acc_d = {C_W{1'b0}};
          flags_d = 5'b00000;
        end else if (res_valid) begin
          acc_d = res;
          flags_d = flags_q | res_flags;
        end
      end

      always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          acc_q <= {C_W{1'b0}};
          flags_q <= 5'b00000;
        end else begin
          acc_q <= acc_d;
          flags_q <= flags_d;
        end
      end

      assign acc_all[(r*COLS + c)*C_W +: C_W] = acc_q;
      assign flg_all[(r*COLS + c)*5 +: 5] = flags_q;
      if (r == 0 && c == 0) begin : gen_ctl
        // every unit sees the same valid_i: unit (0, 0) times the control
        assign pe_done = res_valid;
      end
    end
  end

  // ---------------------------------------------------------------- the drain row (one-hot select)
  integer i;
  always @* begin
    d_o = {DW{1'b0}};
    flags_o = {FW{1'b0}};
    for (i = 0; i < ROWS; i = i + 1) begin
      d_o = d_o | ({DW{drain_q[i]}} & acc_all[i*DW +: DW]);
      flags_o = flags_o | ({FW{drain_q[i]}} & flg_all[i*FW +: FW]);
    end
  end

endmodule

`resetall
