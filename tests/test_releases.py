"""The release table: the package's own, and malformed tables refused line by line."""

import datetime
import os
import subprocess
import sys

import pytest

from allocbench.cli import main
from allocbench.history import releases
from allocbench.history.releases import Release, TableError

HEADER = "\t".join(releases.COLUMNS)
GOOD_ROW = "0.57.1\t2023-06-21T17:41:55Z\t0.40.1\t3.8,3.11\t>=1.21,<1.25\t"


def _when(text):
    return releases.parse_date(text)


def test_package_table_covers_every_minor_from_048_with_its_patches():
    table = releases.load()
    minors = [r.key.release[:2] for r in table]
    assert table[0].numba == "0.48.0"
    # every minor from 0.48 to the newest, and patch releases beside the .0s
    assert sorted(set(m[1] for m in minors)) == list(range(48, minors[-1][1] + 1))
    assert len(table) > len(set(minors))
    assert all(b.released > a.released for a, b in zip(table, table[1:]))


def test_package_table_facts_measured_here():
    table = {r.numba: r for r in releases.load()}
    assert table["0.48.0"].supports("3.8", "1.18.5")
    assert not table["0.48.0"].supports("3.8", "1.24.4")  # np.long is gone in numpy 1.24
    assert not table["0.48.0"].supports("3.11", "1.18.5")  # no wheel
    for version in ("0.57.1", "0.60.0", "0.64.0", "0.68.1"):
        assert table[version].supports("3.11", "1.24.4")
    assert table["0.55.2"].needs_old_setuptools("3.10")
    assert not table["0.55.2"].needs_old_setuptools("3.8")
    assert not table["0.56.4"].needs_old_setuptools("3.10")


@pytest.mark.parametrize(
    "spec, version, inside",
    [
        (">=1.15,<1.24", "1.18.5", True),
        (">=1.15,<1.24", "1.24.0", False),
        (">=1.15,<1.24", "1.24", False),
        (">=1.22,<2.6", "2.5.5", True),
        (">=1.22,<2.6", "2.6.0", False),
        (">=1.21", "1.20.3", False),
        ("==1.24.4", "1.24.4", True),
        ("!=1.24.4", "1.24.4", False),
    ],
)
def test_specifier_contains(spec, version, inside):
    assert releases.specifier_contains(spec, version) is inside


@pytest.mark.parametrize("text", ["0.57", "v0.57.1", "0.57.1rc1", "0.57.1;rm -rf", "0.057.1", ""])
def test_versions_must_be_plain(text):
    with pytest.raises(TableError):
        releases.parse_version(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "header"),
        ("numba\tdate\n" + GOOD_ROW, "header"),
        (HEADER + "\n0.57.1\t2023-06-21T17:41:55Z\t0.40.1\n", "3 cells"),
        (HEADER + "\n" + GOOD_ROW.replace("0.57.1", "0.57.x", 1), "line 2"),
        (HEADER + "\n" + GOOD_ROW.replace("2023-06-21T17:41:55Z", "June 2023"), "UTC date"),
        (HEADER + "\n" + GOOD_ROW.replace(">=1.21,<1.25", "numpy>1.21"), "version range"),
        (HEADER + "\n" + GOOD_ROW.replace("3.8,3.11", "3.8;3.11"), "Pythons"),
        (HEADER + "\n" + GOOD_ROW + "\n" + GOOD_ROW, "must come after"),
        (HEADER + "\n", "no releases"),
    ],
)
def test_malformed_tables_are_refused(text, message):
    with pytest.raises(TableError, match=message):
        releases.parse_table(text)


def test_out_of_order_dates_are_refused():
    late = GOOD_ROW
    early = "0.58.1\t2020-01-01T00:00:00Z\t0.41.1\t3.8,3.11\t>=1.22,<1.27\t"
    with pytest.raises(TableError, match=r"0\.58\.1"):
        releases.parse_table("\n".join([HEADER, late, early]))


