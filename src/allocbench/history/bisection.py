"""Bisect numba's first-parent line between two releases to the commit that moved a figure.

The line runs from the merge-base of the two release tags (the old end, where the older
release's branch left the main line) to the newer tag (the new end), oldest first. Both ends
are built (``commit_build``) and measured first alone, alternating: where the rank test finds
no step between them beyond the threshold, nothing is bisected. Then every probe is measured
in fresh processes alternating with both: per round old, probe, new, then new, probe, old.
``bisect_verdict`` judges each probe "old" or "new" by the rank test; a probe it cannot
place is measured for more rounds, up to a bound, and then skipped as "unclear", with the
figures. A commit that cannot be built, installed or imported, or gives no figure in ATTEMPTS
fresh processes running, is skipped with the reason (as asv's find skips). The probe chosen
is the untried commit nearest the middle of what is left. The search ends at the
first new commit after the last old one; where skipped commits lie between them, all are
named. At most `max_builds` builds are made in one run.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from allocbench.errors import UserError
from allocbench.history import bisect_verdict, ranktest
from allocbench.history.commit_build import Build, Builder, Unbuildable

OLD, NEW, UNCLEAR = bisect_verdict.OLD, bisect_verdict.NEW, bisect_verdict.UNCLEAR
SKIPPED = "skipped"
#: Fresh processes of each (old end, probe, new end) per probe, and the most it may take.
ROUNDS = 5
MAX_ROUNDS = 8
#: Fresh processes run for one figure before a build counts as giving none.
ATTEMPTS = 5
#: Builds one run may make: a line of 1,000 commits needs 2 ends and 10 probes.
MAX_BUILDS = 16


class BisectError(UserError):
    """The bisection cannot start or go on; the message says why."""


class NotMeasured(Exception):
    """A fresh process gave no figure for a build; the message says why."""


#: One fresh process of a build: the figure's value.
Measurer = Callable[[Build], float]


@dataclass
class Probe:
    """One commit tried: its verdict and the figures it rests on."""

    commit: str
    #: Its place on the line (0 = oldest after the old end).
    index: int
    verdict: str
    reason: str = ""
    values: Dict[str, List[float]] = field(default_factory=dict)
    tests: Dict[str, Any] = field(default_factory=dict)
    build_seconds: Optional[float] = None
    cached: bool = False

    def median(self, which: str = "probe") -> Optional[float]:
        found = self.values.get(which) or []
        return statistics.median(found) if found else None

    def as_dict(self) -> Dict[str, Any]:
        return {"commit": self.commit, "index": self.index, "verdict": self.verdict,
                "reason": self.reason, "values": self.values, "tests": self.tests,
                "build_seconds": self.build_seconds, "cached": self.cached}  # fmt: skip


@dataclass
class Outcome:
    """What a bisection found."""

    base: str
    line: List[str]
    probes: List[Probe] = field(default_factory=list)
    #: The last commit judged old (the base where none was), and the first judged new.
    last_old: str = ""
    first_new: str = ""
    #: The commits the change may be in: the first new one, and those skipped before it.
    suspects: List[str] = field(default_factory=list)
    #: Builds made by this run (not found cached), their seconds, and the whole run's.
    builds: int = 0
    cached: int = 0
    build_seconds: List[float] = field(default_factory=list)
    seconds: float = 0.0
    #: Why the search stopped before one commit was left, or "".
    stopped: str = ""
    ends: Dict[str, Build] = field(default_factory=dict)
    #: The ends' own check before any probe: their values and the test.
    end_values: Dict[str, List[float]] = field(default_factory=dict)
    end_test: Dict[str, Any] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return len(self.suspects) == 1 and not self.stopped

    def probe_of(self, commit: str) -> Optional[Probe]:
        return next((p for p in self.probes if p.commit == commit), None)


def next_probe(low: int, high: int, tried: Sequence[int]) -> Optional[int]:
    """The untried index strictly between `low` and `high` nearest their middle (the lower of
    two as near); None where none is left."""
    left = [i for i in range(low + 1, high) if i not in tried]
    if not left:
        return None
    middle = (low + high) / 2
    return min(left, key=lambda i: (abs(i - middle), i))


class Search:
    """One bisection: the line, how to build and measure, and how long to go on."""

    def __init__(
        self,
        base: str,
        line: Sequence[str],
        build: Builder,
        measure: Measurer,
        threshold: float,
        rounds: int = ROUNDS,
        max_rounds: int = MAX_ROUNDS,
        max_builds: int = MAX_BUILDS,
        say: Callable[[str], None] = print,
    ) -> None:
        if not line:
            raise BisectError("no commits between the two releases: nothing to bisect")
        if rounds < 4:
            raise BisectError("at least 4 rounds are needed for the rank test to reach p < 0.05")
        self.base, self.line = base, list(line)
        self.build, self.measure, self.threshold = build, measure, threshold
        self.rounds, self.max_rounds, self.max_builds = rounds, max(rounds, max_rounds), max_builds
        self.say = say
        self.outcome = Outcome(base, self.line)

    def _built(self, commit: str) -> Build:
        found = self.build(commit)
        if found.cached:
            self.outcome.cached += 1
        else:
            self.outcome.builds += 1
            self.outcome.build_seconds.append(found.seconds)
        return found

    def _end(self, commit: str, which: str) -> Build:
        try:
            return self._built(commit)
        except Unbuildable as exc:
            raise BisectError(f"the {which} end {commit[:12]} cannot be built: {exc}") from None

    def _one(self, build: Build, which: str) -> float:
        """One fresh process's figure; a process that gives none is run again, up to
        ATTEMPTS in all (a busy machine makes a figure that must settle n/a now and then)."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self.measure(build)
            except NotMeasured as exc:
                self.say(f"  no figure from {build.commit[:12]} ({attempt} of {ATTEMPTS}): {exc}")
                if attempt < ATTEMPTS:
                    continue
                if which == "probe":
                    raise
                raise BisectError(
                    f"the {which} end {build.commit[:12]} gave no figure in {ATTEMPTS} fresh "
                    f"processes running: {exc}"
                ) from None
        raise AssertionError("unreachable")

    def check_ends(self) -> None:
        """Measure both ends alone, alternating (old, new, new, old, ...): BisectError where
        they do not differ beyond the threshold by the rank test."""
        ends, values = self.outcome.ends, {"old": [], "new": []}
        for k in range(self.rounds):
            for which in ("old", "new") if k % 2 == 0 else ("new", "old"):
                values[which].append(self._one(ends[which], which))
        found = ranktest.compare(values["old"], values["new"])
        self.outcome.end_values = values
        self.outcome.end_test = {k: (None if v == float("inf") else v)
                                 for k, v in vars(found).items()}  # fmt: skip
        if not (bisect_verdict.differs(found) and ranktest.beyond(found.estimate, self.threshold)):
            raise BisectError(f"no step between the ends here: {found.before_median:.4g} -> "
                              f"{found.after_median:.4g}, {found.estimate:.3g}x, p={found.p:.3f} "
                              f"over {self.rounds} + {self.rounds} fresh processes (threshold "
                              f"{self.threshold:.0%})")  # fmt: skip
        self.say(f"the ends: {found.before_median:.4g} -> {found.after_median:.4g}, "
                 f"{found.estimate:.3g}x, p={found.p:.3f}")  # fmt: skip

    def judge(self, probe: Probe, build: Build) -> None:
        """Measure `build` against both ends until the verdict is clear or the rounds run
        out; the verdict goes into `probe`."""
        ends = self.outcome.ends
        values: Dict[str, List[float]] = {"old": [], "probe": [], "new": []}
        wanted, done = self.rounds, 0
        while True:
            while done < wanted:
                order = ("old", "probe", "new") if done % 2 == 0 else ("new", "probe", "old")
                for which in order:
                    target = build if which == "probe" else ends[which]
                    values[which].append(self._one(target, which))
                done += 1
            found = bisect_verdict.classify(values["old"], values["probe"], values["new"],
                                            self.threshold)  # fmt: skip
            if found.verdict != UNCLEAR or done >= self.max_rounds:
                break
            wanted = done + 1
        probe.verdict, probe.reason = found.verdict, found.reason
        probe.values, probe.tests = values, found.as_dict()

    def run(self) -> Outcome:
        """The bisection, from both ends' builds to the first new commit."""
        started = time.monotonic()
        out = self.outcome
        out.ends["old"] = self._end(self.base, "old")
        out.ends["new"] = self._end(self.line[-1], "new")
        self.check_ends()
        low, high, tried = -1, len(self.line) - 1, []  # the base is old, the tip new
        while True:
            index = next_probe(low, high, tried)
            if index is None:
                break
            if out.builds >= self.max_builds:
                out.stopped = f"over the cap of {self.max_builds} builds a run"
                break
            tried.append(index)
            commit = self.line[index]
            self.say(f"probe {len(tried)}: {commit[:12]} ({index + 1} of {len(self.line)}; "
                     f"old up to {low + 1}, new from {high + 1})")  # fmt: skip
            probe = Probe(commit, index, SKIPPED)
            out.probes.append(probe)
            try:
                build = self._built(commit)
                probe.build_seconds, probe.cached = build.seconds, build.cached
                self.judge(probe, build)
            except Unbuildable as exc:
                probe.reason = f"cannot be built: {exc}"
            except NotMeasured as exc:
                probe.reason = f"cannot be measured: {exc}"
            self.say(f"  {probe.verdict}: {probe.reason}")
            if probe.verdict == OLD:
                low = index
            elif probe.verdict == NEW:
                high = index
        out.last_old = self.base if low < 0 else self.line[low]
        out.first_new = self.line[high]
        out.suspects = self.line[low + 1 : high + 1]
        out.seconds = round(time.monotonic() - started, 1)
        return out
