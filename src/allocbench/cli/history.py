"""``allocbench history``: asv over numba's releases, environment by environment, then the site.

One run at a time per results directory (``history.lock``); files asv did not write whole are
set aside first (``results.damaged``), so that their work is measured again.
"""

from __future__ import annotations

import argparse
import pathlib

from allocbench.cli.base import Command, add_table_option


class History(Command):
    name = "history"
    help = "run asv over numba releases and publish the site"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_table_option(parser)
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--releases", nargs="+", metavar="VERSION", help="numba versions")
        which.add_argument("--all", action="store_true", help="every release in the table")
        which.add_argument(
            "--candidates",
            action="store_true",
            help="the release candidates on the package index newer than the table's last",
        )
        parser.add_argument(
            "--bench",
            action="append",
            metavar="REGEX",
            help="asv --bench regex (default: the history selection); repeatable",
        )
        parser.add_argument("--rerun", action="store_true", help="measure again what has results")
        parser.add_argument("--quick", action="store_true", help="asv --quick: one sample each")
        parser.add_argument("--no-publish", action="store_true", help="leave the site as it is")
        parser.add_argument(
            "--env",
            action="append",
            metavar="NAME",
            help="only this asv environment (e.g. virtualenv-py3.11-numpy1.24.4); repeatable",
        )
        parser.add_argument("--machine", help="asv machine name to record the results under")
        parser.add_argument("--no-confirm", action="store_true",
                            help="skip confirming the steps in fresh processes (allocbench "
                                 "confirm) before publishing")  # fmt: skip

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.history import job, lock, releases
        from allocbench.results.damaged import set_aside_damaged

        job.check_names(args.bench or [], args.machine)
        table = releases.load(args.table)
        options = job.Options(
            versions=[r.numba for r in table] if args.all else args.releases,
            bench=args.bench or None,
            rerun=args.rerun,
            publish=not args.no_publish,
            quick=args.quick,
            envs=args.env,
            machine=args.machine,
            candidates=args.candidates,
        )
        root = pathlib.Path.cwd()
        prepared = job.prepare(root, table, options)
        if prepared is None:
            return 0
        conf = prepared.conf
        results_dir = root / conf.get("results_dir", "results")
        with lock.hold(results_dir):
            for path, why in set_aside_damaged(results_dir):
                print(f"set aside {path}: {why}; its work is measured again")
            done = job.measure(root, table, options, prepared)
            for name, ran in done.items():
                print(f"{name}: {', '.join(ran)}")
            if not args.no_confirm and not options.candidates:
                from allocbench.report import confirm

                for line in confirm.lines(confirm.run(root, results_dir, table, args.machine)):
                    print(line)
            if options.publish:
                from allocbench.history import ledger
                from allocbench.report import site

                measured = ledger.candidate_releases(root / conf["repo"])
                page = site.publish(root / conf.get("html_dir", "html"), results_dir, table,
                                    measured)  # fmt: skip
                print(f"Site written to {conf.get('html_dir', 'html')}; its front page is "
                      f"{page.relative_to(root)}")  # fmt: skip
        return 0
