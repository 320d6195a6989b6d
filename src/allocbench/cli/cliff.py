"""``allocbench cliff``: where np.zeros turns lazy and numba's faults every page, to the byte,
measured in fresh processes and predicted from glibc's malloc rules."""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING, List, Optional

from allocbench.catalog import format_bytes, format_size
from allocbench.cli.base import Command, add_json_option, print_json

if TYPE_CHECKING:
    from allocbench.harness.cliff import CliffFigures, StepFigures

ONE_PROCESS_REASON = (
    "what a long-lived process with this history sees: each probe inherits the heap top and "
    "the mmap threshold the probes before it left"
)


def _agreement(measured: int, predicted: Optional[int], why_not: Optional[str]) -> str:
    if predicted is None:
        return f"n/a ({why_not or 'no prediction'})"
    if predicted == measured:
        return f"{format_bytes(predicted)}; agree: yes"
    return (f"{format_bytes(predicted)}; agree: no "
            f"(measured - predicted = {measured - predicted:+,} B)")  # fmt: skip


def _steadiness(step: StepFigures) -> str:
    if step.monotone:
        return f"one step, {step.sizes_probed} sizes probed"
    return (f"NOT one step: holds at every size probed only from {step.always_from:,}, "
            f"{step.sizes_probed} sizes probed")  # fmt: skip


def cliff_lines(step: StepFigures, why_not: Optional[str]) -> List[str]:
    """The text lines for one cliff's figures."""
    return [
        f"  measured, a fresh process per size: {format_bytes(step.measured)}; {_steadiness(step)}",
        f"  predicted by glibc's rules (malloc request = array + {step.request_header} B): "
        + _agreement(step.measured, step.predicted, why_not),
        f"  one process, to the page: {format_bytes(step.one_process)}, {ONE_PROCESS_REASON}",
    ]


def _malloc_line(figures: CliffFigures) -> str:
    malloc, heap = figures.glibc_malloc, figures.inherited_heap
    if not malloc:
        return "glibc malloc: n/a"
    kind = "dynamic" if malloc.dynamic else "fixed"
    return (
        f"glibc malloc: mmap threshold {malloc.mmap_threshold:,} ({kind}), "
        f"trim threshold {malloc.trim_threshold:,}, top pad {malloc.top_pad:,}; "
        f"the heap each probe inherits: top {heap.top:,} B, "
        f"largest free chunk {heap.largest_free:,} B"
    )


class Cliff(Command):
    name = "cliff"
    help = "where np.zeros turns lazy or eager, to the byte: measured in fresh processes, predicted"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.harness import cliff

        figures = cliff.locate()
        if args.json:
            print_json(dataclasses.asdict(figures))
            return 0
        facts = dataclasses.asdict(figures.machine).items()
        print(", ".join(f"{k.replace('_', ' ')}: {v or 'none'}" for k, v in facts))
        print(_malloc_line(figures))
        for which, step in figures.steps():
            print(f"{which.what}, from:")
            print("\n".join(cliff_lines(step, figures.prediction_unavailable)))
        for nbytes, ratio in figures.numba_over_numpy.items():
            print(f"numba.zeros / numpy.zeros at {format_size(nbytes)}, one process: {ratio:.3g}")
        return 0
