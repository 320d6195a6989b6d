"""Run a function where nothing this process allocated before can bias it: in a forked child,
or, where forking is unsafe (macOS), in a new interpreter.

glibc's dynamic mmap threshold and the heap's free top are left behind by earlier allocations,
so a measurement of where a block comes from must run in a process whose heap has seen nothing
large. The function must be defined at the top level of a module (a new interpreter imports
it by name), take arguments JSON can carry, and return what pickle can carry (the harness's
typed results among them). A UserError or NotImplementedError (n/a) raised there is raised
again here, with its class; anything else becomes a RuntimeError.

``python -m allocbench.harness.isolated MODULE:FUNCTION JSON_ARGS`` is the new interpreter's
side: it prints the outcome, pickled, as one line of base64.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import pickle
import subprocess
import sys
from typing import Callable, Dict, List, TypeVar

from allocbench.errors import UserError

#: macOS's system libraries are not safe to use in a child forked after they started threads
#: (numba's LLVM, numpy's Accelerate), so there every call starts a new interpreter.
FORK_IS_SAFE = hasattr(os, "fork") and sys.platform != "darwin"

Function = Callable[..., object]
Result = TypeVar("Result")


def _name(function: Function) -> str:
    return f"{function.__module__}:{function.__qualname__}"


def _resolve(name: str) -> object:
    module, _, qualname = name.partition(":")
    found: object = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def _encoded(outcome: Dict[str, object]) -> str:
    return base64.b64encode(pickle.dumps(outcome)).decode("ascii")


def _outcome(function: Function, args: List[object]) -> str:
    try:
        return _encoded({"result": function(*args)})
    except BaseException as exc:  # reported to the caller, which raises it again
        kind = f"{type(exc).__module__}:{type(exc).__qualname__}"
        return _encoded({"error": {"type": kind, "message": str(exc)}})


def _raised_again(error: Dict[str, str]) -> Exception:
    try:
        kind = _resolve(error["type"])
    except (ImportError, AttributeError, ValueError):
        kind = None
    if isinstance(kind, type) and issubclass(kind, (UserError, NotImplementedError)):
        return kind(error["message"])
    return RuntimeError(f"isolated measurement failed: {error['type']}: {error['message']}")


def _answer(payload: str) -> object:
    lines = payload.strip().splitlines()
    if not lines:
        raise RuntimeError("isolated measurement failed: the process reported nothing")
    data = pickle.loads(base64.b64decode(lines[-1]))
    if "error" in data:
        raise _raised_again(data["error"])
    return data["result"]


def in_forked_child(function: Callable[..., Result], *args: object) -> Result:
    """`function(*args)` in a forked child of this process; what it returns."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: answer through the pipe, leave without cleanup
        try:
            os.close(read_end)
            with os.fdopen(write_end, "w") as pipe:
                pipe.write(_outcome(function, list(args)))
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        payload = pipe.read()
    os.waitpid(pid, 0)
    return _answer(payload)


def in_new_interpreter(function: Callable[..., Result], *args: object) -> Result:
    """`function(*args)` in a new interpreter (same executable and environment)."""
    command = [sys.executable, "-m", __name__, _name(function), json.dumps(list(args))]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"isolated measurement failed:\n{done.stderr.strip()}")
    return _answer(done.stdout)


def in_fresh_process(function: Callable[..., Result], *args: object) -> Result:
    """`function(*args)` in a forked child where forking is safe, else in a new interpreter.

    A forked child inherits whatever this process compiled, so compile before calling."""
    run = in_forked_child if FORK_IS_SAFE else in_new_interpreter
    return run(function, *args)


if __name__ == "__main__":
    print(_outcome(_resolve(sys.argv[1]), json.loads(sys.argv[2])))
