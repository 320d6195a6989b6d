"""allocbench.zeros: right arrays from Python and @njit, memory that lives and dies right."""

import os
import pathlib
import re
import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytest

import allocbench
from allocbench.catalog import MiB
from allocbench.fix import advice

try:
    from numba.core.errors import TypingError
except ImportError:  # numba < 0.49
    from numba.errors import TypingError

DTYPES = ["float64", "float32", "int64", "uint8", "complex128", "bool"]


@numba.njit
def _in_njit(n, m):
    return allocbench.zeros((n, m), np.float32), allocbench.zeros(n), allocbench.zeros(0)


@numba.njit
def _view_of_temporary(n):
    return allocbench.zeros(n)[n // 2 :]


@numba.njit
def _like(a):
    return allocbench.zeros_like(a)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [7, (7,), (3, 5), (2, 3, 4), (0, 5), ()], ids=str)
def test_from_python(shape, dtype):
    a = allocbench.zeros(shape, dtype)
    expected = np.zeros(shape, dtype)
    assert a.shape == expected.shape and a.dtype == expected.dtype
    assert a.flags.c_contiguous and a.flags.writeable
    np.testing.assert_array_equal(a, expected)


def test_default_dtype_and_dtype_spellings():
    assert allocbench.zeros(3).dtype == np.float64
    for spelling in ("int32", np.int32, np.dtype("int32")):
        assert allocbench.zeros(3, spelling).dtype == np.int32


def test_inside_njit():
    a, b, c = _in_njit(4, 6)
    assert a.shape == (4, 6) and a.dtype == np.float32 and not a.any()
    assert b.shape == (4,) and b.dtype == np.float64 and not b.any()
    assert c.shape == (0,)
    like = _like(np.ones((3, 2), np.int16))
    assert like.shape == (3, 2) and like.dtype == np.int16 and not like.any()
    assert allocbench.zeros_like(np.ones((2, 2), np.uint8)).dtype == np.uint8


def test_views_keep_the_memory_alive():
    view = _view_of_temporary(1_000_000)  # the base died inside the compiled function
    assert view.shape == (500_000,) and not view.any()
    base = allocbench.zeros((1000, 1000))
    view = base[10:20, ::3]
    del base
    view[:] = 5
    assert (view == 5).all()


@pytest.mark.parametrize("bad", [-1, (3, -2)])
def test_negative_shapes_raise_like_numpy(bad):
    with pytest.raises(ValueError, match="negative dimensions are not allowed"):
        allocbench.zeros(bad)
    with pytest.raises(ValueError, match="negative dimensions are not allowed"):
        _in_njit(-1, 2)


def test_overflowing_shape_raises_like_numpy():
    with pytest.raises(ValueError, match="array is too big"):
        np.zeros((2**40, 2**40))
    with pytest.raises(ValueError, match="array is too big"):
        allocbench.zeros((2**40, 2**40))


def test_failed_allocation_raises_memory_error():
    with pytest.raises(MemoryError):
        allocbench.zeros(2**60, np.uint8)  # fits in intp, no machine has it


