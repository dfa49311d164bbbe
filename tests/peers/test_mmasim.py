"""Cross-check of the GEMM presets against MMA-Sim (Microsoft, arXiv 2511.10909; PyPI ``mmasim``, needs torch).

Every preset that MMA-Sim models runs random tiles (random finite codes with zeros and subnormals,
narrow and wide exponent spreads, C zero, near the products or anywhere) through both simulators,
and every output is compared bit for bit: float32 and float16 codes, any NaN equal to any NaN.
``hopper-fp8-promote128`` is composed on MMA-Sim's side: its wgmma model over each 128 of K from
+0, each partial added to the accumulator in float32 (DeepSeek-V3 section 3.3.2).

Beside the random tiles, crafted tiles pin the two differences the first presets had (docs/gemm.md,
"Cross-check against MMA-Sim"), both fixed: MMA-Sim's zero exponent e_zero (now each preset's
``zero_exp``), and a block-scaled group whose products are all zero (now a zero term).  The CDNA3
presets (MMA-Sim's ``mmasim.amd.MFMA``) agree on every output but one kind, a known difference of
MMA-Sim 2.1.1 that its cdna3-fp8 model has and refmodel does not: an infinite or NaN C dropped under
large products; those outputs are left out of the comparison and shown by a crafted tile.

Optional (marker ``peers``, deselected by default): ``make test-peers`` installs torch and mmasim
into ``.venv-peers`` and runs this module.  ``FP8KIT_PEER_TILES`` sets the tiles per case (default 300).
"""

from __future__ import annotations

import dataclasses
import os
import zlib

import numpy as np
import pytest

from refmodel.codec import classify, decode, encode
from refmodel.encodings import CodeClass
from refmodel.formats import get_format
from refmodel.gemm import matmul, matmul_mx
from refmodel.mx import MxArray
from refmodel.presets import PRESETS

pytestmark = pytest.mark.peers

TILES = int(os.environ.get("FP8KIT_PEER_TILES", "300"))
M = N = 4  # outputs per tile: M x N

E4M3, E5M2, F16, BF16, F32 = "float8_e4m3fn", "float8_e5m2", "float16", "bfloat16", "float32"
E4M3Z, E5M2Z = "float8_e4m3fnuz", "float8_e5m2fnuz"
FP4 = "float4_e2m1fn"
PTX = {E4M3: "e4m3", E5M2: "e5m2", F16: "f16", BF16: "bf16"}
AMD = {E4M3Z: "fp8", E5M2Z: "bf8"}  # MMA-Sim's CDNA3 operand names (mmasim/amd/isa_mfma.py)

# MMA-Sim's e_zero (the exponent a zero term takes in the maximum; mmasim/nv_ptx/sim.py) per preset
E_ZERO = {"hopper-fp8": -133, "hopper-fp8-f16": -21, "hopper-fp8-promote128": -133, "ada-fp8": -132,
          "blackwell-fp8": -133, "hopper-fp16": -133, "hopper-bf16": -133, "ampere-fp16": -132,
          "ampere-bf16": -132, "blackwell-mxfp8": -133, "blackwell-nvfp4": -139}


def _check_agreement(preset: str, ours, e_zero, theirs, acc: str, what: str) -> None:
    """The preset and the preset with MMA-Sim's e_zero set again (the same since the fix) agree on every output
    (a preset without a zero exponent, the two-stage ones: ``e_zero`` is ``ours``)."""
    if preset not in E_ZERO:
        differ = _differing(ours, theirs, acc)
        print(f"{what}: {ours.size} outputs, {differ} differ")
        assert differ == 0
        return
    differ, differ_e = _differing(ours, theirs, acc), _differing(e_zero, theirs, acc)
    print(f"{what}: {ours.size} outputs, {differ} differ ({differ_e} with zero_exp={E_ZERO[preset]})")
    assert differ_e == 0 and differ == 0


def test_presets_carry_mma_sims_zero_exponent():
    for name, e_zero in E_ZERO.items():
        dp = PRESETS[name].datapath
        assert getattr(dp, "inner", dp).zero_exp == e_zero, name


