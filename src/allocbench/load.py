"""How busy the machine was while something measured: other processes' CPU, steal, load.

Read from the kernel's counters (/proc/stat, /proc/loadavg, getrusage) at the start and the
end of a stretch of work, so a figure or a whole asv run can say what shared the machine with
it. Other processes' CPU is every core's busy time less the watcher's own (its threads, or its
waited-for children), in cores: 1.0 is one core kept busy all along by someone else.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional

#: Other processes' CPU, in cores, that leaves the cores idle enough for a figure that needs
#: every core (thread scaling): a tenth of one core, on average over the figure.
IDLE_CORES = 0.1

_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)  # user, nice, system, irq, softirq, steal
_STEAL_FIELD = 7


def _cpu_jiffies() -> Optional[List[int]]:
    """The 'cpu' line of /proc/stat (every core together), or None where there is none."""
    try:
        with open("/proc/stat") as stat:
            first = stat.readline().split()
    except OSError:
        return None
    return [int(v) for v in first[1:]] if first and first[0] == "cpu" else None


def _load_average() -> Optional[float]:
    try:
        with open("/proc/loadavg") as loadavg:
            return float(loadavg.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _own_seconds(children: bool) -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _own_switches(children: bool) -> int:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return usage.ru_nivcsw


@dataclass(frozen=True)
class Load:
    """What shared the machine over `seconds` of wall time."""

    seconds: float
    #: Other processes' CPU, in cores, on average; None where /proc/stat cannot be read.
    other_cores: Optional[float]
    #: The share of all CPU time the hypervisor gave to other guests (steal), 0 to 1.
    steal: Optional[float]
    #: The kernel's one-minute load average at the end.
    load_average: Optional[float]
    #: Involuntary context switches of the watched processes: each one is the kernel taking
    #: the core away for someone else.
    involuntary_switches: int

    def as_json(self) -> Dict[str, object]:
        return asdict(self)

    def describe(self) -> str:
        """One phrase for a reason or a report: 'other processes used 0.93 cores, ...'."""
        parts = []
        if self.other_cores is not None:
            parts.append(f"other processes used {self.other_cores:.2f} cores")
        if self.steal and self.steal >= 0.005:
            parts.append(f"{self.steal:.0%} of the CPU was stolen by the hypervisor")
        if self.load_average is not None:
            parts.append(f"load average {self.load_average:.2f}")
        parts.append(f"{self.involuntary_switches:,} involuntary context switches")
        return ", ".join(parts) + f" over {self.seconds:.1f} s"


class Watch:
    """The counters at the start of a stretch of work; `load()` reads them again."""

    def __init__(self, children: bool = False) -> None:
        self.children = children
        self.started = time.monotonic()
        self.jiffies = _cpu_jiffies()
        self.own = _own_seconds(children)
        self.switches = _own_switches(children)

    def load(self) -> Load:
        """The machine's load since the watch began."""
        seconds = max(time.monotonic() - self.started, 1e-9)
        now = _cpu_jiffies()
        own = _own_seconds(self.children) - self.own
        switches = _own_switches(self.children) - self.switches
        other_cores = steal = None
        if self.jiffies is not None and now is not None:
            tick = os.sysconf("SC_CLK_TCK")
            delta = [b - a for a, b in zip(self.jiffies, now)]
            busy = sum(delta[i] for i in _BUSY_FIELDS if i < len(delta)) / tick
            other_cores = max(0.0, (busy - own) / seconds)
            total = sum(delta)
            steal = delta[_STEAL_FIELD] / total if total and len(delta) > _STEAL_FIELD else 0.0
        return Load(seconds, other_cores, steal, _load_average(), switches)


def cores_not_idle(load: Load, threshold: float = IDLE_CORES) -> Optional[str]:
    """None where other processes left the cores idle while a figure measured, else why not,
    for an n/a."""
    if load.other_cores is None or load.other_cores <= threshold:
        return None
    return (f"the cores were not idle: {load.describe()} (a figure of every core needs them "
            f"idle, other processes under {threshold} cores)")  # fmt: skip
