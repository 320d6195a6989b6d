"""Release steps: the releases at which a compiled path's time over its numpy control moved,
named only where fresh processes of both releases confirmed the step (``allocbench confirm``).

One measurement per release, minutes apart, cannot tell a release's change from the machine's:
a step found in asv's results is a candidate. It is named where the confirmation found it
(rank test, interval beyond the threshold, beyond the floor), with the numba pull request
``allocbench bisect`` traced it to where one was found, listed as "not confirmed
(noise)" where the fresh processes disagree, and as "not checked" where none was made.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from allocbench.catalog import Bench, format_size
from allocbench.report.findings import Block, Href, Name, Text, bold, bullet, join
from allocbench.report.runs import Run, by_series, plain
from allocbench.report.verdicts import (
    PART_WORDS,
    Checks,
    asv_name,
    below_floor,
    family_of,
    what_moved,
)
from allocbench.report.words import times

#: A tracked ratio that moves by more than this between releases, with every release after
#: beyond every release before, is a candidate step (asv.conf.json flags both at 20%).
STEP = 1.2
#: The same-process ratios whose steps the report names, either way, and what each times.
STEPPED = {
    Bench.OVER_CONTROL: "time over its numpy control",
    Bench.IN_LOOP: "allocation inside one compiled loop over the loop alone",
}


@dataclass(frozen=True)
class Step:
    """A candidate step of one figure in a series: the adjacent releases it lies between."""

    machine: str
    env: str
    benchmark: str
    params: Tuple[object, ...]
    before: Run
    after: Run
    before_value: float
    after_value: float
    #: The median of the releases after over the median of those before.
    change: float


def find_steps(runs: Sequence[Run]) -> List[Step]:
    """Releases at which a same-process ratio of `STEPPED` (bench_ratio, bench_inloop) stepped
    in a series of one machine and environment, by asv's values: the median of the releases
    after over the median of those before beyond STEP, either way, and the two sets apart."""
    found = []
    for (machine, env), series in by_series(runs).items():
        keys = sorted({k for r in series for k in r.values if k[0] in STEPPED})
        for benchmark, params in keys:
            points = [(r, r.get(benchmark, *params)) for r in series]
            points = [(r, v) for r, v in points if v is not None]
            best = None  # the split whose two sides lie furthest apart
            for k in range(1, len(points)):
                before, after = [v for _, v in points[:k]], [v for _, v in points[k:]]
                gap = max(min(after) / max(before), min(before) / max(after))
                change = statistics.median(after) / statistics.median(before)
                if gap > 1 and not 1 / STEP < change < STEP and (best is None or gap > best[0]):
                    best = (gap, k, change)
            if best is not None:
                (a, va), (b, vb) = points[best[1] - 1], points[best[1]]
                found.append(Step(machine, env, benchmark, params, a, b, va, vb, best[2]))
    return found


def _compared(runs: Sequence[Run]) -> int:
    """Series x figure of `STEPPED` measured over two releases or more."""
    count = 0
    for series in by_series(runs).values():
        keys = {k for r in series for k in r.values if k[0] in STEPPED}
        count += sum(sum(r.values.get(k) is not None for r in series) > 1 for k in keys)
    return count


def _what(step: Step) -> Text:
    path, size = step.params
    if step.benchmark == Bench.IN_LOOP:
        return Text.of(Name(path), f" in a loop at {format_size(int(size))} (over the loop alone)")
    return Text.of(Name(path), f" at {format_size(int(size))}")


#: The parts of a call that allocation inside one compiled loop can move: there is no call,
#: unboxing or boxing per array there.
IN_LOOP_PARTS = ("alloc", "fill")


def _moved(entry: dict, nbytes: int, only: Optional[Sequence[str]] = None) -> str:
    if only is not None:
        parts = (entry.get("anatomy") or {}).get(str(nbytes)) or {}
        entry = {"anatomy": {str(nbytes): {p: v for p, v in parts.items() if p in only}}}
    part = what_moved(entry, nbytes)
    if part is None:
        return "what moved: not measured"
    words = PART_WORDS.get(part["part"], part["part"])
    return (f"what moved: {words}, {part['before_median'] * 1e9:.0f} -> "
            f"{part['after_median'] * 1e9:.0f} ns, p={part['p']:.3f}")  # fmt: skip


def _pull_request(bisection: Optional[Mapping[str, Any]]) -> Text:
    """Where allocbench bisect traced the step: the pull request (or commit), linked."""
    if not bisection:
        return Text()  # said once for the whole step, where no figure of it was bisected
    first = bisection["first_new"]
    pull = first.get("pull_request")
    if pull:
        came = Text.of("numba pull request ", Href(f"#{pull['number']}", pull["url"]), " ",
                       Name(pull["title"]))  # fmt: skip
    else:
        came = Text.of("numba commit ", Name(first["commit"][:12]), " ", Name(first["subject"]))
    old, new = (f"{v:.3g}" if isinstance(v, (int, float)) else "n/a"
                for v in (bisection.get("figure_old"), bisection.get("figure_new")))  # fmt: skip
    return Text.of(
        "; it came with ",
        came,
        f" (allocbench bisect: {len(bisection['probes'])} probes of "
        f"{bisection['commits']} commits; {old} at the commit before, {new} at it)",
    )


def _confirmed(step: Step, figure: dict, bisection: Optional[Mapping[str, Any]] = None) -> Text:
    pair = figure["pair"]
    only = IN_LOOP_PARTS if step.benchmark == Bench.IN_LOOP else None
    return Text.of(
        _what(step),
        f" {figure['before_median']:.3g} -> {figure['after_median']:.3g}, "
        f"{times(figure['estimate'])} [{figure['low']:.3g}, {figure['high']:.3g}], "
        f"p={figure['p']:.3f}, {pair['rounds']} + {pair['rounds']} fresh processes; "
        f"{_moved(pair, int(step.params[1]), only)}",
        _pull_request(bisection),
    )


Where = Tuple[str, str, str, str]


def _floor_blocks(checks: Checks, runs: Sequence[Run]) -> List[Block]:
    series = sorted({(r.machine, r.env) for r in plain(runs)
                     if any(b == Bench.OVER_CONTROL for b, _ in r.values)})  # fmt: skip
    blocks = []
    unmeasured: Dict[str, List[str]] = defaultdict(list)
    for machine, env in series:
        run = checks.floor.get(f"{machine}|{env}")
        if not run:
            unmeasured[machine].append(env)
            continue
        families = sorted({family_of(n) for n in run.get("figures", {})})
        shown = []
        for family in families:
            spread = checks.floor_of(machine, env, family)
            if spread is not None:
                head, _, path = family.partition("(")
                shown.append(Text.of(Name(f"{head.split('.')[1]} {path.strip(chr(39))}"),
                                     f" {spread[0]:.1%}"))  # fmt: skip
        blocks.append(bullet(
            bold("The floor"), " (", Name(env), ", ", Name(machine), "; allocbench floor: ",
            f"{run['processes']} fresh processes of numba ", Name(run["numba"]), "): the "
            "smallest change this run could detect, the widest spread (max / min - 1) of a "
            "figure of each path: ", join(shown, "; ") if shown else "no figure measured",
            ". No change within it is named."))  # fmt: skip
    for machine, envs in sorted(unmeasured.items()):
        blocks.append(bullet(bold("The floor: not measured"), " for ",
                             join([Name(env) for env in envs], ", "), " on ", Name(machine),
                             " (allocbench floor); steps there are judged by the rank test "
                             "alone."))  # fmt: skip
    return blocks


def release_steps(runs: Sequence[Run], checks: Optional[Checks] = None) -> List[Block]:
    """The candidate steps of bench_ratio, each as its confirmation (`checks`) says: named
    where confirmed beyond the floor, else not confirmed, n/a, below the floor or not
    checked; and the floor."""
    checks = checks or Checks()
    runs = plain(runs)
    compared = _compared(runs)
    if not compared:
        return [bullet(bold("Release steps: not measured."),
                       " No series here has a compiled path's time over its numpy control "
                       "(bench_ratio) or an allocation inside one compiled loop over the loop "
                       "alone (bench_inloop), each timed in one process, for two releases or "
                       "more, so nothing is said of which release changed them.")]  # fmt: skip
    lists: Dict[str, Dict[Where, List[Text]]] = defaultdict(lambda: defaultdict(list))
    bisected: Dict[Where, bool] = defaultdict(bool)
    for step in find_steps(runs):
        where = (step.after.label, step.before.label, step.env, step.machine)
        name = asv_name(step.benchmark, step.params)
        figure = checks.figure(step.machine, step.env, step.before.label, step.after.label, name,
                               (step.before_value, step.after_value))  # fmt: skip
        if figure is None:
            lists["not checked"][where].append(Text.of(_what(step), f" {times(step.change)}"))
        elif figure["verdict"] == "n/a":
            lists["n/a"][where].append(Text.of(_what(step), f": {figure['reason']}"))
        elif figure["verdict"] != "confirmed":
            lists["noise"][where].append(Text.of(
                _what(step), f" {times(figure['estimate'])} [{figure['low']:.3g}, "
                f"{figure['high']:.3g}], p={figure['p']:.3f}"))  # fmt: skip
        else:
            floor = checks.floor_of(step.machine, step.env, family_of(name))
            if floor is not None and below_floor(figure["estimate"], floor[0]):
                lists["floor"][where].append(Text.of(
                    _what(step), f" {times(figure['estimate'])}, within the floor's "
                    f"{floor[0]:.1%}"))  # fmt: skip
            else:
                found = checks.bisection(step.machine, step.env, step.before.label,
                                         step.after.label, name)  # fmt: skip
                bisected[where] |= bool(found)
                lists["confirmed"][where].append(_confirmed(step, figure, found))
    blocks: List[Block] = []
    for where, changes in lists["confirmed"].items():
        label, before, env, machine = where
        unbisected = "" if bisected[where] else "; pull request: not bisected (allocbench bisect)"
        blocks.append(bullet(bold("numba ", Name(label)), " (", Name(env), ", ", Name(machine),
                             f") changed a compiled path's time, "
                             f"confirmed against {before} in alternating fresh processes "
                             "(allocbench confirm; before -> after medians, the change with its "
                             "95% interval, the rank test's p): ", join(changes, "; "),
                             unbisected, "."))  # fmt: skip
    words = {
        "noise": ("Not confirmed (noise)", "asv's values stepped, fresh processes of both "
                  "releases did not (the change with its 95% interval, the rank test's p)"),
        "floor": ("Below the floor", "confirmed, but within what this machine's spread hides"),
        "n/a": ("Not confirmed (n/a)", "a figure is n/a in the fresh processes"),
        "not checked": ("Not checked", "a step in asv's one measurement per release, not yet "
                        "measured again (allocbench confirm); no claim is made"),
    }  # fmt: skip
    for kind, (title, why) in words.items():
        for (label, before, env, machine), changes in lists[kind].items():
            blocks.append(bullet(bold(f"{title}:"), " numba ", Name(before), " -> ",
                                 Name(label), " (", Name(env), ", ", Name(machine), f"): {why}: ",
                                 join(changes, "; "), "."))  # fmt: skip
    if not any(lists.values()):
        blocks.append(bullet(bold("No release changed"),
                             f" any compiled path's time over its numpy control or allocation "
                             f"inside one compiled loop by more than {times(STEP)} in asv's "
                             f"values (bench_ratio, bench_inloop, one process each; "
                             f"{compared} figures of a series measured over two releases or "
                             "more)."))  # fmt: skip
    return blocks + _floor_blocks(checks, runs) + _published(checks)


def _published(checks: Checks) -> List[Block]:
    """What the published regressions list left out (the site only)."""
    if checks.unconfirmed is None:
        return []
    if not checks.unconfirmed:
        return [bullet(bold("The regressions list"), " (asv's Regressions page) lists only "
                       "steps confirmed in fresh processes; every step asv flagged here was "
                       "confirmed, or it flagged none.")]  # fmt: skip
    left = [Text.of(Name(d["name"]), f" numba {d.get('before') or '?'} -> {d.get('after')}")
            for d in checks.unconfirmed]  # fmt: skip
    return [bullet(bold("Left out of the regressions list"), " (asv flagged them from one "
                   "measurement per release; fresh processes did not confirm them, or they "
                   "were not checked): ", join(left, "; "), ".")]  # fmt: skip
