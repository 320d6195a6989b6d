"""asv's plugin for this suite, named in asv.conf.json's ``plugins``: plain asv publishes the
front page, and asv without a ledger says in one line how to build one.

asv imports it (``plugins: [".allocbench.asv_plugin"]``) for every command that reads the
configuration, and calls ``setup`` then. ``FrontPage`` is one of asv's output publishers:
``asv publish`` runs it after writing its graphs and before its index, so it writes the
front page (``answer.html``), the link to it and the commit pages through the project's one
publishing step (``allocbench.report.site.publish_pages``), keeps in asv's regressions list
(written before it) only the confirmed steps (``allocbench.report.regressions``, with the
revisions asv passes its publishers), and drops the benchmarks without a result from the
index asv is about to write. Each ``asv publish`` starts the site anew, and each writes them
again.
"""

from __future__ import annotations

import pathlib
import sys
from typing import Any, List, Optional, Sequence

from asv.console import log
from asv.publishing import OutputPublisher
from asv.util import UserError

#: asv commands that open the repository (asv clones it with ``git clone --mirror``).
OPENS_REPO = frozenset(
    {"check", "compare", "continuous", "find", "profile", "publish", "run", "show"}
)

#: What a user without a ledger is told to run.
BUILD_LEDGER = ".venv/bin/allocbench ledger"


def command_of(argv: Sequence[str]) -> Optional[str]:
    """The asv command in `argv` (asv's own argument list), or None."""
    skip = False
    for word in argv[1:]:
        if skip:
            skip = False
        elif word == "--config":
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def config_path(argv: Sequence[str]) -> pathlib.Path:
    """The configuration asv reads: ``--config``'s, or asv.conf.json here (asv has already
    moved into the configuration's folder)."""
    for i, word in enumerate(argv):
        if word == "--config" and i + 1 < len(argv):
            return pathlib.Path(argv[i + 1])
        if word.startswith("--config="):
            return pathlib.Path(word.split("=", 1)[1])
    return pathlib.Path("asv.conf.json")


def missing_ledger(repo: str, folder: pathlib.Path) -> bool:
    """True where `repo` is a local path (relative to the configuration's `folder`, as asv
    reads it) with nothing there; a URL is asv's to fetch."""
    return "://" not in repo and not (folder / repo).exists()


def check_ledger(argv: Sequence[str]) -> None:
    """UserError, one line, where the command opens the repository and the ledger asv.conf.json
    names is not there: asv would otherwise end in a traceback from ``git clone --mirror``."""
    if command_of(argv) not in OPENS_REPO:
        return
    from asv.config import Config

    path = config_path(argv)
    if not path.is_file():
        return  # asv says so itself
    repo = str(Config.load(str(path)).repo)
    if missing_ledger(repo, path.parent):
        raise UserError(
            f"no ledger at {repo}: build it with `{BUILD_LEDGER}` (or run the main job, "
            "`bash scripts/bench.sh`)"
        )


def setup() -> None:
    """asv's hook when it imports this plugin."""
    check_ledger(sys.argv)


class FrontPage(OutputPublisher):
    """The front page, its link and the commit pages, in every ``asv publish``."""

    name = "answer"
    button_label = "Where, why, what to do"
    description = "The front page: where the slowdown appears, why, and what to do"
    order = 100  # after asv's own pages: the grid, the list, the regressions

    @classmethod
    def publish(cls, conf: Any, repo: Any, benchmarks: Any, graphs: Any, revisions: Any) -> None:
        from allocbench.errors import UserError as AllocbenchError
        from allocbench.history import ledger
        from allocbench.report import grid, regressions, site
        from allocbench.results import ResultsError

        html_dir = pathlib.Path(conf.html_dir)
        results_dir = pathlib.Path(conf.results_dir)
        try:
            table = ledger_table(conf.repo)
            candidates = ledger.candidate_releases(conf.repo)
            to_hash = regressions.revision_to_hash(revisions or {})
            left_out = regressions.keep_confirmed(html_dir, results_dir, table, candidates,
                                                  to_hash)  # fmt: skip
            log.info(f"{len(left_out)} unconfirmed steps left out of the regressions list")
            page = site.publish_pages(html_dir, results_dir, table, candidates)
        except ResultsError as exc:
            log.warning(f"no front page: {exc}")
            return
        except AllocbenchError as exc:
            raise UserError(str(exc)) from None
        dropped = drop_unmeasured(benchmarks, site.measured_benchmarks(html_dir))
        log.info(f"front page {page}; {len(dropped)} unmeasured benchmarks left out of the grid")
        tiles = grid.redraw_summaries(html_dir, graphs)
        if not grid.show_single_points(html_dir):
            log.warning("asv's grid script is not the one expected; single points not drawn")
        log.info(f"{tiles} grid tiles drawn from one plain environment each")


def ledger_table(repo: str) -> List[Any]:
    """The release table's rows the ledger at `repo` was built from, in its order (a ledger
    of a few releases names its commits by those), or the whole table."""
    from allocbench.history import ledger, releases

    table = releases.load(None)
    by_version = {release.numba: release for release in table}
    versions = [commit["version"] for commit in ledger.commits(repo)]
    if versions and all(v in by_version for v in versions):
        return [by_version[v] for v in versions]
    return table


def drop_unmeasured(benchmarks: Any, measured: Any) -> List[str]:
    """Remove from asv's benchmarks (the index it writes next) those without a graph; their
    names."""
    dropped = sorted(name for name in benchmarks if name not in measured)
    for name in dropped:
        del benchmarks[name]
    return dropped
