"""Finding interpreters and exposing them as pythonX.Y."""

import os
import subprocess
import sys

import pytest

from allocbench.history import interpreters

THIS = "{}.{}".format(*sys.version_info[:2])


def test_finds_this_python_and_exposes_it(tmp_path):
    found = interpreters.expose([THIS, "3.99"], tmp_path / "bin")
    assert found["3.99"] is None
    link = tmp_path / "bin" / f"python{THIS}"
    assert found[THIS] is not None and link.is_symlink()
    out = subprocess.run([str(link), "-c", "import sys; print(sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert out.strip() == str(tuple(sys.version_info[:2]))
    assert not (tmp_path / "bin" / "python3.99").exists()


def test_a_failing_shim_is_not_taken(tmp_path, monkeypatch):
    shim = tmp_path / "python3.99"
    shim.write_text("#!/bin/sh\nexit 127\n")
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert not interpreters.reports_version(str(shim), "3.99")
    assert interpreters.find("3.99") is None


def test_path_with_puts_the_folder_first(tmp_path):
    assert interpreters.path_with(tmp_path, "/usr/bin").split(os.pathsep) == [
        str(tmp_path.resolve()),
        "/usr/bin",
    ]


@pytest.mark.parametrize("bad", ["3", "python3.8", "3.8; ls", "2.7"])
def test_refuses_what_is_not_a_python3_version(bad):
    with pytest.raises(ValueError):
        interpreters.find(bad)
