// SPDX-License-Identifier: Apache-2.0
// mx_dot: one MX block dot product, X_A * X_B * sum_k A_k * B_k, rounded ONCE (rne) to float32.
//
// Bit-identical (result and flags) to refmodel.mx.dot for one block; semantics in docs/mx.md.
//
// Parameters
//   K                                        elements per block (>= 1)
//   ELEM_EXP_W, ELEM_MAN_W, ELEM_BIAS,       element format, the same for A and B
//   ELEM_SPECIALS                            (SPECIALS: 0 ieee, 1 fn, 2 fnuz, 3 none)
//   ELEM_INT8                                1: MXINT8 elements (two's complement int8 times 2**-6);
//                                            the ELEM_ FP parameters are then ignored
//   PIPE                                     register stages, 0...2 (latency in clk_i cycles):
//                                            0 combinational; 1 registers the exact sum after
//                                            the adder tree; 2 also registers res_o/flags_o
// Ports
//   clk_i, rst_ni       clock, asynchronous active-low reset (unused when PIPE = 0)
//   valid_i, valid_o    valid_o is valid_i delayed by PIPE cycles; res_o/flags_o are the result of
//                       the inputs presented PIPE rising edges earlier (PIPE = 0: of the current
//                       inputs); with PIPE >= 1 they hold the last valid result while valid_o is low
//   a_i[K*ELEM_W-1:0]   A element codes, element k in bits [k*ELEM_W +: ELEM_W]
//                       (ELEM_W = 8 for MXINT8, else 1 + ELEM_EXP_W + ELEM_MAN_W)
//   b_i[K*ELEM_W-1:0]   B element codes, same layout
//   scale_a_i[7:0]      E8M0 scale of A (2**(code-127); 0xFF is the NaN scale)
//   scale_b_i[7:0]      E8M0 scale of B
//   res_o[31:0]         float32 result code (NaN is always 0x7FC00000)
//   flags_o[4:0]        {NV, DZ, OF, UF, NX} (`FP8KIT_FLAG_*_BIT); DZ is always 0; NV for an element pair Inf * 0, for a
//                       signalling-NaN element (ieee elements: MXFP8 E5M2 0x7D/0xFD), both whatever
//                       the scales, and for +Inf + -Inf products
// Latency: PIPE cycles, one block per cycle (no stall: the pipeline has no ready signal).
//
// Datapath: every exact product becomes a signed fixed-point integer whose LSB is the smallest
// product LSB the format has (2**LSB0); the K integers are added exactly in an AW-bit accumulator
// sized from the parameters (elements unpacked by rtl/fp8_unpack.v). The magnitude is normalised
// with a leading-zero count (rtl/lzc.v), the scale
// exponent sa + sb - 254 is added to the exponent, a right shift (limited) makes float32
// subnormals, and one rne step produces the code. Tininess is detected after rounding.

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "fp8kit_defs.vh"

