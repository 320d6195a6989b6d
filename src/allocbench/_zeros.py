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

The dtype is numpy's exactly (byte order, datetime and timedelta units, record layout) for
every dtype numba can hold in an array: booleans, integers, float32/64, complex64/128,
datetime64/timedelta64 with a plain unit, sized bytes and str, and records of those. Any
other dtype is refused with a TypeError (a TypingError inside @njit code) that names it,
never silently replaced by a nearby one. ``allocbench.patch_numba_zeros`` (allocbench._patch)
gives numba's own np.zeros the same calloc-backed memory through the intrinsics here.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Callable, Dict, List, Optional, Tuple, Union

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload, register_jitable

from allocbench._advice import HUGEPAGE_FROM, advice_name, huge_page_advice
from allocbench._njit import cached_njit
from allocbench._shape import MAX_INTP, MIN_INTP, ShapeLike, intp_dims

try:
    from numba.core.errors import TypingError
except ImportError:  # numba < 0.49
    from numba.errors import TypingError
try:
    from numba.np import numpy_support
except ImportError:  # numba < 0.49
    from numba import numpy_support

_PAGE = os.sysconf("SC_PAGE_SIZE")

DTypeLike = Union[str, np.dtype, type, list, dict, tuple]


def _numba_version() -> Tuple[int, int]:
    major, minor = numba.__version__.split(".")[:2]
    return int(major), int(minor)


# Slot of manage_memory in NRT_api_functions: numba 0.54 inserted allocate_external before it.
_MANAGE_MEMORY_SLOT = 2 if _numba_version() >= (0, 54) else 1

_MAX_INTP = np.iinfo(np.intp).max
_TOO_BIG = (
    "array is too big; `arr.size * arr.dtype.itemsize` is larger than the maximum possible size."
)
_SUPPORTED = (
    "numba arrays hold native-byte-order bool, integers, float32/64, complex64/128, "
    "datetime64/timedelta64 with a plain unit, sized bytes/str, and records of those"
)


# -- which dtypes: the element types numba can hold in an array, and numpy's dtype for each --

_PLAIN = (types.Boolean, types.Integer, types.Complex, types.NPDatetime, types.NPTimedelta)


def storable(element: types.Type, in_record: bool = False) -> bool:
    """Whether numba arrays can hold `element` (float16 has no lowering; an unsized bytes or
    str type is not numpy's np.zeros dtype; a sub-array type only inside a record)."""
    if isinstance(element, types.Float):
        return element.bitwidth in (32, 64)
    if isinstance(element, _PLAIN):
        return True
    if isinstance(element, (types.CharSeq, types.UnicodeCharSeq)):
        return element.count > 0
    if isinstance(element, types.NestedArray):
        return in_record and storable(element.dtype, in_record)
    if isinstance(element, types.Record):
        return all(storable(t, in_record=True) for _, t in element.members)
    return False


def _from_string(text: str) -> Optional[types.Type]:
    try:
        return numpy_support.from_dtype(np.dtype(text))
    except Exception:  # numpy's TypeError, numba's NotImplementedError: not a dtype here
        return None


def array_element(dtype: object) -> Optional[types.Type]:
    """numba's element type for a dtype argument as typed inside @njit code (None, omitted
    or ``float``: float64; np.float64, np.dtype(...), a numba type, a string literal), or None
    where that is not a dtype numba arrays can hold."""
    if dtype is None or dtype is float or isinstance(dtype, (types.NoneType, types.Omitted)):
        return types.float64
    if isinstance(dtype, types.Function) and getattr(dtype, "typing_key", None) is float:
        return types.float64
    if isinstance(dtype, types.DTypeSpec):
        element = dtype.dtype
    elif isinstance(dtype, types.TypeRef):
        element = dtype.instance_type
    elif isinstance(dtype, types.StringLiteral):
        element = _from_string(dtype.literal_value)
    else:
        return None
    return element if element is not None and storable(element) else None


