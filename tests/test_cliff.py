"""The cliff's bisection finds known steps, and the real measurement gives sane figures."""

import json
import os
import subprocess
import sys

import pytest

from allocbench.catalog import MiB
from allocbench.cli import main
from allocbench.harness import cliff
from allocbench.harness.probes import glibc_version

PAGE = 4096


@pytest.mark.parametrize(
    "step_at", [PAGE * 257, 32 * MiB - PAGE, 32 * MiB, 32 * MiB + PAGE, 63 * MiB]
)
def test_bisection_finds_a_known_step_to_the_page(step_at):
    calls = []

    def predicate(nbytes):
        calls.append(nbytes)
        return nbytes >= step_at

    assert cliff.bisect_step(predicate, 1 * MiB if step_at > MiB else 0, 64 * MiB, PAGE) == step_at
    assert len(calls) <= 2 + 15  # the two ends, then log2(64 MiB / 4 KiB) halvings


def test_bisection_refuses_a_predicate_that_does_not_switch():
    with pytest.raises(ValueError, match="does not switch"):
        cliff.bisect_step(lambda n: True, 0, 64 * PAGE, PAGE)
    with pytest.raises(ValueError, match="does not switch"):
        cliff.bisect_step(lambda n: False, 0, 64 * PAGE, PAGE)
    with pytest.raises(ValueError, match="multiples"):
        cliff.bisect_step(lambda n: n > 5, 1, 64 * PAGE, PAGE)


def test_locate_gives_sane_figures(capsys):
    assert main(["cliff", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    for key in ("numpy_zeros_lazy_from", "numba_zeros_faults_every_page_from"):
        assert 1 * MiB < figures[key] <= 64 * MiB
        assert figures[key] % figures["page_size"] == 0
    ratios = {int(k): v for k, v in figures["numba_over_numpy"].items()}
    assert ratios[256 * MiB] > 10 * ratios[1 * MiB]


TUNABLES = {
    "glibc.malloc.mmap_threshold=131072": "a fixed 128 KiB threshold",
    "glibc.malloc.trim_threshold=18446744073709551615": "trimming off: no dynamic threshold",
}


@pytest.mark.skipif(glibc_version() is None, reason="GLIBC_TUNABLES needs glibc")
@pytest.mark.parametrize("tunables", sorted(TUNABLES))
def test_glibc_tunables_move_the_cliff_to_the_default_threshold(tunables):
    """The mechanism: with the threshold pinned (or, trimming off, no longer raised), a block
    of 128 KiB or more is mmap'd as soon as the heap's top cannot hold it (its slack is a few
    hundred KiB), so the cliff falls from about 32 MiB to well under 1 MiB."""
    env = dict(os.environ, GLIBC_TUNABLES=tunables)
    out = subprocess.run([sys.executable, "-m", "allocbench.cli", "cliff", "--json"], env=env,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    figures = json.loads(out)
    assert figures["machine"]["glibc_tunables"] == tunables
    for key in ("numpy_zeros_lazy_from", "numba_zeros_faults_every_page_from"):
        assert 128 * 1024 <= figures[key] <= 1 * MiB, (key, figures[key])
    assert figures["numba_over_numpy"][str(16 * MiB)] > 50
