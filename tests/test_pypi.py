"""Finding new numba releases in a PEP 691 page, without the network."""

import pytest

from allocbench.history import ledger, pypi, releases


def _file(name, when, yanked=False):
    return {"filename": name, "upload-time": when, "yanked": yanked, "url": "x", "hashes": {}}


PAGE = {
    "meta": {"api-version": "1.1"},
    "name": "numba",
    "files": [
        _file("numba-0.68.1.tar.gz", "2026-10-27T18:12:10.5Z"),
        _file("numba-0.68.1-cp311-cp311-manylinux_2_28_x86_64.whl", "2026-10-27T18:13:00Z"),
        _file("numba-0.69.0rc1-cp312-cp312-manylinux_2_28_x86_64.whl", "2026-11-01T00:00:00Z"),
        _file("numba-0.69.0-cp312-cp312-manylinux_2_28_x86_64.whl", "2026-11-20T10:00:00.1Z"),
        _file("numba-0.69.0-cp313-cp313-win_amd64.whl", "2026-11-20T09:00:00Z"),
        _file("numba-0.69.1-cp313-cp313-win_amd64.whl", "2026-11-25T09:00:00Z", yanked=True),
        _file("numba-0.68.2-cp311-cp311-manylinux_2_28_x86_64.whl", "2026-11-21T00:00:00Z"),
        _file("numba-0.70.0-cp313-cp313-macosx_11_0_arm64.whl", "2026-11-24T00:00:00Z"),
        _file("numba-0.70.0.post1-cp313-cp313-macosx_11_0_arm64.whl", "2026-11-24T01:00:00Z"),
        _file("numba-0.71.0.dev0-cp313-cp313-macosx_11_0_arm64.whl", "2026-11-25T00:00:00Z"),
        _file("numbax-0.72.0-cp313-cp313-macosx_11_0_arm64.whl", "2026-11-25T00:00:00Z"),
        _file("numba-not-a-file-name.whl", "2026-11-25T00:00:00Z"),
    ],
}


def test_final_releases_take_first_upload_and_wheel_pythons():
    known = pypi.final_releases(PAGE)
    assert set(known) == {"0.68.1", "0.69.0", "0.68.2", "0.70.0"}
    released, pythons = known["0.69.0"]
    assert releases.format_date(released) == "2026-11-20T09:00:00Z"
    assert pythons == ("3.12", "3.13")


def _known(*rows):
    return {v: (releases.parse_date(when), ("3.11",)) for v, when in rows}


def test_mainline_takes_every_final_release_from_0_48_in_release_order():
    known = _known(
        ("0.47.0", "2019-12-01T00:00:00Z"),
        ("0.48.0", "2020-01-29T00:00:00Z"),
        ("0.49.0", "2020-04-17T00:00:00Z"),
        ("0.49.1", "2020-05-08T00:00:00Z"),
        ("0.50.0", "2020-06-11T00:00:00Z"),
        ("0.49.2", "2020-07-01T00:00:00Z"),  # an older minor's patch after a newer release
        ("0.50.1", "2020-07-02T00:00:00Z"),
    )
    assert pypi.mainline(known) == ["0.48.0", "0.49.0", "0.49.1", "0.50.0", "0.50.1"]


def test_the_committed_table_follows_the_rule():
    table = releases.load()
    known = {r.numba: (r.released, r.pythons) for r in table}
    assert pypi.mainline(known) == [r.numba for r in table]
    assert {"0.49.0", "0.56.0", "0.68.0"} <= set(known)  # patch releases and .0s alike


@pytest.mark.parametrize(
    "requires, expected",
    [
        (["llvmlite (<0.32.0,>=0.31.0dev0)", "numpy (>=1.15)", "setuptools"], ">=1.15"),
        (["llvmlite<0.51,>=0.50.0dev0", "numpy<2.6,>=1.22"], ">=1.22,<2.6"),
        (
            ["numpy>=1.22", "numpy<2.5,>=1.22", 'importlib-metadata ; python_version < "3.9"'],
            ">=1.22,<2.5",
        ),
        (["llvmlite"], None),
        (['numpy<2.4,>=1.24; python_version >= "3.10"', "not a requirement ("], ">=1.24,<2.4"),
    ],
)
def test_numpy_range(requires, expected):
    assert pypi.numpy_range(requires) == expected