def numpy_dtype(element: types.Type) -> np.dtype:
    """numpy's dtype for a storable element type: a constant that @njit code types back to
    the same element type, units and record layout included."""
    return numpy_support.as_dtype(element)


def _identical(a: np.dtype, b: np.dtype) -> bool:
    """Equal as numpy's == is, and also in what == overlooks: the byte-order spelling, field
    titles, the aligned-struct flag and metadata (where empty metadata is none: numba boxes
    datetime arrays with an empty mapping under numpy 1.x)."""
    return (
        a == b
        and a.str == b.str
        and a.descr == b.descr
        and a.isalignedstruct == b.isalignedstruct
        and (a.metadata or None) == (b.metadata or None)
    )


def element_for(dtype: DTypeLike) -> types.Type:
    """numba's element type for a dtype given from Python, whose array dtype is exactly
    np.dtype(dtype); TypeError naming the dtype where numba arrays cannot hold it."""
    dt = np.dtype(dtype)  # numpy's own TypeError for what is no dtype at all
    try:
        element = numpy_support.from_dtype(dt)
    except Exception:  # numba's NotImplementedError for byte order, float128, ...
        element = None
    if element is None or not storable(element) or not _identical(numpy_dtype(element), dt):
        extra = f" with metadata {dt.metadata!r}" if dt.metadata else ""
        raise TypeError(f"allocbench.zeros: dtype {dt!r}{extra} is not supported: {_SUPPORTED}")
    return element


def _refuse(caller: str, dtype: object) -> TypingError:
    return TypingError(f"{caller}: dtype {dtype} is not supported: {_SUPPORTED}")


# -- the allocation: calloc, numpy's advice, ownership handed to numba's runtime -------------


def _function(module: ir.Module, name: str, fnty: ir.FunctionType) -> ir.Function:
    existing = module.globals.get(name)
    return existing if existing is not None else ir.Function(module, fnty, name=name)


def _element_type(dtype):
    """The numba scalar type named by a dtype argument (np.float64, np.dtype('f8'))."""
    if isinstance(dtype, types.DTypeSpec):
        return dtype.dtype
    return None


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
        element = _element_type(dtype)
        if element is None or not isinstance(shape, types.BaseTuple):
            return None
        arrty = types.Array(element, len(shape), layout)

        def codegen(context, builder, sig, args):
            shape_value, nbytes_value, _ = args
            return _build_array(
                context, builder, arrty, shape, shape_value, nbytes_value, failure, zero_size
            )

        return arrty(shape, types.intp, dtype), codegen

    calloc_array.__name__ = f"calloc_array_{layout}_{zero_size}"
    return intrinsic(calloc_array)


#: (shape tuple, nbytes, dtype) -> C-ordered array on calloc'ed, NRT-managed memory.
_NO_MEMORY = "Unable to allocate memory for allocbench.zeros"
_calloc_array = calloc_intrinsic("C", _NO_MEMORY)
#: How the running numpy strides zero-size arrays, which calls from Python reproduce.
_NUMPY_ZERO_SIZE = numpy_zero_size_strides()
#: The same, strided as the running numpy strides a zero-size array: for calls from Python.
_calloc_array_numpy = calloc_intrinsic("C", _NO_MEMORY, _NUMPY_ZERO_SIZE)


def _shape_ndim(shape) -> Optional[int]:
    """The ndim of a shape argument (an integer or a tuple of integers), else None."""
    if isinstance(shape, types.Integer):
        return 1
    if isinstance(shape, types.BaseTuple) and all(isinstance(d, types.Integer) for d in shape):
        return len(shape)
    return None


@intrinsic
def _intp_dims(typingctx, shape):
    """A shape argument as a tuple of intp, each integer cast as numba casts it."""
    ndim = _shape_ndim(shape)
    if ndim is None:
        return None
    result = types.UniTuple(types.intp, ndim)

    def codegen(context, builder, sig, args):
        if isinstance(shape, types.Integer):
            dims = [context.cast(builder, args[0], shape, types.intp)]
        else:
            dims = [
                context.cast(builder, builder.extract_value(args[0], i), shape[i], types.intp)
                for i in range(ndim)
            ]
        return context.make_tuple(builder, result, dims)

    return result(shape), codegen


