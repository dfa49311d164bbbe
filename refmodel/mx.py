"""OCP Microscaling (MX v1.0) block formats, NVFP4, and their exact dot products.

A block of ``block`` elements (32 by default) shares one scale.  MX types
(OCP MX v1.0 section 5) use an E8M0 scale ``X = 2**s``; NVFP4 uses a
float8_e4m3fn block scale (``nvfp4``) or a UE5M3 one (``nvfp4_ue5m3``, ml_dtypes
float8_e5m3fnu) times a float32 tensor scale.  Quantisation
(section 6.3, Algorithm 1; docs/mx.md):

* ``s = floor(log2(max|V_i|)) - emax_elem``, read exactly from the float's
  exponent (never ``log2``), clamped to [-127, 127]; scale code ``s + 127``;
* ``P_i = V_i / X`` rounded to the element type with rne, finite values beyond
  the element's max normal clamped to it (saturation);
* team decisions (spec-notes section 5): a block holding NaN or +-Inf gets the
  NaN scale 0xFF (its elements are 0), an all-zero block the scale 2**-127;
* ``scale_rule="ceil"``: the smallest ``s`` with ``max|V_i| / 2**s <= max
  normal``, so that no element saturates.

Dot products (section 6.4) sum the exact element products with the scales
applied and round once, rne, to float32 (:func:`refmodel.arith.sum_products`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from . import arith
from .codec import as_float_array, decode, encode, signalling_nan, unpack
from .encodings import CodeClass, RoundingMode
from .formats import Format, get_format
from .rounding import EncodeOptions

__all__ = ["MxType", "MX_TYPES", "MxArray", "get_mx_type", "quantize", "dequantize", "dot", "matmul"]

SCALE_RULES = ("ocp", "ceil")
_E8M0 = get_format("float8_e8m0fnu")
_F32 = get_format("float32")
_INT8_LSB = -6  # MXINT8: two's complement k, value k * 2**-6


@dataclasses.dataclass(frozen=True)
class MxType:
    """One block format: element type, its emax, element bits, default block size, scale format.

    ``element`` is None for MXINT8 (two's-complement int8 with an implicit 2**-6).
    """

    name: str
    element: Format | None
    emax: int
    elem_bits: int
    block: int
    scale: Format

    @property
    def tensor_scaled(self) -> bool:
        """NVFP4-style: a non-power-of-two block scale and a float32 tensor scale (not E8M0)."""
        return self.scale != _E8M0

    @property
    def max_normal(self) -> float:
        """Largest element magnitude (MXINT8: 127/64)."""
        return 127 / 64 if self.element is None else self.element.max_finite


def _fp(name: str, fmt: str, block: int = 32, scale: Format = _E8M0) -> MxType:
    f = get_format(fmt)
    return MxType(name, f, f.emax, f.bits, block, scale)


MX_TYPES: dict[str, MxType] = {
    t.name: t
    for t in (
        _fp("mxfp8_e4m3", "float8_e4m3fn"),
        _fp("mxfp8_e5m2", "float8_e5m2"),
        _fp("mxfp6_e3m2", "float6_e3m2fn"),
        _fp("mxfp6_e2m3", "float6_e2m3fn"),
        _fp("mxfp4_e2m1", "float4_e2m1fn"),
        MxType("mxint8", None, 0, 8, 32, _E8M0),
        _fp("nvfp4", "float4_e2m1fn", 16, get_format("float8_e4m3fn")),
        _fp("nvfp4_ue5m3", "float4_e2m1fn", 16, get_format("float8_e5m3fnu")),
    )
}


def get_mx_type(name: "str | MxType") -> MxType:
    """Look an MX type up by name.

    Raises:
        ValueError: unknown name, listing the allowed ones.
    """
    if isinstance(name, MxType):
        return name
    try:
        return MX_TYPES[str(name).strip().lower()]
    except KeyError:
        raise ValueError(f"unknown MX type {name!r}; allowed: {', '.join(MX_TYPES)}") from None


@dataclasses.dataclass
class MxArray:
    """A tensor quantised in blocks along one axis.

    Attributes:
        mx_type: the MX type name.
        block: elements per block.
        axis: the blocked axis (non-negative).
        shape: the original tensor shape.
        scales: uint8 scale codes (E8M0; NVFP4: float8_e4m3fn or float8_e5m3fnu), ``shape`` with
            the axis length replaced by the number of blocks.
        elements: uint8 element codes (MXINT8: two's complement), ``shape``
            with the axis padded to a multiple of ``block``.
        scale_rule: ``"ocp"``, ``"ceil"`` (or ``"nvfp4"``).
        tensor_scale: NVFP4's float32 tensor scale, else None.
    """

    mx_type: str
    block: int
    axis: int
    shape: tuple[int, ...]
    scales: np.ndarray
    elements: np.ndarray
    scale_rule: str = "ocp"
    tensor_scale: float | None = None

    def __post_init__(self) -> None:
        """Refuse what would be stored wrongly: codes outside their width, shapes that do not fit.

        Raises:
            TypeError: non-integer scale or element codes, a non-int block or axis.
            ValueError: an unknown type, a block outside 1...MAX_BLOCK, an axis out of range,
                a scale code outside 0...255, an element code outside ``[0, 2**elem_bits)``,
                scale or element arrays whose shapes do not fit ``shape``, ``axis`` and ``block``.
        """
        t = get_mx_type(self.mx_type)
        self.block = _check_block(self.block)
        self.shape = tuple(int(n) for n in self.shape)
        self.axis = _check_axis(self.axis, len(self.shape))
        blocks = -(-self.shape[self.axis] // self.block)
        want_s = self.shape[:self.axis] + (blocks,) + self.shape[self.axis + 1:]
        want_e = self.shape[:self.axis] + (blocks * self.block,) + self.shape[self.axis + 1:]
        self.scales = _check_mx_codes(self.scales, "scale", 8, want_s)
        self.elements = _check_mx_codes(self.elements, "element", t.elem_bits, want_e)

    def to_bytes(self) -> bytes:
        """Packed storage (docs/mx.md): scale codes, [NVFP4: float32 tensor scale, little endian], elements.

        Scales and elements are in C order of their arrays; 8-bit elements take
        a byte each, FP6 elements are packed four to three bytes and FP4
        elements two to a byte, least significant bits first.
        """
        t = get_mx_type(self.mx_type)
        head = self.scales.astype(np.uint8).tobytes()
        if self.tensor_scale is not None:
            head += np.float32(self.tensor_scale).astype("<f4").tobytes()
        return head + _pack(self.elements.reshape(-1), t.elem_bits)

    @classmethod
    def from_bytes(
        cls, data: bytes, mx_type: str, shape: tuple[int, ...], axis: int = -1, block: int | None = None,
        scale_rule: str = "ocp",
    ) -> "MxArray":
        """Inverse of :meth:`to_bytes` for a tensor of ``shape``.

        Raises:
            ValueError: a byte count that does not match the shape, type and block.
        """
        t = get_mx_type(mx_type)
        block = t.block if block is None else _check_block(block)
        shape = tuple(int(n) for n in shape)
        axis = _check_axis(axis, len(shape))
        blocks = -(-shape[axis] // block)
        s_shape = shape[:axis] + (blocks,) + shape[axis + 1 :]
        e_shape = shape[:axis] + (blocks * block,) + shape[axis + 1 :]
        n_s, n_e = int(np.prod(s_shape)), int(np.prod(e_shape))
        extra = 4 if t.tensor_scaled else 0
        want = n_s + extra + _packed_len(n_e, t.elem_bits)
        if len(data) != want:
            raise ValueError(f"{len(data)} bytes do not hold a {t.name} tensor of shape {shape} "
                             f"(block {block}, axis {axis}): expected {want}")
        buf = np.frombuffer(data, np.uint8)
        scales = buf[:n_s].reshape(s_shape).copy()
        tensor_scale = float(np.frombuffer(data[n_s : n_s + 4], "<f4")[0]) if extra else None
        elements = _unpack(buf[n_s + extra :], n_e, t.elem_bits).reshape(e_shape)
        return cls(t.name, block, axis, shape, scales, elements, "nvfp4" if extra else scale_rule, tensor_scale)


def _packed_len(n: int, bits: int) -> int:
    return -(-n * bits // 8)


def _pack(codes: np.ndarray, bits: int) -> bytes:
    codes = codes.astype(np.uint32)
    if bits == 8:
        return codes.astype(np.uint8).tobytes()
    per = 8 // bits if bits == 4 else 4  # FP4: 2 per byte; FP6: 4 per 3 bytes
    padded = np.zeros(-(-codes.size // per) * per, np.uint32)
    padded[: codes.size] = codes
    groups = padded.reshape(-1, per)
    word = np.zeros(groups.shape[0], np.uint32)
    for j in range(per):
        word |= groups[:, j] << np.uint32(bits * j)
    nbytes = per * bits // 8
    out = word.astype("<u4").view(np.uint8).reshape(-1, 4)[:, :nbytes].reshape(-1)
    return out[: _packed_len(codes.size, bits)].tobytes()


def _unpack(buf: np.ndarray, n: int, bits: int) -> np.ndarray:
    if bits == 8:
        return buf[:n].copy()
    per = 2 if bits == 4 else 4
    nbytes = per * bits // 8
    groups = -(-n // per)
    raw = np.zeros(groups * nbytes, np.uint8)
    raw[: buf.size] = buf
    words = np.zeros((groups, 4), np.uint8)
    words[:, :nbytes] = raw.reshape(groups, nbytes)
    word = words.reshape(-1).view("<u4")
    mask = np.uint32((1 << bits) - 1)
    codes = np.stack([(word >> np.uint32(bits * j)) & mask for j in range(per)], axis=1)
    return codes.reshape(-1)[:n].astype(np.uint8)


MAX_BLOCK = 1 << 16
"""The largest block size (docs/mx.md): OCP MX uses 32, NVFP4 16; larger blocks are allowed up to here."""

MAX_PADDED_ELEMENTS = 1 << 28
"""``quantize(pad=True)`` refuses padding that would grow a tensor past this many elements (docs/mx.md)."""


def _check_block(block: Any) -> int:
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)):
        raise TypeError(f"block must be an int >= 1, got {block!r}")
    if not 1 <= block <= MAX_BLOCK:
        raise ValueError(f"block must be in 1...{MAX_BLOCK} (OCP MX: 32, NVFP4: 16), got {block}")
    return int(block)


def _check_mx_codes(codes: Any, what: str, bits: int, shape: tuple[int, ...]) -> np.ndarray:
    """``codes`` checked: integers in ``[0, 2**bits)`` of ``shape``; returned as uint8."""
    arr = np.asarray(codes)
    if arr.dtype.kind not in "iu":
        first = arr.reshape(-1)[:1].tolist()[0] if arr.size else None
        raise TypeError(f"{what} codes must be integers, got {first!r} (dtype {arr.dtype})")
    if arr.shape != shape:
        raise ValueError(f"{what} codes of shape {arr.shape} do not fit: expected {shape}")
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= 1 << bits:
            raise ValueError(f"{what} code {lo if lo < 0 else hi} is out of range: allowed 0...{(1 << bits) - 1}")
    return arr.astype(np.uint8, copy=False)


def _check_axis(axis: Any, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for a {ndim}-d tensor (allowed {-ndim}...{ndim - 1})")
    return int(axis) % ndim


# ------------------------------------------------------------------------- quantize
NAN_POLICIES = ("scale", "raise")


def quantize(
    x: Any, mx_type: "str | MxType", axis: int = -1, block: int | None = None, scale_rule: str = "ocp",
    pad: bool = False, nan_policy: str = "scale",
) -> MxArray:
    """Quantise ``x`` in blocks along ``axis`` (OCP MX v1.0 section 6.3; NVFP4).

    Args:
        x: float array-like (float16, bfloat16, float32, float64, ml_dtypes floats).
        mx_type: ``mxfp8_e4m3``, ``mxfp8_e5m2``, ``mxfp6_e3m2``, ``mxfp6_e2m3``,
            ``mxfp4_e2m1``, ``mxint8``, ``nvfp4`` or ``nvfp4_ue5m3``.
        axis: the axis split into blocks.
        block: block size (default 32; NVFP4 16).
        scale_rule: ``"ocp"`` (floor, the spec) or ``"ceil"`` (never saturates);
            NVFP4 has its own rule (docs/mx.md).
        pad: pad a length that is not a multiple of ``block`` with zeros
            instead of refusing it.
        nan_policy: ``"scale"`` (a block holding NaN or +-Inf gets the NaN
            scale) or ``"raise"`` (NaN or Inf input is an error).

    Returns:
        :class:`MxArray`.

    Raises:
        ValueError: unknown type, rule or NaN policy, bad axis or block, a
            length not divisible by the block without ``pad``, an empty axis,
            NaN or Inf under ``nan_policy="raise"``.
        TypeError: non-numeric input.
    """
    t = get_mx_type(mx_type)
    block = t.block if block is None else _check_block(block)
    arr = as_float_array(x)
    if arr.ndim == 0:
        raise ValueError("quantize needs an array with at least one axis")
    axis = _check_axis(axis, arr.ndim)
    if t.tensor_scaled:
        scale_rule = "nvfp4"
    elif scale_rule not in SCALE_RULES:
        raise ValueError(f"unknown scale_rule {scale_rule!r}; allowed: {', '.join(SCALE_RULES)}")
    length = arr.shape[axis]
    if length == 0:
        raise ValueError("cannot quantize an empty axis")
    if length % block:
        if not pad:
            raise ValueError(f"axis {axis} has length {length}, not a multiple of block {block}; "
                             "pass pad=True to pad with zeros")
        padded = arr.size // length * (-(-length // block) * block)
        if padded > max(arr.size, MAX_PADDED_ELEMENTS):
            raise ValueError(f"padding axis {axis} (length {length}) to block {block} would grow the tensor from "
                             f"{arr.size} to {padded} elements; the limit is {MAX_PADDED_ELEMENTS} (use a smaller block)")
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"unknown nan_policy {nan_policy!r}; allowed: {', '.join(NAN_POLICIES)}")
    if arr.dtype.itemsize == 2:
        with np.errstate(invalid="ignore"):
            arr = arr.astype(np.float32)  # exact widening
    if nan_policy == "raise" and not np.isfinite(arr).all():
        bad = np.unravel_index(int(np.argmin(np.isfinite(arr))), arr.shape)
        raise ValueError(f"non-finite value {arr[bad]} at index {tuple(int(i) for i in bad)} "
                         "(nan_policy='raise'; 'scale' gives its block the NaN scale)")
    moved = np.moveaxis(arr, axis, -1)
    padded_len = -(-length // block) * block
    if padded_len != length:
        moved = np.concatenate([moved, np.zeros(moved.shape[:-1] + (padded_len - length,), moved.dtype)], -1)
    blocks = moved.reshape(moved.shape[:-1] + (padded_len // block, block))
    if t.tensor_scaled:
        scales, elements, tensor_scale = _quantize_nvfp4(blocks, t)
    else:
        scales, elements = _quantize_blocks(blocks, t, scale_rule)
        tensor_scale = None
    elements = np.moveaxis(elements.reshape(moved.shape), -1, axis)
    scales = np.moveaxis(scales, -1, axis)
    return MxArray(t.name, block, axis, tuple(arr.shape), np.ascontiguousarray(scales),
                   np.ascontiguousarray(elements), scale_rule, tensor_scale)


def _block_amax(blocks: np.ndarray) -> np.ndarray:
    """max |V_i| per block; NaN when the block holds NaN or Inf."""
    with np.errstate(invalid="ignore"):
        amax = np.max(np.abs(blocks), axis=-1)
    return np.where(np.isinf(amax), np.nan, amax)


def _quantize_blocks(blocks: np.ndarray, t: MxType, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Scales and element codes of ``blocks`` (..., n, block), in cache-sized slices of blocks."""
    flat = blocks.reshape(-1, blocks.shape[-1])
    scales = np.empty(flat.shape[0], np.uint8)
    codes = np.empty(flat.shape, np.uint8)
    step = max(1, (1 << 16) // flat.shape[1])
    for start in range(0, flat.shape[0], step):
        sl = slice(start, start + step)
        scales[sl], codes[sl] = _quantize_slice(flat[sl], t, rule)
    return scales.reshape(blocks.shape[:-1]), codes.reshape(blocks.shape)


def _quantize_slice(blocks: np.ndarray, t: MxType, rule: str) -> tuple[np.ndarray, np.ndarray]:
    amax = _block_amax(blocks)
    bad = np.isnan(amax)
    safe = np.where(bad, 0.0, amax).astype(np.float64)
    mant, exp = np.frexp(safe)  # exact: safe = mant * 2**exp, mant in [0.5, 1)
    shared = exp.astype(np.int64) - 1 - t.emax  # floor(log2 amax) - emax
    if rule == "ceil":  # one step up where amax / 2**s still exceeds max normal
        shared += np.ldexp(safe, -shared) > t.max_normal
    shared = np.where(safe == 0, -127, np.clip(shared, -127, 127))
    scales = np.where(bad, np.uint8(0xFF), (shared + 127).astype(np.uint8))
    factor = np.ldexp(np.ones_like(safe, dtype=blocks.dtype), -shared)[..., None]  # 2**-s, exact
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.where(bad[..., None], 0, blocks * factor)  # exact: a power-of-two scaling
    if t.element is None:
        k = np.rint(scaled * scaled.dtype.type(64))  # exact scaling; rint: ties to even
        np.minimum(k, 127, out=k)
        np.maximum(k, -128, out=k)
        return scales, k.astype(np.int8).view(np.uint8)
    return scales, encode(scaled, t.element, rounding="rne", saturate=True)


def _quantize_nvfp4(blocks: np.ndarray, t: MxType) -> tuple[np.ndarray, np.ndarray, float]:
    """NVFP4: float32 tensor scale g = amax / (6 * S), S the block scale's max finite (448 for E4M3,
    114688 for UE5M3); block scale = scale format(amax_b / 6 / g) rne saturating; elements e2m1."""
    amax_b = _block_amax(blocks)
    finite = amax_b[~np.isnan(amax_b)]
    amax = np.float32(finite.max()) if finite.size else np.float32(0)
    top = np.float32(t.element.max_finite * t.scale.max_finite)
    g = np.float32(amax / top) if amax > 0 else np.float32(1)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        sb = np.where(np.isnan(amax_b), np.nan, amax_b.astype(np.float32) / np.float32(6) / g).astype(np.float32)
    scales = encode(sb, t.scale, rounding="rne", saturate=True)
    s_val = decode(scales, t.scale)  # NaN for the NaN scale
    denom = (s_val * g).astype(np.float32)[..., None]
    usable = (denom > 0) & np.isfinite(denom)  # NaN scale, or a scale that rounded to 0: zeros
    q = np.zeros(blocks.shape, np.float32)
    with np.errstate(over="ignore"):
        np.divide(blocks.astype(np.float32, copy=False), denom, out=q, where=usable)
    return scales, encode(q, t.element, rounding="rne", saturate=True), float(g)


# ----------------------------------------------------------------------- dequantize
def _element_values(m: MxArray, t: MxType) -> np.ndarray:
    if t.element is None:
        return m.elements.view(np.int8).astype(np.float64) * 2.0**_INT8_LSB
    return decode(m.elements, t.element, np.float64)


def _scale_values(m: MxArray, t: MxType) -> np.ndarray:
    """Per-block scale as float64 (NaN for the NaN scale), expanded along the axis."""
    if t.tensor_scaled:
        s = decode(m.scales, t.scale, np.float64) * np.float64(m.tensor_scale)
    else:
        s = np.where(m.scales == 0xFF, np.nan, np.ldexp(1.0, m.scales.astype(np.int64) - 127))
    return np.repeat(s, m.block, axis=m.axis)


def dequantize(m: MxArray, dtype: Any = np.float32) -> np.ndarray:
    """The values of ``m`` (original shape): element times scale, exact in float64.

    For MX types the product of an element and a power of two is exact; for
    float32 output it must also fit: a result beyond float32's range is an
    error, not an Inf.  NVFP4: element * block scale * tensor scale, exact in
    float64, then one rounding to float32.  NaN-scale blocks give NaN.

    Raises:
        ValueError: float32 output that would overflow; unsupported dtype.
    """
    t = get_mx_type(m.mx_type)
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dequantize writes float32 or float64, not {dtype}")
    with np.errstate(invalid="ignore"):
        values = _element_values(m, t) * _scale_values(m, t)
    values = np.take(values, np.arange(m.shape[m.axis]), axis=m.axis)
    if dtype == np.float32:
        finite = values[np.isfinite(values)]
        if finite.size and np.abs(finite).max() > np.finfo(np.float32).max:
            raise ValueError("values beyond float32's range: dequantize with dtype=np.float64")
        if not t.tensor_scaled:
            return values.astype(np.float32)
    return values.astype(dtype)


# ------------------------------------------------------------------------------ dot
def _element_fields(m: MxArray, t: MxType):
    """Elements as exact ``(neg, sig, lsb, cls, snan)`` along the blocked axis moved last.

    ``snan`` marks signalling NaNs (:func:`refmodel.codec.signalling_nan`: E5M2 0x7D and 0xFD only).
    """
    codes = np.moveaxis(m.elements, m.axis, -1)
    if t.element is None:
        k = codes.view(np.int8).astype(np.int64)
        cls = np.where(k == 0, CodeClass.ZERO, CodeClass.NORMAL).astype(np.uint8)
        return k < 0, np.abs(k).astype(np.uint64), np.full(k.shape, _INT8_LSB, np.int64), cls, np.zeros(k.shape, bool)
    u = unpack(codes, t.element)
    return u.neg, u.sig, u.exp - t.element.man_bits, u.cls, signalling_nan(codes, t.element)


def _scale_exponents(m: MxArray, t: MxType) -> tuple[np.ndarray, np.ndarray]:
    """Per-element scale exponent and NaN-scale mask, along the blocked axis moved last (E8M0 types)."""
    s = np.repeat(np.moveaxis(m.scales, m.axis, -1), m.block, axis=-1)
    return s.astype(np.int64) - 127, s == 0xFF


def _check_pair(a: MxArray, b: MxArray) -> tuple[MxType, MxType]:
    ta, tb = get_mx_type(a.mx_type), get_mx_type(b.mx_type)
    if ta.tensor_scaled or tb.tensor_scaled:
        bad = ta.name if ta.tensor_scaled else tb.name
        raise ValueError(f"mx.dot and mx.matmul take MX (E8M0-scaled) types, not {bad}")
    if a.block != b.block:
        raise ValueError(f"block sizes differ: {a.block} and {b.block}")
    return ta, tb


def _dot_fields(fa, sa, fb, sb):
    """Exact products of aligned elements with both scales applied, as sum_products inputs.

    A product is invalid (NaN with NV) for Inf * 0 and for a signalling-NaN element on either side,
    whatever the scales (IEEE 754-2019 section 7.2).
    """
    na, ga, la, ca, qa = fa
    nb, gb, lb, cb, qb = fb
    ea, nan_a = sa
    eb, nan_b = sb
    neg = na ^ nb
    sig = ga * gb
    lsb = la + lb + ea + eb
    nan = (ca == CodeClass.NAN) | (cb == CodeClass.NAN) | nan_a | nan_b
    zero_a, zero_b = ca == CodeClass.ZERO, cb == CodeClass.ZERO
    inf_a, inf_b = ca == CodeClass.INF, cb == CodeClass.INF
    invalid = (inf_a & zero_b) | (zero_a & inf_b) | qa | qb
    cls = np.full(sig.shape, CodeClass.NORMAL, np.uint8)
    cls[zero_a | zero_b] = CodeClass.ZERO
    cls[inf_a | inf_b] = CodeClass.INF
    cls[nan | invalid] = CodeClass.NAN
    sig = np.where(cls == CodeClass.NORMAL, sig, np.uint64(0))
    return neg, sig, np.where(cls == CodeClass.NORMAL, lsb, 0), cls, invalid


_RNE_F32 = EncodeOptions(_F32, RoundingMode.RNE, False, "canonical")


def dot(a: MxArray, b: MxArray) -> tuple[np.ndarray, np.ndarray]:
    """``sum_i X_A * X_B * P_i^A * P_i^B`` over the blocked axis, exact, rounded once (rne) to float32.

    Both arrays must be blocked along their last axis with equal shapes and
    block sizes.  A NaN scale or element gives NaN; Inf*0 and a
    signalling-NaN element (E5M2 0x7D/0xFD), whatever the scales, and
    Inf-Inf give NaN with NV (flags as :func:`refmodel.arith.fma`).

    Returns:
        ``(float32 codes as uint32, flags)`` of the leading shape.

    Raises:
        ValueError: mismatched shapes, axes or blocks, NVFP4 operands.
    """
    ta, tb = _check_pair(a, b)
    if a.axis != len(a.shape) - 1 or b.axis != len(b.shape) - 1 or a.shape != b.shape:
        raise ValueError(f"mx.dot needs two arrays blocked along their last axis with one shape, "
                         f"got {a.shape} (axis {a.axis}) and {b.shape} (axis {b.axis})")
    fields = _dot_fields(_element_fields(a, ta), _scale_exponents(a, ta), _element_fields(b, tb),
                         _scale_exponents(b, tb))
    codes, flags = arith.sum_products(*fields, _RNE_F32)
    lead = a.shape[:-1]
    return codes.reshape(lead), flags.reshape(lead)


def matmul(a: MxArray, b: MxArray) -> tuple[np.ndarray, np.ndarray]:
    """``A @ B`` for A (M, K) blocked along K (axis 1) and B (K, N) blocked along K (axis 0).

    Each output is :func:`dot` of a row of A and a column of B: exact, one
    rounding to float32.

    Returns:
        ``(float32 codes (M, N) as uint32, flags (M, N))``.

    Raises:
        ValueError: shapes or axes that do not fit, NVFP4 operands.
    """
    ta, tb = _check_pair(a, b)
    if len(a.shape) != 2 or len(b.shape) != 2 or a.axis != 1 or b.axis != 0 or a.shape[1] != b.shape[0]:
        raise ValueError(f"mx.matmul needs A (M, K) blocked along axis 1 and B (K, N) along axis 0, "
                         f"got {a.shape} (axis {a.axis}) and {b.shape} (axis {b.axis})")
    fa, sa = _element_fields(a, ta), _scale_exponents(a, ta)  # (M, Kp)
    fb, sb = _element_fields(b, tb), _scale_exponents(b, tb)  # (N, Kp) after moving K last
    m, n = a.shape[0], b.shape[1]
    codes = np.empty((m, n), np.uint32)
    flags = np.empty((m, n), np.uint8)
    for i in range(m):  # one row of A against every column of B
        row = tuple(f[i][None, :] for f in fa), tuple(s[i][None, :] for s in sa)
        fields = _dot_fields(row[0], row[1], fb, sb)
        codes[i], flags[i] = arith.sum_products(*fields, _RNE_F32)
    return codes, flags
