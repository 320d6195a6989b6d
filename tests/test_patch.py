"""allocbench.patch_numba_zeros: numba's own np.zeros and np.zeros_like, calloc-backed.

The switch is process-global, so every check runs in fresh interpreters: the same calls with
the switch on and in a stock interpreter, compared field by field (array type, dtype to the
byte order and unit, shape, strides, flags, values, errors), plus whether the compiled code
calls calloc at all, so a call that silently fell back to numba's own is caught too.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from allocbench.fix.environment import SWITCH_VARIABLE as ENV_VAR
from allocbench.fix.versions import numba_version

MiB = 2**20

# Runs in a fresh interpreter: `python -c PROBE MODE`. MODE "call" applies the switch by
# calling it (twice); "stock" and "env" leave it to the environment variable.
PROBE = textwrap.dedent(
    r"""
    import enum, json, sys
    import numba
    import numpy as np

    if sys.argv[1] == "call":
        import allocbench
        assert allocbench.patch_numba_zeros() is True
        assert allocbench.patch_numba_zeros() is True

    class Color(enum.IntEnum):
        TWO = 2

    REC = np.dtype([("a", "i4"), ("b", "f8")])
    REC_ALIGNED = np.dtype([("a", "i4"), ("b", "f8")], align=True)
    NESTED = np.dtype([("a", "i4", (2, 3)), ("s", "S4"), ("t", "M8[us]")])
    READONLY = np.arange(6.0).reshape(2, 3)  # a global: numba types it read-only
    ARGS = {
        "n": 3,
        "c2": np.ones((2, 3)),
        "f3": np.ones((2, 3, 4), order="F"),
        "d0": np.ones((), np.int16),
        "i1": np.ones(5, np.int8),
        "dt": np.ones(3, "M8[ms]"),
        "rec": np.ones(2, REC),
        "s": 3.5,
        "b": True,
    }

    def numba_error(error):
        return isinstance(error, numba.core.errors.TypingError)

    def calls_calloc(f):
        signatures = f.nopython_signatures  # none where compiling failed
        return bool(signatures) and "@calloc(" in f.inspect_llvm(signatures[0].args)

    def describe(a, f):
        sig = f.nopython_signatures[0]
        return {
            "type": str(sig.return_type),
            "dtype": a.dtype.str,
            "descr": str(a.dtype.descr),
            "aligned_struct": a.dtype.isalignedstruct,
            "shape": list(a.shape),
            "strides": list(a.strides),
            "c": bool(a.flags.c_contiguous),
            "f": bool(a.flags.f_contiguous),
            "writeable": bool(a.flags.writeable),
            "zero": a.tobytes() == bytes(a.nbytes),
            "calloc": calls_calloc(f),
        }

    def outcome(expr, arg):
        namespace = dict(globals())
        exec("def f(x):\n    return " + expr, namespace)
        f = numba.njit(namespace["f"])
        try:
            a = f(ARGS[arg])
        except Exception as error:
            if numba_error(error):
                return {"error": "TypingError"}
            # Where it compiled and failed when run, whose code raised shows in calloc.
            message = str(error).splitlines()[0]
            return {"error": type(error).__name__, "message": message, "calloc": calls_calloc(f)}
        return describe(a, f)

    cases = json.loads(sys.stdin.read())
    print(json.dumps({name: outcome(*case) for name, case in cases.items()}))
    """
)

# name: (expression of x, argument), each run as `numba.njit(lambda x: expression)(argument)`.
TAKEN = {
    "int": ("np.zeros(x)", "n"),
    "tuple": ("np.zeros((x, 4))", "n"),
    "empty tuple": ("np.zeros(())", "n"),
    "3-d with a zero": ("np.zeros((2, 0, x))", "n"),
    "int8": ("np.zeros((x, 4), np.int8)", "n"),
    "uint64": ("np.zeros(x, np.uint64)", "n"),
    "float32 kw": ("np.zeros(x, dtype=np.float32)", "n"),
    "shape kw": ("np.zeros(shape=(x, 2), dtype=np.int32)", "n"),
    "np.dtype": ("np.zeros(x, np.dtype('int16'))", "n"),
    "string literal": ("np.zeros(x, 'i4')", "n"),
    "float builtin": ("np.zeros(x, float)", "n"),
    "None": ("np.zeros(x, None)", "n"),
    "bool": ("np.zeros(x, np.bool_)", "n"),
    "complex64": ("np.zeros((x, 2), 'c8')", "n"),
    "complex128 0-d": ("np.zeros((), np.complex128)", "n"),
    "datetime ns": ("np.zeros(x, 'M8[ns]')", "n"),
    "datetime dtype": ("np.zeros(x, np.dtype('M8[D]'))", "n"),
    "datetime generic": ("np.zeros(x, np.datetime64)", "n"),
    "timedelta s": ("np.zeros(x, np.dtype('m8[s]'))", "n"),
    "record": ("np.zeros(x, REC)", "n"),
    "record aligned": ("np.zeros((x, 2), REC_ALIGNED)", "n"),
    "record nested": ("np.zeros(x, NESTED)", "n"),
    "bytes": ("np.zeros(x, 'S5')", "n"),
    "str": ("np.zeros(x, np.dtype('U3'))", "n"),
    "int32 shape": ("np.zeros(np.int32(x))", "n"),
    "uint8 shape": ("np.zeros(np.uint8(200))", "n"),
    "mixed tuple": ("np.zeros((np.int16(x), np.uint32(2)))", "n"),
    # numba sign-extends a tuple's narrow unsigned dims: 200 becomes -56 there.
    # The errors depend on x: with constants alone, LLVM would fold the allocation away.
    "uint8 in tuple": ("np.zeros((np.uint8(197 + x), x))", "n"),
    "negative": ("np.zeros(-x)", "n"),
    "negative in tuple": ("np.zeros((x, 1 - x))", "n"),
    "uint64 above intp": ("np.zeros(np.uint64(2**63) + np.uint64(x - 3))", "n"),
    "too big": ("np.zeros((2**40 + x, 2**40))", "n"),
    "too big bytes": ("np.zeros(2**61 + x)", "n"),
    "too big then zero": ("np.zeros((2**62 + x, 2**62, 0))", "n"),
    "no memory": ("np.zeros(2**60 + x, np.uint8)", "n"),
    "like C": ("np.zeros_like(x)", "c2"),
    "like F": ("np.zeros_like(x)", "f3"),
    "like transposed": ("np.zeros_like(x.T)", "c2"),
    "like strided": ("np.zeros_like(x[::2, ::3])", "f3"),
    "like 0-d": ("np.zeros_like(x)", "d0"),
    "like 1-d reversed": ("np.zeros_like(x[::-2])", "i1"),
    "like read-only": ("np.zeros_like(READONLY)", "n"),
    "like dtype": ("np.zeros_like(x, np.int8)", "c2"),
    "like F dtype kw": ("np.zeros_like(x, dtype='M8[ms]')", "f3"),
    "like datetime": ("np.zeros_like(x)", "dt"),
    "like record": ("np.zeros_like(x)", "rec"),
    "like float": ("np.zeros_like(x)", "s"),
    "like bool": ("np.zeros_like(x)", "b"),
    "like int dtype": ("np.zeros_like(x, np.uint16)", "n"),
    "like None": ("np.zeros_like(x, None)", "c2"),
}
# Left to numba's own: the switch must give exactly what numba gives, errors included.
FALLEN_BACK = {
    "float16": ("np.zeros(x, np.float16)", "n"),
    "unsized bytes": ("np.zeros(x, 'S')", "n"),
    "IntEnum shape": ("np.zeros((Color.TWO, x))", "n"),
    "bad string": ("np.zeros(x, 'xyz')", "n"),
    "big-endian string": ("np.zeros(x, '>f8')", "n"),
    "int builtin": ("np.zeros(x, int)", "n"),
    "order": ("np.zeros(x, order='F')", "n"),
    "float shape": ("np.zeros(2.5)", "n"),
    "like float16": ("np.zeros_like(x, np.float16)", "c2"),
    "like tuple": ("np.zeros_like((x, x))", "n"),
}


def _probe(mode, cases, extra_env=None):
    env = dict(os.environ, **(extra_env or {}))
    env.pop(ENV_VAR, None)
    if mode == "env":
        env[ENV_VAR] = "1"
    return subprocess.Popen(
        [sys.executable, "-c", PROBE, mode],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env,
    )  # fmt: skip


def _results(process, cases):
    out, err = process.communicate(json.dumps(cases), timeout=900)
    assert process.returncode == 0, err
    return json.loads(out)


def _cases():
    cases = {**TAKEN, **FALLEN_BACK}
    if numba_version() < (0, 56):
        del cases["no memory"]  # numba 0.54's own np.zeros crashes there (no NULL check)
    return cases


@pytest.fixture(scope="module")
def compared():
    """(stock, switched) outcomes of every case, the two interpreters run side by side."""
    cases = _cases()
    stock, switched = _probe("stock", cases), _probe("env", cases)
    return _results(stock, cases), _results(switched, cases)


def _without_calloc(result):
    return {k: v for k, v in result.items() if k != "calloc"}


@pytest.mark.parametrize("name", [*TAKEN, *FALLEN_BACK])
@pytest.mark.slow
def test_same_as_numbas_own(compared, name):
    stock, switched = compared
    if name not in stock:
        pytest.skip("numba's own crashes here")
    assert _without_calloc(switched[name]) == _without_calloc(stock[name])
    assert not stock[name].get("calloc")


# numba before 0.56 refuses an explicit None or float as the dtype: left to it there.
EXPLICIT_DEFAULTS = ("float builtin", "None", "like None")


@pytest.mark.parametrize("name", TAKEN)
@pytest.mark.slow
def test_taken_calls_are_calloc_backed(compared, name):
    _, switched = compared
    if name not in switched:
        pytest.skip("numba's own crashes here")
    if name in EXPLICIT_DEFAULTS and numba_version() < (0, 56):
        assert not switched[name].get("calloc")
        return
    assert switched[name]["calloc"]
    assert switched[name].get("zero", True)  # or it raised, as numba's own does


@pytest.mark.parametrize("name", FALLEN_BACK)
@pytest.mark.slow
def test_other_calls_are_numbas_own(compared, name):
    _, switched = compared
    assert not switched[name].get("calloc")


@pytest.mark.slow
def test_exact_dtypes_and_layouts(compared):
    """The comparison above could pass with both wrong: pin what numba's own gives."""
    stock, _ = compared
    assert stock["datetime ns"]["dtype"] == "<M8[ns]"
    assert stock["timedelta s"]["dtype"] == "<m8[s]"
    assert stock["record aligned"]["aligned_struct"] is True
    assert stock["like F"]["f"] and not stock["like F"]["c"]
    assert stock["like strided"]["c"]  # a non-contiguous array gives a C-ordered one
    assert stock["negative"]["message"] == "negative dimensions not allowed"
    assert stock["too big"]["message"].startswith("array is too big")
    if "no memory" in stock:
        assert stock["no memory"]["error"] == "MemoryError"