@register_jitable
def overflow_checked_nbytes(shape, itemsize):
    """The array's size in bytes; numpy's (and numba's) ValueError where it overflows."""
    n = 1
    for dim in shape:
        if dim != 0 and n > _MAX_INTP // dim:
            raise ValueError(_TOO_BIG)
        n *= dim
    if n > _MAX_INTP // itemsize:
        raise ValueError(_TOO_BIG)
    return n * itemsize


@register_jitable
def _checked_nbytes(shape, itemsize):
    for dim in shape:
        if dim < 0:
            raise ValueError("negative dimensions are not allowed")
    return overflow_checked_nbytes(shape, itemsize)


@register_jitable
def _numpy_checked_nbytes(shape, itemsize):
    """The array's size in bytes, checked as numpy checks it: one pass over the dimensions in
    order, zeros skipped, a negative one or a running product of the others and the itemsize
    beyond intp a ValueError (so (2**62, -1) float64 is too big, (-1, 2**62) negative, and
    (2**62, 0) too big although it holds nothing)."""
    nbytes = itemsize
    empty = False
    for dim in shape:
        if dim == 0:
            empty = True
        elif dim < 0:
            raise ValueError("negative dimensions are not allowed")
        elif nbytes > _MAX_INTP // dim:
            raise ValueError(_TOO_BIG)
        else:
            nbytes *= dim
    return 0 if empty else nbytes


# -- the public functions -----------------------------------------------------------------


def zeros(shape: ShapeLike, dtype: DTypeLike = np.float64) -> np.ndarray:
    """A C-ordered array of zeros on calloc'ed memory, owned by numba's runtime.

    Callable from Python and inside @njit code; `shape` is an int or a sequence of ints (not
    bools: TypeError, as numpy), `dtype` anything np.dtype takes that numba arrays can hold
    (TypeError naming it otherwise). From Python, errors and strides are numpy's; inside @njit
    code, numba's own np.zeros's (see the README).
    """
    try:
        entry = _entries[_fast_key(dtype)]
    except KeyError:
        entry = _python_entry(dtype)
    if type(shape) is int and MIN_INTP <= shape <= MAX_INTP:
        shape = (shape,)
    elif type(shape) is not tuple or not all(
        type(d) is int and MIN_INTP <= d <= MAX_INTP for d in shape
    ):
        shape = intp_dims(shape)
    return entry(shape)


def zeros_like(
    a: object, dtype: Optional[DTypeLike] = None, shape: Optional[ShapeLike] = None
) -> np.ndarray:
    """A C-ordered array of zeros shaped like `a` (or `shape`), of its dtype (or `dtype`).

    `a` is an array or, from Python, anything np.asarray takes (a scalar, a nested list);
    inside @njit code an array or a scalar, as numba's np.zeros_like takes.
    """
    if not isinstance(a, np.ndarray):
        a = np.asarray(a)
    if shape is None or (_EMPTY_SHAPE_IS_NONE and np.ndim(shape) == 1 and len(shape) == 0):
        shape = a.shape
    return zeros(shape, a.dtype if dtype is None else dtype)


#: numpy 1.18.5 reads zeros_like(a, shape=()) as no shape, a's own; 1.24 and 2.x as 0-d.
_EMPTY_SHAPE_IS_NONE = np.zeros_like(np.empty(1), shape=()).shape == (1,)


@overload(zeros)
def _zeros_overload(shape, dtype=None):
    if _shape_ndim(shape) is None:
        return None
    element = array_element(dtype)
    if element is None:
        raise _refuse("allocbench.zeros", dtype)
    np_dtype = numpy_dtype(element)
    itemsize = np_dtype.itemsize

    def impl(shape, dtype=None):
        dims = _intp_dims(shape)
        return _calloc_array(dims, _checked_nbytes(dims, itemsize), np_dtype)

    return impl


