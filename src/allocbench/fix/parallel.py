"""The switch under parallel=True: np.zeros that parfors rewrite, allocated by calloc, unfilled.

numba's parfor pass turns ``np.zeros`` into an ``np.empty`` in a parfor's init block and a
parallel loop writing the zeros. With the switch on, ``reach_parfors`` wraps numba's lowering
of a parfor (as numba's own patch does in its code): a parfor, outside any other, whose loop
does nothing but write zero constants into C-ordered arrays that its init block allocates with
``np.empty`` is lowered as a copy that allocates them with ``np.zeros`` (which the switch
serves from calloc, where it takes the call) and whose loop is empty and runs over no
iterations, so no thread writes a page. Every other parfor, nested ones (whose ``np.empty``
numba hoists out of the enclosing loop) and every call the switch leaves to numba are numba's
own.
"""

from __future__ import annotations

import copy
from typing import Callable, Dict, Optional, Set

import numpy as np
from numba.core import errors, ir, types

_wrapped = False


def reach_parfors(takes: Callable[[types.Type, types.Type], bool]) -> bool:
    """Wrap numba's lowering of parfors (once); `takes(shape, dtype)` says whether the switch
    serves np.zeros of those argument types. False where this numba's parfors lack it."""
    global _wrapped
    if _wrapped:
        return True
    try:
        from numba.parfors import parfor, parfor_lowering

        lower = parfor_lowering._lower_parfor_parallel
    except (ImportError, AttributeError):
        return False

    def _lower_parfor_parallel(lowerer, node):
        if getattr(node, "lowerer", None) is None:  # numba >= 0.57 lets a parfor bring one
            node = _zero_filled(lowerer, node, takes) or node
        return lower(lowerer, node)

    parfor_lowering._lower_parfor_parallel = _lower_parfor_parallel
    from numba.core import lowering

    extensions = getattr(lowering, "lower_extensions", {})  # older numba looks it up here
    if extensions.get(parfor.Parfor) is lower:
        extensions[parfor.Parfor] = _lower_parfor_parallel
    _wrapped = True
    return True


def _zero_constant(value: object) -> bool:
    """Whether `value` is a number whose bytes are all zero (not -0.0)."""
    numbers = (bool, int, float, complex, np.number, np.bool_)
    return isinstance(value, numbers) and not any(np.asarray(value).tobytes())


def _zeros_written(node) -> Optional[Set[str]]:
    """The arrays `node`'s loop writes, where it does nothing but write zero constants."""
    constants: Dict[str, object] = {}
    written: Set[str] = set()
    for block in node.loop_body.values():
        for stmt in block.body:
            if isinstance(stmt, ir.Assign):
                if isinstance(stmt.value, ir.Const):
                    constants[stmt.target.name] = stmt.value.value
                elif not (isinstance(stmt.value, ir.Expr) and stmt.value.op == "build_tuple"):
                    return None
            elif isinstance(stmt, (ir.SetItem, ir.StaticSetItem)):
                name = stmt.value.name
                if name not in constants or not _zero_constant(constants[name]):
                    return None
                written.add(stmt.target.name)
            elif not isinstance(stmt, (ir.Jump, ir.Del)):
                return None
    return written or None


def _zero_filled(lowerer, node, takes):
    """A copy of `node` allocating with np.zeros and with an empty loop, or None (see the
    module's docstring)."""
    written = _zeros_written(node)
    if written is None or node.races:
        return None
    typemap, calltypes = lowerer.fndesc.typemap, lowerer.fndesc.calltypes
    getattrs: Dict[str, ir.Assign] = {}
    allocs: Dict[str, ir.Assign] = {}
    for stmt in node.init_block.body:
        value = stmt.value if isinstance(stmt, ir.Assign) else None
        if isinstance(value, ir.Expr) and value.op == "getattr":
            getattrs[stmt.target.name] = stmt
        elif (
            isinstance(value, ir.Expr)
            and value.op == "call"
            and stmt.target.name in written
            and value.func.name in getattrs
            and getattrs[value.func.name].value.attr == "empty"
        ):
            allocs[stmt.target.name] = stmt
    others = [s for s in node.init_block.body if s not in allocs.values()]
    if set(allocs) != written or any(written & {v.name for v in s.list_vars()} for s in others):
        return None
    typingctx = lowerer.context.typing_context
    replaced: Dict[int, list] = {}
    for name, stmt in allocs.items():
        arrty, call = typemap[name], stmt.value
        old = calltypes.get(call)
        if type(arrty) is not types.Array or arrty.layout != "C" or old is None:
            return None
        if not takes(*old.args):
            return None
        try:
            fnty = typingctx.resolve_value_type(np.zeros)
            sig = fnty.get_call_type(typingctx, old.args, {})
        except errors.TypingError:
            return None
        if sig is None or sig.return_type != arrty:
            return None
        attr = getattrs[call.func.name]
        func = ir.Var(attr.target.scope, f"$allocbench_zeros_{id(call)}", attr.loc)
        typemap[func.name] = fnty
        new_call = ir.Expr.call(func, call.args, call.kws, call.loc)
        calltypes[new_call] = sig
        getattr_zeros = ir.Expr.getattr(attr.value.value, "zeros", attr.loc)
        replaced[id(stmt)] = [
            ir.Assign(getattr_zeros, func, attr.loc),
            ir.Assign(new_call, stmt.target, stmt.loc),
        ]
    made = copy.copy(node)
    made._kws = dict(node._kws)  # a Parfor is an ir.Expr: its attributes live in _kws
    made.init_block = ir.Block(node.init_block.scope, node.init_block.loc)
    for stmt in node.init_block.body:
        made.init_block.body.extend(replaced.get(id(stmt), [stmt]))
    made.loop_body = {}
    for label, block in node.loop_body.items():
        empty = ir.Block(block.scope, block.loc)
        empty.body = [s for s in block.body if isinstance(s, (ir.Jump, ir.Del))]
        made.loop_body[label] = empty
    from numba.parfors.parfor import LoopNest

    # over no iterations: the threads start, as for any parfor, with nothing to do
    made.loop_nests = [LoopNest(n.index_variable, 0, 0, 1) for n in node.loop_nests]
    return made
