"""The one source manifest of the RTL, derived from the Verilog itself.

Every ``*.v`` file directly in the RTL directory holds one module named after the file (house
style: one module per file). :func:`scan` reads each file's ``module NAME`` definition, the
instantiations of the other modules found there and its `` `include`` directives (headers are
looked up in :data:`INCLUDE_DIRS`, and scanned for nested includes too). From that:

- :func:`sources_for` gives a toplevel's source files, leaves first (a module after every module
  it instantiates, directly or not), as the simulators, cost synthesis and mutation read them;
- :func:`include_dirs` gives the include directories;
- :func:`toplevels` lists every module (each one is a lint and synthesis toplevel), leaves first;
- :data:`SIM_TOPS` names the modules that have a cocotb bench (``verif/<module>/tb_<module>.py``);
- :func:`simulated` lists the modules a simulation top reaches (what mutation mutates).

A new leaf file (say ``rtl/lzc.v``) is picked up with no edit here: the modules that instantiate
it list it before themselves. The FuseSoC core ``rtl/fp8kit.core`` is rendered from this manifest
by :func:`render_core` (``python -m fp8kit.rtlspec.manifest core --write``) and a test checks the
committed file equals the rendering.

Queries for make and shell scripts: ``python -m fp8kit.rtlspec.manifest toplevels``, ``sim-tops``,
``simulated``, ``sources TOP``, ``includes [TOP]`` (one item per line unless ``--sep`` is given).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from fp8kit import paths

__all__ = ["INCLUDE_DIRS", "MANIFEST", "SIM_TOPS", "Manifest", "RtlModule", "core_path", "include_dirs", "main",
           "render_core", "scan", "sim_tops", "simulated", "sources_for", "toplevels", "write_core"]

INCLUDE_DIRS: tuple[str, ...] = ("include",)
"""Where `` `include``d headers are looked up, relative to the RTL directory (``fp8kit_defs.vh``)."""

SIM_TOPS: tuple[str, ...] = ("lfsr32", "int8_mac", "fp8_mul", "fp8_fma", "fp8_mac", "mx_dot", "fp8_dpa",
                             "gemm_tile")
"""The toplevels with a cocotb bench ``verif/<module>/tb_<module>.py`` (simulation, regression and
mutation run on them; every other module is reached through one of them)."""

_MODULE = re.compile(r"^\s*module\s+([A-Za-z_]\w*)", re.M)
_INCLUDE = re.compile(r"^\s*`include\s+\"([^\"]+)\"", re.M)
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_STRING = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"")


@dataclasses.dataclass(frozen=True)
class RtlModule:
    """One module of the RTL directory.

    Attributes:
        name: the module name (the file's stem).
        path: the file, relative to the RTL directory (``fp8_mac.v``).
        instances: the other RTL modules it instantiates, in order of first instantiation.
        includes: the headers it includes (directly or through another header), as paths relative
            to the RTL directory (``include/fp8kit_defs.vh``).
    """

    name: str
    path: str
    instances: tuple[str, ...]
    includes: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Manifest:
    """The modules of one RTL directory (see :func:`scan`).

    Attributes:
        rtl_dir: the directory scanned.
        modules: each module by name, in :meth:`toplevels` order.
    """

    rtl_dir: Path
    modules: Mapping[str, RtlModule]

    def module(self, toplevel: str) -> RtlModule:
        """The module ``toplevel``.

        Raises:
            KeyError: no module of that name (the message lists the known ones).
        """
        try:
            return self.modules[toplevel]
        except KeyError:
            raise KeyError(f"no sources listed for toplevel {toplevel!r}; known: "
                           f"{', '.join(sorted(self.modules))}") from None

    def toplevels(self) -> tuple[str, ...]:
        """Every module, leaves first (each after the modules it instantiates), else by name."""
        return tuple(self.modules)

    def closure(self, toplevel: str) -> tuple[str, ...]:
        """``toplevel`` and every module below it, leaves first (``toplevel`` last)."""
        order: list[str] = []
        self._visit(toplevel, order, ())
        return tuple(order)

    def sources(self, toplevel: str) -> tuple[str, ...]:
        """The source files of ``toplevel`` relative to the RTL directory, leaves first."""
        return tuple(self.modules[m].path for m in self.closure(toplevel))

    def headers(self, toplevel: str | None = None) -> tuple[str, ...]:
        """The headers ``toplevel`` includes (every module's if None), relative to the RTL directory."""
        names = self.closure(toplevel) if toplevel is not None else self.toplevels()
        return tuple(sorted({h for m in names for h in self.modules[m].includes}))

    def include_dirs(self, toplevel: str | None = None) -> tuple[str, ...]:
        """The include directories, relative to the RTL directory: :data:`INCLUDE_DIRS` (all of
        them for ``toplevel=None``; for a toplevel, those that hold one of its headers)."""
        if toplevel is None:
            return INCLUDE_DIRS
        used = {str(Path(h).parent.as_posix()) for h in self.headers(toplevel)}
        return tuple(d for d in INCLUDE_DIRS if d in used)

    def _visit(self, name: str, order: list[str], stack: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in stack:
            cycle = " -> ".join((*stack[stack.index(name):], name))
            raise ValueError(f"RTL modules instantiate each other in a cycle: {cycle}")
        for child in self.module(name).instances:
            self._visit(child, order, (*stack, name))
        order.append(name)


def _strip(text: str) -> str:
    """Verilog text with comments and string literals blanked (line structure kept)."""
    text = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    return _STRING.sub('""', text)


def _includes_of(text: str) -> list[str]:
    return _INCLUDE.findall(_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text))


