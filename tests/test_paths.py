"""Every allocation path gives the array it promises, the way perfplot's equality check does."""

import numpy as np
import pytest

from allocbench.harness.paths import PATHS, normalize_shape

SHAPES = [(1000,), (37, 64), 0, 5]
DTYPES = ["float64", "float32", "int64", "uint8"]


def test_registry_names_and_libraries():
    assert len(PATHS) >= 14
    for name, path in PATHS.items():
        assert path.name == name
        library, _, what = name.partition(".")
        assert library in ("numpy", "numba", "mixed", "allocbench") and what
        assert path.library == library
        assert path.description and "\n" not in path.description


def test_registry_covers_the_issue():
    required = {
        "numpy.zeros", "numpy.empty", "numpy.ones", "numpy.full", "numpy.zeros_like",
        "numba.zeros", "numba.empty", "numba.empty_loop", "numba.empty_slice_fill",
        "numba.ones", "numba.full", "numba.zeros_like", "mixed.zeros_in", "mixed.objmode_zeros",
        "allocbench.zeros",
    }  # fmt: skip
    assert required <= set(PATHS)


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        PATHS["numpy.zeros"] = None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(PATHS))
def test_path_result(name, shape, dtype):
    path = PATHS[name]
    array = path(shape, dtype)
    expected_shape = normalize_shape(shape)
    assert isinstance(array, np.ndarray)
    assert array.shape == expected_shape
    assert array.dtype == np.dtype(dtype)
    assert array.flags.c_contiguous and array.flags.writeable
    if path.value is not None:
        np.testing.assert_array_equal(array, np.full(expected_shape, path.value, dtype))


@pytest.mark.parametrize("name", list(PATHS))
def test_bound_path_gives_fresh_arrays(name):
    alloc = PATHS[name].bind((256,), "float64")
    first, second = alloc(), alloc()
    assert not np.shares_memory(first, second)
    first[:] = 42  # writing one leaves the next allocation untouched
    third = alloc()
    if PATHS[name].value is not None:
        assert (third == PATHS[name].value).all()


def test_paths_agree_with_each_other():
    """All zero-valued paths return the same array, as perfplot's equality check demands."""
    zero_paths = [p for p in PATHS.values() if p.value == 0]
    assert len(zero_paths) >= 9
    reference = zero_paths[0]((20, 30), "int64")
    for path in zero_paths[1:]:
        np.testing.assert_array_equal(path((20, 30), "int64"), reference, err_msg=path.name)


@pytest.mark.parametrize("bad", [-1, (3, -2)])
def test_negative_shape_raises_like_numpy(bad):
    with pytest.raises(ValueError, match="negative dimensions"):
        np.zeros(bad)
    with pytest.raises(ValueError, match="negative dimensions"):
        PATHS["numba.zeros"].bind(bad)


def test_non_integer_shape_raises():
    with pytest.raises(TypeError):
        PATHS["numpy.zeros"].bind((2.5,))


@pytest.mark.slow
def test_dtypes_stay_apart_in_numba_on_disk_cache(tmp_path):
    """Closures made per dtype must not load each other's machine code from numba's cache."""
    import os
    import subprocess
    import sys

    code = (
        "from allocbench.harness.paths import PATHS\n"
        "for name in ('numba.zeros', 'numba.empty_loop', 'allocbench.zeros'):\n"
        "    for dt in ('float64', 'float32', 'uint8', 'int64'):\n"
        "        a = PATHS[name]((1000,), dt)\n"
        "        assert a.dtype == dt, (name, dt, a.dtype)\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    for _ in range(2):  # the first run compiles and saves, the second loads
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
