"""The main job: numba's releases through asv, environment by environment, then the site.

Builds the release ledger, exposes the interpreters the environments need, and runs asv in
each environment of ``asv.conf.json`` over the chosen releases that can run there (the
release table decides, so no time goes into installs that cannot work), then publishes the
site. Results already on disk are kept and not measured again unless asked.
"""

from __future__ import annotations

import pathlib
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from allocbench import files
from allocbench.history import interpreters, ledger, load_log, session
from allocbench.history.environments import (
    Environment,
    HistoryError,
    asv_environment,
    environments,
    forget_stale_install,
    load_config,
)
from allocbench.history.releases import Release
from allocbench.history.scratch import remove_stale, scratch_folder
from allocbench.history.selection import (
    bridges,
    choose,
    newest_benchmarks,
    once_environment,
    plan,
    selection_for,
)
from allocbench.load import Watch

#: asv's command line, with its results files written atomically.
ASV = [sys.executable, "-m", "allocbench.history.asv_command"]


def _run(command: List[str], root: pathlib.Path, env: dict, ok: Tuple[int, ...] = (0,)) -> int:
    """Run `command` in a session of its own, so that Ctrl-C, SIGTERM and SIGHUP reach this
    process only: asv and every process it started are then stopped, and the stop goes on."""
    print("$ " + " ".join(command), flush=True)
    process = subprocess.Popen(command, cwd=root, env=env, start_new_session=True)
    try:
        code = process.wait()
    except KeyboardInterrupt:  # Ctrl-C, or errors.Stopped for SIGTERM and SIGHUP
        session.stop(process)
        raise
    if code not in ok:
        raise HistoryError(f"{' '.join(command[:4])} ... failed with exit status {code}")
    return code


@dataclass(frozen=True)
class Options:
    """What `allocbench history` was asked to do."""

    #: numba versions to run; None for the default set and the newest release.
    versions: Optional[Sequence[str]] = None
    #: asv --bench regexes; None for the history's selection.
    bench: Optional[Sequence[str]] = None
    rerun: bool = False
    publish: bool = True
    quick: bool = False
    #: only these asv environments; None for all but the bridge (unless releases are named).
    envs: Optional[Sequence[str]] = None
    #: asv machine name to record the results under.
    machine: Optional[str] = None
    #: the release candidates on the package index newer than the table's last release,
    #: instead of releases.
    candidates: bool = False


#: A machine name becomes a folder of the results directory: one plain path component.
_MACHINE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_names(bench: Sequence[str], machine: Optional[str]) -> None:
    """Refuse, before any environment is built, a --bench regex that does not compile and a
    machine name that would not be one folder inside the results directory."""
    for regex in bench:
        if not regex.strip():
            raise HistoryError("--bench '': an empty regex would select every benchmark; "
                               "leave --bench out for the history's selection")  # fmt: skip
        try:
            re.compile(regex)
        except re.error as exc:
            raise HistoryError(f"--bench {regex!r} is not a regular expression: {exc}") from None
    if machine is not None and not _MACHINE_NAME.match(machine):
        raise HistoryError(
            f"--machine {machine!r}: a machine name is letters, digits, '.', '_' and '-', "
            f"starting with a letter or digit (it names a folder of the results)"
        )


def machine_identity(machine: Optional[str]) -> List[str]:
    """`asv machine` options. A named machine (CI's) gets a fixed identity: asv keys every
    graph on the machine's os, cpu, ram and core count, so a runner image with another kernel
    or CPU would start a new series and break the history apart. The real hardware is
    recorded with the results instead, by bench_machine."""
    if not machine:
        return []
    fixed = f"fixed (see {machine}'s bench_machine figures)"
    return ["--machine", machine, "--os", platform.system(), "--arch", platform.machine(),
            "--cpu", fixed, "--num_cpu", "fixed", "--ram", "fixed"]  # fmt: skip