def _resolve_headers(base: Path, names: Sequence[str], where: str) -> tuple[str, ...]:
    """The headers ``names`` and those they include, as paths relative to ``base``."""
    found: list[str] = []
    todo = list(names)
    while todo:
        name = todo.pop(0)
        hits = [f"{d}/{name}" for d in INCLUDE_DIRS if (base / d / name).is_file()]
        if not hits:
            raise ValueError(f"{where} includes {name!r}, which is in none of the include directories "
                             f"{', '.join(str(base / d) for d in INCLUDE_DIRS)}")
        if hits[0] not in found:
            found.append(hits[0])
            todo.extend(_includes_of((base / hits[0]).read_text()))
    return tuple(sorted(found))


def _signature(base: Path) -> tuple[tuple[str, int, int], ...]:
    files = sorted(base.glob("*.v")) + sorted(p for d in INCLUDE_DIRS for p in (base / d).glob("*.vh"))
    out = []
    for p in files:
        st = p.stat()
        out.append((p.name if p.parent == base else p.relative_to(base).as_posix(), st.st_mtime_ns, st.st_size))
    return tuple(out)


def scan(rtl_dir: os.PathLike | str | None = None) -> Manifest:
    """Read the RTL directory's modules (cached until a file changes).

    Args:
        rtl_dir: the RTL directory; default :func:`fp8kit.paths.rtl_dir`.

    Returns:
        The :class:`Manifest` of every ``*.v`` file directly in ``rtl_dir``.

    Raises:
        ValueError: a file defines no module, several, or one not named after the file; two files
            define the same module; an included header is in no include directory; modules
            instantiate each other in a cycle.
        FileNotFoundError: ``rtl_dir`` is not a directory.
    """
    base = _base(rtl_dir)
    if not base.is_dir():
        raise FileNotFoundError(f"RTL directory {base} does not exist")
    return _scan(base, _signature(base))


@lru_cache(maxsize=16)
def _scan(base: Path, signature: tuple) -> Manifest:
    texts: dict[str, tuple[str, str]] = {}
    for path in sorted(base.glob("*.v")):
        raw = path.read_text()
        code = _strip(raw)
        names = _MODULE.findall(code)
        if names != [path.stem]:
            what = "no module" if not names else f"module(s) {', '.join(names)}"
            raise ValueError(f"{path}: defines {what}; one module per file, named after the file "
                             f"(module {path.stem})")
        texts[path.stem] = (path.name, raw)
    known = set(texts)
    modules: dict[str, RtlModule] = {}
    for name, (fname, raw) in texts.items():
        code = _strip(raw)
        body = code[code.index("module"):]
        # an instance: `other #(` or `other u_name (`; the module's own name is its header
        inst = re.findall(r"(?<![\w$`.])([A-Za-z_]\w*)\s*(?:#\s*\(|[A-Za-z_]\w*\s*(?:\[[^\]]*\]\s*)?\()", body)
        instances = tuple(dict.fromkeys(i for i in inst if i in known and i != name))
        modules[name] = RtlModule(name, fname, instances, _resolve_headers(base, _includes_of(raw), str(base / fname)))
    draft = Manifest(base, modules)
    order: list[str] = []
    for name in sorted(modules):
        draft._visit(name, order, ())
    return Manifest(base, {n: modules[n] for n in order})


