"""The LLVM of a zeroed array: calloc'ed memory, numpy's advice, owned by numba's runtime.

``calloc_intrinsic`` makes an @intrinsic that callocs the memory, gives it numpy's huge-page
advice where the running numpy gives it (allocbench.fix.advice), and hands it to numba's
runtime through its external API (``manage_memory`` in ``nrt_external.h``) with ``free`` as
destructor, so the array is freed when its last reference (views included) dies.
"""

from __future__ import annotations

import os
from typing import List

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from allocbench.fix.advice import HUGEPAGE_FROM, huge_page_advice
from allocbench.fix.versions import numba_version

#: allocbench.zeros's MemoryError where calloc fails (the switch gives numba's own message).
NO_MEMORY = "Unable to allocate memory for allocbench.zeros"

_PAGE = os.sysconf("SC_PAGE_SIZE")
# Slot of manage_memory in NRT_api_functions: numba 0.54 inserted allocate_external before it.
_MANAGE_MEMORY_SLOT = 2 if numba_version() >= (0, 54) else 1


def _function(module: ir.Module, name: str, fnty: ir.FunctionType) -> ir.Function:
    existing = module.globals.get(name)
    return existing if existing is not None else ir.Function(module, fnty, name=name)


def _calloc(context, builder, nbytes, failure):
    """calloc'ed memory of `nbytes`; MemoryError(failure) where there is none."""
    intp = context.get_value_type(types.intp)
    i8p = ir.IntType(8).as_pointer()
    calloc = _function(builder.module, "calloc", ir.FunctionType(i8p, [intp, intp]))
    # calloc(0) may legitimately return NULL; ask for one byte so NULL means failure.
    request = builder.select(builder.icmp_signed("==", nbytes, intp(0)), intp(1), nbytes)
    data = builder.call(calloc, [request, intp(1)])
    with builder.if_then(builder.icmp_unsigned("==", data, i8p(None)), likely=False):
        context.call_conv.return_user_exc(builder, MemoryError, (failure,))
    return data


def _advise(context, builder, data, nbytes):
    """numpy's madvise(MADV_HUGEPAGE) on the page-aligned part of a block of 4 MiB or more,
    where the running numpy gives it; failure is harmless."""
    advice = huge_page_advice()
    if advice is None:
        return
    intp = context.get_value_type(types.intp)
    i8p = ir.IntType(8).as_pointer()
    with builder.if_then(builder.icmp_signed(">=", nbytes, intp(HUGEPAGE_FROM))):
        madvise = _function(
            builder.module, "madvise", ir.FunctionType(ir.IntType(32), [i8p, intp, ir.IntType(32)])
        )
        address = builder.ptrtoint(data, intp)
        offset = builder.urem(
            builder.sub(intp(_PAGE), builder.urem(address, intp(_PAGE))), intp(_PAGE)
        )
        start = builder.inttoptr(builder.add(address, offset), i8p)
        builder.call(madvise, [start, builder.sub(nbytes, offset), ir.IntType(32)(advice)])


def _managed(context, builder, data):
    """A meminfo of numba's runtime owning `data`, freed with free() (nrt_external.h)."""
    i8p = ir.IntType(8).as_pointer()
    free = _function(builder.module, "free", ir.FunctionType(ir.VoidType(), [i8p]))
    api = builder.bitcast(context.nrt.get_nrt_api(builder), i8p.as_pointer())
    manage_type = ir.FunctionType(i8p, [i8p, i8p])
    slot = builder.gep(api, [ir.IntType(32)(_MANAGE_MEMORY_SLOT)])
    manage_memory = builder.bitcast(builder.load(slot), manage_type.as_pointer())
    return builder.call(manage_memory, [data, builder.bitcast(free, i8p)])


#: How the strides of an array with a zero in its shape are made (see _strides).
NUMBA_STRIDES, SKIP_ZERO_STRIDES, ZERO_STRIDES = "numba", "skipzero", "zero"


def numpy_zero_size_strides() -> str:
    """How the running numpy strides a zero-size array: numpy 1.18.5 as if each 0 were 1
    ((3, 0) float64: (8, 8)), 1.24 and 2.x all 0 ((0, 0)); numba, as C does, (0, 8)."""
    probe = np.empty((2, 0, 3), np.float64).strides
    if probe == (0, 0, 0):
        return ZERO_STRIDES
    return SKIP_ZERO_STRIDES if probe == (24, 24, 8) else NUMBA_STRIDES


def _strides(context, builder, arrty, dims, zero_size) -> List[ir.Value]:
    intp = context.get_value_type(types.intp)
    stride = intp(context.get_abi_sizeof(context.get_data_type(arrty.dtype)))
    strides = []
    for dim in reversed(dims) if arrty.layout == "C" else dims:
        strides.append(stride)
        if zero_size == SKIP_ZERO_STRIDES:
            dim = builder.select(builder.icmp_signed("==", dim, intp(0)), intp(1), dim)
        stride = builder.mul(stride, dim)
    if zero_size == ZERO_STRIDES and dims:
        empty = builder.icmp_signed("==", dims[0], intp(0))
        for dim in dims[1:]:
            empty = builder.or_(empty, builder.icmp_signed("==", dim, intp(0)))
        strides = [builder.select(empty, intp(0), s) for s in strides]
    return strides[::-1] if arrty.layout == "C" else strides


def _build_array(context, builder, arrty, shape_type, shape_value, nbytes, failure, zero_size):
    data = _calloc(context, builder, nbytes, failure)
    _advise(context, builder, data, nbytes)
    meminfo = _managed(context, builder, data)
    array = context.make_array(arrty)(context, builder)
    itemsize = context.get_abi_sizeof(context.get_data_type(arrty.dtype))
    dims = [
        context.cast(builder, builder.extract_value(shape_value, i), shape_type[i], types.intp)
        for i in range(arrty.ndim)
    ]
    context.populate_array(
        array,
        data=builder.bitcast(data, array.data.type),
        shape=dims,
        strides=_strides(context, builder, arrty, dims, zero_size),
        itemsize=context.get_constant(types.intp, itemsize),
        meminfo=builder.bitcast(meminfo, array.meminfo.type),
    )
    return array._getvalue()


def calloc_intrinsic(layout: str, failure: str, zero_size: str = NUMBA_STRIDES):
    """An intrinsic (shape tuple, nbytes, dtype) -> array of that layout ("C" or "F") on
    calloc'ed memory with numpy's advice, owned by numba's runtime; MemoryError(failure)
    where calloc fails. `nbytes` must have been checked against the shape. A zero-size array
    is strided as numba strides it, or as `zero_size` says (numpy_zero_size_strides)."""

    def calloc_array(typingctx, shape, nbytes, dtype):
        if not isinstance(dtype, types.DTypeSpec) or not isinstance(shape, types.BaseTuple):
            return None
        arrty = types.Array(dtype.dtype, len(shape), layout)

        def codegen(context, builder, sig, args):
            shape_value, nbytes_value, _ = args
            return _build_array(
                context, builder, arrty, shape, shape_value, nbytes_value, failure, zero_size
            )

        return arrty(shape, types.intp, dtype), codegen

    calloc_array.__name__ = f"calloc_array_{layout}_{zero_size}"
    return intrinsic(calloc_array)