// Linting every rtl/*.v in one Verilator run sees several independent top modules by design.
// verilator lint_off MULTITOP
module mx_dot #(
  // elements per block
  parameter K = 32,
  // element exponent bits
  parameter ELEM_EXP_W = 4,
  // element mantissa bits
  parameter ELEM_MAN_W = 3,
  // element exponent bias
  parameter ELEM_BIAS = 7,
  // element specials convention (0 ieee, 1 fn, 2 fnuz, 3 none)
  parameter ELEM_SPECIALS = 1,
  // 1: MXINT8 elements (FP element parameters ignored)
  parameter ELEM_INT8 = 0,
  // register stages 0...2 = latency in cycles
  parameter PIPE = 0
) (
  input  wire                                                            clk_i,
  input  wire                                                            rst_ni,
  input  wire                                                            valid_i,
  // width K*ELEM_W (below); Verilog-2005 cannot name a body localparam in the port list
  input  wire [K*((ELEM_INT8 != 0) ? 8 : 1 + ELEM_EXP_W + ELEM_MAN_W)-1:0] a_i,
  input  wire [K*((ELEM_INT8 != 0) ? 8 : 1 + ELEM_EXP_W + ELEM_MAN_W)-1:0] b_i,
  input  wire [7:0]                                                      scale_a_i,
  input  wire [7:0]                                                      scale_b_i,
  output reg  [31:0]                                                     res_o,
  output reg  [4:0]                                                      flags_o,
  output reg                                                             valid_o
);

  // ---------------------------------------------------------------- derived, do not override
  // element code width (derived, do not override)
  localparam integer ELEM_W = (ELEM_INT8 != 0) ? 8 : 1 + ELEM_EXP_W + ELEM_MAN_W;

  // FP product significand width and largest product left shift (derived, do not override)
  localparam integer PW = 2 * (ELEM_MAN_W + 1);
  localparam integer SHMAX = 2 * ((1 << ELEM_EXP_W) - 2);
  // product magnitude bits: FP sig << shift, MXINT8 |k_a * k_b| <= 2**14 (derived, do not override)
  localparam integer TW = (ELEM_INT8 != 0) ? 15 : PW + SHMAX;
  // exponent of the accumulator LSB before scaling (derived, do not override)
  localparam integer LSB0 = (ELEM_INT8 != 0) ? -12 : 2 - 2 * ELEM_BIAS - 2 * ELEM_MAN_W;
  // accumulator width: sign + product bits + growth of K additions (derived, do not override)
  localparam integer AW = TW + 1 + $clog2(K);
  // lz count width (derived, do not override)
  localparam integer LZW = $clog2(AW + 1);
  // exponent of the accumulator MSB with zero scales' offset (derived, do not override)
  localparam integer EOFF = AW - 1 + LSB0 - 254;
  localparam [31:0] V_EOFF = EOFF;
  localparam [15:0] K_EOFF = V_EOFF[15:0];