def test_save_and_load_round_trip(tmp_path):
    rows = [
        Release("0.48.0", _when("2020-01-29T16:13:41Z"), "0.31.0", ["3.8", "3.7"], ">=1.15,<1.24"),
        Release("0.57.1", _when("2023-06-21T17:41:55Z"), "0.40.1", ["3.11"], ">=1.21,<1.25", "x"),
    ]
    path = tmp_path / "table.tsv"
    releases.save(rows, path)
    assert releases.load(path) == rows
    assert releases.load(path)[0].pythons == ("3.7", "3.8")
    assert not list(tmp_path.glob("*.partial"))


def test_malformed_table_file_is_left_alone(tmp_path):
    path = tmp_path / "table.tsv"
    path.write_text("not a table\n")
    with pytest.raises(TableError, match=str(path)):
        releases.load(path)
    assert path.read_text() == "not a table\n"
    with pytest.raises(TableError, match="cannot read"):
        releases.load(tmp_path / "missing.tsv")


def test_find_names_unknown_versions():
    table = releases.load()
    assert releases.find(table, "0.57.1").llvmlite == "0.40.1"
    with pytest.raises(TableError, match="not in the release table"):
        releases.find(table, "0.47.0")
    with pytest.raises(TableError, match="not a release version"):
        releases.find(table, "$(reboot)")


def test_dates_are_utc():
    when = releases.parse_date("2020-01-29T16:13:41Z")
    assert when.tzinfo == datetime.timezone.utc
    assert releases.format_date(when) == "2020-01-29T16:13:41Z"


# --- dates git accepts, tables that are regular files (issue 21) -----------------------------


@pytest.mark.parametrize("when", ["1900-06-21T17:41:55Z", "1969-12-31T23:59:59Z",
                                  "2011-12-31T23:59:59Z", "9999-12-31T23:59:59Z"])  # fmt: skip
def test_a_date_git_cannot_take_is_refused_naming_the_row(tmp_path, capsys, when):
    table = tmp_path / "t.tsv"
    table.write_text(HEADER + "\n" + GOOD_ROW.replace("2023-06-21T17:41:55Z", when) + "\n")
    for argv in (["releases"], ["ledger", "--dir", str(tmp_path / "l")]):
        assert main([*argv, "--table", str(table)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{table} line 2: numba 0.57.1: released {when}" in err
    assert not (tmp_path / "l").exists()


def test_release_dates_run_from_2012_to_tomorrow():
    now = datetime.datetime(2030, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    second = datetime.timedelta(seconds=1)
    releases.check_date(releases.EARLIEST, now)
    releases.check_date(now + day, now)
    with pytest.raises(TableError, match="before 2012-01-01"):
        releases.check_date(releases.EARLIEST - second, now)
    with pytest.raises(TableError, match=r"after tomorrow \(2030-05-02T12:00:00Z\)"):
        releases.check_date(now + day + second, now)
    with pytest.raises(TableError, match="time zone"):
        releases.check_date(datetime.datetime(2020, 1, 1), now)
    # with no `now`, tomorrow is this moment's
    releases.check_date(datetime.datetime.now(datetime.timezone.utc) + day / 2)
    with pytest.raises(TableError, match="after tomorrow"):
        releases.check_date(datetime.datetime.now(datetime.timezone.utc) + 2 * day)


def test_a_fifo_as_the_table_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "table.fifo"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "allocbench.cli", "releases", "--table",
                           str(fifo)], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr == f"allocbench releases: the release table: {fifo}: not a regular file\n"
    with pytest.raises(TableError, match="not a regular file"):
        releases.load(fifo)


def test_a_table_larger_than_any_release_table_is_refused(tmp_path):
    table = tmp_path / "t.tsv"
    table.write_text(HEADER + "\n" + GOOD_ROW + "\n" + "\n" * releases.MAX_TABLE_BYTES)
    with pytest.raises(TableError, match="more than the 1048576 accepted"):
        releases.load(table)