def _environments(conf: dict, table: Sequence[Release], options: Options) -> list:
    """The environments this run measures in: those named (each must run some release of the
    table), or else those of the default job or of --releases where some release runs."""
    envs = environments(conf)
    if options.envs:
        unknown = set(options.envs) - {e.name for e in envs}
        if unknown:
            raise HistoryError(f"no such environment: {', '.join(sorted(unknown))}; "
                               f"asv.conf.json has {', '.join(e.name for e in envs)}")  # fmt: skip
        envs = [e for e in envs if e.name in options.envs]
    elif options.versions is None:
        # The bridge only joins series; another malloc takes minutes per allocator: both run
        # with --all, or when named with --env.
        joining = bridges(envs, table)
        envs = [e for e in envs if e not in joining and not e.allocator]
    for each in envs if options.envs else []:
        if not any(each.supports(r) for r in table):
            raise HistoryError(f"no release in the table runs in {each.name}")
    return [e for e in envs if any(e.supports(r) for r in table)]


def _asv_run_command(each, hashfile: str, options: Options, selection: Sequence[str]) -> List[str]:
    command = [*ASV, "run", "-E", each.name, f"HASHFILE:{hashfile}"]
    # Samples kept, so that `asv compare` can use its statistics on any two releases.
    command += ["--show-stderr", "--record-samples"]
    command += ["--machine", options.machine] if options.machine else []
    command += [] if options.rerun else ["--skip-existing"]
    command += ["--quick"] if options.quick else []
    # asv's forkserver forks after numba and LLVM are loaded, which macOS does not allow.
    command += ["--launch-method", "spawn"] if sys.platform == "darwin" else []
    for regex in selection:
        command += ["--bench", regex]
    return command


def _measure(context: _Context, each, releases: Sequence[str], selection: Sequence[str]) -> None:
    """asv run in environment `each` over `releases` with the benchmark regexes `selection`,
    and how busy the machine was meanwhile added to the results' load log."""
    hashfile = pathlib.Path(context.env["TMPDIR"]) / "commits.txt"
    commits = [context.hashes[version] for version in releases]
    hashfile.write_text("".join(commit + "\n" for commit in commits))
    command = _asv_run_command(each, str(hashfile), context.options, selection)
    watch = Watch(children=True)
    # asv exits 2 when some benchmark failed; that is a result, not a stop.
    _run(command, context.root, context.env, ok=(0, 2))
    results_dir = context.root / context.conf.get("results_dir", "results")
    load_log.record(results_dir, machine_name(context.options.machine), each.name, commits,
                    watch.load())  # fmt: skip


def machine_name(machine: Optional[str]) -> str:
    """The asv machine name results go under: the one named, else the only one asv knows of
    (~/.asv-machine.json), else the host's name, as asv's own default."""
    if machine:
        return machine
    try:
        known = files.load_json(pathlib.Path.home() / ".asv-machine.json")
    except files.FileError:
        known = {}
    names = [k for k in known if k != "version"] if isinstance(known, dict) else []
    return names[0] if len(names) == 1 else platform.node()


def _nothing(chosen: Sequence[Release], envs: Sequence) -> str:
    return (f"nothing measured: none of numba {', '.join(r.numba for r in chosen)} can run in "
            f"{', '.join(e.name for e in envs)}")  # fmt: skip


@dataclass(frozen=True)
class Prepared:
    """A history run checked and planned, before anything is written."""

    conf: dict
    #: the releases chosen, or the candidates found
    chosen: List[Release]
    candidates: List[Release]
    envs: List[Environment]
    planned: Dict[Environment, List[Release]]