#: What numba's np.zeros_like takes as a scalar (a 0-d array of its type), where storable.
_SCALARS = (
    types.Number,
    types.Boolean,
    types.NPDatetime,
    types.NPTimedelta,
    types.CharSeq,
    types.UnicodeCharSeq,
    types.Record,
)


def _none(arg) -> bool:
    """An omitted or explicit None argument, as typed inside @njit code."""
    if isinstance(arg, types.Omitted):
        return arg.value is None
    return arg is None or isinstance(arg, types.NoneType)


@overload(zeros_like)
def _zeros_like_overload(a, dtype=None, shape=None):
    if isinstance(a, types.Array):
        own = a.dtype
    elif isinstance(a, _SCALARS):
        own = types.unliteral(a)
    else:
        return None
    if _none(dtype):
        if not storable(own):
            raise _refuse("allocbench.zeros_like", own)
        element = own
    else:
        element = array_element(dtype)
        if element is None:
            raise _refuse("allocbench.zeros_like", dtype)
    np_dtype = numpy_dtype(element)
    itemsize = np_dtype.itemsize
    if not _none(shape):
        if _shape_ndim(shape) is None:
            return None

        def shaped(a, dtype=None, shape=None):
            dims = _intp_dims(shape)
            return _calloc_array(dims, _checked_nbytes(dims, itemsize), np_dtype)

        return shaped
    if not isinstance(a, types.Array):

        def scalar(a, dtype=None, shape=None):
            return _calloc_array((), itemsize, np_dtype)

        return scalar

    def impl(a, dtype=None, shape=None):
        return _calloc_array(a.shape, _checked_nbytes(a.shape, itemsize), np_dtype)

    return impl


# -- compiled entries for calls from Python, one per dtype ----------------------------------

_entries: Dict[object, Callable] = {}
_compiled: Dict[Tuple[object, ...], Callable] = {}
#: The key of dtypes that are not remembered as given (see _fast_key).
_UNREMEMBERED = object()


def _fast_key(dtype: DTypeLike) -> object:
    """The key that remembers `dtype` as given, where that cannot be confused with another:
    a name or a class always means one dtype; a dtype object is keyed by its ``str`` (byte
    order and unit included), except records and dtypes with metadata, which numpy's == and
    ``str`` do not tell apart from others."""
    if isinstance(dtype, np.dtype):
        return dtype.str if dtype.fields is None and dtype.metadata is None else _UNREMEMBERED
    return dtype if isinstance(dtype, (str, type)) else _UNREMEMBERED


def _identity(dt: np.dtype) -> Tuple[object, ...]:
    return (dt.str, str(dt.descr), dt.isalignedstruct, repr(dt.metadata or None))


def _cache_name(dt: np.dtype) -> str:
    """Part of the entry's qualified name (its disk-cache index): readable, one per dtype."""
    name = re.sub(r"\W", "", dt.str)
    if dt.fields is not None:
        name += "_" + hashlib.sha1(repr(_identity(dt)).encode()).hexdigest()[:12]
    return name


def _python_entry(dtype: DTypeLike) -> Callable:
    """The compiled entry for `dtype`, one per distinct dtype; TypeError for a dtype that
    numba arrays cannot hold exactly."""
    dt = np.dtype(dtype)
    element_for(dt)
    key = _identity(dt)
    if key not in _compiled:

        def make(constant, itemsize):
            def entry(shape):
                dims = _intp_dims(shape)
                return _calloc_array_numpy(dims, _numpy_checked_nbytes(dims, itemsize), constant)

            return entry

        # One compiled entry per dtype, the dtype a constant (see allocbench._njit). The
        # advice and numpy's zero-size strides are compiled in: a cache entry for each choice.
        _compiled[key] = cached_njit(
            make(dt, dt.itemsize), _cache_name(dt), advice_name(), _NUMPY_ZERO_SIZE
        )
    fast = _fast_key(dtype)
    if fast is not _UNREMEMBERED:
        _entries[fast] = _compiled[key]
    return _compiled[key]
