"""allocbench explain: the compiled code's allocating calls, read from numba's LLVM IR."""

import pytest

from allocbench.cli import main
from allocbench.errors import UserError
from allocbench.harness.explain import allocating_calls


def _names(path, **kw):
    return [call.function for call in allocating_calls(path, **kw)]


@pytest.mark.parametrize("path", ["numba.zeros", "numba.zeros_like"])
@pytest.mark.parametrize("dtype, ndim", [("float64", 1), ("uint8", 2)])
def test_numba_zeros_mallocs_then_fills_the_whole_block(path, dtype, ndim):
    calls = allocating_calls(path, dtype, ndim)
    assert calls[0].function.startswith("NRT_MemInfo_alloc")
    assert [c.fills_whole_block for c in calls] == [False, True]
    assert "calloc" not in _names(path, dtype=dtype, ndim=ndim)


def test_numba_empty_allocates_and_fills_nothing():
    calls = allocating_calls("numba.empty")
    assert [c.function for c in calls if c.function.startswith("NRT_")]
    assert not any(c.fills_whole_block for c in calls)


def test_allocbench_zeros_callocs_and_fills_nothing():
    calls = allocating_calls("allocbench.zeros")
    assert "calloc" in [c.function for c in calls]
    assert not any(c.fills_whole_block for c in calls)
    assert not any(c.function.startswith("NRT_MemInfo_alloc") for c in calls)


def test_a_numpy_path_has_no_compiled_code():
    with pytest.raises(UserError, match="runs no compiled code"):
        allocating_calls("numpy.zeros")


def test_the_command_prints_the_calls_and_refuses_numpy(capsys):
    assert main(["explain", "numba.zeros"]) == 0
    out = capsys.readouterr().out
    assert "NRT_MemInfo_alloc" in out and "(the whole block)" in out
    assert main(["explain", "numpy.zeros"]) == 1
    assert "runs no compiled code" in capsys.readouterr().err
