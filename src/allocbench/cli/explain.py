"""``allocbench explain PATH``: the calls that allocate and fill in a path's compiled code."""

from __future__ import annotations

import argparse

from allocbench.catalog import DTYPES
from allocbench.cli.base import Command, add_json_option, add_path_option, print_json


class Explain(Command):
    name = "explain"
    help = "the calls that allocate and fill memory in a path's compiled code, from numba's IR"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_path_option(parser, "path")
        parser.add_argument("--dtype", choices=DTYPES, default=DTYPES[0])
        parser.add_argument("--ndim", type=int, choices=(1, 2), default=1)
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        import numba

        from allocbench.harness.explain import allocating_calls

        calls = allocating_calls(args.path, args.dtype, args.ndim)
        if args.json:
            print_json([call.as_json() for call in calls])
            return 0
        print(f"{args.path} ({args.dtype}, {args.ndim}-D), numba {numba.__version__}: "
              f"the compiled code calls, in order:")  # fmt: skip
        for call in calls:
            whole = " (the whole block)" if call.fills_whole_block else ""
            print(f"  {call.function}({call.operands})\n      {call.meaning}{whole}")
        if not calls:
            print("  nothing that allocates or fills: the array comes from outside")
        return 0