def _with_e_zero(preset: str):
    """The preset's datapath with MMA-Sim's e_zero as ``zero_exp`` (inside Promote for promote128; a preset
    without one unchanged)."""
    dp = PRESETS[preset].datapath
    if preset not in E_ZERO:
        return dp
    if hasattr(dp, "inner"):
        return dataclasses.replace(dp, inner=dataclasses.replace(dp.inner, zero_exp=E_ZERO[preset]))
    return dataclasses.replace(dp, zero_exp=E_ZERO[preset])


@pytest.fixture(scope="module")
def peer():
    """The mmasim package and torch, imported only here: the default suite never needs them."""
    mmasim = pytest.importorskip("mmasim", reason="MMA-Sim is optional: make test-peers (pip install -e '.[peers]')")
    import torch

    torch.set_num_threads(1)
    return mmasim, torch


# ----------------------------------------------------------------------------- codes
def _finite(codes: np.ndarray, fmt) -> np.ndarray:
    """Inf and NaN codes moved to finite ones (the exponent field's lowest bit cleared)."""
    cls = classify(codes, fmt)
    special = (cls == CodeClass.INF) | (cls == CodeClass.NAN)
    return np.where(special, codes ^ (1 << fmt.man_bits), codes)


def _codes(rng: np.random.Generator, name: str, shape: tuple[int, ...], narrow: bool) -> np.ndarray:
    """Random finite codes of ``name``: uniform over the codes, or (narrow) exponent fields in a window
    of 4; then about a tenth zeros (either sign) and a tenth subnormals."""
    fmt = get_format(name)
    top = (1 << fmt.exp_bits) - 1
    if narrow:
        lo = int(rng.integers(1, max(2, top - 4)))
        e = rng.integers(lo, min(lo + 4, top + 1), shape)
        codes = (rng.integers(0, 2, shape) << (fmt.bits - 1)) | (e << fmt.man_bits) | rng.integers(0, 1 << fmt.man_bits, shape)
    else:
        codes = rng.integers(0, 1 << fmt.bits, shape)
    sign = rng.integers(0, 2, shape) << (fmt.bits - 1)
    pick = rng.random(shape)
    codes = np.where(pick < 0.1, sign, codes)
    sub = sign | rng.integers(1, 1 << fmt.man_bits, shape)
    codes = np.where((pick >= 0.1) & (pick < 0.2), sub, codes)
    return _finite(codes.astype(np.int64), fmt)


def _acc_codes(rng: np.random.Generator, acc: str, exact: np.ndarray) -> np.ndarray:
    """C for one tile: zero (either sign), near the exact dot products (times +-2**[-4, 4]), above them
    (times +-2**[8, 40], so that the alignment truncates the products partly) or any finite code of
    ``acc``; about a tenth subnormals in the last three modes."""
    fmt = get_format(acc)
    dtype = np.float32 if acc == F32 else np.float16
    mode = int(rng.integers(0, 4))
    shape = exact.shape
    sign = rng.integers(0, 2, shape) << (fmt.bits - 1)
    if mode == 0:
        return sign.astype(np.int64)
    if mode in (1, 2):
        lo, hi = (-4, 5) if mode == 1 else (8, 41)
        with np.errstate(all="ignore"):
            v = (exact * rng.choice([-1.0, 1.0], shape) * np.exp2(rng.integers(lo, hi, shape))).astype(dtype)
        v[~np.isfinite(v)] = 0
        codes = v.view(np.uint32 if acc == F32 else np.uint16).astype(np.int64)
    else:
        codes = _finite(rng.integers(0, 1 << fmt.bits, shape), fmt)
    sub = sign | rng.integers(1, 1 << fmt.man_bits, shape)
    return np.where(rng.random(shape) < 0.1, sub, codes).astype(np.int64)


def _dots(a: np.ndarray, fa: str, b: np.ndarray, fb: str) -> np.ndarray:
    """float64 products of the decoded tiles (only to place C near them; Inf and NaN operands allowed)."""
    with np.errstate(all="ignore"):
        return decode(a, fa, np.float64) @ decode(b, fb, np.float64)


def _differing(ours: np.ndarray, theirs: np.ndarray, acc: str) -> int:
    """Outputs whose codes differ, any NaN equal to any NaN."""
    ours, theirs = ours.astype(np.int64), theirs.astype(np.int64)
    nan = (classify(ours, acc) == CodeClass.NAN) & (classify(theirs, acc) == CodeClass.NAN)
    return int(np.count_nonzero((ours != theirs) & ~nan))


