"""The README's installs, as a numba user does them: a fresh venv, ``pip install
"git+<clone URL>"`` or ``git clone <clone URL> allocbench && pip install ./allocbench``, then
the README's first example runs. The README names no URL of its own: the project has none
to give, so it says where the reader's clone URL goes."""

import os
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


#: Where the README's install lines put the reader's clone URL.
CLONE_URL = "<this repository's clone URL>"


def install_lines() -> list:
    """The lines of the first shell block of "Fix my code": the installs."""
    block = re.search(r"```bash\n(.*?)```", fix_section(), re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_readme_installs_from_a_git_url_and_from_a_clone_and_invents_no_url():
    lines = install_lines()
    assert lines == [f'pip install "git+{CLONE_URL}"',
                     f"git clone {CLONE_URL} allocbench && pip install ./allocbench"]  # fmt: skip
    assert "OWNER" not in README.read_text()
    assert not re.search(r"github\.com/[^/\s)]+/allocbench", README.read_text())


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
@pytest.mark.parametrize("which", [0, 1], ids=["git-url", "clone"])
def test_the_readme_install_then_the_readme_example_runs(tmp_path, which):
    """The README's install line as written, the clone URL this repository's path (its
    committed state, as a clone gets it), pip the fresh venv's."""
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    python = str(venv / "bin" / "python")
    url = f"file://{ROOT}" if which == 0 else str(ROOT)
    assert re.fullmatch(r"[\w@%+=:,./-]+", url), url  # nothing to quote in a shell
    line = install_lines()[which].replace(CLONE_URL, url)
    env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
               PIP_DISABLE_PIP_VERSION_CHECK="1", VIRTUAL_ENV=str(venv))  # fmt: skip
    done = _run(["bash", "-c", line], cwd=tmp_path, env=env)
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