def test_new_releases_appends_in_order_and_leaves_out_old_patches(monkeypatch):
    monkeypatch.setattr(pypi, "resolve", lambda version, python: ("0.51.0", ">=1.22,<2.6"))
    table = releases.load()
    added, skipped = pypi.new_releases(table, {"files": _page_of(table)["files"] + PAGE["files"]})
    assert [r.numba for r in added] == ["0.69.0", "0.70.0"]
    assert skipped == ["0.68.2"]  # released after 0.69.0
    assert added[0].pythons == ("3.12", "3.13")
    releases.check_order(table + added)


def _page_of(table):
    """A package index page that holds exactly the releases of `table`."""
    return {"files": [
        _file(f"numba-{r.numba}-cp{p.replace('.', '')}-cp{p.replace('.', '')}-linux_x86_64.whl",
              releases.format_date(r.released))
        for r in table for p in r.pythons
    ]}  # fmt: skip


def test_two_refreshes_at_different_times_build_the_same_table_and_ledger(monkeypatch, tmp_path):
    table = releases.load()
    rows = {r.numba: r for r in table}
    monkeypatch.setattr(pypi, "resolve", lambda v, python: (rows[v].llvmlite, rows[v].numpy))
    page = _page_of(table)
    cut = [r for r in table if r.key <= releases.parse_version("0.66.0")]
    # one machine refreshed before 0.68.0 came out, then again; the other only now
    early = cut + pypi.new_releases(cut, _page_of(table[: table.index(rows["0.67.0"]) + 1]))[0]
    late_first = early + pypi.new_releases(early, page)[0]
    late_only = cut + pypi.new_releases(cut, page)[0]
    assert releases.format_table(late_first) == releases.format_table(late_only)
    assert releases.format_table(late_only) == releases.TABLE.read_text()
    assert ledger.build(late_first, tmp_path / "a") == ledger.build(late_only, tmp_path / "b")


def test_a_table_that_breaks_the_rule_is_refused(monkeypatch):
    monkeypatch.setattr(pypi, "resolve", lambda *a: pytest.fail("pip must not be asked"))
    table = [r for r in releases.load() if r.numba != "0.68.0"]
    with pytest.raises(pypi.RuleError, match=r"lacks 0\.68\.0.*--rebuild"):
        pypi.new_releases(table, _page_of(releases.load()))


def test_nothing_new(monkeypatch):
    monkeypatch.setattr(pypi, "resolve", lambda *a: pytest.fail("pip must not be asked"))
    assert pypi.new_releases(releases.load(), _page_of(releases.load())) == ([], [])


