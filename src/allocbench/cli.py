"""The `allocbench` command: the paths and sizes, the release history, the measurements."""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from typing import Optional, Sequence

from allocbench import cliff, fresh, history, ledger, pypi, releases, report, results, sizes
from allocbench.paths import HEADLINE_PATHS, PATHS
from allocbench.probes import fits_in_memory


def _paths(args: argparse.Namespace) -> int:
    rows = [
        {"name": p.name, "library": p.library, "value": p.value, "description": p.description}
        for p in PATHS.values()
    ]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['description']}")
    return 0


def _sizes(args: argparse.Namespace) -> int:
    grids = {
        "alloc": sizes.ALLOC_SIZES,
        "use": sizes.USE_SIZES,
        "track": sizes.TRACK_SIZES,
        "layout": sizes.LAYOUT_SIZES,
        "fresh": sizes.FRESH_SIZES,
    }
    if args.json:
        print(json.dumps({k: list(v) for k, v in grids.items()}, indent=1))
        return 0
    for name, grid in grids.items():
        print(f"{name:<7} " + ", ".join(sizes.format_size(n) for n in grid))
    return 0


def _size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size in bytes: {text!r}") from None
    if value <= 0 or value % 4096:
        raise argparse.ArgumentTypeError(f"size must be a positive multiple of 4096: {value}")
    return value


def _fresh(args: argparse.Namespace) -> int:
    too_big = [n for n in args.sizes if not fits_in_memory(n, copies=2)]
    if too_big:
        print(
            "skipped, does not fit in available memory: "
            + ", ".join(sizes.format_size(n) for n in too_big),
            file=sys.stderr,
        )
    records = fresh.measure(args.paths, args.sizes, args.repeats)
    print(json.dumps(records, indent=1) if args.json else fresh.format_table(records))
    return 0


def _cliff(args: argparse.Namespace) -> int:
    try:
        figures = cliff.locate()
    except cliff.NoCliff as exc:
        print(f"allocbench cliff: this allocator shows no cliff between 16 KiB and 64 MiB "
              f"({exc})", file=sys.stderr)  # fmt: skip
        return 1
    if args.json:
        print(json.dumps(figures, indent=1))
        return 0
    print(", ".join(f"{k.replace('_', ' ')}: {v or 'none'}" for k, v in figures["machine"].items()))
    for key in ("numpy_zeros_lazy_from", "numba_zeros_faults_every_page_from"):
        print(f"{key.replace('_', ' ')}: {figures[key]} bytes ({figures[key] / sizes.MiB:.4f} MiB)")
    for nbytes, ratio in figures["numba_over_numpy"].items():
        print(f"numba.zeros / numpy.zeros at {sizes.format_size(int(nbytes))}: {ratio:.3g}")
    return 0


