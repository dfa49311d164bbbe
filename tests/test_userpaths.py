"""fp8kit.userpaths: the user's paths refused before work starts, with what, path and problem named."""

from __future__ import annotations

import os

import pytest

from fp8kit import userpaths


@pytest.fixture
def afile(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    return f


def test_input_file_accepts_a_readable_file(afile):
    assert userpaths.input_file(str(afile), "input") == afile


def test_input_file_refuses_missing(tmp_path):
    with pytest.raises(ValueError, match=r"^input file '.*nope' does not exist$"):
        userpaths.input_file(tmp_path / "nope", "input file")


def test_input_file_refuses_a_directory(tmp_path):
    with pytest.raises(ValueError, match=r"is a directory, not a file"):
        userpaths.input_file(tmp_path, "--calibration")


def _deny(monkeypatch, denied):
    """Makes ``os.access`` refuse ``denied`` as it does for a non-root user after a chmod (root bypasses it)."""
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(denied) else real(p, mode))


def test_input_file_refuses_unreadable(afile, monkeypatch):
    _deny(monkeypatch, afile)
    with pytest.raises(ValueError, match=r"is not readable"):
        userpaths.input_file(afile, "input")


def test_output_file_accepts_new_and_nested(tmp_path, afile):
    assert userpaths.output_file(tmp_path / "new.npy", "--out") == tmp_path / "new.npy"
    assert userpaths.output_file(tmp_path / "a" / "b" / "c.xml", "--junit") == tmp_path / "a" / "b" / "c.xml"
    assert userpaths.output_file(afile, "--out") == afile
    assert not (tmp_path / "a").exists(), "a check creates nothing"


def test_output_file_refuses_a_directory(tmp_path):
    with pytest.raises(ValueError, match=r"^--out '.*' is a directory, not a file$"):
        userpaths.output_file(tmp_path, "--out")


def test_output_file_refuses_a_path_under_a_file(afile):
    with pytest.raises(ValueError, match=r"^--plot '.*afile/x/y.png' cannot be created: '.*afile' is a file, "
                                         r"not a directory$"):
        userpaths.output_file(afile / "x" / "y.png", "--plot")


def test_output_file_refuses_an_unwritable_directory(tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    _deny(monkeypatch, ro)
    with pytest.raises(ValueError, match=r"cannot be created: directory '.*ro' is not writable"):
        userpaths.output_file(ro / "out.npz", "--out")


def test_output_dir_accepts_existing_and_new(tmp_path):
    assert userpaths.output_dir(tmp_path, "--out") == tmp_path
    assert userpaths.output_dir(tmp_path / "x" / "y", "--out") == tmp_path / "x" / "y"


def test_output_file_refuses_an_unwritable_file(afile, monkeypatch):
    _deny(monkeypatch, afile)
    with pytest.raises(ValueError, match=r"^--out '.*afile' is not writable$"):
        userpaths.output_file(afile, "--out")


def test_output_dir_refuses_an_unwritable_directory(tmp_path, monkeypatch):
    _deny(monkeypatch, tmp_path)
    with pytest.raises(ValueError, match=r"is not writable$"):
        userpaths.output_dir(tmp_path, "--out")


def test_output_dir_refuses_a_file(afile):
    with pytest.raises(ValueError, match=r"^--out '.*afile' is a file, not a directory$"):
        userpaths.output_dir(afile, "--out")


def test_output_dir_refuses_a_path_under_a_file(afile):
    with pytest.raises(ValueError, match=r"cannot be created: '.*afile' is a file"):
        userpaths.output_dir(afile / "sub", "--out")


def test_output_file_makes_the_parent_only_when_asked_and_after_the_checks(tmp_path, afile):
    target = tmp_path / "a" / "b" / "out.png"
    assert userpaths.output_file(target, "--plot", make_parent=True) == target
    assert target.parent.is_dir() and not target.exists()
    with pytest.raises(ValueError, match="is a file"):
        userpaths.output_file(afile / "c" / "out.png", "--plot", make_parent=True)
