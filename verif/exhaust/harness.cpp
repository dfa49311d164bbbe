// SPDX-License-Identifier: Apache-2.0
// Exhaustive-sweep harness: enumerates a module's inputs by index and compares its outputs with an
// expected stream, inside the simulation (Verilator --cc --exe). Built by verif/exhaust/rtl.py with
// one of -DOP_MUL, -DOP_FMA, -DOP_INT8, -DOP_MX, -DOP_DPA and -DVTOP=V<module>.
//
// Index layout: index = (outer_slot << INNER_BITS) | inner. `inner` enumerates the operand codes
// (and, for fma under sr, the random word in its low RSW bits); `outer_slot` picks a 64-bit value
// from the setup table (accumulator code and mode, int8 accumulator, MX scale pair, or for fp8_dpa
// the accumulator code | lane << 32 | background << 40 | scale_b << 48 | scale_a << 56).
//
// stdin (little endian): uint64 n, then n uint64 outer values; for OP_DPA then uint64 n_bg and
//   n_bg x (LANES A codes, LANES B codes) as uint64 (the backgrounds: every lane but the swept one);
//   then chunks until EOF, each uint64 start, uint64 count, count x uint64 expected records (one per
//   index start..start+count-1).
// stdout: per mismatch (the first MAXP of a chunk) "M <index> <got hex> <want hex>", then per chunk
//   "C <start> <count> <mismatches>", flushed after each chunk.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "verilated.h"

#define FP8KIT_STR2(x) #x
#define FP8KIT_STR(x) FP8KIT_STR2(x)
#include FP8KIT_STR(VTOP.h)
#ifdef OP_INT8
#include "Vint8_mac___024root.h"
#endif

#ifndef MAXP
#define MAXP 20
#endif

static bool read_all(void* buf, size_t bytes) {
  return std::fread(buf, 1, bytes, stdin) == bytes;
}

#ifdef OP_DPA
// A port of up to 64 bits is an integer (CData ... QData); a wider one a VlWide of 32-bit words.
template <typename T>
static inline void put_port(T& port, const uint32_t* w) {
  port = T(uint64_t(w[0]) | (uint64_t(w[1]) << 32));
}
template <std::size_t N>
static inline void put_port(VlWide<N>& port, const uint32_t* w) {
  for (std::size_t i = 0; i < N; ++i) port[i] = w[i];
}
// bits [pos, pos + width) of the word array `w` set to `value` (width <= 32)
static inline void put_field(uint32_t* w, unsigned pos, unsigned width, uint64_t value) {
  const uint64_t mask = ((uint64_t(1) << width) - 1) << (pos % 32);
  uint64_t pair = uint64_t(w[pos / 32]) | (uint64_t(w[pos / 32 + 1]) << 32);
  pair = (pair & ~mask) | ((value << (pos % 32)) & mask);
  w[pos / 32] = uint32_t(pair);
  w[pos / 32 + 1] = uint32_t(pair >> 32);
}
// words of a_i and b_i, with two spare words for the 64-bit reads above
static const unsigned NWA = (LANES * A_W + 31) / 32 + 2;
static const unsigned NWB = (LANES * B_W + 31) / 32 + 2;
#endif