def _base(rtl_dir: os.PathLike | str | None) -> Path:
    return Path(rtl_dir) if rtl_dir is not None else paths.rtl_dir()


def sources_for(toplevel: str, rtl_dir: os.PathLike | str | None = None) -> list[Path]:
    """The source paths of ``toplevel`` in ``rtl_dir`` (default :func:`fp8kit.paths.rtl_dir`),
    leaves first.

    A directory that does not exist (a copy to be made later), or a copy that lacks the
    toplevel's own file, gets the sources the checkout's RTL directory lists, under ``rtl_dir``
    (so the simulator names the missing file).

    Raises:
        KeyError: ``toplevel`` is not a module of the RTL (the message lists the known ones).
    """
    base = _base(rtl_dir)
    manifest = scan(base) if base.is_dir() else None
    if manifest is None or toplevel not in manifest.modules:
        checkout = scan()
        if toplevel in checkout.modules or manifest is None:
            manifest = checkout
    return [base / n for n in manifest.sources(manifest.module(toplevel).name)]


def include_dirs(rtl_dir: os.PathLike | str | None = None, toplevel: str | None = None) -> list[Path]:
    """The include directories in ``rtl_dir`` (default :func:`fp8kit.paths.rtl_dir`): every one of
    :data:`INCLUDE_DIRS`, or for a ``toplevel`` those its headers are in."""
    base = _base(rtl_dir)
    if toplevel is None:
        return [base / d for d in INCLUDE_DIRS]
    return [base / d for d in scan(base if base.is_dir() else None).include_dirs(toplevel)]


def toplevels(rtl_dir: os.PathLike | str | None = None) -> tuple[str, ...]:
    """Every module of the RTL (each a lint and synthesis toplevel), leaves first."""
    return scan(rtl_dir).toplevels()


def sim_tops(rtl_dir: os.PathLike | str | None = None) -> tuple[str, ...]:
    """:data:`SIM_TOPS`, checked against the RTL.

    Raises:
        ValueError: a simulation top is not a module of the RTL.
    """
    known = scan(rtl_dir).modules
    missing = [t for t in SIM_TOPS if t not in known]
    if missing:
        raise ValueError(f"simulation top(s) {', '.join(missing)} not in the RTL; modules: {', '.join(known)}")
    return SIM_TOPS


def simulated(rtl_dir: os.PathLike | str | None = None) -> tuple[str, ...]:
    """Every module a simulation top reaches: the modules whose edits a simulation can see
    (mutation mutates these). In :data:`SIM_TOPS` order, each top after the modules below it
    that no earlier top reached."""
    m = scan(rtl_dir)
    return tuple(dict.fromkeys(n for t in sim_tops(rtl_dir) for n in m.closure(t)))


class _LazyManifest(Mapping[str, tuple[str, ...]]):
    """``{toplevel: source names}`` for every simulation top, read from the checkout's RTL on use."""

    def _data(self) -> dict[str, tuple[str, ...]]:
        m = scan()
        return {t: m.sources(t) for t in sim_tops()}

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(SIM_TOPS)

    def __repr__(self) -> str:
        return f"MANIFEST({self._data()!r})"


MANIFEST: Mapping[str, tuple[str, ...]] = _LazyManifest()
"""Each simulation top's source names relative to the RTL directory, leaves first (read on use)."""


# -- the FuseSoC core ------------------------------------------------------------------------------

CORE_BANNER = "# generated by `python -m fp8kit.rtlspec.manifest core --write` from the RTL; do not edit"


def core_path(rtl_dir: os.PathLike | str | None = None) -> Path:
    """Where the FuseSoC core lives: ``<rtl_dir>/fp8kit.core``."""
    return _base(rtl_dir) / paths.CORE_FILE