def test_calling_it_applies_it_once():
    code = """
        import numpy as np, numba, allocbench
        from numba.core.typing.templates import builtin_registry
        def count():
            return sum(1 for f, _ in builtin_registry.globals if f is np.zeros)
        before = count()
        assert allocbench.patch_numba_zeros() is True
        once = count()
        assert allocbench.patch_numba_zeros() is True
        print(once - before, count() - once)
        """
    assert _run(code).split() == ["1", "0"]


@pytest.mark.slow
def test_not_applied_on_import_or_with_other_values():
    code = """
        import numpy as np, numba, allocbench, allocbench.fix.patch
        f = numba.njit(lambda n: np.zeros(n))
        f(3)
        print("@calloc(" in f.inspect_llvm(f.signatures[0]))
        """
    assert _run(code).strip() == "False"
    assert _run(code, {ENV_VAR: "0"}).strip() == "False"
    assert _run(code, {ENV_VAR: "1"}).strip() == "True"


def test_functions_compiled_before_it_keep_numbas_zeros():
    code = """
        import numpy as np, numba, allocbench
        early = numba.njit(lambda n: np.zeros(n))
        early(3)
        allocbench.patch_numba_zeros()
        late = numba.njit(lambda n: np.zeros(n))
        late(3)
        print(*("@calloc(" in f.inspect_llvm(f.signatures[0]) for f in (early, late)))
        """
    assert _run(code).split() == ["False", "True"]


