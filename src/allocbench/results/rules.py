"""What a file of an asv results directory must be: one rule for every reader.

The report, ``ratio``, ``merge`` and the history's setting aside of damaged files all judge a
file here, so that a file one of them accepts no other refuses. A file is read only if it is a
regular file of bounded size and nesting (``allocbench.files``); a results file must be what
asv 0.6 writes: its version, its machine the folder it is in, its name the one asv gives its
commit and environment, and every benchmark's row a measurement.
"""

from __future__ import annotations

import math
import os
import pathlib
from typing import Optional, Sequence

from asv import results as asv_results

from allocbench.errors import UserError
from allocbench.files import FileError, load_json

BENCHMARKS = "benchmarks.json"
MACHINE = "machine.json"
#: The "version" asv writes into each kind of file (asv 0.5 and 0.6).
API_VERSIONS = {BENCHMARKS: 2, MACHINE: 1, "results": 2}


class ResultsError(UserError):
    """The results directory is missing, empty, or holds something asv did not write."""


def result_filename(commit: str, env: str) -> str:
    """The name asv gives the results of `commit` in environment `env` (asv's own rule)."""
    return os.path.basename(asv_results.get_filename("machine", commit, env))


def kind_of(path: pathlib.Path) -> str:
    """Which kind of asv file `path` is by its name: benchmarks, machine or results."""
    return path.name if path.name in (BENCHMARKS, MACHINE) else "results"


def row_flaw(columns: Sequence[str], row: list) -> Optional[str]:
    """Why a benchmark's row of an asv results file is not a measurement (its result not a
    list, not one value per parameter combination, a value that is not a number), or None.
    asv's own reader pads or drops values that do not match, and keeps any value."""
    entry = dict(zip(columns, row))
    values, params = entry.get("result"), entry.get("params") or []
    if values is None:
        return None
    if not isinstance(values, list):
        return f"not a list: {values!r}"
    if not isinstance(params, list) or not all(isinstance(p, list) for p in params):
        return f"parameters that are not lists: {params!r}"
    expected = math.prod(len(p) for p in params)
    if len(values) != expected:
        return f"{len(values)} values for {expected} parameter sets"
    for value in values:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if value is not None and not number:
            return f"a value that is not a number: {value!r}"
    return None


def _load(path: pathlib.Path, kind: str) -> dict:
    try:
        data = load_json(path)
    except FileError as exc:
        raise ResultsError(str(exc)) from None
    if not isinstance(data, dict) or data.get("version") != API_VERSIONS[kind]:
        raise ResultsError(f"{path}: not an asv {kind} file of version {API_VERSIONS[kind]}")
    return data


def _results_flaw(path: pathlib.Path, data: dict) -> Optional[str]:
    machine = path.parent.name
    try:
        commit, env, columns = data["commit_hash"], data["env_name"], data["result_columns"]
        if not (isinstance(commit, str) and isinstance(env, str)):
            return "its commit_hash and env_name are not text"
        if data["params"]["machine"] != machine:
            return f"its machine is {data['params']['machine']!r}, not its folder's {machine!r}"
        if not isinstance(data["results"], dict) or not isinstance(columns, list):
            return "its results are not a mapping of rows"
        if not all(isinstance(c, str) for c in columns):
            return "its result_columns are not names"
        for benchmark, row in data["results"].items():
            if not isinstance(row, list):
                return f"malformed entry for {benchmark} (not a list: {row!r})"
            flaw = row_flaw(columns, row)
            if flaw and flaw.startswith(("not a list", "parameters")):
                return f"malformed entry for {benchmark} ({flaw})"
            if flaw:
                return f"{benchmark} has {flaw}"
        missing = next((k for k in ("requirements", "date", "python") if k not in data), None)
        if missing is not None:  # asv's reader needs them
            return f"not an asv results file (no {missing!r})"
    except (KeyError, TypeError) as exc:
        return f"not an asv results file (no {exc})"
    if path.name != result_filename(commit, env):
        return f"asv would name this result {result_filename(commit, env)}"
    return None


def read(path: pathlib.Path) -> dict:
    """The checked contents of the asv file `path` (its kind by its name); ResultsError,
    naming the file and what is wrong, for anything asv would not have written."""
    kind = kind_of(path)
    data = _load(path, kind)
    if kind == MACHINE and data.get("machine") != path.parent.name:
        raise ResultsError(f"{path}: names machine {data.get('machine')!r}")
    if kind == "results":
        flaw = _results_flaw(path, data)
        if flaw:
            raise ResultsError(f"{path}: {flaw}")
    return data


def flaw(path: pathlib.Path) -> Optional[str]:
    """Why `path` is not a file asv would have written (without its name), or None."""
    try:
        read(path)
    except ResultsError as exc:
        text, prefix = str(exc), f"{path}: "
        return text[len(prefix) :] if text.startswith(prefix) else text
    return None
