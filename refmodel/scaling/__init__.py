"""Tensor scaling for narrow formats: per-tensor amax scaling, S2FP8, and the format/bias search.

Three published techniques, each reduced to exact operations on top of the
bit-exact codec (:func:`refmodel.codec.encode` / :func:`refmodel.codec.decode`):

- **Per-tensor amax scaling** (Micikevicius et al., "FP8 Formats for Deep
  Learning", 2022): multiply the tensor by ``max_finite / amax`` before the
  cast so that its largest magnitude lands on the format's largest value;
  :func:`tensor_scale`, :func:`quantize_tensor`, :func:`dequantize_tensor`
  and the Transformer-Engine-style :class:`DelayedScaling`, which uses the
  amax of *earlier* steps.
- **S2FP8** (Cambier et al., "Shifted and Squeezed 8-bit Floating Point
  format for Low-Precision Training of Deep Neural Networks", ICLR 2020):
  an affine map in the log domain, ``log2|y| = alpha * log2|x| + beta``,
  that centres the tensor's log-magnitudes on 0 and puts their maximum at
  15 before the cast to E5M2; :func:`s2fp8_encode`, :func:`s2fp8_decode`.
- **Format and bias search** (Kuzmin et al., "FP8 Quantization: The Power of
  the Exponent", NeurIPS 2022): for a given tensor, which ExMy split and
  which exponent bias minimise the quantisation MSE; :func:`format_search`
  over the registered narrow formats and IEEE-style E2M5...E5M2 families with
  a searched bias, with the built-in test tensors of :func:`builtin_tensor`.

The scaling arithmetic is float32, as in the training frameworks, and every
float32 operation is a single IEEE-754 operation (numpy's float32 multiply
and divide, rounded to nearest even), so the codes are reproducible
bit for bit.  S2FP8's transform uses ``log2``/``exp2`` and is therefore
exact only up to the platform's libm (see :func:`s2fp8_encode`).

The package, one technique per module: :mod:`~refmodel.scaling.amax` (current and delayed amax
scaling), :mod:`~refmodel.scaling.s2fp8`, :mod:`~refmodel.scaling.search` (the format/bias search),
:mod:`~refmodel.scaling.metrics` (:func:`sqnr_db`) and :mod:`~refmodel.scaling.tensors` (the built-in
test tensors).
"""

from __future__ import annotations

from .amax import DelayedScaling, ScaledTensor, dequantize_tensor, quantize_tensor, tensor_scale
from .metrics import sqnr_db
from .s2fp8 import S2FP8_FORMAT, S2fp8Tensor, s2fp8_decode, s2fp8_encode, s2fp8_statistics
from .search import DEFAULT_BIAS_OFFSETS, DEFAULT_FAMILIES, SearchRow, default_search_formats, format_search
from .tensors import BUILTIN_DISTRIBUTIONS, builtin_tensor

__all__ = [
    "BUILTIN_DISTRIBUTIONS",
    "DEFAULT_BIAS_OFFSETS",
    "DEFAULT_FAMILIES",
    "S2FP8_FORMAT",
    "DelayedScaling",
    "S2fp8Tensor",
    "ScaledTensor",
    "SearchRow",
    "builtin_tensor",
    "default_search_formats",
    "dequantize_tensor",
    "format_search",
    "quantize_tensor",
    "s2fp8_decode",
    "s2fp8_encode",
    "s2fp8_statistics",
    "sqnr_db",
    "tensor_scale",
]