FAULTS = """
    import resource, sys
    import numba, numpy as np
    if sys.argv[1:] == ["call"]:
        import allocbench
        allocbench.patch_numba_zeros()
    make = numba.njit(lambda n: np.zeros(n, np.uint8))
    make(4096)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    a = make(256 * 2**20)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert a[::4096].sum() == 0
    print(faults)
    """


@pytest.mark.slow
def test_large_zeros_no_longer_touch_every_page():
    stock = int(_run(FAULTS))
    switched = int(_run(FAULTS, args=["call"]))
    assert switched < 1000, switched  # a handful: calloc hands out untouched mmap'd pages
    assert stock > 16 * max(switched, 1), (stock, switched)  # every page (65,536 of 4 KiB)


@pytest.mark.slow
def test_disk_cache_does_not_know_about_the_switch(tmp_path):
    """As the docstring says: code cached without the switch keeps numba's np.zeros with it
    on, and code cached with it keeps calloc without it."""
    (tmp_path / "cached_zeros.py").write_text(
        "import numba, numpy as np\n"
        "make = numba.njit(cache=True)(lambda n: np.zeros(n, np.uint8))\n"
    )
    code = FAULTS.replace(
        "make = numba.njit(lambda n: np.zeros(n, np.uint8))", "from cached_zeros import make"
    ).replace("print(faults)", "print(sum(make.stats.cache_hits.values()), faults)")
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(tmp_path)}

    def run(switched):
        hits, faults = _run(code, dict(env, **({ENV_VAR: "1"} if switched else {}))).split()
        return int(hits), int(faults) < 1000

    assert run(switched=True) == (0, True)  # compiled with the switch, saved
    assert run(switched=False) == (1, True)  # loaded: still calloc
    (tmp_path / "cached_zeros.py").write_text(
        (tmp_path / "cached_zeros.py").read_text() + "# edited: the cache is stale\n"
    )
    assert run(switched=False) == (0, False)  # compiled without it, saved
    assert run(switched=True) == (1, False)  # loaded: still numba's own


