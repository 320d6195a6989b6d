"""allocbench.zeros: right arrays from Python and @njit, memory that lives and dies right."""

import os
import pathlib
import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytest

import allocbench
from allocbench import _advice
from allocbench.catalog import MiB

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
        flag = _advice.huge_page_advised(array.ctypes.data + array.nbytes // 2)
        assert flag is not None, "mapping not found"
        return flag

    numpy_does = advised(np.zeros(64 * MiB, np.uint8))
    assert numpy_does == _advice.numpy_advises_zeros()
    assert advised(allocbench.zeros(64 * MiB // 8)) == numpy_does
    assert (_advice.huge_page_advice() is not None) == numpy_does
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
