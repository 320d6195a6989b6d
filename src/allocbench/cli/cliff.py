"""``allocbench cliff``: where np.zeros turns lazy, and where numba's faults every page."""

from __future__ import annotations

import argparse

from allocbench.catalog import MiB, format_size
from allocbench.cli.base import Command, add_json_option, print_json


class Cliff(Command):
    name = "cliff"
    help = "bisect, in this process, the sizes where np.zeros turns lazy or eager"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.harness import cliff

        figures = cliff.locate()
        if args.json:
            print_json(figures)
            return 0
        facts = figures["machine"].items()
        print(", ".join(f"{k.replace('_', ' ')}: {v or 'none'}" for k, v in facts))
        for key in ("numpy_zeros_lazy_from", "numba_zeros_faults_every_page_from"):
            value = figures[key]
            print(f"{key.replace('_', ' ')}: {value} bytes ({value / MiB:.4f} MiB)")
        for nbytes, ratio in figures["numba_over_numpy"].items():
            print(f"numba.zeros / numpy.zeros at {format_size(int(nbytes))}: {ratio:.3g}")
        return 0
