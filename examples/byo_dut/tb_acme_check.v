// tb_acme_check -- $readmemh replay bench for acme_fma8
//
// Each vector is one 96-bit hex word written by check_acme.py:
//   [95:88] round_mode (acme encoding)   [87:80] x   [79:72] y
//   [71:40] z   [39:8] expected result   [7:0] expected status (acme layout)
//
// Plusargs: +vec=<file> +n=<count> [+seed=<int>] [+gap=<0..255>]
//   gap: probability (x/256) of an idle cycle between operations, during
//   which x/y/z/round_mode carry random junk with in_valid low.
// The bench checks that out_valid follows in_valid exactly 2 cycles later,
// that nothing comes out of reset, and compares result and status of every
// operation.  It prints "ACME_CHECK checked=<n> mismatches=<m>".
`default_nettype none

module tb_acme_check;
    localparam integer MAXV = 1 << 20;

    reg  [95:0] vec [0:MAXV-1];

    reg         clk = 1'b0;
    reg         resetn = 1'b0;
    reg         in_valid = 1'b0;
    reg  [7:0]  x = 8'd0;
    reg  [7:0]  y = 8'd0;
    reg  [31:0] z = 32'd0;
    reg  [1:0]  round_mode = 2'd0;
    wire        out_valid;
    wire [31:0] result;
    wire [4:0]  status;

    acme_fma8 dut (
        .clk(clk), .resetn(resetn), .in_valid(in_valid),
        .x(x), .y(y), .z(z), .round_mode(round_mode),
        .out_valid(out_valid), .result(result), .status(status)
    );

    always #5 clk = ~clk;

    reg [1023:0] vecfile;
    integer n, seed, gap;
    integer next_idx, checked, mism, shown, cycles;
    // expected-output pipeline: q0 = presented last negedge, q1 = the one before
    reg     q0_v, q1_v;
    integer q0_i, q1_i;
    reg [95:0] e;

    initial begin
        if (!$value$plusargs("vec=%s", vecfile)) begin
            $display("ACME_CHECK error: no +vec=<file>");
            $finish;
        end
        if (!$value$plusargs("n=%d", n)) n = 0;
        if (!$value$plusargs("seed=%d", seed)) seed = 1;
        if (!$value$plusargs("gap=%d", gap)) gap = 32;
        if (n > MAXV) begin
            $display("ACME_CHECK error: n=%0d > %0d", n, MAXV);
            $finish;
        end
        $readmemh(vecfile, vec, 0, n - 1);
        next_idx = 0; checked = 0; mism = 0; shown = 0; cycles = 0;
        q0_v = 1'b0; q1_v = 1'b0; q0_i = 0; q1_i = 0;

        // reset with junk on the inputs, in_valid toggling
        repeat (4) begin
            @(negedge clk);
            in_valid = $random(seed);
            x = $random(seed); y = $random(seed); z = $random(seed);
            round_mode = $random(seed);
        end
        @(negedge clk);
        resetn = 1'b1;
        in_valid = 1'b0;
        if (out_valid !== 1'b0) begin
            $display("ACME_CHECK error: out_valid=%b during/after reset", out_valid);
            mism = mism + 1;
        end

        while (next_idx < n || q0_v || q1_v) begin
            @(negedge clk);
            cycles = cycles + 1;
            // 1) check what the DUT presents now: the op from two negedges ago
            if (out_valid !== q1_v) begin
                mism = mism + 1;
                if (shown < 20) begin
                    $display("ACME_CHECK valid mismatch at cycle %0d: out_valid=%b expected %b",
                             cycles, out_valid, q1_v);
                    shown = shown + 1;
                end
            end else if (q1_v) begin
                e = vec[q1_i];
                checked = checked + 1;
                if (result !== e[39:8] || status !== e[4:0]) begin
                    mism = mism + 1;
                    if (shown < 20) begin
                        $display("ACME_CHECK mismatch #%0d rm=%0d x=%02h y=%02h z=%08h: got %08h/%02h expected %08h/%02h",
                                 q1_i, e[89:88], e[87:80], e[79:72], e[71:40],
                                 result, status, e[39:8], e[4:0]);
                        shown = shown + 1;
                    end
                end
            end
            // 2) advance the model pipeline and present the next operation
            q1_v = q0_v; q1_i = q0_i;
            if (next_idx < n && (($random(seed) & 255) >= gap)) begin
                e = vec[next_idx];
                in_valid = 1'b1;
                round_mode = e[89:88];
                x = e[87:80]; y = e[79:72]; z = e[71:40];
                q0_v = 1'b1; q0_i = next_idx;
                next_idx = next_idx + 1;
            end else begin
                in_valid = 1'b0;
                x = $random(seed); y = $random(seed); z = $random(seed);
                round_mode = $random(seed);
                q0_v = 1'b0;
            end
        end
        $display("ACME_CHECK checked=%0d mismatches=%0d cycles=%0d", checked, mism, cycles);
        $finish;
    end
endmodule

`default_nettype wire
