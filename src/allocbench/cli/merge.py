"""``allocbench merge``: several machines' asv results into one directory, losing nothing."""

from __future__ import annotations

import argparse
import pathlib

from allocbench.cli.base import Command, add_json_option, print_json


class Merge(Command):
    name = "merge"
    help = "merge asv results directories (several machines, earlier runs) into one"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("sources", nargs="+", metavar="SOURCE", help="asv results directory")
        parser.add_argument("--into", required=True, metavar="DEST", help="merged results")
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.history import confirmations as store
        from allocbench.results import merge

        # The confirmations beside each source (allocbench confirm's) go beside the merged
        # results: read before anything is written, so a damaged one stops the merge.
        confirmed = store.gather([pathlib.Path(s) for s in args.sources])
        result, trees = merge.merge(args.sources, args.into)
        store.add_confirmations(store.Places(pathlib.Path(args.into)), confirmed)
        counts = {m: sum(n.startswith(m + "/") for n in result.results) for m in result.machines}
        if args.json:
            print_json({"into": str(args.into), "results_files": len(result.results),
                        "by_machine": dict(sorted(counts.items())), "notes": list(result.notes),
                        "confirmations": sorted(confirmed),
                        "read": [{"source": str(t.root), "results_files": len(t.results),
                                  "machines": sorted(t.machines)} for t in trees]})  # fmt: skip
            return 0
        for tree in trees:
            machines = ", ".join(sorted(tree.machines))
            print(f"read {tree.root}: {len(tree.results)} results files, machines: {machines}")
        for note in result.notes:
            print(note)
        if confirmed:
            print(f"confirmations of {len(confirmed)} release pairs kept beside {args.into}")
        print(
            f"wrote {args.into}: {len(result.results)} results files; "
            + ", ".join(f"{m}: {n}" for m, n in sorted(counts.items()))
        )
        return 0
