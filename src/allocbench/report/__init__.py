"""allocbench report: what the asv results say about the slowdown, in words, tables and plots.

Reads a results directory (any machines, environments and releases), names each commit by
its numba release (``commits``: the ledger's commit ids, computed from the release table), and
writes ``report/README.md`` and two plots (``readme``). Each section (``sections``) turns the
runs (``runs``) into findings (``findings``): data, which ``render_markdown`` writes as the
README and ``render_html`` as the published site's front page (``front_page``). Every sentence
is computed from the results it reads: a figure that is not in them is reported as not
measured, never filled in.
"""

from __future__ import annotations

from allocbench.report.readme import make_folder, write

__all__ = ["make_folder", "write"]
