"""allocbench.zeros and zeros_like: np.zeros for @njit code that is as lazy as numpy's.

numba's np.zeros mallocs through its runtime and then writes a zero into every byte, so a
large array costs one page fault per 4 KiB page before it is ever used. numpy instead calls
calloc, which for large blocks hands out fresh mmap'd pages that the kernel already zeroes,
and advises the kernel to back arrays of 4 MiB and more with huge pages. These functions do
the same inside @njit code: calloc the memory, give it numpy's huge-page advice, and hand
its ownership to numba's runtime through the documented external API (``manage_memory`` in
``nrt_external.h``) with ``free`` as its destructor, so the array is freed when its last
reference (views included) dies.

Called from Python, they run a compiled function doing the same, so the memory is managed
the same way wherever the array was made.
"""

from __future__ import annotations

import os
from typing import Callable, Dict, Tuple, Union

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload, register_jitable

from allocbench._advice import HUGEPAGE_FROM, advice_name, huge_page_advice
from allocbench._njit import cached_njit
from allocbench._shape import ShapeLike, normalize_shape

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _numba_version() -> Tuple[int, int]:
    major, minor = numba.__version__.split(".")[:2]
    return int(major), int(minor)


# Slot of manage_memory in NRT_api_functions: numba 0.54 inserted allocate_external before it.
_MANAGE_MEMORY_SLOT = 2 if _numba_version() >= (0, 54) else 1

_MAX_INTP = np.iinfo(np.intp).max
_TOO_BIG = (
    "array is too big; `arr.size * arr.dtype.itemsize` is larger than the maximum possible size."
)


def _function(module: ir.Module, name: str, fnty: ir.FunctionType) -> ir.Function:
    existing = module.globals.get(name)
    return existing if existing is not None else ir.Function(module, fnty, name=name)


def _element_type(dtype):
    """The numba scalar type named by a dtype argument (np.float64, np.dtype('f8'))."""
    if isinstance(dtype, (types.NumberClass, types.DType)):
        return dtype.dtype
    return None


@intrinsic
def _calloc_array(typingctx, shape, nbytes, dtype):
    """(shape tuple, nbytes, dtype) -> C-ordered array on calloc'ed, NRT-managed memory."""
    element = _element_type(dtype)
    if element is None or not isinstance(shape, types.BaseTuple):
        return None
    ndim = len(shape)
    arrty = types.Array(element, ndim, "C")

    def codegen(context, builder, sig, args):
        shape_value, nbytes_value, _ = args
        module = builder.module
        intp = context.get_value_type(types.intp)
        i8p = ir.IntType(8).as_pointer()

        calloc = _function(module, "calloc", ir.FunctionType(i8p, [intp, intp]))
        # calloc(0) may legitimately return NULL; ask for one byte so NULL means failure.
        request = builder.select(
            builder.icmp_signed("==", nbytes_value, intp(0)), intp(1), nbytes_value
        )
        data = builder.call(calloc, [request, intp(1)])
        with builder.if_then(builder.icmp_unsigned("==", data, i8p(None)), likely=False):
            context.call_conv.return_user_exc(
                builder, MemoryError, ("Unable to allocate memory for allocbench.zeros",)
            )

        advice = huge_page_advice()
        if advice is not None:
            big = builder.icmp_signed(">=", nbytes_value, intp(HUGEPAGE_FROM))
            with builder.if_then(big):
                madvise = _function(
                    module, "madvise", ir.FunctionType(ir.IntType(32), [i8p, intp, ir.IntType(32)])
                )
                # As numpy does: advise the page-aligned part of the block; failure is harmless.
                address = builder.ptrtoint(data, intp)
                offset = builder.urem(
                    builder.sub(intp(_PAGE), builder.urem(address, intp(_PAGE))), intp(_PAGE)
                )
                start = builder.inttoptr(builder.add(address, offset), i8p)
                builder.call(
                    madvise,
                    [start, builder.sub(nbytes_value, offset), ir.IntType(32)(advice)],
                )

        free = _function(module, "free", ir.FunctionType(ir.VoidType(), [i8p]))
        api = builder.bitcast(context.nrt.get_nrt_api(builder), i8p.as_pointer())
        manage_type = ir.FunctionType(i8p, [i8p, i8p])
        slot = builder.gep(api, [ir.IntType(32)(_MANAGE_MEMORY_SLOT)])
        manage_memory = builder.bitcast(builder.load(slot), manage_type.as_pointer())
        meminfo = builder.call(manage_memory, [data, builder.bitcast(free, i8p)])

        array = context.make_array(arrty)(context, builder)
        itemsize = context.get_abi_sizeof(context.get_data_type(element))
        dims = [
            context.cast(builder, builder.extract_value(shape_value, i), shape[i], types.intp)
            for i in range(ndim)
        ]
        strides = []
        stride = intp(itemsize)
        for dim in reversed(dims):
            strides.insert(0, stride)
            stride = builder.mul(stride, dim)
        context.populate_array(
            array,
            data=builder.bitcast(data, array.data.type),
            shape=dims,
            strides=strides,
            itemsize=intp(itemsize),
            meminfo=builder.bitcast(meminfo, array.meminfo.type),
        )
        return array._getvalue()

    return arrty(shape, types.intp, dtype), codegen


