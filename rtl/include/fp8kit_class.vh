// SPDX-License-Identifier: Apache-2.0
// fp8kit_class.vh: the class of one operand code, shared by fp8_mul, fp8_fma and mx_dot.
//
// Include it INSIDE a module body: it declares the function fp8kit_class, and every including
// module needs its own copy, so the file has no include guard.
//
// fp8kit_class(specials, exp_w, man_w, code) = {nan, snan, inf, zero, sub}
//   specials      the format's SPECIALS code: 0 ieee, 1 fn, 2 fnuz, 3 none
//   exp_w, man_w  exponent and mantissa field widths (exp_w >= 1, man_w >= 0,
//                 exp_w + man_w + 1 <= 32)
//   code          the code, zero-extended to 32 bits (sign at bit exp_w + man_w)
//   nan           ieee: exponent all ones, mantissa non-zero; fn: exponent and mantissa all ones;
//                 fnuz: sign set, exponent and mantissa zero; none: never
//   snan          signalling NaN (IEEE 754-2019 section 6.2.1): ieee only, a NaN whose mantissa
//                 MSB (the quiet bit) is clear; fn, fnuz and none formats have none
//   inf           ieee only: exponent all ones, mantissa zero
//   zero          exponent and mantissa zero, not NaN (either sign)
//   sub           exponent zero, mantissa non-zero

function [4:0] fp8kit_class;
  input integer specials;
  input integer exp_w;
  input integer man_w;
  input [31:0] code;
  reg [31:0] man;
  reg [31:0] expo;
  reg        sign;
  reg        e0;
  reg        e1;
  reg        m0;
  reg        m1;
  reg        quiet;
  reg        nan;
  begin
    man = code & ~(32'hFFFF_FFFF << man_w);
    expo = (code >> man_w) & ~(32'hFFFF_FFFF << exp_w);
    sign = |((code >> (exp_w + man_w)) & 32'd1);
    e0 = ~|expo;
    e1 = (expo == ~(32'hFFFF_FFFF << exp_w));
    m0 = ~|man;
    m1 = (man == ~(32'hFFFF_FFFF << man_w));
    quiet = |((man << 1) >> man_w);
    case (specials)
      0:       nan = e1 & ~m0;
      1:       nan = e1 & m1;
      2:       nan = sign & e0 & m0;
      default: nan = 1'b0;
    endcase
    fp8kit_class = {nan, (specials == 0) & nan & ~quiet, (specials == 0) & e1 & m0, e0 & m0 & ~nan,
                    e0 & ~m0};
  end
endfunction
