"""allocbench notify against a fake GitHub API (a local http.server, no network): a planted
confirmed regression opens one issue; a second run updates it, never a second issue; a run
that no longer confirms it closes it, and one that confirms it again reopens it; API errors
are one line and exit 1."""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from allocbench.cli import main
from allocbench.cli.notify import pages_url, run_url
from allocbench.history import commit_ids, releases
from allocbench.history import confirmations as store
from allocbench.notify import found, issue_text
from allocbench.results.rules import result_filename

REPO = "someone/allocbench"
MACHINE = "gha-linux"
ENV = "virtualenv-py3.11-numpy1.24.4"
BENCH = "bench_ratio.OverControl.track_over_control"
FIGURE = f"{BENCH}('numba.zeros', '64 KiB')"
COLUMNS = ["result", "params", "version", "started_at", "duration"]
#: What asv recorded for the figure at each release (the other size stays flat).
RECORDED = {"0.57.1": 1.0, "0.68.1": 1.4}


class FakeGitHub(BaseHTTPRequestHandler):
    """The issues API of one repository, as the notify module calls it."""

    def log_message(self, *args):
        pass

    def _answer(self, status, data):
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _handle(self, method):
        state = self.server.state
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        data = json.loads(self.rfile.read(length)) if length else None
        state["calls"].append((method, url.path, self.headers.get("Authorization"), data))
        if state["fail"]:
            return self._answer(state["fail"][0], {"message": state["fail"][1]})
        if state["redirect"]:
            self.send_response(301)
            self.send_header("Location", state["redirect"] + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        base = f"/repos/{REPO}/issues"
        issues = state["issues"]
        if method == "GET" and url.path == base:
            query = parse_qs(url.query)
            label, page = query["labels"][0], int(query["page"][0])
            per_page = int(query["per_page"][0])
            chosen = [i for i in issues.values() if label in [lb["name"] for lb in i["labels"]]]
            return self._answer(200, chosen[(page - 1) * per_page : page * per_page])
        if method == "POST" and url.path == base:
            number = max(issues, default=0) + 1
            issues[number] = {"number": number, "title": data["title"], "body": data["body"],
                              "state": "open", "labels": [{"name": n} for n in data["labels"]],
                              "html_url": f"https://github.com/{REPO}/issues/{number}"}  # fmt: skip
            return self._answer(201, issues[number])
        parts = url.path[len(base) + 1 :].split("/")
        number = int(parts[0]) if parts[0].isdigit() else None
        if number not in issues:
            return self._answer(404, {"message": "Not Found"})
        if method == "PATCH" and len(parts) == 1:
            issues[number].update(data)
            return self._answer(200, issues[number])
        if method == "POST" and parts[1:] == ["comments"]:
            state["comments"].append((number, data["body"]))
            return self._answer(201, {"id": len(state["comments"])})
        return self._answer(404, {"message": "Not Found"})

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PATCH(self):
        self._handle("PATCH")


@pytest.fixture
def github(monkeypatch):
    """The fake API's state; the environment pointed at it, as Actions sets it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitHub)
    server.state = {"issues": {}, "comments": [], "calls": [], "fail": None, "redirect": None}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                 "ALL_PROXY"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_TOKEN", "secret-token")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_RUN_ID", "1234")
    yield server.state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def commits():
    by_commit = commit_ids.release_by_commit(releases.load())
    return {release.numba: commit for commit, release in by_commit.items()}


def _plant_results(results, commits):
    """asv results of 0.57.1 and 0.68.1: the figure rose by 40% at 0.68.1."""
    folder = results / MACHINE
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "machine.json").write_text(json.dumps({"machine": MACHINE, "version": 1}))
    for version, value in RECORDED.items():
        row = [[value, 0.9], [["'numba.zeros'"], ["'64 KiB'", "'16 MiB'"]], "v", 0, 1.0]
        data = {"commit_hash": commits[version], "env_name": ENV,
                "params": {"machine": MACHINE, "python": "3.11", "numpy": "1.24.4",
                           "os": "Linux"},
                "requirements": {"numpy": "1.24.4"}, "env_vars": {}, "date": 0,
                "python": "3.11", "result_columns": COLUMNS, "results": {BENCH: row},
                "version": 2}  # fmt: skip
        (folder / result_filename(commits[version], ENV)).write_text(json.dumps(data))
    (results / "benchmarks.json").write_text(json.dumps({
        BENCH: {"version": "v", "params": [["'numba.zeros'"], ["'64 KiB'", "'16 MiB'"]],
                "param_names": ["path", "size"]},
        "version": 2}))  # fmt: skip


def _confirm(results, verdict="confirmed", estimate=1.4, recorded=None):
    """The confirmation allocbench confirm keeps for the step, with `verdict`."""
    figure = {"verdict": verdict, "estimate": estimate, "low": 1.3, "high": 1.5, "p": 0.0079,
              "before_median": 1.0, "after_median": estimate, "threshold": 0.2,
              "recorded": recorded or list(RECORDED.values()), "source": "asv"}  # fmt: skip
    store.write_confirmation(
        store.Places(results),
        store.pair_key(MACHINE, ENV, "0.57.1", "0.68.1"),
        {"machine": MACHINE, "env": ENV, "before": "0.57.1", "after": "0.68.1", "rounds": 5,
         "seconds": 10.0, "when": "2026-12-01T00:00:00+00:00", "anatomy": {},
         "figures": {FIGURE: figure}},
    )  # fmt: skip


@pytest.fixture
def results(tmp_path, commits):
    path = tmp_path / "results"
    _plant_results(path, commits)
    _confirm(path)
    return path


def _notify(results, capsys, *extra):
    code = main(["notify", "--results", str(results), "--json", *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)["issues"]


def _writes(state):
    return [(m, p) for m, p, _, _ in state["calls"] if m != "GET"]


def test_a_confirmed_regression_opens_one_issue_naming_the_release_figure_step_and_graph(
    github, results, capsys, commits
):
    done = _notify(results, capsys)
    assert [d["action"] for d in done] == ["open"]
    (issue,) = github["issues"].values()
    assert issue["state"] == "open" and issue["labels"] == [{"name": "regression"}]
    assert "numba 0.68.1" in issue["title"] and FIGURE in issue["title"]
    assert "0.57.1" in issue["title"]
    body = issue["body"]
    assert body.startswith(issue_text.marker(f"{FIGURE}|0.57.1|0.68.1"))
    # before, after, change, interval, p, processes
    assert "| gha-linux | virtualenv-py3.11-numpy1.24.4 | 1 | 1.4 | 1.4x | [1.3, 1.5] " in body
    assert "| 0.0079 | 5 + 5 |" in body
    graph = body.split("[graph](")[1].split(")")[0]
    assert graph.startswith("https://someone.github.io/allocbench/index.html#" + BENCH + "?")
    query = parse_qs(urlsplit(graph).fragment.split("?", 1)[1])
    assert query["p-path"] == ["'numba.zeros'"] and query["p-size"] == ["'64 KiB'"]
    assert query["machine"] == [MACHINE] and query["numpy"] == ["1.24.4"]
    assert query["commits"] == [f"{commits['0.57.1']}-{commits['0.68.1']}"]
    assert "os" not in query
    assert all(auth == "Bearer secret-token" for _, _, auth, _ in github["calls"])


def test_a_second_run_updates_the_issue_and_opens_no_other(github, results, capsys):
    _notify(results, capsys)
    assert [d["action"] for d in _notify(results, capsys)] == ["unchanged"]
    assert _writes(github) == [("POST", f"/repos/{REPO}/issues")]
    _confirm(results, estimate=1.45)  # measured again: a new change
    done = _notify(results, capsys)
    assert [(d["action"], d["number"]) for d in done] == [("update", 1)]
    assert len(github["issues"]) == 1
    assert "1.45x" in github["issues"][1]["body"]


def test_a_run_that_no_longer_confirms_it_closes_it_and_a_later_one_reopens_it(
    github, results, capsys
):
    _notify(results, capsys)
    _confirm(results, verdict="not confirmed (noise)")
    assert [(d["action"], d["number"]) for d in _notify(results, capsys)] == [("close", 1)]
    assert github["issues"][1]["state"] == "closed"
    ((number, note),) = github["comments"]
    assert number == 1 and "no longer confirms" in note
    assert "https://github.com/someone/allocbench/actions/runs/1234" in note
    assert _notify(results, capsys) == []  # closed stays closed
    _confirm(results)
    assert [(d["action"], d["number"]) for d in _notify(results, capsys)] == [("reopen", 1)]
    assert len(github["issues"]) == 1 and github["issues"][1]["state"] == "open"


def test_a_confirmation_the_results_no_longer_hold_is_not_a_regression(results):
    table = releases.load()
    assert [r.key for r in found.confirmed(results, table)] == [f"{FIGURE}|0.57.1|0.68.1"]
    _confirm(results, recorded=[1.0, 1.3])  # asv has measured again since
    assert found.confirmed(results, table) == []
    _confirm(results, estimate=0.7)  # a confirmed fall is no regression
    assert found.confirmed(results, table) == []


def test_issues_of_others_and_pull_requests_are_left_alone(github, results, capsys):
    github["issues"][7] = {"number": 7, "title": "slow", "body": "by hand", "state": "open",
                           "labels": [{"name": "regression"}], "html_url": "x"}  # fmt: skip
    github["issues"][8] = {"number": 8, "title": "pr", "state": "open", "pull_request": {},
                           "body": issue_text.marker(f"{FIGURE}|0.57.1|0.68.1"),
                           "labels": [{"name": "regression"}], "html_url": "y"}  # fmt: skip
    done = _notify(results, capsys)
    assert [(d["action"], d["number"]) for d in done] == [("open", 9)]
    assert github["issues"][7]["state"] == "open" and github["issues"][7]["body"] == "by hand"
    assert github["issues"][8]["body"].startswith("<!--")


def test_a_dry_run_writes_nothing(github, results, capsys, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    done = _notify(results, capsys, "--dry-run")
    assert [(d["action"], d["number"]) for d in done] == [("open", None)]
    assert github["issues"] == {} and _writes(github) == []
    assert all(auth is None for _, _, auth, _ in github["calls"])
    assert main(["notify", "--results", str(results), "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith("would open a new issue: numba 0.68.1")


def _fails(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("allocbench notify: ") and "Traceback" not in err
    return err


def test_api_errors_are_one_line_and_exit_1(github, results, capsys, monkeypatch):
    github["fail"] = (403, "Resource not accessible\nby integration")
    err = _fails(capsys, ["notify", "--results", str(results)])
    assert "GitHub API GET /issues: HTTP 403 Resource not accessible by integration" in err
    assert "secret-token" not in err
    github["fail"] = (500, "boom")
    assert "HTTP 500 boom" in _fails(capsys, ["notify", "--results", str(results)])
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")  # nothing listens there
    assert "cannot reach http://127.0.0.1:9" in _fails(capsys, ["notify", "--results",
                                                               str(results)])  # fmt: skip


def test_the_token_goes_to_the_api_alone(github, results, capsys, monkeypatch):
    port = os.environ["GITHUB_API_URL"].rsplit(":", 1)[1]
    github["redirect"] = f"http://localhost:{port}"  # another host name: not followed
    assert "HTTP 301" in _fails(capsys, ["notify", "--results", str(results)])
    assert len(github["calls"]) == 1
    monkeypatch.setenv("GITHUB_API_URL", "http://api.example.com")  # the token in clear
    assert "not an API address" in _fails(capsys, ["notify", "--results", str(results)])


def test_user_mistakes_are_one_line_and_exit_1(github, results, capsys, monkeypatch, tmp_path):
    args = ["notify", "--results", str(results)]
    assert "not a GitHub repository" in _fails(capsys, [*args, "--repository", "a/b/../c"])
    assert "not a GitHub repository" in _fails(capsys, [*args, "--repository", "a/.."])
    assert "not an http(s) address" in _fails(capsys, [*args, "--site-url", "file:///x"])
    assert "no such results directory" in _fails(capsys, ["notify", "--results",
                                                          str(tmp_path / "none")])  # fmt: skip
    monkeypatch.delenv("GITHUB_TOKEN")
    assert "GITHUB_TOKEN is not set" in _fails(capsys, args)
    monkeypatch.delenv("GITHUB_REPOSITORY")
    assert "no repository" in _fails(capsys, [*args, "--dry-run"])
    (results.parent / "confirmations.json").write_text("{")
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    assert "damaged confirmations file" in _fails(capsys, [*args, "--dry-run"])


def test_each_figure_and_step_has_its_own_marker_and_the_site_its_address():
    ids = {issue_text.issue_id(k) for k in ("a|1|2", "a|2|3", "b|1|2")}
    assert len(ids) == 3
    assert issue_text.marker_of("x\n" + issue_text.marker("a|1|2")) == issue_text.issue_id("a|1|2")
    assert issue_text.marker_of("<!-- allocbench-regression nothex -->") is None
    assert pages_url("Someone/allocbench") == "https://someone.github.io/allocbench/"
    assert pages_url("someone/someone.github.io") == "https://someone.github.io/"
    assert (
        run_url(
            {
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_REPOSITORY": REPO,
                "GITHUB_RUN_ID": "5",
            }
        )
        == f"https://github.com/{REPO}/actions/runs/5"
    )
    assert run_url({}) is None


def test_the_issue_names_the_pull_request_bisect_traced_the_step_to(github, results, capsys):
    _notify(results, capsys)
    (issue,) = github["issues"].values()
    step = f"{MACHINE}|{ENV}|0.57.1|0.68.1"
    assert (
        f"Not traced to a numba pull request yet: `allocbench bisect --step '{step}'`."
        in (issue["body"])
    )
    pull = {"number": 8235, "title": "Make the NRT stats counters optional.",
            "url": "https://github.com/numba/numba/pull/8235"}  # fmt: skip
    traced = {"first_new": {"commit": "e4295a412457" + "0" * 28, "pull_request": pull}}
    places = store.Places(results)
    store.write_bisection(places, store.bisection_key(MACHINE, ENV, "0.57.1", "0.68.1", FIGURE),
                          traced)  # fmt: skip
    done = _notify(results, capsys)
    assert [d["action"] for d in done] == ["update"]
    (issue,) = github["issues"].values()
    assert (
        "Traced by `allocbench bisect` to numba pull request [#8235 Make the NRT stats "
        "counters optional.](https://github.com/numba/numba/pull/8235)."
    ) in issue["body"]
