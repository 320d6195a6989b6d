"""The switch under parallel=True: np.zeros that parfors rewrite, allocated by calloc, unfilled.

numba's parfor pass turns ``np.zeros`` into an ``np.empty`` in a parfor's init block and a
parallel loop writing the zeros. With the switch on, ``reach_parfors`` wraps two functions of
numba's parfors (as numba's own patch does in its code): the rewrite of ``np.zeros`` makes the
init block call ``np.zeros``, which the switch serves from calloc, where the switch takes that
call; and a parfor whose loop only stores zero constants into arrays its init block allocates
that way is lowered as its init block alone, so no thread writes a page. Every other parfor,
and every call the switch leaves to numba, is numba's own.
"""

from __future__ import annotations

from typing import Callable, Dict, Set

import numpy as np
from numba.core import errors, ir, types

_wrapped = False


def reach_parfors(takes: Callable[[types.Type, types.Type], bool]) -> bool:
    """Wrap numba's parfor rewrite of np.zeros and its parfor lowering (once); `takes(shape,
    dtype)` says whether the switch serves np.zeros of those argument types. False where this
    numba's parfors lack what is wrapped."""
    global _wrapped
    if _wrapped:
        return True
    try:
        from numba.parfors import parfor, parfor_lowering

        convert = parfor.ConvertNumpyPass._numpy_map_to_parfor
        lower = parfor_lowering._lower_parfor_parallel
    except (ImportError, AttributeError):
        return False

    def _numpy_map_to_parfor(self, equiv_set, call_name, lhs, args, kws, expr):
        made = convert(self, equiv_set, call_name, lhs, args, kws, expr)
        if call_name == "zeros" and made is not None:
            states = self.pass_states
            _alloc_zeroed(states.typingctx, states.typemap, states.calltypes, made, lhs, takes)
        return made

    def _lower_parfor_parallel(lowerer, node):
        own = getattr(node, "lowerer", None) is None  # numba >= 0.57 lets a parfor bring one
        if own and _only_zeros_over_zeros(node, lowerer.fndesc.typemap):
            for instr in node.init_block.body:
                lowerer.lower_inst(instr)
            return None
        return lower(lowerer, node)

    parfor.ConvertNumpyPass._numpy_map_to_parfor = _numpy_map_to_parfor
    parfor_lowering._lower_parfor_parallel = _lower_parfor_parallel
    from numba.core import lowering

    extensions = getattr(lowering, "lower_extensions", {})  # older numba looks it up here
    if extensions.get(parfor.Parfor) is lower:
        extensions[parfor.Parfor] = _lower_parfor_parallel
    _wrapped = True
    return True


def _alloc_zeroed(typingctx, typemap, calltypes, made, lhs, takes) -> None:
    """Make the init block's np.empty(shape, dtype) for `lhs` an np.zeros call, where the
    switch takes it and the array type stays the same."""
    arrty = typemap[lhs.name]
    if type(arrty) is not types.Array or arrty.layout != "C":
        return
    body = made.init_block.body
    getattrs = {
        s.target.name: s
        for s in body
        if isinstance(s, ir.Assign) and isinstance(s.value, ir.Expr) and s.value.op == "getattr"
    }
    for stmt in body:
        call = stmt.value if isinstance(stmt, ir.Assign) else None
        if not isinstance(call, ir.Expr) or call.op != "call" or stmt.target.name != lhs.name:
            continue
        attr = getattrs.get(call.func.name)
        old = calltypes.get(call)
        if attr is None or attr.value.attr != "empty" or old is None or not takes(*old.args):
            return
        try:
            fnty = typingctx.resolve_value_type(np.zeros)
            sig = fnty.get_call_type(typingctx, old.args, {})
        except errors.TypingError:
            return
        if sig is None or sig.return_type != arrty:
            return
        attr.value = ir.Expr.getattr(attr.value.value, "zeros", attr.loc)
        typemap.pop(call.func.name)
        typemap[call.func.name] = fnty
        calltypes.pop(call)
        calltypes[call] = sig
        return


def _zeroed(node, typemap) -> Set[str]:
    """The arrays that `node`'s init block allocates with np.zeros and uses nowhere else."""
    zeroed: Set[str] = set()
    used: Set[str] = set()
    for stmt in node.init_block.body:
        value = stmt.value if isinstance(stmt, ir.Assign) else None
        if isinstance(value, ir.Expr) and value.op == "call":
            fnty = typemap.get(value.func.name)
            if (
                isinstance(fnty, types.Function)
                and fnty.typing_key is np.zeros
                and type(typemap[stmt.target.name]) is types.Array
            ):
                zeroed.add(stmt.target.name)
                used.update(v.name for v in value.list_vars())
                continue
        used.update(v.name for v in stmt.list_vars())
    return zeroed - used


def _zero_constant(value: object) -> bool:
    """Whether `value` is a number whose bytes are all zero (not -0.0)."""
    numbers = (bool, int, float, complex, np.number, np.bool_)
    return isinstance(value, numbers) and not any(np.asarray(value).tobytes())


def _only_zeros_over_zeros(node, typemap) -> bool:
    """Whether `node`'s loop only stores zero constants into arrays its init block allocates
    with np.zeros."""
    zeroed = _zeroed(node, typemap)
    if not zeroed or node.races:
        return False
    constants: Dict[str, object] = {}
    for block in node.loop_body.values():
        for stmt in block.body:
            if isinstance(stmt, ir.Assign):
                if isinstance(stmt.value, ir.Const):
                    constants[stmt.target.name] = stmt.value.value
                elif not (isinstance(stmt.value, ir.Expr) and stmt.value.op == "build_tuple"):
                    return False
            elif isinstance(stmt, (ir.SetItem, ir.StaticSetItem)):
                if stmt.target.name not in zeroed or stmt.value.name not in constants:
                    return False
                if not _zero_constant(constants[stmt.value.name]):
                    return False
            elif not isinstance(stmt, (ir.Jump, ir.Del)):
                return False
    return True