@register_jitable
def _checked_nbytes(shape, itemsize):
    n = 1
    for dim in shape:
        if dim < 0:
            raise ValueError("negative dimensions are not allowed")
    for dim in shape:
        if dim != 0 and n > _MAX_INTP // dim:
            raise ValueError(_TOO_BIG)
        n *= dim
    if n > _MAX_INTP // itemsize:
        raise ValueError(_TOO_BIG)
    return n * itemsize


def zeros(shape: ShapeLike, dtype: Union[str, np.dtype, type] = np.float64) -> np.ndarray:
    """A C-ordered array of zeros on calloc'ed memory, owned by numba's runtime.

    Callable from Python and inside @njit code; `shape` is an int or a tuple of ints.
    """
    entry = _entries.get(dtype)
    if entry is None:
        entry = _python_entry(dtype)
    if type(shape) is not tuple or not all(type(d) is int for d in shape):
        shape = normalize_shape(shape)
    return entry(shape)


def zeros_like(a: np.ndarray) -> np.ndarray:
    """zeros(a.shape, a.dtype): a C-ordered array of zeros shaped like `a`."""
    return zeros(a.shape, a.dtype)


@overload(zeros)
def _zeros_overload(shape, dtype=None):
    if isinstance(dtype, (types.Omitted, types.NoneType)) or dtype is None:
        element = types.float64
    else:
        element = _element_type(dtype)
        if element is None:
            return None
    itemsize = np.dtype(str(element)).itemsize
    np_type = np.dtype(str(element)).type

    if isinstance(shape, types.Integer):

        def impl(shape, dtype=None):
            dims = (shape,)
            return _calloc_array(dims, _checked_nbytes(dims, itemsize), np_type)

        return impl
    if isinstance(shape, types.BaseTuple) and len(shape) == 0:

        def impl(shape, dtype=None):
            return _calloc_array(shape, itemsize, np_type)

        return impl
    if isinstance(shape, types.UniTuple) and isinstance(shape.dtype, types.Integer):

        def impl(shape, dtype=None):
            return _calloc_array(shape, _checked_nbytes(shape, itemsize), np_type)

        return impl
    return None


@overload(zeros_like)
def _zeros_like_overload(a):
    if not isinstance(a, types.Array):
        return None
    itemsize = np.dtype(str(a.dtype)).itemsize
    np_type = np.dtype(str(a.dtype)).type

    def impl(a):
        return _calloc_array(a.shape, _checked_nbytes(a.shape, itemsize), np_type)

    return impl


_entries: Dict[object, Callable] = {}


def _python_entry(dtype: Union[str, np.dtype, type]) -> Callable:
    """The compiled entry for `dtype`, remembered under the dtype as given and its name."""
    name = np.dtype(dtype).name
    if name not in _entries:

        def make(dt):
            def entry(shape):
                return zeros(shape, dt)

            return entry

        # One compiled entry per dtype, the dtype a constant (see allocbench._njit).
        # The advice is compiled in: a cache entry of its own for each choice.
        _entries[name] = cached_njit(make(np.dtype(name).type), name, advice_name())
    _entries[dtype] = _entries[name]
    return _entries[name]
