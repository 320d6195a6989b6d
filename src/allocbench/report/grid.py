"""asv's summary grid, made honest: each tile draws one environment's history, and a tile of a
benchmark measured for one release shows its point.

asv's tile for a benchmark is the geometric mean, release by release, of every line of every
graph of it: every machine, branch and environment. Where an environment measures only some
releases (the glibc tunables, the run-time switch, the patched build, the preloaded allocators
run the newest; each Python series its own span), the mean changes what it averages from one
release to the next, and the tile steps where nothing changed. Here each tile is redrawn from
one graph: the plain environment on the main branch with the most releases measured. asv draws
a line between points and nothing for a single point, so the grid's script also draws points
where a tile has fewer than two.
"""

from __future__ import annotations

import pathlib
from typing import Any, Iterable, List, Optional

from allocbench import files

#: The branch of the releases (the candidates' is drawn on the benchmark's own graphs).
MAIN = "main"

_LINES = "lines: {\n" + " " * 28 + "show: true,\n" + " " * 28 + "lineWidth: 2\n" + " " * 24 + "},"
_POINTS = "points: { show: data.length < 2, radius: 3 },"
_MARK = "/* allocbench: a single point is drawn */"


def is_plain(params: dict) -> bool:
    """True for a graph of the releases in an environment without variables (no glibc
    tunables, switch, patched build or preloaded allocator)."""
    if params.get("branch") not in (None, MAIN):
        return False
    return all(value in (None, "") for key, value in params.items() if key.startswith("env-"))


def measured_points(graph: Any) -> int:
    """The releases at which `graph` has a value."""
    return sum(1 for value in graph.get_data() if any(v is not None for v in _as_list(value[1])))


def _as_list(value: Any) -> List[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def reference_graph(group: Iterable[Any]) -> Optional[Any]:
    """The plain environment's graph on main with the most releases measured (ties: the first
    by its file path, so that the choice is the same from run to run); None where there is no
    plain one."""
    plain = sorted((g for g in group if is_plain(g.params)), key=lambda g: g.path)
    if not plain:
        return None
    return max(plain, key=measured_points)


def redraw_summaries(html_dir: pathlib.Path, graphs: Any) -> int:
    """Each benchmark's tile (graphs/summary/NAME.json) from its reference graph alone; the
    number of tiles redrawn. asv's own tile stays where no plain graph exists."""
    from asv.graph import make_summary_graph

    redrawn = 0
    names = sorted({graph.benchmark_name for _, graph in graphs})
    for name in names:
        graph = reference_graph(graphs.get_graph_group(name))
        if graph is None or measured_points(graph) == 0:
            continue
        make_summary_graph([graph]).save(str(html_dir))
        redrawn += 1
    return redrawn


def show_single_points(html_dir: pathlib.Path) -> bool:
    """Make the grid's script draw the point of a tile with fewer than two; False where the
    script is not the one expected (then it is left as asv wrote it)."""
    script = html_dir / "summarygrid.js"
    if not script.is_file():
        return False
    code = files.read_text(script)
    if _MARK in code:
        return True
    if code.count(_LINES) != 1:
        return False
    files.write_text(script, code.replace(_LINES, f"{_LINES}\n{_MARK}\n{_POINTS}"))
    return True
