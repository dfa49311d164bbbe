"""The layer contract of docs/architecture.md, checked on the source and on a running interpreter.

Layers, lowest first: ``refmodel`` (the embeddable golden model) < ``fp8kit`` (tooling that knows the
repository and external tools) < ``verif`` (simulation) < ``fp8kit.cli`` (the command line). A module
imports from its own layer or lower ones; the CLI imports ``verif`` only inside the commands that need
it. ``refmodel`` imports the standard library (less process and file-system modules), numpy and
ml_dtypes, and never names ``__file__``; the one exception is ``refmodel.gemm_kernels``, the compiled
GEMM kernels, which imports numba (a declared runtime dependency) and is loaded only when a GEMM needs it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("refmodel", "fp8kit", "verif")
LAYERS = {"refmodel": 0, "fp8kit": 1, "verif": 2, "fp8kit.cli": 3}
MODEL_THIRD_PARTY = {"numpy", "ml_dtypes"}
COMPILED = {"refmodel.gemm_kernels": {"numba"}}  # the model's compiled kernels and what they may import
MODEL_FORBIDDEN_STDLIB = {"subprocess", "multiprocessing", "shutil", "os", "pathlib", "tempfile", "socket"}


def layer_of(module: str) -> int | None:
    """The layer of a dotted module name, or None for a module outside the three packages."""
    best = None
    for prefix, layer in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, layer)
    return None if best is None else best[1]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, bool, int]]:
    """(imported module, at module level?, line) for every import statement of ``path``."""
    tree = ast.parse(path.read_text(), str(path))
    mod = module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out: list[tuple[str, bool, int]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                out.extend((a.name, top, child.lineno) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                out.append((target, top, child.lineno))
                # ``from pkg import submodule`` imports the submodule
                out.extend((f"{target}.{a.name}", top, child.lineno) for a in child.names
                           if (ROOT / Path(*f"{target}.{a.name}".split("."))).with_suffix(".py").is_file()
                           or (ROOT / Path(*f"{target}.{a.name}".split(".")) / "__init__.py").is_file())
            visit(child, top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, True)
    return out


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_every_package_has_sources():
    for package in PACKAGES:
        assert len(sources(package)) >= 5, package


@pytest.mark.parametrize("package", PACKAGES)
def test_no_upward_imports(package):
    bad = []
    for path in sources(package):
        mod = module_name(path)
        own = layer_of(mod)
        for target, top, line in imports(path):
            other = layer_of(target)
            if other is None or other <= own:
                continue
            bad.append(f"{path.relative_to(ROOT)}:{line} ({mod}, layer {own}) imports {target} (layer {other})")
    assert not bad, "\n".join(bad)


def test_cli_imports_verif_only_inside_commands():
    bad = [f"{p.relative_to(ROOT)}:{line} imports {t} at module level"
           for p in sources("fp8kit/cli") for t, top, line in imports(p)
           if top and layer_of(t) == LAYERS["verif"]]
    assert not bad, "\n".join(bad)


def test_model_imports_only_its_runtime_dependencies():
    stdlib = set(sys.stdlib_module_names)
    bad = []
    for path in sources("refmodel"):
        for target, _, line in imports(path):
            root = target.split(".")[0]
            if root == "refmodel" or root == "__future__":
                continue
            allowed = MODEL_THIRD_PARTY | COMPILED.get(module_name(path), set())
            if root in MODEL_FORBIDDEN_STDLIB or (root not in stdlib and root not in allowed):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
        if "__file__" in path.read_text():
            bad.append(f"{path.relative_to(ROOT)} names __file__ (the model knows no path of the repository)")
    assert not bad, "\n".join(bad)


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return set(out.split())


def test_model_loads_alone():
    names = " ".join(sorted({module_name(p) for p in sources("refmodel")} - set(COMPILED)))
    loaded = _loaded_after(f"import importlib\nfor m in {names.split()!r}: importlib.import_module(m)")
    assert {"refmodel.codec", "refmodel.oracle.mx"} <= loaded
    assert not {m for m in loaded if m.split(".")[0] in ("fp8kit", "verif", "cocotb")}
    assert "subprocess" not in loaded or "subprocess" in _loaded_after("import numpy, ml_dtypes")


def test_compiled_kernels_load_only_when_a_gemm_needs_them():
    plain = _loaded_after("import refmodel, refmodel.gemm, refmodel.presets")
    assert "numba" not in plain and "refmodel.gemm_kernels" not in plain
    fused = _loaded_after("import numpy as np\nfrom refmodel.gemm import matmul\nfrom refmodel.presets import PRESETS\n"
                          "matmul(np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.uint8), fmt_a='float8_e4m3fn', "
                          "datapath=PRESETS['hopper-fp8'].datapath)")
    assert {"numba", "refmodel.gemm_kernels"} <= fused


def test_encode_command_loads_no_verification_code():
    loaded = _loaded_after("import contextlib, io\nfrom fp8kit.cli import main\n"
                           "with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['encode', 'e4m3fn', '1.5']) == 0")
    assert "fp8kit.cli" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("verif", "cocotb")}


def test_layer_of():
    assert layer_of("refmodel.oracle.mx") == 0
    assert layer_of("fp8kit.cost.synth") == 1
    assert layer_of("verif.exhaust.sweep") == 2
    assert layer_of("fp8kit.cli.exhaust") == 3
    assert layer_of("numpy") is None


def test_a_planted_upward_import_is_caught(tmp_path, monkeypatch):
    fake = tmp_path / "refmodel" / "x.py"
    fake.parent.mkdir()
    fake.write_text("from fp8kit import vectors\n\ndef f():\n    import verif.replay\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = [(t, top) for t, top, _ in imports(fake)]
    assert ("fp8kit", True) in found and ("verif.replay", False) in found
    assert all(layer_of(t) > 0 for t, _ in found if t.startswith(("fp8kit", "verif")))


@pytest.mark.parametrize("old,new,attr", [
    ("refmodel.vectors", "fp8kit.vectors", "generate"),
    ("refmodel.cost", "fp8kit.cost.model", "area"),
    ("refmodel.arith_oracle", "refmodel.oracle.arith", "fma_exact"),
    ("verif.exhaust.cli", "fp8kit.cli.exhaust", "build_sweeps"),
    ("refmodel.rtlgen", "fp8kit.rtlspec.params", "fma_rtl_params"),
    ("refmodel.rtlgen", "fp8kit.rtlspec.defs", "render_defs"),
])
def test_old_import_paths_still_work_with_a_warning(old, new, attr):
    code = (f"import warnings\nwarnings.simplefilter('always')\nimport importlib\n"
            f"with warnings.catch_warnings(record=True) as w:\n    old = importlib.import_module({old!r})\n"
            f"new = importlib.import_module({new!r})\n"
            f"assert getattr(old, {attr!r}) is getattr(new, {attr!r})\n"
            f"assert any(issubclass(x.category, DeprecationWarning) and {new!r} in str(x.message) for x in w), w\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_architecture_doc_names_real_modules_and_files():
    """Every module and repository path docs/architecture.md names exists (the doc follows the code)."""
    import importlib.util
    import re

    text = re.sub(r"```.*?```", "", (ROOT / "docs" / "architecture.md").read_text(), flags=re.S)
    spans = re.findall(r"`([^`]+)`", text)
    modules = {s for s in spans if re.fullmatch(r"(refmodel|fp8kit|verif)(\.\w+)+", s)}
    files = {s for s in spans if re.fullmatch(r"(rtl|tests|verif|refmodel|fp8kit|docs|bench)/[\w./<>-]+", s)
             and "<" not in s}
    assert len(modules) >= 10 and len(files) >= 10

    def exists(name: str) -> bool:  # a module, or an attribute of the longest module prefix
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            try:
                found = importlib.util.find_spec(".".join(parts[:i])) is not None
            except ModuleNotFoundError:
                found = False
            if found:
                obj = importlib.import_module(".".join(parts[:i]))
                for attr in parts[i:]:
                    if not hasattr(obj, attr):
                        return False
                    obj = getattr(obj, attr)
                return True
        return False

    from refmodel._moved import MOVED

    missing = [m for m in sorted(modules - set(MOVED)) if not exists(m)]
    assert modules & set(MOVED), "the doc names the old import paths"
    missing += [f for f in sorted(files) if not (ROOT / f.rstrip("/")).exists()]
    assert not missing, missing