def prepare(root: pathlib.Path, table: Sequence[Release], options: Options) -> Optional[Prepared]:
    """Check and plan a history run, writing nothing; None (said why) where there is nothing
    to measure that is no mistake of the caller's, HistoryError where there is one."""
    conf = load_config(root)
    candidates: List[Release] = []
    if options.candidates:
        from allocbench.history import pypi

        candidates = pypi.candidates(pypi.fetch_project(), table)
        if not candidates:
            print(f"no release candidate newer than numba {table[-1].numba} is on the package "
                  f"index: nothing to measure")  # fmt: skip
            return None
        print(f"release candidates: {', '.join(r.numba for r in candidates)}")
    chosen = candidates or choose(table, options.versions)
    envs = _environments(conf, table, options)
    planned = plan(chosen, envs, quick_variants=options.versions is None, every=environments(conf))
    if not any(planned.values()):
        if candidates:  # a candidate that cannot run here is no mistake of the caller's
            print(_nothing(chosen, envs))
            return None
        raise HistoryError(_nothing(chosen, envs))
    return Prepared(conf, list(chosen), candidates, envs, planned)


def measure(
    root: pathlib.Path, table: Sequence[Release], options: Options, prepared: Prepared
) -> Dict[str, List[str]]:
    """Run a prepared history run; {environment name: versions run}."""
    conf, candidates, envs = prepared.conf, prepared.candidates, prepared.envs
    built = ledger.build(table, root / conf["repo"], candidates)
    hashes = dict(zip((r.numba for r in [*table, *candidates]), built))

    bindir = root / ".asv" / "bin"
    found = interpreters.expose([e.python for e in envs], bindir)
    remove_stale()
    with scratch_folder() as scratch:
        env = dict(asv_environment(bindir), TMPDIR=str(scratch))
        context = _Context(root, conf, options, hashes, found, env)
        return _run_all(context, prepared.chosen, envs, prepared.planned)


def run(root: pathlib.Path, table: Sequence[Release], options: Options) -> Dict[str, List[str]]:
    """Prepare and run the history job; {environment name: versions run}."""
    prepared = prepare(root, table, options)
    return measure(root, table, options, prepared) if prepared else {}


@dataclass(frozen=True)
class _Context:
    """What every step of one history run needs."""

    root: pathlib.Path
    conf: dict
    options: Options
    hashes: Dict[str, str]
    found: Dict[str, Optional[str]]
    #: asv's environment variables, TMPDIR the run's scratch folder.
    env: Dict[str, str]


def _run_all(
    context: _Context,
    chosen: Sequence[Release],
    envs: Sequence[Environment],
    planned: Dict[Environment, List[Release]],
) -> Dict[str, List[str]]:
    """The body of `run`, inside its scratch folder."""
    root, conf, options, env = context.root, context.conf, context.options, context.env
    found = context.found
    if options.machine or not (pathlib.Path.home() / ".asv-machine.json").exists():
        _run([*ASV, "machine", "--yes", *machine_identity(options.machine)], root, env)

    done: Dict[str, List[str]] = {}
    once = once_environment(planned)
    for each, runnable in planned.items():
        if not runnable:
            continue
        if found.get(each.python) is None:
            print(f"skipped {each.name}: no working python{each.python} found", file=sys.stderr)
            continue
        if each.tunables and platform.libc_ver()[0] != "glibc":
            print(f"skipped {each.name}: GLIBC_TUNABLES needs glibc", file=sys.stderr)
            continue
        env_dir = root / conf.get("env_dir", "env") / each.dir_name
        if forget_stale_install(env_dir, root / "src" / "allocbench"):
            print(f"{each.name}: the package changed since it was installed; reinstalling")
        started = time.monotonic()
        versions = [r.numba for r in runnable]
        if options.bench is not None:
            _measure(context, each, versions, options.bench)
        else:
            selection, newest = selection_for(each), newest_benchmarks(each, once)
            if len(versions) == 1:  # one asv run, one install
                selection, newest = [*selection, *newest], []
            _measure(context, each, versions, selection)
            if newest:
                _measure(context, each, versions[-1:], newest)
        print(f"{each.name}: {len(runnable)} releases in {time.monotonic() - started:.0f} s")
        done[each.name] = [r.numba for r in runnable]
    if not done:
        raise HistoryError(_nothing(chosen, envs))
    if options.publish:
        _run([*ASV, "publish"], root, env)
    return done
