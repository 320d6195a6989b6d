"""The published regressions list keeps a step once it is confirmed, however late: filtering
again after a confirmation made since asv published starts from asv's own lists."""

import json

from allocbench.history import confirmations as store
from allocbench.history.commit_ids import release_by_commit
from allocbench.history.releases import load
from allocbench.report import regressions

NAME = "bench_ratio.OverControl.track_over_control('numba.zeros', '64 KiB')"
GRAPH = "graphs/machine-vm/python-3.8/bench_ratio.OverControl.track_over_control.json"
ENV = "virtualenv-py3.8-numpy1.18.5"


def _site(tmp_path):
    """asv's site as asv publish leaves it: one step of NAME at numba 0.54.0, in the list and
    the feed; and a results folder with no confirmation yet."""
    table = load()
    commits = {r.numba: c for c, r in release_by_commit(table).items()}
    html = tmp_path / "html"
    html.mkdir()
    revisions = {"10": commits["0.53.1"], "11": commits["0.54.0"]}
    (html / "index.json").write_text(json.dumps({"revision_to_hash": revisions}))
    row = [NAME, GRAPH, {"python": "3.8"}, None, 0.67, 0.49, [[10, 11, 0.49, 0.67]]]
    (html / "regressions.json").write_text(json.dumps({"regressions": [row]}))
    pair = f"{commits['0.53.1']}-{commits['0.54.0']}"
    link = f"https://x/#bench_ratio.OverControl.track_over_control?commits={pair}"
    feed = (f'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>step</title>'
            f'<link href="{link}"/></entry></feed>')  # fmt: skip
    (html / "regressions.xml").write_text(feed)
    results = tmp_path / "results"
    results.mkdir()
    return html, results, table


def _confirm(results):
    store.write_confirmation(
        store.Places(results), store.pair_key("vm", ENV, "0.53.1", "0.54.0"),
        {"machine": "vm", "env": ENV, "before": "0.53.1", "after": "0.54.0", "rounds": 5,
         "seconds": 1.0, "when": "2026-01-01T00:00:00+00:00", "anatomy": {},
         "figures": {NAME: {"verdict": "confirmed", "estimate": 1.36, "low": 1.26, "high": 1.41,
                            "p": 0.008, "before_median": 0.49, "after_median": 0.67,
                            "recorded": [0.49, 0.67]}}},
    )  # fmt: skip


def _listed(html):
    data = json.loads((html / "regressions.json").read_text())
    return [row[0] for row in data["regressions"]], "<entry>" in (
        html / "regressions.xml"
    ).read_text()


def test_a_step_confirmed_after_asv_published_is_listed_when_filtered_again(tmp_path):
    html, results, table = _site(tmp_path)
    dropped = regressions.keep_confirmed(html, results, table)
    assert [d["name"] for d in dropped] == [NAME] and _listed(html) == ([], False)
    _confirm(results)
    assert regressions.keep_confirmed(html, results, table) == []
    assert _listed(html) == ([NAME], True)
    assert json.loads((html / regressions.UNCONFIRMED).read_text()) == []


def test_filtering_again_with_the_same_confirmations_changes_nothing(tmp_path):
    html, results, table = _site(tmp_path)
    _confirm(results)
    regressions.keep_confirmed(html, results, table)
    once = {p.name: p.read_bytes() for p in html.iterdir()}
    regressions.keep_confirmed(html, results, table)
    assert {p.name: p.read_bytes() for p in html.iterdir()} == once


def test_a_filtered_list_without_asvs_copy_is_left_as_it_is(tmp_path):
    html, results, table = _site(tmp_path)
    regressions.keep_confirmed(html, results, table)
    for copy in regressions.AS_ASV_WROTE.values():
        (html / copy).unlink()
    _confirm(results)
    assert [d["name"] for d in regressions.keep_confirmed(html, results, table)] == [NAME]
    assert _listed(html) == ([], False)
