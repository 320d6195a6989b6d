"""asv figures measured again in this process: ``python -m allocbench.harness.figure NAME...``.

Given benchmark names as asv writes them (``bench_ratio.OverControl.track_over_control(
'numba.zeros', '256 MiB')``), it imports the class from the benchmark folder as asv does (the
folder is a package), calls ``setup(*params)`` and the ``track_`` method, and prints one JSON
line after ``FIGURES_MARK``: each figure's value, or n/a with the reason where setup raises
NotImplementedError (as asv shows n/a; measure.TooNoisy is one). Only ``track_`` benchmarks
are measured; any other is n/a. With ``--anatomy NBYTES`` it also measures
``allocbench.harness.anatomy.parts(NBYTES)`` where that module exists, and with ``--part
PART@NBYTES`` one part as bench_anatomy's setup does (``anatomy.measure_part``) without
importing the benchmark folder, whose import compiles every path (allocbench bisect uses it:
at some of numba's development commits an unrelated path crashes the process).

Runs inside asv's environments: Python 3.8 syntax, standard library and the harness only.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import json
import pathlib
import sys
import traceback
from typing import Dict, List, Optional, Sequence, Tuple

#: What precedes the one JSON line of results on standard output.
FIGURES_MARK = "ALLOCBENCH-FIGURES "


def parse_name(name: str) -> Tuple[str, str, str, Tuple[object, ...]]:
    """(module, class, method, parameters) of an asv benchmark name with its parameters."""
    head, _, rest = name.partition("(")
    parts = head.split(".")
    if len(parts) != 3 or not all(p.isidentifier() for p in parts):
        raise ValueError(f"not module.Class.method: {head!r}")
    params: Tuple[object, ...] = ()
    if rest:
        if not rest.endswith(")"):
            raise ValueError(f"unbalanced parameters: {name!r}")
        value = ast.literal_eval("(" + rest[:-1] + ",)")
        params = tuple(value)
    return parts[0], parts[1], parts[2], params


def _import_class(folder: pathlib.Path, module: str, cls: str) -> type:
    parent = str(folder.resolve().parent)
    if parent not in sys.path:
        sys.path.insert(0, parent)
    loaded = importlib.import_module(f"{folder.name}.{module}")
    return getattr(loaded, cls)


def measure_one(folder: pathlib.Path, name: str) -> Dict[str, object]:
    """{"value": float} or {"na": reason} for the figure `name`."""
    try:
        module, cls, method, params = parse_name(name)
    except (ValueError, SyntaxError) as exc:
        return {"na": f"not a benchmark name: {exc}"}
    if not method.startswith("track_"):
        return {"na": "only track_ benchmarks are measured here"}
    try:
        instance = _import_class(folder, module, cls)()
        if hasattr(instance, "setup"):
            instance.setup(*params)
        value = getattr(instance, method)(*params)
    except NotImplementedError as exc:
        return {"na": str(exc) or type(exc).__name__}
    except Exception as exc:  # a failure is a result of this process, not a stop
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return {"na": f"failed: {last}"}
    finally:
        teardown = getattr(locals().get("instance"), "teardown", None)
        if teardown is not None:
            with contextlib.suppress(Exception):
                teardown(*params)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return {"na": f"not a number: {value!r}"}
    return {"value": float(value)}


def anatomy_of(sizes: Sequence[int]) -> Dict[str, object]:
    """{str(nbytes): {part: seconds, or {"na": why}}} from allocbench.harness.anatomy, where
    it exists; {"missing": why} where it does not."""
    try:
        from allocbench.harness import anatomy  # type: ignore[attr-defined]
    except ImportError as exc:
        return {"missing": f"allocbench.harness.anatomy: {exc}"}
    found: Dict[str, object] = {}
    for nbytes in sizes:
        try:
            parts = anatomy.parts(nbytes)
        except NotImplementedError as exc:
            found[str(nbytes)] = {"na": str(exc) or type(exc).__name__}
            continue
        each: Dict[str, object] = {}
        for part in anatomy.PARTS:
            seconds = getattr(parts, part, None)
            reason = parts.reason(part) if hasattr(parts, "reason") else None
            each[part] = {"na": reason or "n/a"} if seconds is None else float(seconds)
        found[str(nbytes)] = each
    return found


def part_figure(part: str, nbytes: int) -> Dict[str, object]:
    """{"value": seconds} or {"na": reason} of one part of a call at `nbytes`, as
    bench_anatomy's setup and track_seconds give it."""
    try:
        from allocbench.harness import anatomy  # type: ignore[attr-defined]

        value = anatomy.measure_part(part, nbytes).seconds
    except NotImplementedError as exc:
        return {"na": str(exc) or type(exc).__name__}
    except Exception as exc:  # a failure is a result of this process, not a stop
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return {"na": f"failed: {last}"}
    return {"value": float(value)}


def run(
    folder: pathlib.Path,
    names: Sequence[str],
    sizes: Sequence[int] = (),
    parts: Sequence[Tuple[str, int]] = (),
) -> dict:
    """Every figure of `names`, then the anatomy at `sizes`, then each (part, nbytes) of
    `parts` (as "part@nbytes"); with numba's version."""
    figures = {name: measure_one(folder, name) for name in names}
    measured = {f"{p}@{n}": part_figure(p, n) for p, n in parts}
    numba_version: Optional[str] = None
    try:
        import numba

        numba_version = numba.__version__
    except ImportError:
        pass
    result = {"numba": numba_version, "figures": figures}
    if parts:
        result["parts"] = measured
    if sizes:
        result["anatomy"] = anatomy_of(sizes)
    return result


def _part(text: str) -> Tuple[str, int]:
    part, _, nbytes = text.partition("@")
    if not part.isidentifier() or not nbytes.isdigit():
        raise argparse.ArgumentTypeError(f"not PART@NBYTES: {text!r}")
    return part, int(nbytes)


def main(argv: Optional[List[str]] = None) -> int:
    """Measure the figures named on the command line; print them as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m allocbench.harness.figure")
    parser.add_argument("--benchmarks", required=True, type=pathlib.Path,
                        help="asv's benchmark folder (a package)")  # fmt: skip
    parser.add_argument("--anatomy", type=int, action="append", default=[], metavar="NBYTES")
    parser.add_argument("--part", type=_part, action="append", default=[], metavar="PART@NBYTES")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    result = run(args.benchmarks, args.names, args.anatomy, args.part)
    sys.stdout.flush()
    print(FIGURES_MARK + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