def test_non_integer_shape_raises_type_error():
    with pytest.raises(TypeError):
        allocbench.zeros((2.5, 3))


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="needs /proc/self/smaps")
def test_large_arrays_get_the_advice_numpy_gives_its_zeros():
    def advised(array):
        # The first page is not advised: look in the middle.
        flag = advice.huge_page_advised(array.ctypes.data + array.nbytes // 2)
        assert flag is not None, "mapping not found"
        return flag

    numpy_does = advised(np.zeros(64 * MiB, np.uint8))
    assert numpy_does == advice.numpy_advises_zeros()
    assert advised(allocbench.zeros(64 * MiB // 8)) == numpy_does
    assert (advice.huge_page_advice() is not None) == numpy_does
    assert not advised(_plain_malloc(64 * MiB))  # numba's own allocator gives no advice
    assert advised(np.empty(64 * MiB, np.uint8))  # every numpy here advises np.empty


def _plain_malloc(nbytes):
    return numba.njit(lambda n: np.empty(n, np.uint8))(nbytes)


def _run(code, env=None, cwd=None):
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, env=dict(os.environ, **(env or {})), cwd=cwd,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_allocation_stats_balance():
    out = _run(
        """
        import numpy as np, numba, allocbench
        try:
            from numba.core.runtime import rtsys
        except ImportError:
            from numba.runtime import rtsys
        @numba.njit
        def churn(n):
            total = 0.0
            for i in range(n):
                a = allocbench.zeros((1000, 10))
                v = a[::2]
                total += v.sum()
            return total
        churn(1)
        keep = [allocbench.zeros(100) for _ in range(10)]
        before = rtsys.get_allocation_stats()
        churn(500)
        views = [allocbench.zeros(1000)[3:] for _ in range(200)]
        del views
        after = rtsys.get_allocation_stats()
        print(after.mi_alloc - before.mi_alloc, after.mi_free - before.mi_free)
        """,
        env={"NUMBA_NRT_STATS": "1"},
    )
    allocated, freed = map(int, out.split())
    assert allocated >= 700
    assert allocated == freed


@pytest.mark.slow
def test_resident_memory_stays_flat():
    out = _run(
        """
        import allocbench
        from allocbench.harness.probes import resident_bytes
        for _ in range(3):
            allocbench.zeros(100 * 2**20, "uint8").fill(1)
        start = resident_bytes()
        for _ in range(300):
            a = allocbench.zeros(100 * 2**20, "uint8")
            a[::4096] = 1  # touch every page
        del a
        print(start, resident_bytes())
        """
    )
    start, end = map(int, out.split())
    assert end - start < 150 * MiB


def test_cache_true_works(tmp_path):
    module = tmp_path / "cached_user.py"
    module.write_text(
        textwrap.dedent(
            """
            import numba, numpy as np, allocbench

            @numba.njit(cache=True)
            def make(n):
                a = allocbench.zeros((n, 3), np.int64)
                a[0, 0] = 7
                return a
            """
        )
    )
    code = """
        from cached_user import make
        a = make(4)
        assert a.shape == (4, 3) and a[0, 0] == 7 and a.sum() == 7
        print(sum(make.stats.cache_hits.values()))
        """
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(tmp_path)}
    assert _run(code, env, cwd=tmp_path).strip() == "0"  # compiled, saved
    assert _run(code, env, cwd=tmp_path).strip() == "1"  # loaded from the cache
    assert any(pathlib.Path(tmp_path / "cache").rglob("*.nbi"))


# -- dtype fidelity: exactly numpy's dtype, or a TypeError that names it ---------------------

REC = np.dtype([("a", "i4"), ("b", "f8")])
REC_ALIGNED = np.dtype([("a", "i4"), ("b", "f8")], align=True)
# Equal to REC_ALIGNED under numpy's ==, but not flagged as an aligned struct.
REC_OFFSETS = np.dtype(
    {"names": ["a", "b"], "formats": ["<i4", "<f8"], "offsets": [0, 8], "itemsize": 16}
)
REC_NESTED = np.dtype([("a", "i4", (2, 3)), ("s", "S4"), ("t", "M8[us]")])
REC_TITLED = np.dtype({"names": ["a"], "formats": ["i4"], "titles": ["A"]})
EXACT = [
    "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f4", "f8", "c8", "c16", "b1", "<f8",
    "=i4", "|u1", ">u1",
    np.bool_, bool, int, float, complex, np.intp, np.uint64, np.complex64,
    "M8[ns]", np.dtype("M8[ms]"), "m8[s]", np.dtype("m8[D]"), "M8[Y]", np.datetime64, "m8",
    "S5", np.dtype("U3"), [("a", "i4"), ("b", "f8")],
    REC, REC_ALIGNED, REC_OFFSETS, REC_NESTED, REC_TITLED,
]  # fmt: skip
REFUSED = [
    ">f8", np.dtype(">i4"), "<M8[ns]".replace("<", ">"), [("a", ">i4")], "f2", np.float16, "O",
    "S", "U", "V8", ("f8", (2,)), "M8[2ns]", np.dtype("f8", metadata={"unit": "m"}), "g",
]  # fmt: skip


def _identical(a, b):
    # numba boxes datetime arrays with empty metadata under numpy 1.x: the same as none.
    def key(dt):
        return (dt, dt.str, dt.descr, dt.isalignedstruct, dt.metadata or None)

    return key(a) == key(b)


@pytest.mark.parametrize("dtype", EXACT, ids=repr)
def test_dtype_is_numpys_exactly(dtype):
    for _ in range(2):  # compiled, then the remembered entry
        a = allocbench.zeros((2, 3), dtype)
        expected = np.zeros((2, 3), dtype)
        assert _identical(a.dtype, expected.dtype)
        assert a.tobytes() == expected.tobytes()
        assert _identical(allocbench.zeros_like(expected).dtype, expected.dtype)


@pytest.mark.parametrize("dtype", REFUSED, ids=repr)
def test_other_dtypes_are_refused_by_name(dtype):
    with pytest.raises(TypeError, match=re.escape(repr(np.dtype(dtype)))):
        allocbench.zeros(3, dtype)


def test_equal_but_different_dtypes_are_not_confused():
    allocbench.zeros(3, np.float64)
    allocbench.zeros(3, REC_ALIGNED)
    with pytest.raises(TypeError, match="metadata"):
        allocbench.zeros(3, np.dtype("f8", metadata={"unit": "m"}))
    assert not allocbench.zeros(3, REC_OFFSETS).dtype.isalignedstruct
    assert allocbench.zeros(3, REC_ALIGNED).dtype.isalignedstruct
    assert allocbench.zeros(3, np.dtype("M8[us]")).dtype == np.dtype("M8[us]")
    assert allocbench.zeros(3, np.dtype("M8[ns]")).dtype == np.dtype("M8[ns]")


# Each: (allocbench.zeros's dtype argument inside @njit, numpy's dtype for it).
NJIT_EXACT = {
    "np.float32": ("np.float32", "f4"),
    "np.dtype('f8')": ("np.dtype('f8')", "f8"),
    "literal 'i2'": ("'i2'", "i2"),
    "float": ("float", "f8"),
    "np.bool_": ("np.bool_", "?"),
    "complex64": ("np.complex64", "c8"),
    "datetime64[ns]": ("np.dtype('M8[ns]')", "M8[ns]"),
    "literal 'm8[s]'": ("'m8[s]'", "m8[s]"),
    "datetime64": ("np.datetime64", "M8"),
    "record": ("REC", REC),
    "record aligned": ("REC_ALIGNED", REC_ALIGNED),
    "record nested": ("REC_NESTED", REC_NESTED),
    "bytes": ("'S5'", "S5"),
    "str": ("np.dtype('U3')", "U3"),
}


def _njit_zeros(spelling, make="allocbench.zeros"):
    namespace = dict(globals())
    exec(f"def f(n):\n    return {make}((n, 2), {spelling})", namespace)
    return numba.njit(namespace["f"])


@pytest.mark.parametrize("name", NJIT_EXACT)
def test_dtype_inside_njit_is_numpys_and_numbas(name):
    spelling, dtype = NJIT_EXACT[name]
    a = _njit_zeros(spelling)(3)
    assert _identical(a.dtype, np.zeros(1, dtype).dtype)
    assert a.shape == (3, 2) and a.tobytes() == bytes(a.nbytes)
    try:
        own = _njit_zeros(spelling, "np.zeros")(3)
    except TypingError:  # older numba: no np.zeros(shape, float) nor literal dtypes
        return
    assert _identical(a.dtype, own.dtype)


@pytest.mark.parametrize("dtype", ["M8[us]", "m8[h]", REC, REC_NESTED, "U2", "?"], ids=repr)
def test_zeros_like_inside_njit_keeps_the_dtype(dtype):
    source = np.zeros((2, 3), dtype)
    a = _like(source)
    assert _identical(a.dtype, source.dtype) and a.shape == (2, 3) and a.flags.c_contiguous
    assert a.tobytes() == bytes(a.nbytes)


@pytest.mark.parametrize(
    "spelling, named",
    [("'f2'", "(f2)"), ("'>f8'", "(>f8)"), ("'S'", "Literal[str](S)"), ("'xyz'", "xyz")],
)
def test_other_dtypes_inside_njit_are_typing_errors_naming_them(spelling, named):
    with pytest.raises(TypingError) as error:
        _njit_zeros(spelling)(3)
    assert "allocbench.zeros: dtype" in str(error.value) and named in str(error.value)


# -- numpy's shapes, errors and strides; numpy's zeros_like (issue 21, item 9) ---------------

MAX_INTP = np.iinfo(np.intp).max
# Shapes numpy refuses: bools (TypeError), beyond intp, negative or too big (ValueError).
BAD_SHAPES = [
    True, False, (True, 2), (2, False), np.True_, (np.True_, 3), np.array(True), 2.0, (2.5, 3),
    2**63, -2**63 - 1, 2**64, -2**64, (2**63, 2), (0, 2**63), MAX_INTP,
    2**62, (2**62, 0), (0, 2**62), (2**31, 2**31, 0), (2**62, -1), (-1, 2**62), -1, (3, -2),
]  # fmt: skip
ZERO_SIZE = [0, (0,), (0, 3), (3, 0), (0, 0), (2, 0, 3), (4, 5, 0), ()]


def _outcome(make, *args, **kwargs):
    """What numpy tells apart: the array (shape, strides, dtype, contiguity, bytes), or the
    exception's type and, for a ValueError, its message (numpy's TypeError wording varies, and
    its MemoryError is a subclass of its own)."""
    try:
        a = make(*args, **kwargs)
    except MemoryError:
        return MemoryError, None
    except Exception as error:
        return type(error), str(error) if isinstance(error, ValueError) else None
    flags = (a.flags.c_contiguous, a.flags.f_contiguous, a.flags.writeable)
    return a.shape, a.strides, a.dtype, flags, a.tobytes()


@pytest.mark.parametrize("shape", BAD_SHAPES, ids=repr)
def test_refused_shapes_raise_what_numpy_raises(shape):
    expected = _outcome(np.zeros, shape)
    assert expected[0] in (TypeError, ValueError)
    assert _outcome(allocbench.zeros, shape) == expected
    got, bytewise = _outcome(allocbench.zeros, shape, np.uint8), _outcome(np.zeros, shape, "u1")
    if bytewise[0] is MemoryError and isinstance(shape, tuple) and 0 in shape:
        # numpy 1.18 asks for the other dimensions' product to hold nothing: allocbench asks
        # for nothing (numpy 1.24 and 2.x give the empty array).
        assert got[0] == shape and got[-1] == b""
    else:
        assert got == bytewise
    if not isinstance(shape, np.ndarray):
        assert _outcome(allocbench.zeros_like, 1.0, shape=shape) == expected


@pytest.mark.parametrize("dtype", ["float64", "uint8", "complex128", "S3", REC])
@pytest.mark.parametrize("shape", ZERO_SIZE, ids=repr)
def test_zero_size_arrays_are_strided_as_numpy_strides_them(shape, dtype):
    expected = _outcome(np.zeros, shape, dtype)
    assert _outcome(allocbench.zeros, shape, dtype) == expected
    assert _outcome(allocbench.zeros_like, np.ones(shape, dtype)) == expected


def _njit_call(expression):
    namespace = dict(globals())
    exec(f"def f(n):\n    return {expression}", namespace)
    return numba.njit(namespace["f"])


def _njit_outcome(expression, n):
    """_outcome of a call inside @njit code, of an exception only its type (allocbench says
    numpy's "negative dimensions are not allowed" where numba says "... not allowed")."""
    try:
        a = _njit_call(expression)(n)
    except TypingError:
        return TypingError, None
    except Exception as error:
        return type(error), None
    flags = (a.flags.c_contiguous, a.flags.f_contiguous, a.flags.writeable)
    return a.shape, a.strides, a.dtype, flags, a.tobytes()


@pytest.mark.parametrize(
    "shape, n",
    [
        ("n", 0), ("(n, 3)", 0), ("(3, n)", 0), ("(n, n)", 0), ("(2, n, 3)", 0), ("()", 0),
        ("n", True), ("(n, 2)", True), ("(2, n)", False), ("True", 0), ("(True, 2)", 0),
        ("n", 2**62), ("(n, 0)", 2**62), ("(0, n)", 2**62), ("(n, n, 0)", 2**62),
        ("(n, -1)", 2**62), ("(-1, n)", 2**62), ("n", -1), ("n", np.uint64(2**63)),
    ],
)  # fmt: skip
def test_inside_njit_shapes_errors_and_strides_are_numbas(shape, n):
    expected = _njit_outcome(f"np.zeros({shape})", n)
    assert _njit_outcome(f"allocbench.zeros({shape})", n) == expected
    # int16: no shape here is a real allocation (numba 0.48's np.zeros crashes on a failed one).
    assert _njit_outcome(f"allocbench.zeros({shape}, np.int16)", n) == _njit_outcome(
        f"np.zeros({shape}, np.int16)", n
    )


#: numba 0.56 took an explicit None as np.zeros_like's dtype; before, a typing error.
_EXPLICIT_NONE_LIKE = tuple(map(int, numba.__version__.split(".")[:2])) >= (0, 56)
LIKES = [
    3.0, 3, -7, True, np.float32(2.5), np.int16(4), np.datetime64("2020-01-01", "ms"), "ab",
    b"xyz", [1, 2], [1, 2.5], [True, False], [[1, 2], [3, 4]], ((1, 2), (3, 4)), [[[1j]]], [],
    np.ones((2, 3), np.int16), np.ones((0, 3), np.uint8),
]  # fmt: skip


@pytest.mark.parametrize("like", LIKES, ids=repr)
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"dtype": "i4"}, {"dtype": np.float32}, {"shape": (3, 2)}, {"shape": 4}, {"shape": ()},
     {"dtype": "u1", "shape": (2, 0)}, {"dtype": None, "shape": None}],
    ids=repr,
)  # fmt: skip
def test_zeros_like_takes_what_numpy_takes(like, kwargs):
    assert _outcome(allocbench.zeros_like, like, **kwargs) == _outcome(
        np.zeros_like, like, **kwargs
    )


