"""asv's install step: what it installs, and what it refuses before pip is called."""

import sys

import pytest

from allocbench.history import install_release, ledger, releases
from allocbench.history.install_release import CannotInstall


def _checkout(tmp_path, text):
    (tmp_path / ledger.VERSION_FILE).write_text(text)
    return str(tmp_path)


def test_reads_the_checkout_version(tmp_path):
    assert install_release.read_version(_checkout(tmp_path, "0.57.1\n")) == "0.57.1"


@pytest.mark.parametrize("text", ["0.57.1 --pre", "numba==0.57.1", "../../etc", ""])
def test_refuses_a_checkout_that_is_not_a_version(tmp_path, text):
    with pytest.raises(releases.TableError):
        install_release.read_version(_checkout(tmp_path, text))


def test_refuses_a_directory_that_is_not_a_checkout(tmp_path):
    with pytest.raises(CannotInstall, match="ledger commit"):
        install_release.read_version(str(tmp_path))


def test_pip_command_pins_numba_llvmlite_and_numpy():
    release = releases.find(releases.load(), "0.57.1")
    command = install_release.pip_command(release, "3.11", "1.24.4")
    assert command[:3] == [sys.executable, "-m", "pip"]
    assert "--only-binary=:all:" in command
    assert command[-3:] == ["numba==0.57.1", "llvmlite==0.40.1", "numpy==1.24.4"]


def test_old_numba_on_new_python_gets_old_setuptools():
    release = releases.find(releases.load(), "0.55.2")
    assert install_release.pip_command(release, "3.10", "1.22.4")[-1] == "setuptools<82"
    assert "setuptools<82" not in install_release.pip_command(release, "3.8", "1.18.5")


@pytest.mark.parametrize(
    "version, python, numpy, reason",
    [
        ("0.48.0", "3.11", "1.24.4", "wheels for Python 3.6, 3.7, 3.8 only"),
        ("0.48.0", "3.8", "1.24.4", "accepts numpy >=1.15,<1.24, not 1.24.4"),
        ("0.57.1", "3.11", "1.18.5", "not 1.18.5"),
    ],
)
def test_impossible_combinations_fail_before_pip(version, python, numpy, reason):
    release = releases.find(releases.load(), version)
    with pytest.raises(CannotInstall, match=reason):
        install_release.pip_command(release, python, numpy)


def test_main_reports_an_unknown_release_without_a_traceback(tmp_path, capsys):
    assert install_release.main([_checkout(tmp_path, "0.47.0")]) == 3
    err = capsys.readouterr().err
    assert "0.47.0 is not in the release table" in err and "Traceback" not in err


def test_main_usage(capsys):
    assert install_release.main([]) == 2
    assert "usage" in capsys.readouterr().err


def test_the_patched_build_installs_the_built_wheel_with_the_releases_llvmlite(
    tmp_path, monkeypatch
):
    (tmp_path / ledger.VERSION_FILE).write_text("0.68.1\n")
    wheel = tmp_path / "numba-0.68.1+allocbench.calloc-cp311-cp311-linux_x86_64.whl"
    monkeypatch.setenv(install_release.BUILD_VARIABLE, install_release.PATCHED)
    monkeypatch.setattr(install_release, "patched_wheel", lambda release: wheel)
    monkeypatch.setattr(install_release, "installed_numpy", lambda: "1.24.4")
    monkeypatch.setattr(install_release, "this_python", lambda: "3.11")
    ran = []
    monkeypatch.setattr(install_release.subprocess, "run",
                        lambda command, **kw: ran.append(command) or _Done())  # fmt: skip
    monkeypatch.setattr(install_release, "check_import", lambda expected: ran.append(expected))
    assert install_release.install(str(tmp_path)) == "0.68.1+allocbench.calloc"
    command, expected = ran
    assert str(wheel) in command and "--no-deps" in command
    assert "llvmlite==0.50.0" in command and "numpy==1.24.4" in command
    assert not any(c.startswith("numba==") for c in command)
    assert expected == "0.68.1+allocbench.calloc"


def test_an_unknown_build_is_refused_before_pip(tmp_path, monkeypatch):
    (tmp_path / ledger.VERSION_FILE).write_text("0.68.1\n")
    monkeypatch.setenv(install_release.BUILD_VARIABLE, "debug")
    monkeypatch.setattr(install_release, "installed_numpy", lambda: "1.24.4")
    monkeypatch.setattr(install_release, "this_python", lambda: "3.11")
    with pytest.raises(CannotInstall, match="the only build is 'patched'"):
        install_release.install(str(tmp_path))


class _Done:
    returncode = 0


def _candidate_row(version="0.69.0rc1"):
    return releases.Release(version, releases.parse_date("2026-11-20T10:00:00Z"), "0.51.0rc1",
                            ["3.11"], ">=1.22,<2.6")  # fmt: skip


def test_a_candidates_row_comes_from_its_checkout(tmp_path):
    build_dir = _checkout(tmp_path, "0.69.0rc1\n")
    (tmp_path / ledger.ROW_FILE).write_text(releases.format_table([_candidate_row()]))
    release = install_release.release_of(build_dir)
    assert release == _candidate_row() and release.candidate
    command = install_release.pip_command(release, "3.11", "1.24.4")
    assert "numba==0.69.0rc1" in command and "llvmlite==0.51.0rc1" in command


def test_a_candidate_checkout_whose_row_names_another_version_is_refused(tmp_path):
    build_dir = _checkout(tmp_path, "0.69.0rc2\n")
    (tmp_path / ledger.ROW_FILE).write_text(releases.format_table([_candidate_row()]))
    with pytest.raises(CannotInstall, match=r"does not describe numba 0\.69\.0rc2"):
        install_release.release_of(build_dir)


@pytest.mark.parametrize("text", ["0.69.0.dev0", "0.69.0rc1.post1", "0.69.0rc1+local"])
def test_only_release_candidates_and_betas_pass_beside_releases(tmp_path, text):
    with pytest.raises(releases.TableError):
        install_release.read_version(_checkout(tmp_path, text))