`ifndef SYNTHESIS
  initial begin
    if (K < 1) begin
      $display("mx_dot: K=%0d must be >= 1", K);
      $fatal(1);
    end
    if (ELEM_INT8 == 0 && (ELEM_EXP_W < 1 || ELEM_MAN_W < 0 || ELEM_EXP_W > 6 ||
                           ELEM_EXP_W + ELEM_MAN_W > 31)) begin
      $display("mx_dot: ELEM_EXP_W=%0d (1...6) / ELEM_MAN_W=%0d (0...31-ELEM_EXP_W) unsupported",
               ELEM_EXP_W, ELEM_MAN_W);
      $fatal(1);
    end
    if (ELEM_SPECIALS < 0 || ELEM_SPECIALS > 3) begin
      $display("mx_dot: ELEM_SPECIALS=%0d not in 0...3", ELEM_SPECIALS);
      $fatal(1);
    end
    if (ELEM_INT8 != 0 && ELEM_INT8 != 1) begin
      $display("mx_dot: ELEM_INT8=%0d not 0 or 1", ELEM_INT8);
      $fatal(1);
    end
    if (PIPE < 0 || PIPE > 2) begin
      $display("mx_dot: PIPE=%0d not in 0...2", PIPE);
      $fatal(1);
    end
    if (AW > 200 || EOFF < -2000 || EOFF > 2000) begin
      $display("mx_dot: element format too wide (accumulator %0d bits)", AW);
      $fatal(1);
    end
  end
`endif

  // ---------------------------------------------------------------- per-element products
  wire [K-1:0]    p_nan;      // NaN element or Inf * 0
  wire [K-1:0]    p_invalid;  // Inf * 0 or a signalling-NaN element
  wire [K-1:0]    p_pinf;     // +Inf product
  wire [K-1:0]    p_ninf;     // -Inf product
  wire [K-1:0]    p_nzero;    // -0 product
  wire [K*AW-1:0] p_term;     // signed exact products, LSB 2**LSB0

  genvar k;
  for (k = 0; k < K; k = k + 1) begin : gen_elem
    if (ELEM_INT8 != 0) begin : gen_int8
      wire signed [7:0]  a_k = a_i[k*ELEM_W +: 8];
      wire signed [7:0]  b_k = b_i[k*ELEM_W +: 8];
      wire signed [15:0] prod = a_k * b_k;
      assign p_term[k*AW +: AW] = {{(AW-16){prod[15]}}, prod};
      assign p_nan[k] = 1'b0;
      assign p_invalid[k] = 1'b0;
      assign p_pinf[k] = 1'b0;
      assign p_ninf[k] = 1'b0;
      // a zero times a negative element is a -0 product (refmodel: sign a_k < 0 xor b_k < 0)
      assign p_nzero[k] = ((~|a_k) | (~|b_k)) & (a_k[7] ^ b_k[7]);
    end else begin : gen_fp
      wire [ELEM_W-1:0]     a_c = a_i[k*ELEM_W +: ELEM_W];
      wire [ELEM_W-1:0]     b_c = b_i[k*ELEM_W +: ELEM_W];
      wire                  a_s;
      wire                  b_s;
      wire [ELEM_MAN_W:0]   a_sig;
      wire [ELEM_MAN_W:0]   b_sig;
      // max(e, 1) - 1 of each element: its shift above the subnormal exponent
      wire [ELEM_EXP_W:0]   a_sh;
      wire [ELEM_EXP_W:0]   b_sh;
      // {nan, snan, inf, zero, sub} of each element
      wire [4:0]            a_cls;
      wire [4:0]            b_cls;
      // the exponent fields are not needed beyond the shifts
      wire [ELEM_EXP_W-1:0] unused_a_e;
      wire [ELEM_EXP_W-1:0] unused_b_e;
      wire                  unused_a_e0;
      wire                  unused_b_e0;

      // BIAS 1: the unbiased exponent max(e, 1) - 1 is the shift
      fp8_unpack #(
        .EXP_W(ELEM_EXP_W), .MAN_W(ELEM_MAN_W), .BIAS(1), .SPECIALS(ELEM_SPECIALS),
        .UNB_W(ELEM_EXP_W + 1)
      ) u_fp8_unpack_a (
        .code_i(a_c),
        .sign_o(a_s),
        .exp_o(unused_a_e),
        .exp_zero_o(unused_a_e0),
        .sig_o(a_sig),
        .unb_o(a_sh),
        .cls_o(a_cls)
      );

      fp8_unpack #(
        .EXP_W(ELEM_EXP_W), .MAN_W(ELEM_MAN_W), .BIAS(1), .SPECIALS(ELEM_SPECIALS),
        .UNB_W(ELEM_EXP_W + 1)
      ) u_fp8_unpack_b (
        .code_i(b_c),
        .sign_o(b_s),
        .exp_o(unused_b_e),
        .exp_zero_o(unused_b_e0),
        .sig_o(b_sig),
        .unb_o(b_sh),
        .cls_o(b_cls)
      );

      wire a_nan = a_cls[4];
      wire b_nan = b_cls[4];
      wire a_inf = a_cls[2];
      wire b_inf = b_cls[2];
      wire a_zero = a_cls[1];
      wire b_zero = b_cls[1];
      // the subnormal bits are not needed: the hidden bit and the shift come from the unpacker
      wire unused_sub = a_cls[0] ^ b_cls[0];
      wire neg = a_s ^ b_s;
      // Inf * 0, or a signalling-NaN element on either side (IEEE 754-2019 7.2), whatever the scales
      wire invalid = (a_inf & b_zero) | (a_zero & b_inf) | a_cls[3] | b_cls[3];
      wire nan = a_nan | b_nan | invalid;
      wire inf = ~nan & (a_inf | b_inf);
      wire zero = ~nan & ~inf & (a_zero | b_zero);
      // shift = (a_e - 1 + a_e0) + (b_e - 1 + b_e0): subnormals sit at exponent 1
      wire [ELEM_EXP_W+1:0] sh = {1'b0, a_sh} + {1'b0, b_sh};
      // masks and xor-negation, not muxes, so that Yosys' share pass has nothing to explore
      wire [PW-1:0]   psig = (a_sig * b_sig) & {PW{~(nan | inf)}};
      wire [TW-1:0]   mag = {{(TW-PW){1'b0}}, psig} << sh;
      wire [AW-1:0]   mag_x = {{(AW-TW){1'b0}}, mag};
      assign p_term[k*AW +: AW] = (mag_x ^ {AW{neg}}) + {{(AW-1){1'b0}}, neg};
      assign p_nan[k] = nan;
      assign p_invalid[k] = invalid;
      assign p_pinf[k] = inf & ~neg;
      assign p_ninf[k] = inf & neg;
      assign p_nzero[k] = zero & neg;
    end
  end

  // ---------------------------------------------------------------- stage 1: exact sum, specials
  reg [AW-1:0] acc;
  integer j;
  always @* begin
    acc = {AW{1'b0}};
    for (j = 0; j < K; j = j + 1) begin
      acc = acc + p_term[j*AW +: AW];
    end
  end

  // stage-1 bundle: sum, sa + sb, NaN scale, any NaN product, invalid product, +Inf, -Inf, all -0
  localparam integer S1W = AW + 9 + 6;
  wire [S1W-1:0] s1_d = {acc, {1'b0, scale_a_i} + {1'b0, scale_b_i}, (&scale_a_i) | (&scale_b_i),
                         |p_nan, |p_invalid, |p_pinf, |p_ninf, &p_nzero};
  wire [S1W-1:0] s1_q;
  wire           s1_valid;

  if (PIPE >= 1) begin : gen_s1_reg
    reg [S1W-1:0] q;
    reg           v;
    always @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        q <= {S1W{1'b0}};
        v <= 1'b0;
      end else begin
        v <= valid_i;
        if (valid_i) q <= s1_d;
      end
    end
    assign s1_q = q;
    assign s1_valid = v;
  end else begin : gen_s1_comb
    assign s1_q = s1_d;
    assign s1_valid = valid_i;
  end

  wire [AW-1:0] sum = s1_q[S1W-1 -: AW];
  wire [8:0]    sc_sum = s1_q[14:6];
  wire          scale_nan = s1_q[5];
  wire          any_nan = s1_q[4];
  wire          any_invalid = s1_q[3];
  wire          pos_inf = s1_q[2];
  wire          neg_inf = s1_q[1];
  wire          all_nzero = s1_q[0];

  // ---------------------------------------------------------------- stage 2: normalise, round
  wire          sum_neg = sum[AW-1];
  wire [AW-1:0] sum_mag = (sum ^ {AW{sum_neg}}) + {{(AW-1){1'b0}}, sum_neg};
  wire          sum_zero = ~|sum;

  // leading zeros of the magnitude (rtl/lzc.v; AW when the sum is zero, where lz does not matter)
  wire [LZW-1:0] lz;
  wire           unused_lz_zero;

  lzc #(
    .WIDTH(AW)
  ) u_lzc (
    .in_i(sum_mag),
    .cnt_o(lz),
    .zero_o(unused_lz_zero)
  );

  wire [AW-1:0] norm = sum_mag << lz;

  // exponent of the leading one: EOFF + sa + sb - lz (16-bit two's complement)
  wire [15:0] e_msb = K_EOFF + {7'd0, sc_sum} - {{(16-LZW){1'b0}}, lz};
  wire        e_neg = e_msb[15];
  // normal iff e_msb >= -126; overflow for sure iff e_msb >= 128
  wire [15:0] e_norm = e_msb + 16'd126;             // >= 0 iff normal
  wire        is_norm = ~e_norm[15];
  wire        big = ~e_neg & (|e_msb[14:7]);         // e_msb >= 128
  // subnormal right shift -126 - e_msb, limited to 26
  wire [14:0] d_full = 15'd0 - e_norm[14:0];
  wire [4:0]  d = (is_norm) ? 5'd0 : ((|d_full[14:5]) || (d_full[4:0] > 5'd26)) ? 5'd26 : d_full[4:0];

  wire [AW+25:0] wide = {norm, 26'd0} >> d;
  wire [23:0]    sig = wide[AW+25 -: 24];
  wire           rnd = wide[AW+1];
  wire           sticky = |wide[AW:0];
  wire           up = rnd & (sticky | sig[0]);
  wire [24:0]    sig_r = {1'b0, sig} + {24'd0, up};
  wire [7:0]     e_field = e_norm[7:0] & {8{is_norm}};
  wire [30:0]    mag_code = {e_field, 23'd0} + {6'd0, sig_r};
  wire           ovf = big | (mag_code[30:23] == 8'hFF);
  wire           inexact = rnd | sticky;

  // tininess after rounding: below min normal unless the unbounded 24-bit rounding of a value in
  // the binade just below min normal carries up to it
  wire [AW+25:0] wide_u = {norm, 26'd0};
  wire           u_carry = (&wide_u[AW+25 -: 24]) & wide_u[AW+1];
  wire           e_m127 = (e_msb == 16'hFF81);
  wire           tiny = ~is_norm & ~(e_m127 & u_carry);

  // result selection as and-or terms (one-hot), not a priority mux: keeps Yosys' share pass cheap
  wire res_nan = scale_nan | any_nan | (pos_inf & neg_inf);
  wire invalid = any_invalid | (~scale_nan & pos_inf & neg_inf);
  wire sel_nan = res_nan;
  wire sel_inf = ~res_nan & (pos_inf | neg_inf);
  wire sel_fin = ~res_nan & ~pos_inf & ~neg_inf;
  wire sel_zero = sel_fin & sum_zero;
  wire sel_ovf = sel_fin & ~sum_zero & ovf;
  wire sel_num = sel_fin & ~sum_zero & ~ovf;
  wire [31:0] res_d = ({32{sel_nan}} & 32'h7FC0_0000)
                    | ({32{sel_inf}} & {neg_inf, 8'hFF, 23'd0})
                    | ({32{sel_zero}} & {all_nzero, 31'd0})
                    | ({32{sel_ovf}} & {sum_neg, 8'hFF, 23'd0})
                    | ({32{sel_num}} & {sum_neg, mag_code});
  reg  [4:0]  flags_d;
  always @* begin
    flags_d = 5'b00000;
    flags_d[`FP8KIT_FLAG_NV_BIT] = sel_nan & invalid;
    flags_d[`FP8KIT_FLAG_OF_BIT] = sel_ovf;
    flags_d[`FP8KIT_FLAG_UF_BIT] = sel_num & tiny & inexact;
    flags_d[`FP8KIT_FLAG_NX_BIT] = sel_ovf | (sel_num & inexact);
  end

  // ---------------------------------------------------------------- output register (PIPE >= 2)
  if (PIPE >= 2) begin : gen_out_reg
    always @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        res_o <= 32'd0;
        flags_o <= 5'd0;
        valid_o <= 1'b0;
      end else begin
        valid_o <= s1_valid;
        if (s1_valid) begin
          res_o <= res_d;
          flags_o <= flags_d;
        end
      end
    end
  end else begin : gen_out_comb
    always @* begin
      res_o = res_d;
      flags_o = flags_d;
      valid_o = s1_valid;
    end
  end
  if (PIPE == 0) begin : gen_no_clock
    // the clock and reset are not used without pipeline registers
    wire unused_clk = clk_i ^ rst_ni;
  end

endmodule

`resetall