STATS = """
    import numba, numpy as np
    from numba.core.runtime import rtsys

    @numba.njit
    def churn(n, a):
        total = 0.0
        for i in range(n):
            z = np.zeros((100, 10))
            view = z[::2]
            like = np.zeros_like(a.T)
            total += view.sum() + like.sum() + np.zeros(()).sum()
        return total

    a = np.ones((30, 20))
    churn(1, a)
    before = rtsys.get_allocation_stats()
    churn(500, a)
    kept = [np.zeros_like(a) for _ in range(3)]
    views = [numba.njit(lambda n: np.zeros(n)[1:])(10) for _ in range(3)]
    del views
    after = rtsys.get_allocation_stats()
    counts = ("alloc", "free", "mi_alloc", "mi_free")
    print(*(getattr(after, k) - getattr(before, k) for k in counts))
    """


@pytest.mark.slow
def test_allocation_statistics_match_numbas_own():
    stats = {"NUMBA_NRT_STATS": "1"}
    stock = list(map(int, _run(STATS, stats).split()))
    switched = list(map(int, _run(STATS, dict(stats, **{ENV_VAR: "1"})).split()))
    assert switched == stock
    allocated, freed, meminfos, meminfos_freed = switched
    assert meminfos >= 1500 and meminfos == meminfos_freed and allocated == freed


