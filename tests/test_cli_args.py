"""The command line's promises: --version, mistakes in one line and exit 1, --json wherever a
command produces data (ratio's naming the numba release), help that fits on a screen."""

import json
import subprocess
import sys

import pytest
from test_report import _alloc, _write

from allocbench.catalog import PATH_NAMES
from allocbench.cli import build_parser, main
from allocbench.cli.base import REGISTRY, version

#: Commands whose output is data, each of which takes --json.
DATA_COMMANDS = ("bisect", "build-numba", "cliff", "explain", "fresh", "ledger", "merge",
                 "notify", "paths", "ratio", "releases", "sizes")  # fmt: skip

#: Lines a help text may take: one terminal screen.
SCREEN = 40


def _help(argv):
    done = subprocess.run([sys.executable, "-m", "allocbench.cli", *argv, "--help"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_version_names_the_installed_package(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"allocbench {version()}"
    assert version()[0].isdigit()


@pytest.mark.parametrize(
    "argv",
    [[], ["nope"], ["ratio", "--of", "nope"], ["merge"], ["explain"], ["sizes", "--bogus"]],
)
def test_a_mistake_in_the_arguments_is_one_line_and_exit_1(argv):
    done = subprocess.run([sys.executable, "-m", "allocbench.cli", *argv],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("allocbench")
    assert "Traceback" not in done.stderr and "usage:" not in done.stderr


@pytest.mark.parametrize("name", sorted(set(DATA_COMMANDS) & set(REGISTRY)))
def test_every_command_that_produces_data_takes_json(name):
    assert "--json" in _help([name])


@pytest.mark.parametrize("name", ["", *sorted(REGISTRY)])
def test_help_fits_on_a_screen_and_names_no_path_list(name):
    text = _help([name] if name else [])
    assert len(text.splitlines()) <= SCREEN, text
    assert sum(text.count(p) for p in PATH_NAMES if p != "numba.zeros") <= 2, text


def test_every_command_has_a_one_line_help():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        assert parser.description and "\n" not in parser.description, name


def test_ratio_names_the_numba_release_not_the_commit(tmp_path, capsys):
    from allocbench.catalog import Bench
    from allocbench.history import commit_ids, releases

    table = releases.load()
    commit = next(h for h, r in commit_ids.release_by_commit(table).items() if r.numba == "0.68.1")
    _write(tmp_path, "box", commit, "virtualenv-py3.11", {Bench.ALLOC: _alloc(0.1)})
    args = ["ratio", "--results", str(tmp_path), "--ledger", str(tmp_path / "none")]
    assert main([*args, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(row["numba"] == "0.68.1" for row in rows)
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "numba 0.68.1" in out and commit[:8] not in out
