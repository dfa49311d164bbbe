"""Import paths that moved in fp8kit 0.2, kept working (with a DeprecationWarning) until 0.3.

The tooling that knows the repository and external tools left the golden model for the ``fp8kit``
package (docs/architecture.md). ``import refmodel.vectors`` still works: a finder on ``sys.meta_path``
answers each old name with a module that forwards every attribute to the new one, so objects keep one
identity. Nothing here imports ``fp8kit`` until an old name is imported.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings

__all__ = ["MOVED", "install"]

MOVED: dict[str, str | tuple[str, ...]] = {
    "refmodel.arith_oracle": "refmodel.oracle.arith",
    "refmodel.mx_oracle": "refmodel.oracle.mx",
    "refmodel.cli": "fp8kit.cli",
    "refmodel.sqnr_cli": "fp8kit.cli.sqnr",
    "refmodel.cost": "fp8kit.cost.model",
    "refmodel.cost_table": "fp8kit.cost.table",
    "refmodel.cost_synth": ("fp8kit.cost.synth", "fp8kit.cost.priors", "fp8kit.cost.energy"),
    "refmodel.rtlgen": ("fp8kit.rtlspec.params", "fp8kit.rtlspec.defs"),
    "refmodel.vectors": "fp8kit.vectors",
    "refmodel.docgen": "fp8kit.docgen",
    "refmodel.study": "fp8kit.study",
    "refmodel.paths": "fp8kit.paths",
    "refmodel.procs": "fp8kit.procs",
    "refmodel.userpaths": "fp8kit.userpaths",
    "verif.exhaust.cli": "fp8kit.cli.exhaust",
}
"""Old module name -> the module that holds its contents now (or the modules, searched in order, it was split into)."""


class _Forwarder(importlib.abc.Loader):
    def __init__(self, new: str | tuple[str, ...]) -> None:
        self.new = (new,) if isinstance(new, str) else new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return types.ModuleType(spec.name, f"Moved to {' and '.join(self.new)} (this name works until fp8kit 0.3).")

    def exec_module(self, module: types.ModuleType) -> None:
        warnings.warn(f"{module.__name__} moved to {' and '.join(self.new)}; the old name goes in fp8kit 0.3",
                      DeprecationWarning, stacklevel=2)
        real = [importlib.import_module(n) for n in self.new]

        def forward(attr: str):
            for m in real:
                if hasattr(m, attr):
                    return getattr(m, attr)
            raise AttributeError(f"module {module.__name__!r} (moved to {' and '.join(self.new)}) has no attribute {attr!r}")

        module.__getattr__ = forward  # type: ignore[method-assign]
        module.__dir__ = lambda: sorted({n for m in real for n in dir(m)})  # type: ignore[method-assign]
        module.__all__ = [n for m in real for n in getattr(m, "__all__", [n for n in vars(m) if not n.startswith("_")])]


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):  # noqa: D401 - the finder protocol
        new = MOVED.get(name)
        return importlib.machinery.ModuleSpec(name, _Forwarder(new)) if new else None


def install() -> None:
    """Put the finder on ``sys.meta_path`` once (the ``refmodel`` and ``verif`` packages call this)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())