# ----------------------------------------------------------------------------- torch views
def _t(torch, codes: np.ndarray, name: str):
    """Codes as a torch tensor of the matching dtype, bit for bit."""
    bits = get_format(name).bits
    if bits == 32:
        return torch.from_numpy(codes.astype(np.uint32).view(np.int32).copy()).view(torch.float32)
    if bits == 16:
        return torch.from_numpy(codes.astype(np.uint16).view(np.int16).copy()).view(
            torch.float16 if name == F16 else torch.bfloat16)
    dt = {E4M3: torch.float8_e4m3fn, E5M2: torch.float8_e5m2, "float8_e8m0fnu": torch.float8_e8m0fnu,
          E4M3Z: torch.float8_e4m3fnuz, E5M2Z: torch.float8_e5m2fnuz}[name]
    return torch.from_numpy(codes.astype(np.uint8).copy()).view(dt)


def _codes_of(torch, t, acc: str) -> np.ndarray:
    if acc == F32:
        return t.contiguous().view(torch.int32).numpy().view(np.uint32).astype(np.int64)
    return t.contiguous().view(torch.int16).numpy().view(np.uint16).astype(np.int64)


def _vectors(a, b):
    """(T, M, K) and (T, K, N) tensors as (T, M, N, K) row and column vectors for MMA-Sim's ``dpa``."""
    t, m, k = a.shape
    n = b.shape[-1]
    return a[:, :, None, :].expand(t, m, n, k), b.transpose(1, 2)[:, None, :, :].expand(t, m, n, k)


# ----------------------------------------------------------------------------- the peer's operations
def _plain_op(mmasim, preset: str, fa: str, fb: str):
    """MMA-Sim's instruction for a plain (not block-scaled) preset, and the accumulator."""
    from mmasim.amd import MFMA
    from mmasim.nv_ptx import MMA, TCGen05MMA, WGMMA

    a, b = PTX.get(fa, AMD.get(fa)), PTX.get(fb, AMD.get(fb))
    return {
        "cdna3-fp8": lambda: (MFMA("CDNA3", f"f32_16x16x32_{a}_{b}"), F32),
        "cdna3-fp16": lambda: (MFMA("CDNA3", "f32_16x16x16_f16"), F32),
        "hopper-fp8": lambda: (WGMMA("Hopper", f"m64n8k32.f32.{a}.{b}"), F32),
        "hopper-fp8-f16": lambda: (WGMMA("Hopper", f"m64n8k32.f16.{a}.{b}"), F16),
        "hopper-fp8-promote128": lambda: (WGMMA("Hopper", f"m64n8k32.f32.{a}.{b}"), F32),
        "ada-fp8": lambda: (MMA("Ada Lovelace", f"m16n8k32.f32.{a}.{b}.f32"), F32),
        "blackwell-fp8": lambda: (TCGen05MMA("Blackwell", f"m64n8k32.kind::f8f6f4.f32.{a}.{b}"), F32),
        "hopper-fp16": lambda: (WGMMA("Hopper", "m64n8k16.f32.f16.f16"), F32),
        "hopper-bf16": lambda: (WGMMA("Hopper", "m64n8k16.f32.bf16.bf16"), F32),
        "ampere-fp16": lambda: (MMA("Ampere", "m16n8k16.f32.f16.f16.f32"), F32),
        "ampere-bf16": lambda: (MMA("Ampere", "m16n8k16.f32.bf16.bf16.f32"), F32),
    }[preset]()


def _peer_plain(peer, preset: str, a, fa, b, fb, c, acc) -> np.ndarray:
    """MMA-Sim's D for T tiles: a (T, M, K), b (T, K, N), c (T, M, N) codes."""
    mmasim, torch = peer
    op, _ = _plain_op(mmasim, preset, fa, fb)
    ta, tb = _vectors(_t(torch, a, fa), _t(torch, b, fb))
    tc = _t(torch, c, acc)
    if preset == "hopper-fp8-promote128":  # wgmma per 128 of K from +0, each partial added in float32 (RNE)
        for k0 in range(0, a.shape[-1], 128):
            tc = tc + op.dpa(ta[..., k0:k0 + 128], tb[..., k0:k0 + 128], torch.zeros_like(tc))
    else:
        tc = op.dpa(ta, tb, tc)
    return _codes_of(torch, tc, acc)


