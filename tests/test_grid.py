"""asv's summary grid after allocbench's publisher: each tile from one plain environment's
graph (no false step where a variant joins for one release), and single points drawn."""

import json
import pathlib
import shutil

import asv
from asv.graph import GraphSet

from allocbench.report import grid

PLAIN = {"machine": "box", "python": "3.11", "branch": "main", "env-GLIBC_TUNABLES": None}
TUNED = dict(PLAIN, **{"env-GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=131072"})


def _graphs():
    graphs = GraphSet()
    plain = graphs.get_graph("bench_cliff.Cliff.track_numba", PLAIN)
    for revision in (1, 2, 3):
        plain.add_data_point(revision, 33550201.0)
    # The tunables run the newest release only, and move the cliff down to 128 KiB.
    graphs.get_graph("bench_cliff.Cliff.track_numba", TUNED).add_data_point(3, 130937.0)
    graphs.get_graph("bench_fix.FixAgainstNumpy.track", PLAIN).add_data_point(3, 1.1)
    graphs.get_graph("bench_switch.only", TUNED).add_data_point(3, 2.0)
    return graphs


def _tile(html, name):
    return json.loads((html / "graphs" / "summary" / f"{name}.json").read_text())


def test_a_variant_measured_at_one_release_does_not_move_the_tile(tmp_path):
    graphs = _graphs()
    # asv's own tile averages the tunables in at the newest release: the false dive.
    for graph in graphs.get_summary_graphs():
        graph.save(str(tmp_path))
    assert _tile(tmp_path, "bench_cliff.Cliff.track_numba")[-1][1] < 33550201.0 / 10
    assert grid.redraw_summaries(tmp_path, graphs) == 2
    values = [y for _, y in _tile(tmp_path, "bench_cliff.Cliff.track_numba")]
    assert values == [33550201.0] * 3
    assert _tile(tmp_path, "bench_fix.FixAgainstNumpy.track") == [[3, 1.1]]
    # A benchmark measured in a variant only keeps asv's tile.
    assert _tile(tmp_path, "bench_switch.only") == [[3, 2.0]]


def test_the_reference_is_the_plain_graph_with_most_releases():
    graphs = _graphs()
    group = graphs.get_graph_group("bench_cliff.Cliff.track_numba")
    assert grid.reference_graph(group).params == PLAIN
    assert grid.reference_graph(graphs.get_graph_group("bench_switch.only")) is None
    assert not grid.is_plain(dict(PLAIN, branch="candidates"))


def test_the_grid_script_draws_a_single_point(tmp_path):
    www = pathlib.Path(asv.__file__).parent / "www" / "summarygrid.js"
    shutil.copy(www, tmp_path / "summarygrid.js")
    assert grid.show_single_points(tmp_path)
    code = (tmp_path / "summarygrid.js").read_text()
    assert "points: { show: data.length < 2" in code
    assert grid.show_single_points(tmp_path)  # a second publish: once only
    assert (tmp_path / "summarygrid.js").read_text() == code
    (tmp_path / "summarygrid.js").write_text("something else")
    assert not grid.show_single_points(tmp_path)
    assert not grid.show_single_points(tmp_path / "nowhere")
