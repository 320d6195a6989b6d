"""Other allocators in place of glibc's malloc: whether one closes the gap, and at what cost."""

from __future__ import annotations

from typing import List, Sequence

from allocbench.catalog import HEADLINE_SIZE, PRELOAD_VARIABLE, Bench
from allocbench.report.findings import Block, Name, Text, bold, bullet, join, paragraph
from allocbench.report.runs import Run, allocator_of, headline, variants
from allocbench.report.words import nbytes, seconds, times

#: numba's np.zeros within this factor of numpy's at 256 MiB: the gap is gone.
CLOSE = 2.0


def allocators(runs: Sequence[Run]) -> List[Block]:
    """Whether another malloc removes the gap for numba's np.zeros at 256 MiB, and at what cost
    to numpy's, each beside the same machine, environment and release under glibc's."""
    found: List[Block] = []
    removes: List[Text] = []
    for run, _, base_env, _, base in variants(runs, (PRELOAD_VARIABLE,)):
        name = allocator_of(run)
        ratio = headline(run)
        if name is None or run.release is None or ratio is None:
            continue
        numpy = run.get(Bench.ALLOC, "numpy.zeros", HEADLINE_SIZE)
        glibc_numpy = base.get(Bench.ALLOC, "numpy.zeros", HEADLINE_SIZE) if base else None
        cost = numpy / glibc_numpy if numpy and glibc_numpy else None
        faults = run.get(Bench.FAULTS_ALLOC, "numba.zeros", HEADLINE_SIZE)
        numba = run.get(Bench.ALLOC, "numba.zeros", HEADLINE_SIZE)
        cliff_from = run.get(Bench.CLIFF_NUMBA)
        glibc_numba = base.get(Bench.ALLOC, "numba.zeros", HEADLINE_SIZE) if base else None
        if ratio < CLOSE:
            gain = numba / glibc_numba if numba and glibc_numba else None
            removes.append(Text.of(f"{name}, where numpy's np.zeros takes {times(cost)} its time "
                                   f"under glibc's malloc and numba's {times(gain)}"))  # fmt: skip
        found.append(bullet(
            bold(name), " (numba ", Name(run.label), ", ", Name(base_env), ", ", Name(run.machine),
            f"): at 256 MiB np.zeros inside @njit takes {times(ratio)} numpy's np.zeros"
            + (f" ({times(headline(base))} under glibc's malloc)" if base and headline(base)
               else "")
            + (f", {faults:,.0f} page faults per call" if faults is not None else "")
            + f"; numpy's np.zeros takes {seconds(numpy)}"
            + (f", {times(cost)} its time under glibc's malloc" if cost else "")
            + (f"; numba's np.zeros faults every page from {nbytes(cliff_from)}." if cliff_from
               else "; no cliff measured (bench_cliff is n/a under it).")))  # fmt: skip
    if not found:
        return [paragraph("Not measured in these results (the LD_PRELOAD environments of "
                          "asv.conf.json).")]  # fmt: skip
    verdict = (
        bullet(bold("Closes the gap"), f" (numba's np.zeros within {times(CLOSE)} of numpy's at "
               "256 MiB): ", join(removes, "; "), ".")
        if removes
        else bullet(bold("No allocator closes the gap"), f": under each, numba's np.zeros stays "
                    f"over {times(CLOSE)} numpy's at 256 MiB.")
    )  # fmt: skip
    return [verdict, *found]