def _ours_plain(preset: str, a, fa, b, fb, c, acc, datapath=None) -> np.ndarray:
    dp = PRESETS[preset].datapath if datapath is None else datapath
    out = [matmul(a[t], b[t], c[t], fmt_a=fa, fmt_b=fb, acc_fmt=acc, datapath=dp)[0] for t in range(a.shape[0])]
    return np.stack(out).astype(np.int64)


# MX cases: (preset, A type, B type, element formats, scale format, block, K)
MX_CASES = [
    ("blackwell-mxfp8", "mxfp8_e4m3", "mxfp8_e4m3", E4M3, E4M3, "float8_e8m0fnu", 32, 64),
    ("blackwell-mxfp8", "mxfp8_e4m3", "mxfp8_e5m2", E4M3, E5M2, "float8_e8m0fnu", 32, 64),
    ("blackwell-mxfp8", "mxfp8_e5m2", "mxfp8_e5m2", E5M2, E5M2, "float8_e8m0fnu", 32, 64),
    ("blackwell-nvfp4", "nvfp4", "nvfp4", FP4, FP4, E4M3, 16, 128),
    ("blackwell-nvfp4", "mxfp4_e2m1", "mxfp4_e2m1", FP4, FP4, "float8_e8m0fnu", 32, 128),
]


def _mx_op(mxa: str, ea: str, eb: str):
    from mmasim.nv_ptx import TCGen05MMABlockScale

    if ea == FP4:
        kind = "mxf4nvf4.block16.f32.e2m1.e2m1.ue4m3" if mxa == "nvfp4" else "mxf4.block32.f32.e2m1.e2m1.ue8m0"
        return TCGen05MMABlockScale("Blackwell", f"m128n8k64.kind::{kind}")
    return TCGen05MMABlockScale("Blackwell", f"m128n8k32.kind::mxf8f6f4.block32.f32.{PTX[ea]}.{PTX[eb]}.ue8m0")