def render_core(manifest: Manifest | None = None, lint_top: str = "fp8_mac") -> str:
    """The FuseSoC core ``rtl/fp8kit.core`` for ``manifest`` (default: :func:`scan` of the RTL).

    Args:
        manifest: the RTL to describe.
        lint_top: the lint target's default toplevel.

    Returns:
        CAPI=2 text: the headers (``is_include_file``), every source leaves first, and a default and
        a Verilator lint target.

    Raises:
        ValueError: ``lint_top`` is not a module.
    """
    manifest = manifest if manifest is not None else scan()
    if lint_top not in manifest.modules:
        raise ValueError(f"lint toplevel {lint_top!r} is not a module; modules: {', '.join(manifest.modules)}")
    tops = [t for t in SIM_TOPS if t in manifest.modules]
    lines = [
        "CAPI=2:",
        "# SPDX-License-Identifier: Apache-2.0",
        CORE_BANNER,
        "# fp8kit reference RTL as a FuseSoC core. Parameters come from refmodel Formats:",
        "# `fp8kit rtl-params float8_e4m3fn --prefix A_` prints the overrides.",
        "name: fp8kit:fp8kit:rtl:0.1.0",
        f"description: Bit-exact FP8/INT8 arithmetic datapaths ({', '.join(tops)})",
        "",
        "filesets:",
        "  defs:",
        "    files:",
        *[f"      - {h}: {{is_include_file: true}}" for h in manifest.headers()],
        "    file_type: verilogSource",
        "  rtl:",
        "    files:",
        *[f"      - {manifest.modules[m].path}" for m in manifest.toplevels()],
        "    file_type: verilogSource",
        "    depend: []",
        "",
        "targets:",
        "  default: &default",
        "    filesets: [defs, rtl]",
        "  lint:",
        "    <<: *default",
        f"    description: Verilator -Wall lint of one module (choose it with --toplevel; default {lint_top})",
        "    default_tool: verilator",
        f"    toplevel: {lint_top}",
        "    tools:",
        "      verilator:",
        "        mode: lint-only",
        "        verilator_options: [-Wall]",
    ]
    return "\n".join(lines) + "\n"


def write_core(rtl_dir: os.PathLike | str | None = None) -> bool:
    """Write :func:`render_core` of ``rtl_dir`` to its ``fp8kit.core``; True if the file changed."""
    path = core_path(rtl_dir)
    text = render_core(scan(rtl_dir))
    if path.is_file() and path.read_text() == text:
        return False
    path.write_text(text)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m fp8kit.rtlspec.manifest QUERY``: print the manifest for make and scripts."""
    ap = argparse.ArgumentParser(prog="python -m fp8kit.rtlspec.manifest", description=main.__doc__)
    ap.add_argument("query", choices=("toplevels", "sim-tops", "simulated", "sources", "includes", "core"))
    ap.add_argument("toplevel", nargs="?", help="the toplevel (sources, includes)")
    ap.add_argument("--rtl-dir", default=None, help="the RTL directory (default: the checkout's rtl/)")
    ap.add_argument("--sep", default="\n", help="separator between items (default: newline)")
    ap.add_argument("--write", action="store_true", help="core: write rtl/fp8kit.core instead of printing it")
    opts = ap.parse_args(argv)
    try:
        if opts.query == "core":
            if opts.write:
                changed = write_core(opts.rtl_dir)
                print(f"{core_path(opts.rtl_dir)}: {'written' if changed else 'up to date'}")
            else:
                sys.stdout.write(render_core(scan(opts.rtl_dir)))
            return 0
        if opts.query == "sources" and opts.toplevel is None:
            ap.error("sources needs a toplevel")
        items: Sequence[object]
        if opts.query == "toplevels":
            items = toplevels(opts.rtl_dir)
        elif opts.query == "sim-tops":
            items = sim_tops(opts.rtl_dir)
        elif opts.query == "simulated":
            items = simulated(opts.rtl_dir)
        elif opts.query == "sources":
            items = sources_for(opts.toplevel, opts.rtl_dir)
        else:
            items = include_dirs(opts.rtl_dir, opts.toplevel)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    print(opts.sep.join(map(str, items)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
