"""How the report writes a figure in words: a ratio, bytes, seconds, a span of values."""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from allocbench.catalog import MiB


def times(value: Optional[float], digits: int = 3) -> str:
    """A ratio: '1.09x', '34,311x'; 'n/a' for None."""
    if value is None:
        return "n/a"
    return f"{value:,.0f}x" if value >= 100 else f"{value:.{digits}g}x"


def nbytes(value: Optional[float]) -> str:
    """A size to the byte, with its MiB."""
    if value is None:
        return "n/a"
    return f"{int(value):,} bytes ({value / MiB:.3f} MiB)"


def seconds(value: Optional[float]) -> str:
    """Seconds in the largest unit that keeps a digit before the point."""
    if value is None:
        return "n/a"
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "us")):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value * 1e9:.3g} ns"


def span(values: Sequence[float], show: Callable[[float], str]) -> str:
    """'low to high', or one value where they are all the same."""
    low, high = min(values), max(values)
    return show(low) if low == high else f"{show(low)} to {show(high)}"