def _peer_mx(peer, case, ea_codes, sa, eb_codes, sb, c) -> np.ndarray:
    """MMA-Sim's D for T block-scaled tiles: elements (T, M, K) and (T, K, N), scales (T, M, K/block)
    and (T, K/block, N), C (T, M, N) float32 codes."""
    mmasim, torch = peer
    _, mxa, _, ea, eb, sfmt, block, _ = case
    op = _mx_op(mxa, ea, eb)
    if ea == FP4:  # MMA-Sim takes FP4 operands as values (float16 holds them exactly)
        ta = torch.from_numpy(decode(ea_codes, FP4, np.float16))
        tb = torch.from_numpy(decode(eb_codes, FP4, np.float16))
    else:
        ta, tb = _t(torch, ea_codes, ea), _t(torch, eb_codes, eb)
    ta, tb = _vectors(ta, tb)
    alpha, beta = _vectors(_t(torch, sa, sfmt), _t(torch, sb, sfmt))
    tc = _t(torch, c, F32)
    if ea == FP4:
        tc = op.dpa(ta, tb, tc, alpha, beta)
    else:  # one kind::mxf8f6f4 instruction (k = 32, one block) per step
        for j in range(ta.shape[-1] // block):
            ks = slice(j * block, (j + 1) * block)
            tc = op.dpa(ta[..., ks], tb[..., ks], tc, alpha[..., j:j + 1], beta[..., j:j + 1])
    return _codes_of(torch, tc, F32)


def _ours_mx(case, ea_codes, sa, eb_codes, sb, c, datapath=None) -> np.ndarray:
    preset, mxa, mxb, _, _, _, block, _ = case
    dp = PRESETS[preset].datapath if datapath is None else datapath
    out = []
    for t in range(ea_codes.shape[0]):
        m, k = ea_codes[t].shape
        n = eb_codes[t].shape[1]
        a = MxArray(mxa, block, 1, (m, k), sa[t].astype(np.uint8), ea_codes[t].astype(np.uint8))
        b = MxArray(mxb, block, 0, (k, n), sb[t].astype(np.uint8), eb_codes[t].astype(np.uint8))
        out.append(matmul_mx(a, b, c[t], acc_fmt=F32, datapath=dp)[0])
    return np.stack(out).astype(np.int64)


def _scales(rng: np.random.Generator, sfmt: str, shape: tuple[int, ...]) -> np.ndarray:
    """Block scales: E8M0 mostly within 2**+-8 (a tenth anywhere but NaN); E4M3 any finite code (zeros and
    subnormals included; the sign bit, which both models ignore, in half of them)."""
    if sfmt == E4M3:
        return _finite(rng.integers(0, 0x100, shape), get_format(E4M3))
    near = 127 + rng.integers(-8, 9, shape)
    return np.where(rng.random(shape) < 0.1, rng.integers(0, 255, shape), near).astype(np.int64)


# ----------------------------------------------------------------------------- random tiles
PLAIN_CASES = [
    (p, fa, fb)
    for p in ("hopper-fp8", "hopper-fp8-f16", "hopper-fp8-promote128", "ada-fp8", "blackwell-fp8")
    for fa, fb in ((E4M3, E4M3), (E4M3, E5M2), (E5M2, E4M3), (E5M2, E5M2))
] + [(p, F16, F16) for p in ("hopper-fp16", "ampere-fp16")] + [(p, BF16, BF16) for p in ("hopper-bf16", "ampere-bf16")] + [
    ("cdna3-fp8", fa, fb) for fa in (E4M3Z, E5M2Z) for fb in (E4M3Z, E5M2Z)] + [("cdna3-fp16", F16, F16)]


def _k(preset: str) -> int:
    """Two steps of the preset (promote128: two runs of 128)."""
    if preset == "hopper-fp8-promote128":
        return 256
    return 2 * PRESETS[preset].datapath.lanes


def test_every_mmasim_preset_is_covered():
    """Every preset is in a case, so a new preset cannot miss the cross-check silently."""
    covered = {p for p, _, _ in PLAIN_CASES} | {c[0] for c in MX_CASES}
    assert covered == set(PRESETS)


@pytest.mark.parametrize(("preset", "fa", "fb"), PLAIN_CASES, ids=[f"{p}-{a}-{b}" for p, a, b in PLAIN_CASES])
def test_random_tiles_agree(peer, preset, fa, fb):
    """Random tiles give the same output codes in MMA-Sim and refmodel.gemm.matmul (bfloat16: but for
    the outputs that MMA-Sim's e_zero alone changes; refmodel with that zero_exp agrees on all)."""
    rng = np.random.default_rng(zlib.crc32(f"{preset} {fa} {fb}".encode()))
    acc = PRESETS[preset].acc_fmt.name
    k = _k(preset)
    narrow = rng.random(TILES) < 0.5
    a = np.stack([_codes(rng, fa, (M, k), bool(w)) for w in narrow])
    b = np.stack([_codes(rng, fb, (k, N), bool(w)) for w in narrow])
    c = np.stack([_acc_codes(rng, acc, _dots(a[t], fa, b[t], fb)) for t in range(TILES)])
    theirs = _peer_plain(peer, preset, a, fa, b, fb, c, acc)
    ours = _ours_plain(preset, a, fa, b, fb, c, acc)
    e_zero = _ours_plain(preset, a, fa, b, fb, c, acc, _with_e_zero(preset))
    _check_agreement(preset, ours, e_zero, theirs, acc, f"{preset} {fa} x {fb}: {TILES} tiles of {M}x{N}x{k}")


SPECIAL_CASES = [("hopper-fp8", E5M2), ("hopper-fp8-f16", E5M2), ("blackwell-fp8", E5M2), ("ada-fp8", E4M3),
                 ("hopper-bf16", BF16), ("ampere-fp16", F16), ("cdna3-fp8", E5M2Z), ("cdna3-fp16", F16)]


@pytest.mark.parametrize(("preset", "fmt"), SPECIAL_CASES, ids=[f"{p}-{f}" for p, f in SPECIAL_CASES])
def test_specials_agree(peer, preset, fmt):
    """With NaN and Inf operands (1 in 200) and C (1 in 30), the output codes are equal, NaN codes included
    (both write the all-ones NaN)."""
    rng = np.random.default_rng(zlib.crc32(f"specials {preset} {fmt}".encode()))
    f, acc = get_format(fmt), PRESETS[preset].acc_fmt
    specials = np.array(list(f.nan_codes) + list(f.inf_codes))
    k, tiles = _k(preset), max(TILES // 3, 1)

    def operand(shape):
        x = _codes(rng, fmt, shape, True)
        return np.where(rng.random(shape) < 0.005, rng.choice(specials, shape), x)

    a = np.stack([operand((M, k)) for _ in range(tiles)])
    b = np.stack([operand((k, N)) for _ in range(tiles)])
    c = np.stack([_acc_codes(rng, acc.name, _dots(a[t], fmt, b[t], fmt)) for t in range(tiles)])
    c_special = np.array(list(acc.inf_codes) + [acc.nan_code(False)])
    c = np.where(rng.random(c.shape) < 1 / 30, rng.choice(c_special, c.shape), c)
    ours = _ours_plain(preset, a, fmt, b, fmt, c, acc.name)
    theirs = _peer_plain(peer, preset, a, fmt, b, fmt, c, acc.name)
    kinds = classify(ours, acc)
    keep = ~_drops_special_c(preset, a, fmt, b, c)
    print(f"{preset} {fmt} specials: {ours.size} outputs, {np.count_nonzero(kinds == CodeClass.NAN)} NaN, "
          f"{np.count_nonzero(kinds == CodeClass.INF)} Inf, {np.count_nonzero(ours != theirs)} differ, "
          f"{np.count_nonzero(~keep)} left out (MMA-Sim drops their Inf or NaN C)")
    np.testing.assert_array_equal(ours[keep], theirs[keep])


def _drops_special_c(preset: str, a, fmt: str, b, c) -> np.ndarray:
    """The outputs (T, M, N) where MMA-Sim 2.1.1's cdna3-fp8 model may drop an infinite or NaN accumulator:
    torch.frexp gives it the exponent -1, so it falls under the drop rule once a later product's exponent
    exceeds 24 (docs/gemm.md, "Cross-check against MMA-Sim").  Such an accumulator is C or the NaN of an
    earlier step's NaN operand; refmodel keeps it (NaN, or Inf of its sign)."""
    if not getattr(PRESETS[preset].datapath, "drop_c", False):
        return np.zeros(c.shape, bool)
    with np.errstate(all="ignore"):
        va, vb = decode(a, fmt, np.float64), decode(b, fmt, np.float64)
    ea, eb = np.frexp(va)[1] - 1, np.frexp(vb)[1] - 1
    big = ((ea[:, :, None, :] + np.swapaxes(eb, 1, 2)[:, None, :, :]) > 24).any(axis=-1)
    nan_in = np.isnan(va).any(axis=-1)[:, :, None] | np.isnan(vb).any(axis=-2)[:, None, :]
    special = np.isin(classify(c, F32), (CodeClass.INF, CodeClass.NAN)) | nan_in
    return big & special


def test_cdna3_special_c_under_large_products(peer):
    """A crafted tile shows MMA-Sim 2.1.1's known difference: (2**15)**2 + C for C = +Inf, -Inf, NaN is Inf,
    -Inf, NaN in refmodel (as its oracle says) and 2**30 in MMA-Sim.  The test asserts refmodel only."""
    from refmodel.oracle.gemm import matmul_exact

    a = _tile([[2.0**15] + [0.0] * 15], E5M2Z)
    c = np.array([[0x7F800000], [0xFF800000], [0x7FC00000]], np.int64)
    dp = PRESETS["cdna3-fp8"].datapath
    for ci, want in zip(c, (0x7F800000, 0xFF800000, 0x7FFFFFFF)):
        ours = matmul(a, a.T, ci[None], fmt_a=E5M2Z, acc_fmt=F32, datapath=dp)[0]
        oracle = matmul_exact(a, a.T, ci[None], fmt_a=E5M2Z, acc_fmt=F32, datapath=dp)[0]
        theirs = _peer_plain(peer, "cdna3-fp8", a[None], E5M2Z, a.T[None], E5M2Z, ci[None, None], F32)
        print(f"C = {int(ci[0]):#010x}: refmodel {int(ours[0, 0]):#010x}, MMA-Sim {int(theirs[0, 0, 0]):#010x}")
        assert int(ours[0, 0]) == int(oracle[0, 0]) == want


@pytest.mark.parametrize("case", MX_CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in MX_CASES])
def test_random_mx_tiles_agree(peer, case):
    """Random block-scaled tiles give the same output codes in MMA-Sim and refmodel.gemm.matmul_mx (but for
    the outputs that MMA-Sim's e_zero alone changes; refmodel with that zero_exp agrees on all)."""
    preset, _, _, ea, eb, sfmt, block, k = case
    rng = np.random.default_rng(zlib.crc32(" ".join(case[:3]).encode()))
    narrow = rng.random(TILES) < 0.5
    a = np.stack([_codes(rng, ea, (M, k), bool(w)) for w in narrow])
    b = np.stack([_codes(rng, eb, (k, N), bool(w)) for w in narrow])
    sa = _scales(rng, sfmt, (TILES, M, k // block))
    sb = _scales(rng, sfmt, (TILES, k // block, N))
    exact = np.einsum("tmk,tkn->tmn", decode(a, ea, np.float64) * np.repeat(decode(sa, sfmt, np.float64), block, -1),
                      decode(b, eb, np.float64) * np.repeat(decode(sb, sfmt, np.float64), block, -2))
    c = np.stack([_acc_codes(rng, F32, exact[t]) for t in range(TILES)])
    theirs = _peer_mx(peer, case, a, sa, b, sb, c)
    ours = _ours_mx(case, a, sa, b, sb, c)
    e_zero = _ours_mx(case, a, sa, b, sb, c, _with_e_zero(preset))
    _check_agreement(preset, ours, e_zero, theirs, F32, f"{preset} {case[1]} x {case[2]}: {TILES} tiles of {M}x{N}x{k}")


# ----------------------------------------------------------------------------- crafted tiles
def _tile(values, name: str) -> np.ndarray:
    """Values that ``name`` represents exactly, as its codes."""
    return encode(np.asarray(values, np.float32), name).astype(np.int64)


def _zero_exp_tile_bf16():
    """K = 2, C = +0: 2**-140 - 2**-160.  MMA-Sim aligns to e_zero (C is a zero term), so -2**-160 is
    below its unit and dropped: 2**-140 (0x00000200).  Without e_zero the unit is 2**-165 (hopper) or
    2**-164 (ampere), the term stays, RZ gives 0x000001FF."""
    a = _tile([[2.0**-70, 2.0**-80]], BF16)[None]
    b = _tile([[2.0**-70], [-(2.0**-80)]], BF16)[None]
    return a, b, np.zeros((1, 1, 1), np.int64)


@pytest.mark.parametrize("preset", ["hopper-bf16", "ampere-bf16"])
def test_zero_exponent_bf16_with_mmasim_e_zero(peer, preset):
    """With MMA-Sim's e_zero as zero_exp, refmodel's FusedDot gives MMA-Sim's code on the crafted tile."""
    a, b, c = _zero_exp_tile_bf16()
    dp = _with_e_zero(preset)
    theirs = _peer_plain(peer, preset, a, BF16, b, BF16, c, F32)
    assert int(theirs[0, 0, 0]) == 0x200
    assert _differing(_ours_plain(preset, a, BF16, b, BF16, c, F32, dp), theirs, F32) == 0


@pytest.mark.parametrize("preset", ["hopper-bf16", "ampere-bf16"])
def test_zero_exponent_bf16_preset(peer, preset):
    a, b, c = _zero_exp_tile_bf16()
    theirs = _peer_plain(peer, preset, a, BF16, b, BF16, c, F32)
    assert _differing(_ours_plain(preset, a, BF16, b, BF16, c, F32), theirs, F32) == 0


def _mx_zero_exp_tile(case):
    """One output, C = +0, every term below 2**e_zero.

    MXFP8 (K = 32): 16 * 16 and 2**-8 * -2**-9 under scales 2**-71 * 2**-71: 2**-134 - 2**-159; MMA-Sim's
    unit 2**(-133-25) drops the second term (0x00008000), refmodel's 2**(-134-25) keeps it (0x00007FFF).
    MXFP4 (K = 64): 1 * 1 under 2**-70 * 2**-70 in block 0, 0.5 * -0.5 under 2**-86 * 2**-87 in block 1:
    2**-140 - 2**-175; MMA-Sim's unit 2**(-139-35) drops it (0x200), refmodel's 2**(-140-35) keeps it (0x1FF)."""
    _, _, _, ea, _, _, block, _ = case
    if ea == FP4:
        k = 64
        a = np.zeros((1, 1, k)); b = np.zeros((1, k, 1))
        a[0, 0, 0], b[0, 0, 0], a[0, 0, 32], b[0, 32, 0] = 1.0, 1.0, 0.5, -0.5
        sa = np.array([[[127 - 70, 127 - 86]]]); sb = np.array([[[127 - 70], [127 - 87]]])
    else:
        k = 32
        a = np.zeros((1, 1, k)); b = np.zeros((1, k, 1))
        a[0, 0, 0], b[0, 0, 0], a[0, 0, 1], b[0, 1, 0] = 16.0, 16.0, 2.0**-8, -(2.0**-9)
        sa = np.array([[[127 - 71]]]); sb = np.array([[[127 - 71]]])
    return _tile(a, ea), sa, _tile(b, ea), sb, np.zeros((1, 1, 1), np.int64)


ZERO_EXP_MX = [MX_CASES[0], MX_CASES[4]]


@pytest.mark.parametrize("case", ZERO_EXP_MX, ids=[c[1] for c in ZERO_EXP_MX])
def test_zero_exponent_mx_with_mmasim_e_zero(peer, case):
    """With MMA-Sim's e_zero as zero_exp, refmodel gives MMA-Sim's code on the crafted MX tile."""
    tile = _mx_zero_exp_tile(case)
    dp = _with_e_zero(case[0])
    theirs = _peer_mx(peer, case, *tile)
    assert int(theirs[0, 0, 0]) == (0x200 if case[3] == FP4 else 0x8000)
    assert _differing(_ours_mx(case, *tile, datapath=dp), theirs, F32) == 0


@pytest.mark.parametrize("case", ZERO_EXP_MX, ids=lambda c: c[1])
def test_zero_exponent_mx_preset(peer, case):
    tile = _mx_zero_exp_tile(case)
    assert _differing(_ours_mx(case, *tile), _peer_mx(peer, case, *tile), F32) == 0


def _all_zero_group_tile(case):
    """One output, C = +0, K = 64: the first group's products are all zero (A and B alternate zeros) under
    large scales; a later block holds one small product.

    NVFP4: block 0 scales 448 * 448 (exponent 16), block 1 holds 0.5 * 0.5 under the smallest E4M3 scale
    2**-9 twice: 2**-20.  MXFP4: blocks 0 scales 2**20 * 2**20, block 1 holds 0.5 * 0.5 under 2**-20 twice:
    2**-42.  MMA-Sim gives an all-zero group e_zero, so the small product is kept (0x35800000, 0x2A800000);
    refmodel aligns to the zero group's scale exponent and truncates it to +0."""
    _, mxa, _, _, _, _, block, _ = case
    k = 64
    a = np.zeros((1, 1, k)); b = np.zeros((1, k, 1))
    a[0, 0, 0:16:2] = 1.0
    b[0, 1:16:2, 0] = 1.0
    a[0, 0, 32], b[0, 32, 0] = 0.5, 0.5
    if mxa == "nvfp4":
        sa = np.array([[[0x7E, 0, 0x01, 0]]]); sb = np.array([[[0x7E], [0], [0x01], [0]]])
    else:
        sa = np.array([[[127 + 20, 127 - 20]]]); sb = np.array([[[127 + 20], [127 - 20]]])
    return _tile(a, FP4), sa, _tile(b, FP4), sb, np.zeros((1, 1, 1), np.int64)


ZERO_GROUP = [MX_CASES[3], MX_CASES[4]]


@pytest.mark.parametrize("case", ZERO_GROUP, ids=lambda c: c[1])
def test_all_zero_group(peer, case):
    tile = _all_zero_group_tile(case)
    theirs = _peer_mx(peer, case, *tile)
    assert int(theirs[0, 0, 0]) == (0x35800000 if case[1] == "nvfp4" else 0x2A800000)
    assert _differing(_ours_mx(case, *tile), theirs, F32) == 0