int main(int argc, char** argv) {
  VerilatedContext ctx;
  ctx.commandArgs(argc, argv);
  VTOP top{&ctx};
  uint64_t n_outer = 0;
  if (!read_all(&n_outer, 8) || n_outer == 0) {
    std::fprintf(stderr, "harness: missing setup table\n");
    return 2;
  }
  std::vector<uint64_t> outer(n_outer);
  if (!read_all(outer.data(), 8 * n_outer)) {
    std::fprintf(stderr, "harness: short setup table\n");
    return 2;
  }
  const uint64_t inner_mask = (uint64_t(1) << INNER_BITS) - 1;
#ifdef OP_DPA
  uint64_t n_bg = 0;
  if (!read_all(&n_bg, 8) || n_bg == 0) {
    std::fprintf(stderr, "harness: missing background table\n");
    return 2;
  }
  std::vector<uint64_t> bg_codes(n_bg * 2 * LANES);
  if (!read_all(bg_codes.data(), 8 * bg_codes.size())) {
    std::fprintf(stderr, "harness: short background table\n");
    return 2;
  }
  // the background words of each (background, A/B): every lane's code packed
  std::vector<uint32_t> bg_words(n_bg * (NWA + NWB), 0);
  for (uint64_t g = 0; g < n_bg; ++g) {
    uint32_t* wa = &bg_words[g * (NWA + NWB)];
    uint32_t* wb = wa + NWA;
    for (unsigned k = 0; k < LANES; ++k) {
      put_field(wa, k * A_W, A_W, bg_codes[(g * 2) * LANES + k]);
      put_field(wb, k * B_W, B_W, bg_codes[(g * 2 + 1) * LANES + k]);
    }
  }
  std::vector<uint32_t> a_words(NWA), b_words(NWB);
  uint64_t dpa_slot = ~uint64_t(0);
  unsigned lane = 0;
  top.valid_i = 1;
#endif
#ifdef OP_INT8
  top.rst_ni = 0;
  top.clk_i = 0;
  top.eval();
  top.rst_ni = 1;
  top.clear_i = 0;
  top.valid_i = 1;
  top.eval();
#endif
  std::vector<uint64_t> want;
  uint64_t head[2];
  while (read_all(head, 16)) {
    const uint64_t start = head[0], count = head[1];
    want.resize(count);
    if (!read_all(want.data(), 8 * count)) {
      std::fprintf(stderr, "harness: short chunk at %llu\n", (unsigned long long)start);
      return 2;
    }
    uint64_t bad = 0;
    for (uint64_t k = 0; k < count; ++k) {
      const uint64_t idx = start + k;
      const uint64_t inner = idx & inner_mask;
      const uint64_t slot = idx >> INNER_BITS;
      if (slot >= n_outer) {
        std::fprintf(stderr, "harness: index %llu beyond the setup table\n", (unsigned long long)idx);
        return 2;
      }
      const uint64_t out = outer[slot];
      uint64_t got;
#if defined(OP_MUL)
      top.a_i = inner >> B_W;
      top.b_i = inner & ((1u << B_W) - 1);
      top.eval();
      const uint64_t exp12 = uint64_t(int64_t(int32_t(uint32_t(top.exp_o) << (32 - EXP_O_W)) >> (32 - EXP_O_W))) & 0xFFF;
      got = (uint64_t(top.sig_o) << 16) | (exp12 << 4) | (uint64_t(top.sign_o) << 3) | top.class_o;
#elif defined(OP_FMA)
      top.a_i = (inner >> (B_W + RSW)) & ((1u << A_W) - 1);
      top.b_i = (inner >> RSW) & ((1u << B_W) - 1);
      top.rand_i = RSW ? (inner & ((uint64_t(1) << RSW) - 1)) : 0;
      top.acc_i = out & 0xFFFFFFFFu;
      top.rm_i = (out >> 32) & 7;
      top.sat_i = (out >> 40) & 1;
      top.eval();
      got = uint64_t(top.res_o) | (uint64_t(top.flags_o) << 32);
#elif defined(OP_INT8)
      top.rootp->int8_mac__DOT__acc_q = uint32_t(out);
      top.rootp->int8_mac__DOT__ovf_q = (out >> 32) & 1;
      top.sat_i = (out >> 33) & 1;
      top.a_i = inner >> 8;
      top.b_i = inner & 0xFF;
      top.clk_i = 0;
      top.eval();
      top.clk_i = 1;
      top.eval();
      got = uint64_t(top.acc_o) | (uint64_t(top.ovf_o) << 32) | (uint64_t(top.valid_o) << 33);
#elif defined(OP_MX)
      top.a_i = inner >> ELEM_W;
      top.b_i = inner & ((1u << ELEM_W) - 1);
      top.scale_a_i = (out >> 8) & 0xFF;
      top.scale_b_i = out & 0xFF;
      top.eval();
      got = uint64_t(top.res_o) | (uint64_t(top.flags_o) << 32);
#elif defined(OP_DPA)
      if (slot != dpa_slot) {  // a new (background, lane, accumulator): reload the background
        const uint64_t g = (out >> 40) & 0xFF;
        if (g >= n_bg) {
          std::fprintf(stderr, "harness: background %llu beyond the table\n", (unsigned long long)g);
          return 2;
        }
        lane = (out >> 32) & 0xFF;
        const uint32_t* wa = &bg_words[g * (NWA + NWB)];
        a_words.assign(wa, wa + NWA);
        b_words.assign(wa + NWA, wa + NWA + NWB);
        top.c_i = out & 0xFFFFFFFFu;
        top.scale_a_i = (out >> 56) & 0xFF;
        top.scale_b_i = (out >> 48) & 0xFF;
        dpa_slot = slot;
      }
      put_field(a_words.data(), lane * A_W, A_W, inner >> B_W);
      put_field(b_words.data(), lane * B_W, B_W, inner & ((1u << B_W) - 1));
      put_port(top.a_i, a_words.data());
      put_port(top.b_i, b_words.data());
      top.eval();
      got = uint64_t(top.res_o) | (uint64_t(top.flags_o) << 32);
#else
#error "define one of OP_MUL, OP_FMA, OP_INT8, OP_MX, OP_DPA"
#endif
      if (got != want[k]) {
        if (bad < MAXP) {
          std::printf("M %llu %llx %llx\n", (unsigned long long)idx, (unsigned long long)got,
                      (unsigned long long)want[k]);
        }
        ++bad;
      }
    }
    std::printf("C %llu %llu %llu\n", (unsigned long long)start, (unsigned long long)count,
                (unsigned long long)bad);
    std::fflush(stdout);
  }
  top.final();
  return 0;
}
