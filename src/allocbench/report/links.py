"""Links into asv's published graphs, opened on the right benchmark, parameters, axes and
environments (asv's own URL keys: p-NAME, x-axis, python, env-NAME)."""

from __future__ import annotations

import urllib.parse
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from allocbench.report.runs import VARIANT_VARIABLES


def asv_envs(variables: Mapping[str, str]) -> Dict[str, List[str]]:
    """The environments that set `variables` (and no other variant's), as asv's graph URLs
    name them: env-NAME, "[none]" for a variable not set."""
    return {f"env-{v}": [variables.get(v, "[none]")] for v in VARIANT_VARIABLES}


def graph_link(
    benchmark: str,
    x_axis: Optional[str] = None,
    log: bool = False,
    params: Optional[Dict[str, Sequence[object]]] = None,
    envs: Optional[Dict[str, Sequence[str]]] = None,
) -> str:
    """A link into asv's graph of `benchmark`, opened on the given parameter values (as the
    benchmark's code gives them), x-axis and log scale, and on the environments `envs` (asv's
    own keys and values: python, numpy, env-NAME; "[none]" for a variable not set)."""
    query: List[Tuple[str, str]] = []
    for name, values in (params or {}).items():
        query += [(f"p-{name}", repr(value)) for value in values]
    if x_axis:
        query.append(("x-axis", x_axis))
    if log:
        query.append(("y-axis-scale", "log"))
    for key, values in (envs or {}).items():
        query += [(key, value) for value in values]
    encoded = "&".join(
        f"{urllib.parse.quote(k, safe='')}={urllib.parse.quote(v, safe='')}" for k, v in query
    )
    return f"index.html#{benchmark}" + (f"?{encoded}" if encoded else "")
