"""Named GEMM datapaths of real accelerators, with their operand and accumulator formats (docs/gemm.md).

Every preset holds the parameters as published (the source is named in ``source``), not measured
here.  ``E8M13`` is float32's exponent range with 13 fraction bits: the step result of NVIDIA's FP8
tensor cores before it is stored in a float32 register.
"""

from __future__ import annotations

from dataclasses import dataclass

from .datapath import Datapath, FusedDot, Promote, TwoStageDot
from .encodings import RoundingMode
from .formats import Format, get_format

__all__ = ["Preset", "PRESETS", "E8M13", "get_preset"]

E8M13 = Format("e8m13", 8, 13, 127)
"""float32's exponent range (subnormals from 2**-126) with 13 fraction bits."""

_MMASIM = "MMA-Sim (Microsoft, arXiv 2511.10909; mmasim 2.1.1), mmasim/nv_ptx/sim.py and mmasim/arithmetic/fdpa.py"
_MMASIM_AMD = "MMA-Sim (Microsoft, arXiv 2511.10909; mmasim 2.1.1), mmasim/amd/sim.py and mmasim/arithmetic/fdpa.py"
_RZ, _RNE = RoundingMode.RTZ, RoundingMode.RNE


@dataclass(frozen=True)
class Preset:
    """A named datapath with the formats it takes and produces.

    Attributes:
        name: the CLI's ``--datapath`` value.
        datapath: the :class:`refmodel.datapath.Datapath`.
        operands: the operand formats (or MX type names, for block-scaled presets) it accepts.
        acc_fmt: the accumulator and output format.
        mx: True when the operands are block-scaled (``MxArray``), the block size then from the MX type.
        source: where the parameters are published.
    """

    name: str
    datapath: Datapath
    operands: tuple[str, ...]
    acc_fmt: Format
    mx: bool
    source: str


def _fd(lanes: int, frac_bits: int, step: str | Format, zero_exp: int, rounding: RoundingMode = _RZ,
        group: int = 1) -> FusedDot:
    return FusedDot(lanes, frac_bits, get_format(step), rounding, zero_exp, group, "all-ones")


_FP8 = ("float8_e4m3fn", "float8_e5m2")
_F32 = get_format("float32")
_F16 = get_format("float16")

_LIST = (
    Preset("hopper-fp8", _fd(32, 13, E8M13, -133), _FP8, _F32, False,
           f"{_MMASIM}: wgmma with FP8 inputs, 13 fraction bits, RZ to E8M13, k = 32 per step"),
    Preset("hopper-fp8-f16", _fd(32, 13, _F16, -21, _RNE), _FP8, _F16, False,
           f"{_MMASIM}: wgmma with FP8 inputs and float16 output, 13 fraction bits, RNE to float16"),
    Preset("hopper-fp8-promote128", Promote(_fd(32, 13, E8M13, -133), 128, _RNE), _FP8, _F32, False,
           "DeepSeek-V3 technical report section 3.3.2: hopper-fp8 over 128 elements of K, each partial "
           "added into float32 on the CUDA cores (RNE)"),
    Preset("ada-fp8", _fd(16, 13, E8M13, -132), _FP8, _F32, False,
           f"{_MMASIM}: mma.m16n8k32 FP8 on Ada, split into two k = 16 steps, 13 fraction bits, RZ to E8M13"),
    Preset("blackwell-fp8", _fd(32, 25, _F32, -133), _FP8, _F32, False,
           f"{_MMASIM}: tcgen05.mma kind::f8f6f4 without block scale, 25 fraction bits, RZ to float32"),
    Preset("blackwell-mxfp8", _fd(32, 25, _F32, -133), ("mxfp8_e4m3", "mxfp8_e5m2"), _F32, True,
           f"{_MMASIM}: tcgen05.mma kind::mxf8f6f4, products scaled by both E8M0 block scales, "
           "25 fraction bits, RZ to float32"),
    Preset("blackwell-nvfp4", _fd(64, 35, _F32, -139, group=16), ("nvfp4", "mxfp4_e2m1"), _F32, True,
           f"{_MMASIM}: tcgen05.mma kind::mxf4nvf4, 16 products pre-summed per group, scaled by both "
           "block scales, 35 fraction bits, k = 64, RZ to float32"),
)

_HALF = tuple(
    Preset(f"{arch}-{short}", _fd(lanes, frac, _F32, zero), (dtype,), _F32, False,
           f"{_MMASIM}: {what} {dtype}, {frac} fraction bits, RZ to float32")
    for short, dtype in (("fp16", "float16"), ("bf16", "bfloat16"))
    for arch, lanes, frac, zero, what in (("hopper", 16, 25, -133, "wgmma k16"),
                                          ("ampere", 8, 24, -132, "mma.m16n8k16 on Ampere, split into two k = 8 steps,"))
)

_AMD = (
    Preset("cdna3-fp8", TwoStageDot(16, 2, 24, 31, _F32, _RNE, True), ("float8_e4m3fnuz", "float8_e5m2fnuz"), _F32,
           False, f"{_MMASIM_AMD}: v_mfma_f32_*_fp8/bf8 on CDNA3 (MI300), 16 products per step in two interleaved "
           "sums (24 fraction bits), C rounded down to 24 and dropped below 2**(E-25), the sum rounded down to "
           "31 fraction bits, RNE to float32"),
    Preset("cdna3-fp16", TwoStageDot(8, 1, 24, 31, _F32, _RNE, False), ("float16",), _F32, False,
           f"{_MMASIM_AMD}: v_mfma_f32_*_f16 on CDNA3, 8 products per step in one sum (24 fraction bits), C "
           "rounded down to 24, the sum rounded down to 31 fraction bits, RNE to float32"),
)

PRESETS: dict[str, Preset] = {p.name: p for p in _LIST + _HALF + _AMD}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; ValueError listing the presets otherwise."""
    try:
        return PRESETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown datapath preset {name!r}; choose one of {', '.join(PRESETS)}") from None