def test_index_must_be_http(monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", "file:///etc")
    with pytest.raises(pypi.PackageIndexError, match="http"):
        pypi.index_url()
    monkeypatch.setenv("PIP_INDEX_URL", "https://example.invalid/simple")
    assert pypi.index_url() == "https://example.invalid/simple/"


def test_resolve_refuses_unchecked_input():
    with pytest.raises(releases.TableError):
        pypi.resolve("0.57.1 --index-url http://evil", "3.11")
    with pytest.raises(releases.TableError):
        pypi.resolve("0.57.1", "3.11; rm")


def test_table_from_index_takes_every_release_from_0_48(monkeypatch):
    monkeypatch.setattr(pypi, "resolve", lambda version, python: ("0.31.0", ">=1.15"))
    page = {"files": [
        _file("numba-0.47.0-cp38-cp38-manylinux1_x86_64.whl", "2019-12-01T00:00:00Z"),
        _file("numba-0.48.0.tar.gz", "2020-01-29T16:13:41Z"),
        _file("numba-0.48.0-cp38-cp38-manylinux1_x86_64.whl", "2020-01-29T16:20:00Z"),
        _file("numba-0.49.0-cp38-cp38-manylinux1_x86_64.whl", "2020-04-17T00:00:00Z"),
        _file("numba-0.49.1-cp38-cp38-manylinux1_x86_64.whl", "2020-05-08T00:00:00Z"),
    ]}  # fmt: skip
    rows = pypi.table_from_index(page)
    assert [r.numba for r in rows] == ["0.48.0", "0.49.0", "0.49.1"]
    assert releases.format_date(rows[0].released) == "2020-01-29T16:13:41Z"
    # Before 0.57, numba declares no numpy upper bound: the measured cap is added and noted.
    assert rows[0].numpy == ">=1.15,<1.24" and rows[0].note == pypi.OLD_NUMPY_CAP_NOTE


def test_candidates_newer_than_the_table_whose_final_is_not_out(monkeypatch):
    monkeypatch.setattr(pypi, "resolve", lambda version, python: ("0.51.0rc1", ">=1.22,<2.6"))
    table = releases.load()
    last = table[-1].key.release
    nxt = f"{last[0]}.{last[1] + 1}.0"
    files = [
        *_page_of(table)["files"],
        _file(f"numba-{table[-1].numba}rc9-cp311-cp311-linux_x86_64.whl", "2020-01-01T00:00:00Z"),
        _file(f"numba-{nxt}rc2-cp311-cp311-linux_x86_64.whl", "2026-11-25T00:00:00Z"),
        _file(f"numba-{nxt}rc1-cp311-cp311-linux_x86_64.whl", "2026-11-20T00:00:00Z"),
        _file(f"numba-{nxt}rc1-cp312-cp312-linux_x86_64.whl", "2026-11-20T01:00:00Z"),
        _file(f"numba-{nxt}b1-cp311-cp311-linux_x86_64.whl", "2026-11-10T00:00:00Z", yanked=True),
        _file(f"numba-{nxt}.dev0-cp311-cp311-linux_x86_64.whl", "2026-11-01T00:00:00Z"),
    ]
    rows = pypi.candidates({"files": files}, table)
    assert [r.numba for r in rows] == [f"{nxt}rc1", f"{nxt}rc2"]
    assert rows[0].pythons == ("3.11", "3.12") and rows[0].candidate
    # once the final is out, its candidates give way
    out = [*files, _file(f"numba-{nxt}-cp311-cp311-linux_x86_64.whl", "2026-11-26T00:00:00Z")]
    assert pypi.candidates({"files": out}, table) == []


# --- what the index says, bounded before it is parsed (issue 21) ----------------------------

HUGE = "0." + "1" * 5000 + ".0"
HOSTILE = [
    _file(f"numba-{HUGE}-cp311-cp311-linux_x86_64.whl", "2026-11-20T00:00:00Z"),
    _file(f"numba-{HUGE}.tar.gz", "2026-11-20T00:00:00Z"),
    _file("numba-0.69.0rc" + "1" * 5000 + "-cp311-cp311-linux_x86_64.whl", "2026-11-20T00:00:00Z"),
    _file("numba-0.69.0rc1-cp3" + "1" * 5000 + "-none-any.whl", "2026-11-20T00:00:00Z"),
    _file("numba-0.69.0rc2-cp3111111-cp3111111-linux_x86_64.whl", "2026-11-20T00:00:00Z"),
    _file("numba-" + "9" * 40 + ".0.0-cp311-cp311-linux_x86_64.whl", "2026-11-20T00:00:00Z"),
    {"filename": 42, "upload-time": "2026-11-20T00:00:00Z"},
    "not an entry",
]


def test_files_with_versions_longer_than_any_numba_are_not_numbas():
    page = {"files": [*PAGE["files"], *HOSTILE]}
    assert set(pypi.final_releases(page)) == {"0.68.1", "0.69.0", "0.68.2", "0.70.0"}
    assert set(pypi._uploads(page, candidates=True)) == {"0.69.0rc1"}


def test_refresh_over_a_hostile_index(tmp_path, monkeypatch, capsys):
    from allocbench.cli import main

    table = tmp_path / "releases.tsv"
    table.write_bytes(releases.TABLE.read_bytes())
    page = {"files": [*_page_of(releases.load())["files"], *HOSTILE]}
    monkeypatch.setattr(pypi, "fetch_project", lambda: page)
    monkeypatch.setattr(pypi, "resolve", lambda *a: pytest.fail("pip must not be asked"))
    assert main(["releases", "--refresh", "--table", str(table)]) == 0
    assert capsys.readouterr().out == "0 new releases: none\n"
    # a new release whose llvmlite, as pip's resolver reports it, is no version
    new = _file("numba-0.99.0-cp311-cp311-linux_x86_64.whl", "2026-11-30T00:00:00Z")
    page["files"].append(new)
    monkeypatch.setattr(pypi, "resolve", lambda version, python: (HUGE, ">=1.22,<2.6"))
    assert main(["releases", "--refresh", "--table", str(table)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("allocbench releases: not a release or candidate version")
    assert err.count("\n") == 1 and "5004 characters" in err
    assert table.read_bytes() == releases.TABLE.read_bytes()


def test_an_upload_time_that_is_not_text_is_one_line():
    page = {"files": [_file("numba-0.68.1-cp311-cp311-linux_x86_64.whl", 1.5e9)]}
    with pytest.raises(pypi.PackageIndexError, match=r"upload time 1500000000\.0 is not a date"):
        pypi.final_releases(page)
