"""``allocbench bisect``: the numba commit and pull request at which a figure took its new value."""

from __future__ import annotations

import argparse
import pathlib

from allocbench.cli.base import (
    Command,
    add_json_option,
    add_numba_git_option,
    add_results_option,
    add_table_option,
    numba_git,
    positive_int,
    print_json,
)
from allocbench.errors import UserError


class Bisect(Command):
    name = "bisect"
    help = "bisect numba's git history to the pull request that moved a figure between releases"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "figure",
            nargs="?",
            metavar="FIGURE",
            help="asv track_ name with parameters, or a part at a size: box@8",
        )
        parser.add_argument("--from", dest="before", metavar="VERSION", help="older release")
        parser.add_argument("--to", dest="after", metavar="VERSION", help="newer release")
        parser.add_argument(
            "--step", metavar="KEY", help="a confirmed step: machine|env|before|after"
        )
        parser.add_argument(
            "--confirmed",
            action="store_true",
            help="every confirmed step of --env not bisected yet (the weekly run's)",
        )
        parser.add_argument("--env", help="an asv environment (built here, or run by --python)")
        parser.add_argument(
            "--python",
            type=pathlib.Path,
            metavar="PYTHON",
            help="or an interpreter with the numpy to build against",
        )
        add_numba_git_option(parser)
        parser.add_argument(
            "--machine", default="local", help="its name in bisections.json (default local)"
        )
        add_results_option(parser)
        add_table_option(parser)
        parser.add_argument(
            "--rounds",
            type=positive_int,
            default=5,
            help="processes of each end and probe (default 5)",
        )
        parser.add_argument(
            "--max-rounds",
            type=positive_int,
            default=8,
            help="before an unclear probe is skipped (default 8)",
        )
        parser.add_argument(
            "--max-builds", type=positive_int, default=16, help="builds a run may make (default 16)"
        )
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.history import confirmations as store

        places = store.Places(pathlib.Path(args.results).absolute())
        if not args.confirmed:
            return self._one(args, places, args.step)
        if args.step or args.figure or args.before or args.after or not args.env:
            raise UserError("--confirmed takes --env and bisects that environment's confirmed "
                            "steps: drop FIGURE, --step, --from and --to")  # fmt: skip
        steps = pending_steps(places, args.env)
        if not steps:
            print(f"no confirmed step of {args.env} is left to bisect")
        for key in steps:
            self._one(args, places, key)
        return 0

    def _one(self, args: argparse.Namespace, places, step) -> int:
        from allocbench.history import bisect_run, releases
        from allocbench.history import confirmations as store
        from allocbench.history.bisection import Search
        from allocbench.history.commit_build import SourceBuilder
        from allocbench.history.numba_git import Repository
        from allocbench.report.confirm import PART_THRESHOLD, threshold_of

        root = pathlib.Path.cwd()
        machine, env_name, before, after, figure = (args.machine, args.env, args.before,
                                                    args.after, args.figure)  # fmt: skip
        name = bisect_run.figure_name(figure) if figure else None
        if step:
            if args.before or args.after or (args.env and not args.confirmed):
                raise UserError("--step names the releases and the environment: drop --from, "
                                "--to and --env")  # fmt: skip
            entry = store.read_confirmations(places).get(step)
            if entry is None:
                raise UserError(f"no step {step!r:.80} in {places.confirmations}")
            machine, env_name, before, after = (entry["machine"], entry["env"],
                                                entry["before"], entry["after"])  # fmt: skip
            confirmed = [n for n, f in entry["figures"].items() if f.get("verdict") == "confirmed"]
            name = name or (confirmed[0] if confirmed else None)
            if name not in confirmed:
                raise UserError(f"{step}: no confirmed figure {name!r:.80}")
        if not (name and before and after):
            raise UserError("name a FIGURE, --from and --to, or a confirmed --step")
        if not (env_name or args.python):
            raise UserError("name the environment: --env NAME (asv's) or --python PYTHON")
        bisect_run.check_names([machine])
        releases.parse_version(before, candidate=True)
        releases.parse_version(after, candidate=True)
        repo = Repository(numba_git(args))
        base, line = bisect_run.line_between(repo, before, after)
        where, interp, env_name = bisect_run.setting_for(root, places, env_name, args.python)
        say = (lambda _: None) if args.json else print
        threshold = PART_THRESHOLD if name.startswith("bench_anatomy.") else threshold_of(name)
        builder = SourceBuilder(repo, interp, places, releases.load(args.table), say)
        say(f"bisecting {name} between numba {before} and {after}: {len(line)} commits from "
            f"{base[:12]}, Python {interp.version}, numpy {interp.numpy}")  # fmt: skip
        outcome = Search(base, line, builder, bisect_run.measurer(where, name), threshold,
                         args.rounds, args.max_rounds, args.max_builds, say).run()  # fmt: skip
        about = {"figure": name, "machine": machine, "env": env_name, "python": interp.version,
                 "numpy": interp.numpy, "before": before, "after": after}  # fmt: skip
        entry = bisect_run.entry_of(outcome, repo, about, args.rounds)
        key = store.bisection_key(machine, env_name, before, after, name)
        store.write_bisection(places, key, entry)
        if args.json:
            print_json(dict(entry, key=key))
        else:
            for text in bisect_run.lines(entry):
                print(text)
        return 0


def pending_steps(places, env: str) -> list:
    """The keys of the confirmed steps of `env` whose first confirmed figure has no bisection
    yet, oldest first."""
    from allocbench.history import confirmations as store

    bisected = store.read_bisections(places)
    found = []
    for key, entry in sorted(store.read_confirmations(places).items()):
        if entry.get("env") != env:
            continue
        figures = entry.get("figures") or {}
        confirmed = [n for n, f in figures.items() if f.get("verdict") == "confirmed"]
        if not confirmed:
            continue
        done = store.bisection_key(entry["machine"], env, entry["before"], entry["after"],
                                   confirmed[0])  # fmt: skip
        if done not in bisected:
            found.append(key)
    return found
