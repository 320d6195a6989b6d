"""The package's layout rules: which part may import which, checked on the real imports.

- the fix (``allocbench`` itself and the ``allocbench.fix`` subpackage) imports nothing from the
  suite, and of what is not the standard library only numpy, numba and llvmlite;
- no allocbench module imports itself again through others (no circle), at any depth of code;
- ``catalog``, ``errors`` and ``load`` use the standard library only, ``files`` that and
  ``errors``;
- the history, the results, the report, the notifier and the command line never import numpy
  or numba;
- the harness imports only the fix, the catalog, errors, files, load and itself from allocbench.
"""

import ast
import json
import pathlib
import subprocess
import sys
from typing import Dict, Iterator, List, Set, Tuple

import pytest

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "allocbench"
SUITE = ("catalog", "errors", "files", "load", "harness", "history", "results", "report",
         "notify", "cli", "asv_plugin")  # fmt: skip


def _part(module: str) -> str:
    """'fix' for allocbench itself and allocbench.fix, else the subpackage or module name."""
    parts = module.split(".")
    return "fix" if len(parts) == 1 else parts[1]


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_statements(path: pathlib.Path) -> Iterator[Tuple[str, Tuple[str, ...]]]:
    """(module, names) for every import in `path`, at any depth of its code: () for
    ``import module``, the names taken for ``from module import a, b``; absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            yield module, tuple(alias.name for alias in node.names)


def _imports(path: pathlib.Path) -> Iterator[str]:
    """Every module `path` imports (at any depth of its code), and every name it takes from
    one as module.name; absolute names."""
    for module, names in _import_statements(path):
        yield module
        yield from (f"{module}.{name}" for name in names)


def _allocbench_imports():
    for path in sorted(SRC.rglob("*.py")):
        name = _module_name(path)
        for imported in _imports(path):
            if imported and imported.split(".")[0] == "allocbench":
                yield name, path, imported


ALLOWED = {
    "fix": {"fix"},
    "catalog": set(),
    "errors": set(),
    "files": {"errors"},
    "load": set(),
    "harness": {"fix", "catalog", "errors", "files", "load", "harness"},
    "history": {"catalog", "errors", "files", "load", "history"},
    "results": {"catalog", "errors", "files", "results"},
    "report": {"catalog", "errors", "files", "load", "history", "results", "report"},
    "notify": {"errors", "history", "results", "report", "notify"},
    "cli": {"catalog", "errors", "files", "load", "harness", "history", "results", "report"}
    | {"notify", "cli"},
    "asv_plugin": {"errors", "history", "results", "report"},
}


def _modules() -> Dict[str, pathlib.Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _import_graph() -> Dict[str, Set[str]]:
    """Each allocbench module's allocbench modules imported, at any depth of its code: a name
    taken with ``from package import name`` counts as the module package.name where there is
    one, else as the package."""
    modules = _modules()
    graph: Dict[str, Set[str]] = {}
    for name, path in modules.items():
        graph[name] = set()
        for module, names in _import_statements(path):
            inner = {f"{module}.{n}" for n in names} & set(modules)
            graph[name] |= inner
            if len(inner) < len(names) or not names:
                graph[name] |= {module} & set(modules)
    return graph


def _circles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The strongly connected parts of `graph` that are circles (two modules or more, or one
    that imports itself), each sorted (Tarjan's algorithm)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    found: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            part = []
            while not part or part[-1] != node:
                part.append(stack.pop())
            if len(part) > 1 or node in graph.get(node, ()):
                found.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_circle_finder_finds_circles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "d"}, "e": {"a"}, "f": set()}
    assert _circles(graph) == [["a", "b", "c"], ["d"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_through_others():
    graph = _import_graph()
    assert "allocbench.fix.patch" in graph["allocbench"], "the graph misses lazy imports"
    circles = [
        " -> ".join(part)
        + ": "
        + "; ".join(f"{m} imports {', '.join(sorted(graph[m] & set(part)))}" for m in part)
        for part in _circles(graph)
    ]
    assert not circles, "\n".join(circles)


def test_every_module_belongs_to_a_known_part():
    parts = {_part(_module_name(p)) for p in SRC.rglob("*.py")}
    assert parts <= set(ALLOWED), parts - set(ALLOWED)
    assert {"fix", *SUITE} <= parts


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_imports_follow_the_layout(part):
    wrong = [
        f"{name} imports {imported}"
        for name, _, imported in _allocbench_imports()
        if _part(name) == part
        and _part(imported) != part
        and _part(imported) not in ALLOWED[part]
        and imported != "allocbench"
    ]
    assert not wrong, "\n".join(wrong)


def test_the_fix_imports_nothing_from_the_suite():
    for name, _, imported in _allocbench_imports():
        if _part(name) == "fix":
            assert _part(imported) == "fix", f"{name} imports {imported}"


def test_the_fix_is_allocbench_and_its_subpackage_only():
    fix = sorted(name for name in _modules() if _part(name) == "fix")
    assert fix[:2] == ["allocbench", "allocbench.fix"]
    assert all(name.startswith("allocbench.fix.") for name in fix[2:]), fix
    assert not [p.name for p in SRC.glob("_*.py") if p.name != "__init__.py"]


def test_the_fix_needs_only_numpy_numba_and_llvmlite():
    known = set(sys.stdlib_module_names) | {
        "__future__",
        "allocbench",
        "numpy",
        "numba",
        "llvmlite",
    }
    for name, path in _modules().items():
        if _part(name) == "fix":
            outside = {i.split(".")[0] for i in _imports(path)} - known
            assert not outside, f"{name} imports {outside}"


def test_the_catalog_names_the_fixs_switch_variable():
    """The catalog may import nothing but the standard library, so it spells the switch's
    variable again: the same name as the fix's, which owns it."""
    from allocbench.catalog import SWITCH_VARIABLE
    from allocbench.fix import environment

    assert SWITCH_VARIABLE == environment.SWITCH_VARIABLE


def test_catalog_and_errors_use_the_standard_library_only():
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    for module in ("catalog.py", "errors.py"):
        outside = {i.split(".")[0] for i in _imports(SRC / module)} - stdlib
        assert not outside, f"{module} imports {outside}"


def _loaded_after(modules):
    code = (
        "import json, sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


def test_host_side_parts_never_load_numpy_or_numba():
    modules = [
        _module_name(p)
        for p in sorted(SRC.rglob("*.py"))
        if _part(_module_name(p))
        in ("history", "results", "report", "notify", "cli", "catalog", "errors", "files")
        and p.name != "__main__.py"
    ]
    loaded = _loaded_after(["allocbench", *modules])
    assert not loaded & {"numpy", "numba", "llvmlite", "matplotlib"}, loaded


def test_allocbench_zeros_resolves_inside_njit_without_an_import_of_the_fix():
    code = (
        "import numba, numpy as np, allocbench, sys\n"
        "assert 'allocbench.fix.zeros' not in sys.modules\n"
        "@numba.njit\n"
        "def f(n):\n"
        "    return allocbench.zeros((n,), np.float64)\n"
        "a = f(3)\n"
        "assert a.tolist() == [0.0, 0.0, 0.0] and a.dtype == np.float64\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
