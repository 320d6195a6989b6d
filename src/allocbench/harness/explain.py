"""What the compiled code of an allocation path calls to allocate and to fill, read from the
LLVM IR that numba generates for it in this environment.

The seed's answer compared numba's IR dumps by hand (``NUMBA_DUMP_IR``); this reads the
optimised LLVM IR of the path's own function (not its Python wrapper) and keeps the calls
that allocate, zero or advise memory, in the order the code makes them.
"""

from __future__ import annotations

import re
from typing import Dict, List, NamedTuple

import numpy as np

from allocbench.errors import UserError
from allocbench.harness.kernels import uncached_kernel
from allocbench.harness.paths import KERNELS, PATHS

#: Calls that allocate, free, zero or advise memory, as they appear in LLVM IR.
_CALL = re.compile(
    r"call [^@]*@\"?(?P<name>NRT_MemInfo_alloc\w*|NRT_Allocate\w*|NRT_MemInfo_new\w*|calloc"
    r"|malloc|realloc|madvise|memset|llvm\.memset[\w.]*)\"?\((?P<args>.*)\)"
)
_DEFINE = re.compile(r"^define [^@]*@\"?(?P<name>[^\"(]+)")

#: What each call does, in words.
MEANING: Dict[str, str] = {
    "NRT_MemInfo_alloc": "numba's runtime allocates the block (malloc through its allocator)",
    "NRT_Allocate": "numba's runtime allocates (malloc through its allocator)",
    "NRT_MemInfo_new": "numba's runtime takes ownership of memory allocated elsewhere",
    "calloc": "calloc: zeroed memory; fresh mmap'd pages above glibc's threshold, untouched",
    "malloc": "malloc: uninitialised memory",
    "realloc": "realloc",
    "madvise": "madvise: advice to the kernel (14 = MADV_HUGEPAGE)",
    "memset": "memset: writes every byte it is given, touching every page",
}


class Call(NamedTuple):
    """One call in the compiled code: the function, its operands as LLVM writes them, and what
    it does."""

    function: str
    operands: str
    meaning: str

    def as_json(self) -> Dict[str, object]:
        """The call's fields and whether it fills the whole block, as `allocbench explain
        --json` prints them."""
        return {**self._asdict(), "fills_whole_block": self.fills_whole_block}

    @property
    def fills_whole_block(self) -> bool:
        """A memset whose length is a run-time value (the array's size), not a constant."""
        if "memset" not in self.function:
            return False
        length = [op.strip() for op in self.operands.split(",")][2:3]
        return bool(length) and not re.fullmatch(r"i\d+ \d+", length[0])


def _meaning(function: str) -> str:
    for prefix, words in MEANING.items():
        if function.startswith(prefix) or prefix in function:
            return words
    return ""


def _nopython_body(ir: str, marker: str) -> str:
    """The LLVM IR of the compiled function itself, without numba's CPython wrapper."""
    for chunk in re.split(r"\n(?=define )", ir):
        match = _DEFINE.match(chunk)
        name = match.group("name") if match else ""
        if marker in name and not name.startswith(("cpython.", "cfunc.")):
            return chunk
    raise UserError(f"no compiled function named like {marker!r} in numba's IR")


def allocating_calls(path: str, dtype: str = "float64", ndim: int = 1) -> List[Call]:
    """The calls that allocate, fill or advise memory in `path`'s compiled code, in order."""
    if path not in PATHS:
        raise UserError(f"no allocation path {path!r}; `allocbench paths` lists them")
    if path not in KERNELS:
        raise UserError(f"{path} runs no compiled code: numpy's own C code allocates it")
    kind = KERNELS[path]
    function = uncached_kernel(kind, dtype, ndim)
    argument = np.zeros((1,) * ndim, dtype) if kind in ("zeros_like", "passthrough") else (1,)
    function(argument if kind in ("zeros_like", "passthrough") else (1,) * ndim)
    ir = "\n".join(function.inspect_llvm().values())
    body = _nopython_body(ir, function.py_func.__name__)
    return [
        Call(m.group("name"), m.group("args"), _meaning(m.group("name")))
        for m in (_CALL.search(line) for line in body.splitlines())
        if m
    ]
