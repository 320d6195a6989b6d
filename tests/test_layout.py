"""The package's layout rules: which part may import which, checked on the real imports.

- the fix (``allocbench`` and its private ``_`` modules) imports nothing from the suite;
- ``catalog`` and ``errors`` use the standard library only, ``files`` that and ``errors``;
- the history, the results, the report and the command line never import numpy or numba;
- the harness imports only the fix, the catalog, errors and itself from allocbench.
"""

import ast
import json
import pathlib
import subprocess
import sys

import pytest

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "allocbench"
SUITE = ("catalog", "errors", "files", "harness", "history", "results", "report", "cli")


def _part(module: str) -> str:
    """'fix' for allocbench and its private modules, else the subpackage or module name."""
    parts = module.split(".")
    return "fix" if len(parts) == 1 or parts[1].startswith("_") else parts[1]


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: pathlib.Path):
    """Every module `path` imports (at any depth of its code), absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                yield ".".join([*base, node.module] if node.module else base)
            else:
                yield node.module
            for alias in node.names:
                yield f"{node.module}.{alias.name}" if node.module else alias.name


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
    "harness": {"fix", "catalog", "errors", "files", "harness"},
    "history": {"catalog", "errors", "files", "history"},
    "results": {"catalog", "errors", "files", "results"},
    "report": {"catalog", "errors", "files", "history", "results", "report"},
    "cli": {"catalog", "errors", "files", "harness", "history", "results", "report", "cli"},
}


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
        in ("history", "results", "report", "cli", "catalog", "errors", "files")
        and p.name != "__main__.py"
    ]
    loaded = _loaded_after(["allocbench", *modules])
    assert not loaded & {"numpy", "numba", "llvmlite", "matplotlib"}, loaded


def test_allocbench_zeros_resolves_inside_njit_without_an_import_of_the_fix():
    code = (
        "import numba, numpy as np, allocbench, sys\n"
        "assert 'allocbench._zeros' not in sys.modules\n"
        "@numba.njit\n"
        "def f(n):\n"
        "    return allocbench.zeros((n,), np.float64)\n"
        "a = f(3)\n"
        "assert a.tolist() == [0.0, 0.0, 0.0] and a.dtype == np.float64\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