@pytest.mark.slow
def test_parallel_zeros_are_calloc_backed_and_not_filled():
    """parallel=True: the parfor numba makes of np.zeros allocates with the switch's calloc and
    its loop writes nothing; fused with other work, or nested in a prange loop (where numba
    hoists its np.empty), it is numba's own; np.zeros_like stays a call."""
    code = """
        import warnings, numba, numpy as np, allocbench
        allocbench.patch_numba_zeros()
        warnings.simplefilter("ignore")
        zeros = numba.njit(parallel=True)(lambda n: np.zeros((n, 3), np.int32))
        like = numba.njit(parallel=True)(lambda a: np.zeros_like(a))
        fused = numba.njit(parallel=True)(lambda n: np.zeros(n) + 1.0)

        @numba.njit(parallel=True)
        def nested(n):
            acc = 0.0
            for i in numba.prange(n):
                t = np.zeros(4)
                t[0] = i
                acc += t.sum()
            return acc

        assert zeros(5).sum() == 0 and like(np.ones(5)).sum() == 0
        assert (fused(7) == 1.0).all() and nested(4) == 6.0
        for f in (zeros, like, fused, nested):
            print("@calloc(" in f.inspect_llvm(f.signatures[0]))
        """
    assert _run(code).split() == ["True", "True", "False", "False"]


@pytest.mark.slow
def test_parallel_zeros_of_256_mib_touch_no_pages_with_the_switch():
    """The switch's parallel np.zeros writes none of its 65,536 pages (counted in page faults,
    which a busy machine does not move); stock numba's parallel fill faults in every one. Its
    speed is measured by patches/numba/reproducer.py --parallel, not here."""
    code = """
        import resource, sys, numba, numpy as np
        if sys.argv[-1] == "on":
            import allocbench; allocbench.patch_numba_zeros()
        f = numba.njit(parallel=True)(lambda n: np.zeros(n, np.uint8))
        f(8)
        faults = []
        for _ in range(3):
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            a = f(256 << 20)
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
            assert not a[::4096].any(); del a
        print(sorted(faults)[1])
        """
    stock, switched = (int(_run(code, args=(mode,))) for mode in ("off", "on"))
    # Stock: 65,537 here (4 KiB pages); at least 128 where THP is "always" (2 MiB pages).
    assert switched < 64 and stock >= 128, (stock, switched)


def test_older_numba_is_refused_clearly(monkeypatch):
    from allocbench.fix import patch

    monkeypatch.setattr(patch, "numba_version", lambda: (0, 53))
    with pytest.raises(NotImplementedError, match=r"numba >= 0\.54.*numba 0\.53"):
        patch._register()


def test_environment_variable_warns_where_it_cannot_work(monkeypatch):
    from allocbench.fix import patch

    monkeypatch.setattr(patch, "numba_version", lambda: (0, 53))
    monkeypatch.setattr(patch, "_active", False)
    monkeypatch.setenv(ENV_VAR, "1")
    with pytest.warns(RuntimeWarning, match="ignored: allocbench.patch_numba_zeros needs"):
        assert patch.apply_from_environment() is False


def _run(code, env=None, args=()):
    full = dict(os.environ, **(env or {}))
    if ENV_VAR not in (env or {}):
        full.pop(ENV_VAR, None)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True, text=True, env=full, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout
