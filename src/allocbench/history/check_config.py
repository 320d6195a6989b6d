"""asv.conf.json's regression rules and the weekly workflow's matrix, derived from the catalog's
names and asv.conf.json's environments, and checked against both files.

``python -m allocbench.history.check_config`` says where they disagree (exit status 1), and
with ``--print`` writes the rules and the matrix as derived. asv.conf.json is JSON and the
workflow YAML: neither can import Python, so both are checked, not generated. It checks too
that the catalog's benchmark classes, with their parameters' names, are those asv discovers in
benchmarks/, and that every value the history's selection names is one its benchmark takes.

A regression rule is checked by what it does, not by its text: for every benchmark asv
discovers, with each combination of its parameters, on each branch, whether asv's regression
detection skips it, after which commits it looks, and its threshold, read from asv.conf.json's
keys and from the derived ones as asv reads them (``asv.plugins.regressions``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import types
from typing import Dict, List, Optional, Sequence, Tuple

from packaging.version import Version

from allocbench.catalog import (
    EVERY_RELEASE_PATHS,
    MMAP_THRESHOLD_MAX,
    PATH_INFO,
    THREAD_SIZES,
    Bench,
    Classes,
    Modules,
    size_labels,
)
from allocbench.errors import UserError
from allocbench.history import ledger, selection
from allocbench.history.environments import Environment, environments, load_config
from allocbench.history.selection import Pick, pick, regex

#: The compiled paths: numba's, the mixed ones, the fix (every path but numpy's own).
_COMPILED = tuple(p.name for p in PATH_INFO.values() if p.library != "numpy")
#: The thread sizes above glibc's mmap threshold, where each thread faults its blocks in.
_ABOVE_THRESHOLD = tuple(size_labels(tuple(n for n in THREAD_SIZES if n > MMAP_THRESHOLD_MAX)))

#: The figures the history flags, each with its threshold: those that machine noise cannot
#: make (exact counts, and ratios timed in one process on the CPU clock until steady).
#: Everything else (absolute times, numpy-only paths, the one-process cliff, resident memory,
#: thread timings, compile times, the machine facts) is on the site to read and is never
#: flagged. asv.conf.json says so by skipping every other figure
#: (`regressions_first_commits` null), which `regression_rules` derives.
WATCHED: Tuple[Tuple[Pick, float], ...] = (
    # the share of pages faulted in, medians of exact counts, for the compiled paths
    (pick(Bench.PAGES_FAULTED, path=_COMPILED), 0.05),
    # each compiled path's time over a numpy path doing the same work, timed in one process
    (pick(Modules.RATIO), 0.2),
    # the compiled code's calls
    (pick(Modules.EXPLAIN), 0.5),
    # the cliff's bytes, in fresh processes and as glibc's rules predict it
    (pick(Classes.CLIFF), 0.01),
    (pick(Classes.CLIFF_PREDICTED), 0.01),
    # numba's np.zeros on every core over perfect scaling, above the mmap threshold, where each
    # thread faults its blocks in (docs/regressions.md)
    (pick(Classes.THREAD_SCALING, path=EVERY_RELEASE_PATHS, size=_ABOVE_THRESHOLD), 0.2),
    # allocation inside one compiled loop over the same loop without it, timed in one process
    (pick(Modules.INLOOP), 0.2),
)

#: What follows a benchmark's name where asv's regression rules match it: '@' and the branch.
RULE_END = r"(?:@|$)"
#: asv's threshold where no rule gives one.
ASV_THRESHOLD = 0.05

#: The weekly workflow's runners, each with the asv machine name its results go under.
RUNNERS = (("ubuntu-latest", "gha-linux"), ("macos-latest", "gha-macos"))
#: The first numpy with wheels for macOS on arm64, what macos-latest runs on.
MACOS_ARM64_NUMPY = (1, 21)
#: The workflow, and its job that measures, one environment and runner each.
WORKFLOW = pathlib.Path(".github") / "workflows" / "history.yml"
MEASURE_JOB = "measure"


class ConfigError(UserError, RuntimeError):
    """The benchmarks cannot be discovered, or a file cannot be read; the message says why."""


def _outside(chosen: Pick) -> List[Pick]:
    """The benchmarks of `chosen`'s target that `chosen` leaves out by its parameters: for each
    of its conditions in turn, those that meet every condition before it and fail it."""
    conditions = [(n, v, True) for n, v in chosen.where] + [(n, v, False) for n, v in chosen.unless]
    left = []
    for i, (name, values, inside) in enumerate(conditions):
        where = tuple((n, v) for n, v, keep in conditions[:i] if keep)
        unless = tuple((n, v) for n, v, keep in conditions[:i] if not keep)
        if inside:
            unless += ((name, values),)
        else:
            where += ((name, values),)
        left.append(Pick(chosen.target, where, unless))
    return left


def unwatched(watched: Sequence[Pick]) -> List[Pick]:
    """Every benchmark of the catalog that `watched` leaves out, by module, class, benchmark id
    and parameters. `watched` picks one thing at most in each class."""
    left: List[Pick] = []
    for module in Modules.all():
        here = [p for p in watched if p.module == module]
        if not here:
            left.append(pick(module))
            continue
        if any(p.bench_class is None for p in here):
            continue
        for cls in (c for c in Classes.all() if c.module == module):
            mine = [p for p in here if p.bench_class == cls]
            if not mine:
                left.append(pick(cls))
                continue
            if len(mine) > 1 or mine[0].but:
                raise ValueError(f"watch one benchmark or one class of {cls.id}, not {mine}")
            if mine[0].bench_id:
                left.append(pick(cls, but=[mine[0].bench_id]))
            left.extend(_outside(mine[0]))
    return left


def regression_rules() -> Tuple[Dict[str, Optional[str]], Dict[str, float]]:
    """asv.conf.json's `regressions_first_commits` and `regressions_thresholds` as the catalog
    and the ledger give them: the release candidates flagged only after the releases' branch,
    every figure but `WATCHED` skipped, and each watched figure's threshold."""
    first: Dict[str, Optional[str]] = {f".*@{re.escape(ledger.CANDIDATES)}$": ledger.BRANCH}
    first.update((regex(p, RULE_END), None) for p in unwatched([p for p, _ in WATCHED]))
    return first, {regex(p, RULE_END): threshold for p, threshold in WATCHED}


#: What asv's regression detection does with one figure: None where it skips it, else the
#: commits it looks after and the threshold.
Treatment = Optional[Tuple[Tuple[str, ...], float]]


def treatment(
    first: Dict[str, Optional[str]], thresholds: Dict[str, float], name: str
) -> Treatment:
    """What asv's regression detection does with the figure `name` (a benchmark's name with its
    parameters, '@' and the branch) under the rules `first` and `thresholds`, read as asv reads
    them (asv.plugins.regressions._GraphDataFilter): each key matched with re.match, any null
    first commit skips the figure, and the largest threshold counts (ASV_THRESHOLD if none)."""
    after = []
    for key, commit in first.items():
        if re.match(key, name):
            if commit is None:
                return None
            after.append(commit)
    found = [float(t) for key, t in thresholds.items() if re.match(key, name)]
    return tuple(sorted(set(after))), max(found, default=ASV_THRESHOLD)


def discover(root: pathlib.Path) -> List[dict]:
    """The benchmarks asv discovers in `root`'s benchmark folder, as asv does (its own discovery
    script, run by this Python): each one's name, parameters (each value's repr) and parameter
    names."""
    from asv import runner

    folder = (root / load_config(root).get("benchmark_dir", "benchmarks")).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        listing = pathlib.Path(tmp) / "benchmarks.json"
        command = [
            sys.executable,
            runner.BENCHMARK_RUN_SCRIPT,
            "discover",
            str(folder),
            str(listing),
        ]
        done = subprocess.run(command, cwd=tmp, capture_output=True, text=True)
        if done.returncode != 0 or not listing.is_file():
            why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            raise ConfigError(f"asv cannot discover the benchmarks in {folder}: {why}")
        return json.loads(listing.read_text())


def names(benchmarks: Sequence[dict]) -> List[str]:
    """Every benchmark's name with each combination of its parameters, as asv matches them."""
    found = []
    for bench in benchmarks:
        if bench["params"]:
            found += [f"{bench['name']}({', '.join(combination)})"
                      for combination in itertools.product(*bench["params"])]  # fmt: skip
        else:
            found.append(bench["name"])
    return found


def selected(benchmarks: Sequence[dict], regexes: Sequence[str]) -> List[str]:
    """The names (`names`) that asv's --bench `regexes` select among `benchmarks`, by asv's own
    matching (asv.benchmarks.Benchmarks); none for no regex (asv would run them all)."""
    from asv.benchmarks import Benchmarks

    if not regexes:
        return []
    chosen = Benchmarks(types.SimpleNamespace(benchmark_dir=""), benchmarks, regex=list(regexes))
    found = []
    for bench in benchmarks:
        if bench["name"] not in chosen:
            continue
        if not bench["params"]:
            found.append(bench["name"])
            continue
        combinations = list(itertools.product(*bench["params"]))
        found += [f"{bench['name']}({', '.join(combinations[i])})"
                  for i in chosen.benchmark_selection[bench["name"]]]  # fmt: skip
    return found


def catalog_disagreements(benchmarks: Sequence[dict]) -> List[str]:
    """Where the catalog's classes (with their parameters' names) and benchmark ids differ from
    the `benchmarks` asv discovers, and every value the history's selection names that its
    benchmark does not take."""
    params = {b["name"].rsplit(".", 1)[0]: tuple(b["param_names"]) for b in benchmarks}
    named = {c.id: c.param_names for c in Classes.all()}
    found = [
        f"the catalog does not name benchmark class {c}" for c in sorted(set(params) - set(named))
    ]
    found += [
        f"catalog.Classes names {c}, which asv does not discover"
        for c in sorted(set(named) - set(params))
    ]
    found += [f"catalog.Classes gives {c} parameters {named[c]}; benchmarks/ has {params[c]}"
              for c in sorted(set(named) & set(params)) if named[c] != params[c]]  # fmt: skip
    ids = {b["name"] for b in benchmarks}
    found += [
        f"catalog.Bench names {b}, which asv does not discover" for b in Bench.all() if b not in ids
    ]
    picks = {p for picks in selection.SELECTIONS.values() for p in picks}
    picks.update(p for p, _ in WATCHED)
    for chosen in sorted(picks, key=str):
        cls = chosen.bench_class
        if cls is None or cls.id not in params:
            continue
        takes = {}
        for bench in benchmarks:
            if bench["name"].startswith(cls.id + "."):
                for name, values in zip(bench["param_names"], bench["params"]):
                    takes.setdefault(name, set()).update(values)
        for name, values in (*chosen.where, *chosen.unless):
            found += [f"{cls.id} takes no {name} {v!r} (the history names it)"
                      for v in values if repr(v) not in takes.get(name, ())]  # fmt: skip
    return found


def regression_disagreements(conf: dict, benchmarks: Sequence[dict]) -> List[str]:
    """Every figure of `benchmarks` that asv.conf.json's regression rules (`conf`) treat
    otherwise than `regression_rules` do, on every branch asv.conf.json names."""
    first, thresholds = regression_rules()
    rules = conf.get("regressions_first_commits", {}), conf.get("regressions_thresholds", {})
    if not all(isinstance(r, dict) for r in rules):
        raise ConfigError("asv.conf.json: regressions_first_commits and regressions_thresholds "
                          "are not JSON objects")  # fmt: skip
    branches = conf.get("branches") or [""]
    found = []
    for name in names(benchmarks):
        for branch in branches:
            figure = f"{name}@{branch}" if branch else name
            derived, configured = treatment(first, thresholds, figure), treatment(*rules, figure)
            if derived != configured:
                found.append(f"{figure}: asv.conf.json {_treated(configured)}, the catalog "
                             f"{_treated(derived)}")  # fmt: skip
    return found


def _treated(how: Treatment) -> str:
    if how is None:
        return "never flags it"
    after = f" after {', '.join(how[0])}" if how[0] else ""
    return f"flags it over {how[1]:g}{after}"


def runs_on(env: Environment, runner: str) -> bool:
    """Whether the workflow measures `env` on `runner`: Linux runs every environment; macOS
    (arm64) those whose numpy has wheels for it, with stock numba under the system's malloc (no
    glibc for GLIBC_TUNABLES; the patched numba is built on Linux only, where the compilers are
    known; the preloaded allocators are Debian's and Ubuntu's packages)."""
    if runner != "macos-latest":
        return True
    if env.tunables or env.build or env.allocator:
        return False
    return Version(env.numpy).release[:2] >= MACOS_ARM64_NUMPY


def workflow_matrix(envs: Sequence[Environment]) -> List[Dict[str, str]]:
    """The measure job's matrix: one entry per runner and environment it runs, each named as asv
    names it, with its Python, the asv machine name of the runner, and `allocator: true` where
    another malloc is preloaded (the workflow installs the allocators there)."""
    return [{"os": runner, "machine": machine, "python": env.python, "env": env.name,
             **({"allocator": True} if env.allocator else {})}
            for runner, machine in RUNNERS for env in envs if runs_on(env, runner)]  # fmt: skip


def matrix_disagreements(envs: Sequence[Environment], workflow: dict) -> List[str]:
    """Where the measure job's matrix in `workflow` (history.yml, loaded) differs from
    `workflow_matrix(envs)`."""
    try:
        entries = workflow["jobs"][MEASURE_JOB]["strategy"]["matrix"]["include"]
    except (KeyError, TypeError):
        return [f"{WORKFLOW} has no jobs.{MEASURE_JOB}.strategy.matrix.include"]
    key = json.dumps
    have = [key(e, sort_keys=True) for e in entries]
    want = [key(e, sort_keys=True) for e in workflow_matrix(envs)]
    found = [f"{WORKFLOW}'s matrix lacks {w}" for w in want if w not in have]
    found += [f"{WORKFLOW}'s matrix has {h}, which asv.conf.json's environments do not give"
              for h in have if h not in want]  # fmt: skip
    found += [f"{WORKFLOW}'s matrix has {h} twice" for h in sorted(set(have)) if have.count(h) > 1]
    return found


def disagreements(root: pathlib.Path, benchmarks: Optional[Sequence[dict]] = None) -> List[str]:
    """Everything `root`'s asv.conf.json, history.yml and benchmarks/ disagree on with the
    catalog and the history's selection; `benchmarks` as `discover(root)` gives them."""
    import yaml

    conf = load_config(root)
    if benchmarks is None:
        benchmarks = discover(root)
    try:
        workflow = yaml.safe_load((root / WORKFLOW).read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {WORKFLOW}: {exc}") from None
    return [
        *catalog_disagreements(benchmarks),
        *regression_disagreements(conf, benchmarks),
        *matrix_disagreements(environments(conf), workflow),
    ]


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Check the repository in the current folder (or --root); print what disagrees."""
    parser = argparse.ArgumentParser(prog="python -m allocbench.history.check_config",
                                     description=__doc__.splitlines()[0])  # fmt: skip
    parser.add_argument("--root", type=pathlib.Path, default=pathlib.Path.cwd())
    parser.add_argument("--print", action="store_true", dest="show",
                        help="write the regression rules and the matrix as derived")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        if args.show:
            first, thresholds = regression_rules()
            print(json.dumps({"regressions_first_commits": first,
                              "regressions_thresholds": thresholds}, indent=4))  # fmt: skip
            for entry in workflow_matrix(environments(load_config(args.root))):
                print(f"- {json.dumps(entry)}")
            return 0
        found = disagreements(args.root)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in found:
        print(line, file=sys.stderr)
    if found:
        return 1
    print("asv.conf.json, history.yml and benchmarks/ agree with the catalog")
    return 0


if __name__ == "__main__":
    sys.exit(main())
