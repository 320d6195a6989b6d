"""The README's install from a git URL, as a numba user does it: a fresh venv,
``pip install "git+<url>"``, then the README's first example runs."""

import pathlib
import re
import subprocess
import sys

import pytest
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, timeout=900, **kwargs)


def fix_section() -> str:
    """The README's "Fix my code" section."""
    text = README.read_text()
    start = text.index("## Fix my code")
    return text[start : text.index("\n## ", start + 1)]


def first_python_example() -> str:
    """The first Python block of "Fix my code": allocbench.zeros inside @njit."""
    return re.search(r"```python\n(.*?)```", fix_section(), re.S).group(1)


def test_readme_installs_from_a_git_url():
    line = re.search(r'pip install "git\+(\S+)"', fix_section())
    assert line, "the README's Fix my code has no install line from a git URL"


def test_the_example_uses_allocbench_zeros_inside_njit():
    example = first_python_example()
    assert "@numba.njit" in example
    assert "allocbench.zeros(" in example


def test_metadata_names_the_licence_and_the_file_exists():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "BSD-3-Clause"}
    assert "BSD 3-Clause License" in (ROOT / "LICENSE").read_text()
    assert "License :: OSI Approved :: BSD License" in project["classifiers"]
    assert project["authors"] and project["urls"]


@pytest.mark.slow
def test_pip_install_from_a_git_url_then_the_readme_example_runs(tmp_path):
    clone = tmp_path / "allocbench"
    done = _run(["git", "clone", "--quiet", str(ROOT), str(clone)])
    assert done.returncode == 0, done.stderr
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    python = str(venv / "bin" / "python")
    done = _run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 f"git+file://{clone}"])  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    example = first_python_example().replace("work(8000)", "a = work(3000)")
    check = (
        "\nassert a.shape == (3000, 3000) and a[0, 0] == 1.0 and not a[1:].any()"
        "\nimport importlib.metadata as m"
        "\nassert m.metadata('allocbench')['License'] == 'BSD-3-Clause'"
        "\nprint('ok', allocbench.__file__)"
    )
    done = _run([python, "-c", example + check], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok ") and str(venv) in done.stdout