def _ratio(args: argparse.Namespace) -> int:
    try:
        rows = results.ratios(results.load(args.results), args.of, args.to, args.nbytes)
    except results.ResultsError as exc:
        print(f"allocbench ratio: {exc}", file=sys.stderr)
        return 1
    if not rows:
        print(
            f"allocbench ratio: no benchmark in {args.results} measured both {args.of} and "
            f"{args.to} at {args.nbytes} bytes",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{args.of} / {args.to} at {sizes.format_size(args.nbytes)}")
    for row in rows:
        print(
            f"{row['machine']}  {str(row['commit'])[:8]}  {row['env']}  {row['benchmark']}: "
            f"{row['numerator']:.4g} / {row['denominator']:.4g} = {row['ratio']:.3g}"
        )
    return 0


def _releases(args: argparse.Namespace) -> int:
    table = releases.load(args.table)
    if args.refresh:
        added, skipped = pypi.new_releases(table, pypi.fetch_project())
        for version in skipped:
            print(f"left out numba {version}: an older patch released after a newer release")
        if added:
            table = table + added
            releases.save(table, args.table)
        print(f"{len(added)} new releases: {', '.join(r.numba for r in added) or 'none'}")
        return 0
    if args.json:
        rows = [dict(zip(releases.COLUMNS, r.as_row())) for r in table]
        print(json.dumps(rows, indent=1))
        return 0
    print(releases.format_table(table), end="")
    return 0


def _ledger(args: argparse.Namespace) -> int:
    table = releases.load(args.table)
    ledger.build(table, args.dir)
    for row in ledger.commits(args.dir):
        print(f"{row['commit'][:12]}  {row['authored']}  {' '.join(row['tags'])}")
    return 0


def _report(args: argparse.Namespace) -> int:
    try:
        path = report.write(args.results, args.out, releases.load(args.table), args.machine)
    except results.ResultsError as exc:
        print(f"allocbench report: {exc}", file=sys.stderr)
        return 1
    print(f"report written to {path}")
    return 0


def _history(args: argparse.Namespace) -> int:
    table = releases.load(args.table)
    versions = [r.numba for r in table] if args.all else args.releases
    done = history.run(
        pathlib.Path.cwd(),
        table,
        versions,
        bench=None if not args.bench else args.bench,
        rerun=args.rerun,
        publish=not args.no_publish,
        quick=args.quick,
        only_envs=args.env,
        machine=args.machine,
    )
    for name, ran in done.items():
        print(f"{name}: {', '.join(ran)}")
    return 0


def _table_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table", help="release table (default: the package's releases.tsv)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `allocbench` command."""
    parser = argparse.ArgumentParser(prog="allocbench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("paths", help="list the allocation paths")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_paths)

    p = sub.add_parser("sizes", help="list the size grids, in bytes")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_sizes)

    p = sub.add_parser("fresh", help="first call in a fresh process against steady state (seconds)")
    p.add_argument("--paths", nargs="+", default=list(HEADLINE_PATHS), choices=list(PATHS))
    p.add_argument("--sizes", nargs="+", type=_size, default=list(sizes.FRESH_SIZES))
    p.add_argument("--repeats", type=int, choices=range(1, 21), default=3, metavar="1-20")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_fresh)

    p = sub.add_parser(
        "cliff", help="bisect, in this process, the sizes where np.zeros turns lazy or eager"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_cliff)

    p = sub.add_parser("ratio", help="one path's figures over another's, from asv results")
    p.add_argument("--results", default=".asv/results", help="asv results directory")
    p.add_argument("--of", default="numba.zeros", choices=list(PATHS))
    p.add_argument("--to", default="numpy.zeros", choices=list(PATHS))
    p.add_argument("--nbytes", type=_size, default=256 * sizes.MiB)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_ratio)

    p = sub.add_parser("releases", help="the release table; --refresh adds new numba releases")
    _table_option(p)
    p.add_argument("--refresh", action="store_true", help="ask the package index for new ones")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_releases)

    p = sub.add_parser("ledger", help="build or extend the git ledger of numba releases")
    _table_option(p)
    p.add_argument("--dir", default=".asv/ledger", help="where the ledger lives")
    p.set_defaults(run=_ledger)

    p = sub.add_parser("report", help="what the results say, in words and plots (report/)")
    p.add_argument("--results", default=".asv/results", help="asv results directory")
    p.add_argument("--out", default="report", help="where to write README.md and the plots")
    p.add_argument("--machine", help="only this machine's results (default: all)")
    _table_option(p)
    p.set_defaults(run=_report)

    p = sub.add_parser("history", help="run asv over numba releases and publish the site")
    _table_option(p)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--releases", nargs="+", metavar="VERSION", help="numba versions to run")
    which.add_argument("--all", action="store_true", help="every release in the table")
    p.add_argument(
        "--bench",
        action="append",
        metavar="REGEX",
        help="asv --bench regex (default: the history selection); repeatable",
    )
    p.add_argument("--rerun", action="store_true", help="measure again what has results")
    p.add_argument("--quick", action="store_true", help="asv --quick: one sample each")
    p.add_argument("--no-publish", action="store_true", help="leave the site as it is")
    p.add_argument(
        "--env",
        action="append",
        metavar="NAME",
        help="only this asv environment (e.g. virtualenv-py3.11-numpy1.24.4); repeatable",
    )
    p.add_argument("--machine", help="asv machine name to record the results under")
    p.set_defaults(run=_history)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the `allocbench` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (releases.TableError, ledger.LedgerError, pypi.PackageIndexError,
            history.HistoryError) as exc:  # fmt: skip
        print(f"allocbench {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
