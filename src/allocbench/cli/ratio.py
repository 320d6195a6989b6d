"""``allocbench ratio``: one path's figures over another's, from asv results."""

from __future__ import annotations

import argparse
from typing import Any, Dict, Mapping

from allocbench.catalog import HEADLINE_SIZE, format_size
from allocbench.cli.base import (
    Command,
    add_json_option,
    add_ledger_option,
    add_path_option,
    add_results_option,
    add_table_option,
    print_json,
    size_argument,
)
from allocbench.errors import UserError


class Ratio(Command):
    name = "ratio"
    help = "one path's figures over another's, from asv results"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_results_option(parser)
        add_path_option(parser, "--of", default="numba.zeros", help="the numerator's path")
        add_path_option(parser, "--to", default="numpy.zeros", help="the denominator's path")
        parser.add_argument("--nbytes", type=size_argument, default=HEADLINE_SIZE,
                            help="the size, in bytes (default: 256 MiB)")  # fmt: skip
        add_table_option(parser)
        add_ledger_option(parser)
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench import results
        from allocbench.history import ledger, releases
        from allocbench.history.commit_ids import release_by_commit

        rows = results.ratios(results.load(args.results), args.of, args.to, args.nbytes)
        if not rows:
            raise UserError(
                f"no benchmark in {args.results} measured both {args.of} and {args.to} "
                f"at {args.nbytes} bytes"
            )
        by_commit = release_by_commit(releases.load(args.table),
                                      ledger.candidate_releases(args.ledger))  # fmt: skip
        rows = [with_release(row, by_commit) for row in rows]
        if args.json:
            print_json(rows)
            return 0
        print(f"{args.of} / {args.to} at {format_size(args.nbytes)}")
        for row in rows:
            print(
                f"{row['machine']}  numba {row['numba']}  {row['env']}  {row['benchmark']}: "
                f"{row['numerator']:.4g} / {row['denominator']:.4g} = {row['ratio']:.3g}"
            )
        return 0


def with_release(row: Dict[str, object], by_commit: Mapping[str, Any]) -> Dict[str, object]:
    """`row` with the numba release its commit stands for first ("numba"; the commit's first
    8 characters where the ledger does not name it), the ledger commit kept as "commit"."""
    commit = str(row["commit"])
    release = by_commit.get(commit)
    numba = release.numba if release is not None else commit[:8]
    return {"numba": numba, **row}
