"""``allocbench bisect``'s work: a figure and two releases in, the numba pull request out.

It resolves the first-parent line between the releases' tags (``numba_git``), builds numba
at each probe (``commit_build``), measures the figure in fresh processes of the interpreter
as ``allocbench confirm`` does (``sidebyside.measure_once``: the asv environment's variables,
the build folder first on PYTHONPATH, a numba cache of its own), bisects (``bisection``) and
writes what it found to bisections.json (``confirmations.write_bisection``), whose entries it
also defines: the first new commit and its pull request, the figure on each side, every
probe, the builds and the time.
"""

from __future__ import annotations

import datetime
import pathlib
import re
import statistics
from typing import Any, Dict, List, Optional, Sequence, Tuple

from allocbench.catalog import ANATOMY_PARTS, format_size, size_bytes
from allocbench.history import sidebyside
from allocbench.history.bisection import BisectError, Measurer, NotMeasured, Outcome
from allocbench.history.commit_build import Build, Interpreter, interpreter
from allocbench.history.confirmations import Places
from allocbench.history.environments import Environment, environments, load_config
from allocbench.history.numba_git import Repository
from allocbench.history.releases import parse_version

#: An anatomy part at a size, as the command takes it: ``box@8``.
_PART = re.compile(r"(" + "|".join(ANATOMY_PARTS) + r")@([1-9]\d{0,11})")
#: bench_anatomy's figure of one part at one size.
_ANATOMY_NAME = re.compile(
    r"bench_anatomy\.Anatomy\.track_seconds\('(" + "|".join(ANATOMY_PARTS) + r")', '([^']{1,20})'\)"
)
#: An asv track_ benchmark's name, with its parameters (read by the runner as literals).
_ASV_NAME = re.compile(r"[A-Za-z_]\w{0,80}\.[A-Za-z_]\w{0,80}\.track_\w{1,80}(\([^\n]{0,300}\))?")


def figure_name(text: str) -> str:
    """asv's name of the figure `text` names: an asv track_ benchmark with its parameters
    as asv writes them, or an anatomy part at a size in bytes (``box@8`` is
    ``bench_anatomy.Anatomy.track_seconds('box', '8 B')``); BisectError otherwise."""
    part = _PART.fullmatch(text) if isinstance(text, str) else None
    if part:
        size = format_size(int(part.group(2)))
        return f"bench_anatomy.Anatomy.track_seconds({part.group(1)!r}, {size!r})"
    if isinstance(text, str) and _ASV_NAME.fullmatch(text):
        return text
    raise BisectError(f"not a figure: {text!r:.80} (an asv track_ benchmark with its "
                      "parameters, or a part at a size such as box@8)")  # fmt: skip


def line_between(repo: Repository, before: str, after: str) -> Tuple[str, List[str]]:
    """The merge-base of the two releases' tags and the first-parent line from it to the
    newer tag, oldest first."""
    if parse_version(before, candidate=True) >= parse_version(after, candidate=True):
        raise BisectError(f"numba {before} is not older than {after}")
    old, new = repo.tag(before), repo.tag(after)
    base = repo.merge_base(old, new)
    line = repo.first_parent(base, new)
    if not line:
        raise BisectError(f"no commits between numba {before} and {after} on the first-parent "
                          "line")  # fmt: skip
    return base, line


def setting_for(
    root: pathlib.Path,
    places: Places,
    env_name: Optional[str],
    python: Optional[pathlib.Path],
) -> Tuple[sidebyside.Setting, Interpreter, str]:
    """Where the fresh processes run, the interpreter, and the environment's name: asv's
    environment `env_name` as asv built it; or run by `python`, an interpreter of its Python
    and numpy, with its variables (so that a bisection names a confirmed step's environment
    without asv's build); or `python` alone, no variables, named ``py3.8-numpy1.18.5``."""
    if python is None:
        if not env_name:
            raise BisectError("name the environment: --env NAME (asv's) or --python PYTHON")
        where = sidebyside.setting(root, load_config(root), env_name, places)
        return where, interpreter(where.python), env_name
    interp = interpreter(python)
    if not env_name:
        env = Environment(interp.version, interp.numpy)
        return sidebyside.Setting(root, env, interp.python, {}, places), interp, interp.key
    found = [e for e in environments(load_config(root)) if e.name == env_name]
    if not found:
        raise BisectError(f"no environment {env_name!r:.80} in asv.conf.json")
    env = found[0]
    if env.build:
        raise BisectError(f"{env_name}: its numba is a patched build, not numba's own")
    if (env.python, env.numpy) != (interp.version, interp.numpy):
        raise BisectError(f"{python} runs Python {interp.version} with numpy {interp.numpy}, "
                          f"not {env_name}'s {env.python} with {env.numpy}")  # fmt: skip
    variables = sidebyside.variables_of(env)
    return sidebyside.Setting(root, env, interp.python, variables, places), interp, env_name


def anatomy_part(name: str) -> Optional[str]:
    """``box@8`` for bench_anatomy's figure of the part box at 8 B; None for another."""
    found = _ANATOMY_NAME.fullmatch(name)
    return f"{found.group(1)}@{size_bytes(found.group(2))}" if found else None


