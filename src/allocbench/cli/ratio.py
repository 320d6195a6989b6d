"""``allocbench ratio``: one path's figures over another's, from asv results."""

from __future__ import annotations

import argparse

from allocbench.catalog import HEADLINE_SIZE, PATH_NAMES, format_size
from allocbench.cli.base import (
    Command,
    add_json_option,
    add_results_option,
    print_json,
    size_argument,
)
from allocbench.errors import UserError


class Ratio(Command):
    name = "ratio"
    help = "one path's figures over another's, from asv results"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_results_option(parser)
        parser.add_argument("--of", default="numba.zeros", choices=PATH_NAMES)
        parser.add_argument("--to", default="numpy.zeros", choices=PATH_NAMES)
        parser.add_argument("--nbytes", type=size_argument, default=HEADLINE_SIZE)
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench import results

        rows = results.ratios(results.load(args.results), args.of, args.to, args.nbytes)
        if not rows:
            raise UserError(
                f"no benchmark in {args.results} measured both {args.of} and {args.to} "
                f"at {args.nbytes} bytes"
            )
        if args.json:
            print_json(rows)
            return 0
        print(f"{args.of} / {args.to} at {format_size(args.nbytes)}")
        for row in rows:
            print(
                f"{row['machine']}  {str(row['commit'])[:8]}  {row['env']}  {row['benchmark']}: "
                f"{row['numerator']:.4g} / {row['denominator']:.4g} = {row['ratio']:.3g}"
            )
        return 0