@pytest.mark.parametrize(
    "like, n",
    [("n", 3.0), ("n", 3), ("n", True), ("n", np.float32(2.5)), ("n", np.uint8(7)),
     ("n", np.complex64(1j)), ("np.ones((2, 3), np.int16)", 0), ("np.zeros((n, 3))", 0)],
)  # fmt: skip
@pytest.mark.parametrize("dtype", ["", ", np.int32", ", dtype=np.float32", ", None"])
def test_zeros_like_inside_njit_takes_what_numbas_takes(like, n, dtype):
    if dtype == ", None" and not _EXPLICIT_NONE_LIKE:
        pytest.skip("numba < 0.56 types np.zeros_like(a, None) as an error")
    expected = _njit_outcome(f"np.zeros_like({like}{dtype})", n)
    assert expected[0] != TypingError
    assert _njit_outcome(f"allocbench.zeros_like({like}{dtype})", n) == expected


@pytest.mark.parametrize("shape", ["(2, 3)", "4", "()", "(n, 0)", "(0, n)"])
@pytest.mark.parametrize(
    "like, dtype", [("n", "np.int64"), ("np.ones((2, 2), np.int16)", "np.int16")]
)
def test_zeros_like_inside_njit_takes_numpys_shape(like, dtype, shape):
    # numba's np.zeros_like has no shape=: np.zeros(shape, a.dtype) gives the array (as numpy's
    # zeros_like does; numpy 1.18 read shape=() as none), numba's np.zeros the strides.
    got = _njit_outcome(f"allocbench.zeros_like({like}, shape={shape})", 0)
    expected = np.zeros(eval(shape, {"n": 0}), np.asarray(_njit_call(like)(0)).dtype)
    assert got[0] == expected.shape and got[2] == expected.dtype
    assert got == _njit_outcome(f"np.zeros({shape}, {dtype})", 0)


@pytest.mark.parametrize("like", ["[1, 2]", "(1, 2)", "[[1.0, 2.0]]"])
def test_zeros_like_of_a_sequence_inside_njit_is_a_typing_error(like):
    # numba's own np.zeros_like cannot lower these either; from Python they work (above).
    with pytest.raises(TypingError):
        _njit_call(f"allocbench.zeros_like({like})")(0)
    with pytest.raises((TypingError, NotImplementedError)):  # numba < 0.49: NotImplementedError
        _njit_call(f"np.zeros_like({like})")(0)
