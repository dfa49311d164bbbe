"""Argument parsers shared by the ``fp8kit`` commands: values, codes and bounded numbers."""

from __future__ import annotations

import argparse

__all__ = ["float_arg", "int_arg", "parse_code", "parse_value"]


def parse_value(text: str) -> float:
    """A decimal or ``0x1.8p3`` hex float, ``inf`` or ``nan``.

    Raises:
        ValueError: anything else, naming ``text``.
    """
    try:
        return float.fromhex(text) if "0x" in text.lower() else float(text)
    except ValueError:
        raise ValueError(f"not a number: {text!r} (allowed: decimal, 0x1.8p3 hex floats, inf, nan)") from None


def parse_code(text: str) -> int:
    """An integer as Python writes it: ``12``, ``0x7f``, ``0b101``, ``0o17``, within int64.

    Raises:
        ValueError: anything else (``1.5``, ``x``) or an integer beyond int64, naming ``text``.
    """
    try:
        value = int(text, 0)
    except ValueError:
        raise ValueError(f"not an integer: {text!r} (allowed: decimal, 0x.., 0o.., 0b..)") from None
    if not -(1 << 63) <= value < 1 << 63:
        raise ValueError(f"integer out of range: {text!r} (allowed: -2**63 ... 2**63 - 1)")
    return value


def int_arg(lo: int | None = None, hi: int | None = None):
    """An argparse ``type``: :func:`parse_code` within ``lo...hi`` (either bound optional)."""

    def parse(text: str) -> int:
        try:
            v = parse_code(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = f"{lo}...{hi}" if lo is not None and hi is not None else (f">= {lo}" if lo is not None else f"<= {hi}")
            raise argparse.ArgumentTypeError(f"{text!r} is out of range; allowed: {rng}")
        return v

    parse.__name__ = "integer"
    return parse


def float_arg(lo: float = 0.0, *, inclusive: bool = False):
    """An argparse ``type``: a finite float above ``lo`` (or at least ``lo`` when ``inclusive``)."""

    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not ((v >= lo if inclusive else v > lo) and v < float("inf")):
            raise argparse.ArgumentTypeError(f"{text!r} is out of range; allowed: a finite number "
                                             f"{'>=' if inclusive else '>'} {lo:g}")
        return v

    parse.__name__ = "number"
    return parse
