// ---------------------------------------------------------------------------
// acme_fma8 -- FP8 (OCP E4M3) x FP8 (OCP E4M3) + float32 fused multiply-add
// ---------------------------------------------------------------------------
// A "third-party" block used as the bring-your-own-DUT example of fp8kit.
// It was written independently of fp8kit's rtl/fp8_fma.v, fp8_mul.v and
// fp8_mac.v (none of them was read) from the arithmetic contract alone, and
// it deliberately uses its own port names, rounding-mode encoding and status
// layout.
//
//   result = z + x * y        one rounding, IEEE 754-2019 semantics
//
//   x, y    : OCP E4M3 (float8_e4m3fn): 1-4-3, bias 7, no Inf,
//             NaN = S.1111.111 only, max finite 448, subnormals kept.
//   z,result: IEEE binary32.
//
// Ports
//   clk                 rising-edge clock
//   resetn              synchronous, active-low reset (clears the valids and
//                       the output registers)
//   in_valid            an operation is presented on x, y, z, round_mode
//   x, y [7:0]          E4M3 multiplicands
//   z [31:0]            float32 addend
//   round_mode [1:0]    0 = toward zero, 1 = nearest even,
//                       2 = up (toward +Inf), 3 = down (toward -Inf)
//   out_valid           result/status hold the operation presented 2 cycles
//                       earlier
//   result [31:0]       float32 result
//   status [4:0]        exception flags of that operation (not sticky):
//                         bit 0  invalid   (z is a signalling NaN)
//                         bit 1  overflow
//                         bit 2  underflow (tiny after rounding and inexact)
//                         bit 3  inexact
//                         bit 4  reserved, always 0
//
// Timing: fully pipelined, one operation per clock, latency exactly 2:
//   stage 1 (registered at the 1st edge): E4M3 decode, exact 8-bit product,
//           alignment of the addend against the product and the exact
//           (sticky-compressed) signed sum, special-case decisions;
//   stage 2 (registered at the 2nd edge): leading-zero normalisation,
//           rounding, overflow handling, flags.
//
// Numerics
//   * The product of two E4M3 codes is exact (4-bit x 4-bit significands),
//     the sum is formed exactly in a 61-bit window (addend bits that fall
//     below the window collapse into one sticky bit, which is provably below
//     every rounding decision), and the sum is rounded once.
//   * NaN: any NaN input gives the canonical quiet NaN 0x7FC00000 (no payload
//     propagation).  Invalid is raised only for a signalling-NaN z (exponent
//     all ones, mantissa MSB 0); E4M3 has no Inf, so Inf*0 and Inf-Inf
//     cannot occur here, and an E4M3 NaN alone raises nothing.
//   * An infinite z passes through unchanged, without flags.
//   * Zero signs (IEEE 754-2019 6.3): if x*y and z are both zero and have the
//     same sign, the result is that zero; any other exact zero sum is +0, or
//     -0 when rounding down.  If x*y is zero and z is not, the result is z.
//   * Overflow (rounded magnitude, with unbounded exponent, above the largest
//     float32): nearest -> Inf; toward zero -> max finite; up -> +Inf or
//     -max; down -> +max or -Inf.  Overflow and inexact are set.
//   * Underflow: tininess is detected after rounding.  With E4M3 operands a
//     non-zero product is at least 2^-18 in magnitude, and any non-zero sum
//     of such a product and a float32 is at least ~2^-42 (it is a non-zero
//     multiple of the finer of the two quanta, and cancellation needs z
//     within a factor of two of the product), so a rounded result is never
//     tiny; tiny results only arise as an exact pass-through of a subnormal
//     z when the product is zero, which is exact.  The underflow bit is
//     therefore always 0 for this operand format; it is kept in the status
//     word for interface compatibility.
// ---------------------------------------------------------------------------
`default_nettype none

module acme_fma8 (
    input  wire        clk,
    input  wire        resetn,
    input  wire        in_valid,
    input  wire [7:0]  x,
    input  wire [7:0]  y,
    input  wire [31:0] z,
    input  wire [1:0]  round_mode,
    output reg         out_valid,
    output reg  [31:0] result,
    output reg  [4:0]  status
);

    // round_mode encoding (this block's own)
    localparam [1:0] RM_RTZ = 2'd0;
    localparam [1:0] RM_RNE = 2'd1;
    localparam [1:0] RM_RUP = 2'd2;
    localparam [1:0] RM_RDN = 2'd3;

    localparam [31:0] QNAN = 32'h7FC0_0000;

    // ======================================================================
    // Stage 1: decode, exact product, alignment, exact sum
    // ======================================================================
    // Window (61 bits, bit 0 = sticky):
    //   bits 59..36  addend significand before alignment (its LSB at bit 36)
    //   bits 33..26  product significand (LSB at bit 26)
    //   bit  60      carry of the addition
    // The addend is shifted right by sh = clamp(10 - s, 0, 60), where
    // s = (LSB exponent of z) - (LSB exponent of x*y).  When s > 10 the
    // addend stays at the top and the product (then < 1/4 ulp of z) keeps
    // its window bits: they only act as a sticky contribution below the
    // rounding point, exactly as if it sat at its true, lower position.

    // --- E4M3 decode
    wire       x_nan  = (x[6:0] == 7'h7F);
    wire       y_nan  = (y[6:0] == 7'h7F);
    wire       x_zero = (x[6:0] == 7'h00);
    wire       y_zero = (y[6:0] == 7'h00);
    wire       x_norm = (x[6:3] != 4'd0);
    wire       y_norm = (y[6:3] != 4'd0);
    wire [3:0] x_sig  = {x_norm, x[2:0]};
    wire [3:0] y_sig  = {y_norm, y[2:0]};
    wire [3:0] x_exp  = x_norm ? x[6:3] : 4'd1;   // biased, subnormals at 1
    wire [3:0] y_exp  = y_norm ? y[6:3] : 4'd1;

    // --- exact product
    wire [7:0] p_sig  = x_sig * y_sig;
    wire       p_sign = x[7] ^ y[7];
    wire       p_zero = x_zero | y_zero;

    // --- float32 decode
    wire        z_sign  = z[31];
    wire [7:0]  z_bexp  = z[30:23];
    wire        z_norm  = (z_bexp != 8'd0);
    wire        z_ones  = (z_bexp == 8'hFF);
    wire        z_mz    = (z[22:0] == 23'd0);
    wire        z_nan   = z_ones & ~z_mz;
    wire        z_snan  = z_nan & ~z[22];
    wire        z_inf   = z_ones & z_mz;
    wire        z_zero  = ~z_norm & z_mz;
    wire [23:0] z_sig   = {z_norm, z[22:0]};
    wire [7:0]  z_exp   = z_norm ? z_bexp : 8'd1;

    // --- alignment distance: t = 10 - s = 140 + ex + ey - ez (10-bit 2's c.)
    //     (LSB exponent of z = ez - 150, of the product = ex + ey - 20)
    wire [9:0] exy   = {6'd0, x_exp} + {6'd0, y_exp};
    wire [9:0] t     = exy + 10'd140 - {2'd0, z_exp};
    wire       z_big = t[9];                        // t < 0: z far above x*y
    wire [5:0] sh    = z_big ? 6'd0 :
                       ((t[8:0] > 9'd60) ? 6'd60 : t[5:0]);

    // biased float32 exponent of window bit 59 (the addend's top bit)
    wire [8:0] e_top = z_big ? {1'b0, z_exp} : (exy[8:0] + 9'd140);

    // --- addend alignment with sticky
    wire [84:0] z_wide = {1'b0, z_sig, 60'd0};      // z_sig LSB at wide bit 60
    wire [84:0] z_shft = z_wide >> sh;              // window bit k = wide bit k+24
    wire [60:0] z_al   = {z_shft[84:25], z_shft[24] | (|z_shft[23:0])};
    wire [60:0] p_al   = {27'd0, p_sig, 26'd0};

    // --- exact signed sum (sign/magnitude)
    wire        eff_sub = z_sign ^ p_sign;
    wire [60:0] s_add   = z_al + p_al;              // < 2^61: no carry out
    wire [61:0] s_zmp   = {1'b0, z_al} - {1'b0, p_al};
    wire [60:0] s_pmz   = p_al - z_al;
    wire        p_wins  = s_zmp[61];                // |x*y| > |z| on subtraction
    wire [60:0] s_mag   = ~eff_sub ? s_add : (p_wins ? s_pmz : s_zmp[60:0]);
    wire        s_sign  = (eff_sub & p_wins) ? p_sign : z_sign;

    // --- special cases, decided here and carried to the output
    wire        any_nan = x_nan | y_nan | z_nan;
    reg         byp;
    reg  [31:0] byp_res;
    always @(*) begin
        byp     = 1'b1;
        byp_res = z;
        if (any_nan)
            byp_res = QNAN;
        else if (z_inf)
            byp_res = z;
        else if (p_zero) begin
            if (z_zero)
                byp_res = {(z_sign == p_sign) ? z_sign : (round_mode == RM_RDN), 31'd0};
            else
                byp_res = z;
        end else
            byp = 1'b0;
    end

    // --- stage 1 registers
    reg        v1;
    reg [60:0] r1_mag;
    reg        r1_sign;
    reg [8:0]  r1_etop;
    reg [1:0]  r1_rm;
    reg        r1_byp;
    reg [31:0] r1_byp_res;
    reg        r1_nv;

    always @(posedge clk) begin
        if (!resetn) begin
            v1 <= 1'b0;
        end else begin
            v1 <= in_valid;
        end
    end

    always @(posedge clk) begin
        if (in_valid) begin
            r1_mag     <= s_mag;
            r1_sign    <= s_sign;
            r1_etop    <= e_top;
            r1_rm      <= round_mode;
            r1_byp     <= byp;
            r1_byp_res <= byp_res;
            r1_nv      <= z_snan;
        end
    end

    // ======================================================================
    // Stage 2: normalise, round, pack
    // ======================================================================
    // --- leading-zero count and normalisation (64-bit log shifter)
    reg [63:0] nrm;
    reg [5:0]  lz;
    always @(*) begin
        nrm = {r1_mag, 3'd0};
        lz  = 6'd0;
        if (nrm[63:32] == 32'd0) begin nrm = {nrm[31:0], 32'd0}; lz[5] = 1'b1; end
        if (nrm[63:48] == 16'd0) begin nrm = {nrm[47:0], 16'd0}; lz[4] = 1'b1; end
        if (nrm[63:56] ==  8'd0) begin nrm = {nrm[55:0],  8'd0}; lz[3] = 1'b1; end
        if (nrm[63:60] ==  4'd0) begin nrm = {nrm[59:0],  4'd0}; lz[2] = 1'b1; end
        if (nrm[63:62] ==  2'd0) begin nrm = {nrm[61:0],  2'd0}; lz[1] = 1'b1; end
        if (nrm[63]    ==  1'b0) begin nrm = {nrm[62:0],  1'd0}; lz[0] = 1'b1; end
    end

    wire        sum_zero = (r1_mag == 61'd0);
    wire [22:0] frac     = nrm[62:40];           // nrm[63] is the hidden 1
    wire        g_bit    = nrm[39];
    wire        s_bit    = |nrm[38:0];
    wire        inexact  = g_bit | s_bit;

    // leading one at window bit 60 - lz; bit 59 has exponent r1_etop
    wire [9:0]  e_pre    = {1'b0, r1_etop} + 10'd1 - {4'd0, lz};

    reg round_up;
    always @(*) begin
        round_up = 1'b0;
        case (r1_rm)
            RM_RTZ:  round_up = 1'b0;
            RM_RNE:  round_up = g_bit & (s_bit | frac[0]);
            RM_RUP:  round_up = ~r1_sign & inexact;
            RM_RDN:  round_up =  r1_sign & inexact;
            default: round_up = 1'b0;
        endcase
    end

    // exponent and fraction side by side: a carry out of the fraction
    // (1.11..1 rounded up) bumps the exponent, leaving the fraction 0
    wire [32:0] ef_rnd  = {e_pre, frac} + {32'd0, round_up};
    wire [9:0]  e_fin   = ef_rnd[32:23];
    wire        ovf     = (e_fin >= 10'd255);

    // overflow: Inf, or the largest finite value for modes rounding toward 0
    reg to_inf;
    always @(*) begin
        to_inf = 1'b0;
        case (r1_rm)
            RM_RTZ:  to_inf = 1'b0;
            RM_RNE:  to_inf = 1'b1;
            RM_RUP:  to_inf = ~r1_sign;
            RM_RDN:  to_inf =  r1_sign;
            default: to_inf = 1'b0;
        endcase
    end

    reg [31:0] res2;
    reg [4:0]  st2;
    always @(*) begin
        if (r1_byp) begin
            res2 = r1_byp_res;
            st2  = {4'd0, r1_nv};
        end else if (sum_zero) begin
            res2 = {(r1_rm == RM_RDN), 31'd0};
            st2  = 5'd0;
        end else if (ovf) begin
            res2 = to_inf ? {r1_sign, 31'h7F80_0000} : {r1_sign, 31'h7F7F_FFFF};
            st2  = 5'b01010;                                 // inexact, overflow
        end else begin
            res2 = {r1_sign, ef_rnd[30:0]};
            st2  = {1'b0, inexact, 3'b000};
        end
    end

    always @(posedge clk) begin
        if (!resetn) begin
            out_valid <= 1'b0;
            result    <= 32'd0;
            status    <= 5'd0;
        end else begin
            out_valid <= v1;
            if (v1) begin
                result <= res2;
                status <= st2;
            end
        end
    end

endmodule

`default_nettype wire
