"""Whether a probe commit's figure is the old release's or the new one's: the rank test.

The probe is measured in fresh processes alternating with both ends (``history.bisection``).
First the ends must differ in those same rounds: the exact Mann-Whitney test at p < alpha,
the Hodges-Lehmann change's interval excluding 1, and the change beyond the figure's
threshold (as ``allocbench confirm`` confirms a step). Then the probe's change over the old
end, with its interval, is placed on the step (0 at the old end, 1 at the new, on a log
scale): "old" where the whole interval lies below the step's middle and the probe differs
from the new end by the test; "new" where it lies above the middle and the probe differs from
the old end; otherwise "unclear" (more rounds may settle it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence

from allocbench.history import ranktest

OLD, NEW, UNCLEAR = "old", "new", "unclear"
ALPHA = 0.05


@dataclass(frozen=True)
class Verdict:
    """A probe's verdict, why, and the tests it rests on."""

    verdict: str
    reason: str
    ends: Optional[ranktest.Comparison] = None
    versus_old: Optional[ranktest.Comparison] = None
    versus_new: Optional[ranktest.Comparison] = None

    def as_dict(self) -> Dict[str, Any]:
        found: Dict[str, Any] = {"verdict": self.verdict, "reason": self.reason}
        for name in ("ends", "versus_old", "versus_new"):
            value = getattr(self, name)
            if value is not None:
                found[name] = {k: (None if isinstance(v, float) and math.isinf(v) else v)
                               for k, v in vars(value).items()}  # fmt: skip
        return found


def differs(found: ranktest.Comparison, alpha: float = ALPHA) -> bool:
    """The test rejects no change, and the interval of the change excludes 1."""
    return found.p < alpha and found.coverage > 0 and not found.low <= 1 <= found.high


def classify(
    old: Sequence[float],
    probe: Sequence[float],
    new: Sequence[float],
    threshold: float,
    alpha: float = ALPHA,
) -> Verdict:
    """The verdict on the probe's values against both ends' values (all positive)."""
    ends = ranktest.compare(old, new, alpha)
    if not (differs(ends, alpha) and ranktest.beyond(ends.estimate, threshold)):
        return Verdict(UNCLEAR, f"the ends did not differ beyond {threshold:.0%} in these rounds "
                       f"({ends.estimate:.3g}x, p={ends.p:.3f})", ends)  # fmt: skip
    versus_old = ranktest.compare(old, probe, alpha)
    versus_new = ranktest.compare(new, probe, alpha)
    said = (f"{versus_old.estimate:.3g}x the old end [{versus_old.low:.3g}, "
            f"{versus_old.high:.3g}], {versus_new.estimate:.3g}x the new end, the step "
            f"{ends.estimate:.3g}x")  # fmt: skip
    step = math.log(ends.estimate)
    if versus_old.coverage == 0:
        return Verdict(UNCLEAR, f"too few rounds for an interval: {said}", ends, versus_old,
                       versus_new)  # fmt: skip
    placed = sorted(math.log(v) / step for v in (versus_old.low, versus_old.high))
    if placed[1] < 0.5 and differs(versus_new, alpha):
        return Verdict(OLD, said, ends, versus_old, versus_new)
    if placed[0] > 0.5 and differs(versus_old, alpha):
        return Verdict(NEW, said, ends, versus_old, versus_new)
    return Verdict(UNCLEAR, f"matches neither end clearly: {said}", ends, versus_old, versus_new)