def measurer(where: sidebyside.Setting, name: str) -> Measurer:
    """One fresh process of a build measuring the figure `name` (allocbench.harness.figure;
    a part of a call directly, as bench_anatomy's setup measures it, without importing the
    benchmark folder, whose import compiles every path)."""
    part = anatomy_part(name)

    def measure(build: Build) -> float:
        try:
            if part:
                out = sidebyside.measure_once(where, build.folder, [], parts=[part])
            else:
                out = sidebyside.measure_once(where, build.folder, [name])
        except sidebyside.SideBySideError as exc:
            raise NotMeasured(str(exc)) from None
        if out.get("numba") != build.version:
            raise NotMeasured(f"the process ran numba {out.get('numba')}, not {build.version}")
        figure = (out.get("parts" if part else "figures") or {}).get(part or name) or {}
        value = figure.get("value")
        if not isinstance(value, float) or value <= 0:
            raise NotMeasured(f"n/a: {figure.get('na', 'no positive figure')}")
        return value

    return measure


def _side(outcome: Outcome, commit: str, end: str) -> Optional[float]:
    """The figure at `commit`: its probe's median, or an end's over every probe."""
    probe = outcome.probe_of(commit)
    if probe is not None:
        return probe.median()
    values = list(outcome.end_values.get(end, []))
    values += [v for p in outcome.probes for v in p.values.get(end, [])]
    return statistics.median(values) if values else None


def _commit(repo: Repository, sha: str) -> Dict[str, Any]:
    found = repo.commit(sha)
    pull = found.pull_request()
    return {"commit": sha, "subject": found.subject[:300],
            "pull_request": None if pull is None else
            {"number": pull.number, "title": pull.title, "url": pull.url}}  # fmt: skip


def entry_of(
    outcome: Outcome, repo: Repository, about: Dict[str, str], rounds: int
) -> Dict[str, Any]:
    """What bisections.json keeps of `outcome`; `about`: figure, machine, env, python,
    numpy, before, after."""
    return dict(
        about,
        base=outcome.base,
        tip=outcome.line[-1],
        commits=len(outcome.line),
        found=outcome.found,
        stopped=outcome.stopped,
        first_new=_commit(repo, outcome.first_new),
        last_old=_commit(repo, outcome.last_old),
        suspects=list(outcome.suspects),
        figure_old=_side(outcome, outcome.last_old, "old"),
        figure_new=_side(outcome, outcome.first_new, "new"),
        ends={
            k: {
                "commit": b.commit,
                "version": b.version,
                "llvmlite": b.llvmlite,
                "values": outcome.end_values.get(k, []),
            }
            for k, b in outcome.ends.items()
        },
        end_test=outcome.end_test,
        probes=[p.as_dict() for p in outcome.probes],
        builds=outcome.builds,
        cached=outcome.cached,
        build_seconds=outcome.build_seconds,
        seconds=outcome.seconds,
        rounds=rounds,
        when=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    )


def _value(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def lines(entry: Dict[str, Any]) -> List[str]:
    """The bisection in words."""
    first, pull = entry["first_new"], entry["first_new"]["pull_request"]
    said = [f"{entry['figure']} ({entry['env']}, Python {entry['python']}, numpy "
            f"{entry['numpy']}): numba {entry['before']} -> {entry['after']}, "
            f"{entry['commits']} commits on the first-parent line"]  # fmt: skip
    for p in entry["probes"]:
        median = statistics.median(p["values"]["probe"]) if p["values"].get("probe") else None
        said.append(f"  {p['commit'][:12]} (#{p['index'] + 1}): {p['verdict']}, "
                    f"{_value(median)}: {p['reason']}")  # fmt: skip
    builds = entry["build_seconds"]
    per = f", {statistics.mean(builds):.0f} s a build" if builds else ""
    said.append(f"{len(entry['probes'])} probes, {entry['builds']} builds ({entry['cached']} "
                f"found built{per}), {entry['seconds']:.0f} s")  # fmt: skip
    if entry["stopped"]:
        said.append(f"stopped: {entry['stopped']}")
    if not entry["found"]:
        said.append("the change is in one of: " + ", ".join(s[:12] for s in entry["suspects"]))
    head = f"first new: {first['commit'][:12]} {first['subject']}"
    if pull:
        head = (f"first new: {first['commit'][:12]}, pull request #{pull['number']} "
                f"{pull['title']!r} {pull['url']}")  # fmt: skip
    said.append(head)
    said.append(f"the figure: {_value(entry['figure_old'])} at {entry['last_old']['commit'][:12]} "
                f"(last old), {_value(entry['figure_new'])} at {first['commit'][:12]} "
                "(first new)")  # fmt: skip
    return said


def check_names(names: Sequence[str]) -> None:
    """BisectError for any name that would reach a path or a key unchecked."""
    for name in names:
        if not isinstance(name, str) or not re.fullmatch(r"[\w.+-]{1,100}", name):
            raise BisectError(f"not a name: {name!r:.60}")
