"""The calloc np.zeros patch to numba: what build_wheel refuses, and a real patched 0.68.1
build compared with the stock numba that runs these tests.

The module fixture builds the patched wheel once and keeps it under
``.asv/wheels/patched-numba/<sha256 of the diff>/``, so a second run only makes the
virtualenv; it installs the wheel into a fresh virtualenv next to this interpreter's numpy and
llvmlite. The same probe then runs in both interpreters and must give the same arrays, errors
and allocation counts. Of numba's own tests, both run test_dyn_array's TestDynArray, TestNdZeros,
TestNdZerosLike and TestNdEmptyLike (np.empty, np.zeros and their _like forms, whose code the
patch changes, and their reference counts), test_nrt (the runtime and its allocators) and
test_ndarray_subclasses (an array type with its own allocator); the rest of test_dyn_array
(ones, full, concatenate, stack, ...) and test_array_constants double the time and do not
reach the changed code. The whole file takes about 2 to 3 minutes on 2 cores.
Without the network (no sdist, no numpy wheel) the build tests are skipped.
"""

import concurrent.futures
import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap
from importlib.metadata import version

import pytest

from allocbench.cli import main
from allocbench.errors import UserError
from allocbench.history import patched_numba
from allocbench.history.patched_numba import CannotBuild, SdistUnavailable

ROOT = pathlib.Path(__file__).resolve().parent.parent
VERSION = "0.68.1"
T = "numba.tests.test_dyn_array."
NUMBA_TESTS = [
    T + "TestDynArray",
    T + "TestNdZeros",
    T + "TestNdZerosLike",
    T + "TestNdEmptyLike",
    "numba.tests.test_nrt",
    "numba.tests.test_ndarray_subclasses",
]
#: The tests the patch adds to test_dyn_array: run on the patched build only.
NEW_TESTS = T + "TestNdZerosCalloc"

PROBE = textwrap.dedent(
    """
    import gc, json, sys
    import numpy as np
    import numba
    from numba.core.runtime import rtsys

    zeros = numba.njit(lambda shape, dtype: np.zeros(shape, dtype))
    zeros_f8 = numba.njit(lambda shape: np.zeros(shape))
    like = numba.njit(lambda a: np.zeros_like(a))
    like_i2 = numba.njit(lambda a: np.zeros_like(a, np.int16))
    empty = numba.njit(lambda n: np.empty(n, np.uint8))
    rec = np.dtype([("a", np.int32), ("b", np.float64)])
    base = np.arange(24.0).reshape(4, 6)
    CASES = [("zeros", zeros, (s, d)) for s in (0, 1, 7, 1 << 20, (3, 4), (2, 3, 4), ())
             for d in (np.float64, np.int8, np.uint8, np.int32, np.complex64, np.bool_, "f4")]
    CASES += [("zeros_f8", zeros_f8, (s,)) for s in (5, (2, 0), -1, (2, -1), (1 << 62, 4))]
    CASES += [("zeros_rec", zeros, (3, rec)), ("zeros_big", zeros, ((1 << 62, 4), np.int64))]
    CASES += [(name, f, (a,)) for name, f in (("like", like), ("like_i2", like_i2))
              for a in (base, np.asfortranarray(base), base[::2, 1::3], np.float32(2.0),
                        np.ones((0, 3)), np.ones(5, np.uint8))]

    def run(name, f, args):
        try:
            a = f(*args)
        except Exception as exc:
            msg = str(exc) if isinstance(exc, ValueError) else ""
            return {"case": name, "error": type(exc).__name__, "message": msg}
        return {"case": name, "dtype": str(a.dtype), "shape": a.shape, "strides": a.strides,
                "c": a.flags.c_contiguous, "f": a.flags.f_contiguous,
                "writeable": a.flags.writeable, "zero": a.tobytes() == bytes(a.nbytes)}

    out = {"results": [run(*case) for case in CASES]}
    gc.collect()
    before = rtsys.get_allocation_stats()
    for case in CASES:
        run(*case)
    gc.collect()
    after = rtsys.get_allocation_stats()
    out["stats"] = {k: getattr(after, k) - getattr(before, k) for k in after._fields}
    if numba.config.DEBUG_NRT:
        out["empty_bytes"] = sorted(set(empty(4096).tolist()))
    with open(sys.argv[1], "w") as f:
        json.dump(out, f)
    """
)

#: Minor page faults of np.zeros of 64 MiB returned by an @njit function: the median of 5 calls.
FAULTS = textwrap.dedent(
    """
    import resource, numpy as np, numba
    f = numba.njit(lambda n: np.zeros((n,), np.uint8))
    f(8)
    faults = []
    for _ in range(5):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        a = f(64 << 20)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
        del a
    print(sorted(faults)[2])
    """
)

#: Whether np.zeros of 64 MiB (and of 1 MiB) is advised MADV_HUGEPAGE (smaps flag "hg"), by
#: default, after rtsys.set_madvise_hugepage(False), and what that call returned.
HUGE_PAGES = textwrap.dedent(
    """
    import json, numpy as np, numba
    from numba.core.runtime import rtsys

    def advised(a):
        address = a.ctypes.data + a.nbytes // 2
        inside = False
        with open("/proc/self/smaps") as smaps:
            for line in smaps:
                head = line.split(maxsplit=1)[0] if line.strip() else ""
                if "-" in head and not head.endswith(":"):
                    start, end = (int(x, 16) for x in head.split("-"))
                    inside = start <= address < end
                elif inside and head == "VmFlags:":
                    return "hg" in line.split()

    f = numba.njit(lambda n: np.zeros(n, np.uint8))
    big, small = f(64 << 20), f(1 << 20)
    out = {"big": advised(big), "small": advised(small)}
    out["previous"] = rtsys.set_madvise_hugepage(False)
    out["off"] = advised(f(64 << 20))
    rtsys.set_madvise_hugepage(out["previous"])
    print(json.dumps(out))
    """
)

#: np.zeros of 256 MiB in a parallel=True function: the median minor page faults of 5 calls,
#: and whether the compiled code allocates with the zeroed allocation.
PARALLEL = textwrap.dedent(
    """
    import json, resource, numpy as np, numba
    f = numba.njit(parallel=True)(lambda n: np.zeros(n, np.uint8))
    g = numba.njit(parallel=True)(lambda n: np.zeros((n, 3), np.float64) + 1.0)
    assert not f(1 << 20).any() and (g(1000) == 1.0).all()
    faults = []
    for _ in range(5):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        a = f(256 << 20)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
        del a
    zeroed = "NRT_MemInfo_alloc_aligned_zeroed" in f.inspect_llvm(f.signatures[0])
    print(json.dumps({"faults": sorted(faults)[2], "zeroed": zeroed}))
    """
)


# --- refusals: no network, no build ---------------------------------------------------------


@pytest.mark.parametrize("text", ["0.68", "numba==0.68.1", "0.68.1; rm -rf /", "../x", ""])
def test_refuses_what_is_not_a_release_version(tmp_path, text):
    with pytest.raises(UserError, match="not a release version"):
        patched_numba.build_wheel(text, tmp_path)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0.56.4", "the patch is for numba 0.57.0 and later"),
        ("0.48.0", "the patch is for numba 0.57.0 and later"),
        ("0.61.1", "not one of the releases the patch was checked on"),
    ],
)
def test_refuses_a_release_without_a_diff(tmp_path, text, why):
    with pytest.raises(CannotBuild, match=f"no calloc patch for numba {text}: {why}"):
        patched_numba.build_wheel(text, tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_release_newer_than_those_checked_gets_the_newest_diff():
    newest = max(patched_numba.SUPPORTED_VERSIONS, key=patched_numba.parse_version)
    assert patched_numba.patch_path("9.0.0") == patched_numba.patch_path(newest)


def test_every_release_of_the_table_from_the_first_to_the_newest_checked_is_checked():
    """A release added to the table later is tried with the newest diff, not refused."""
    from allocbench.history.releases import load

    parse = patched_numba.parse_version
    first = parse(patched_numba.FIRST_RELEASE)
    newest = max(map(parse, patched_numba.SUPPORTED_VERSIONS))
    table = [r.numba for r in load() if first <= parse(r.numba) <= newest]
    assert len(table) >= 20 and set(table) == set(patched_numba.SUPPORTED_VERSIONS)


def test_every_supported_version_has_its_diff():
    for v in patched_numba.SUPPORTED_VERSIONS:
        text = patched_numba.patch_path(v).read_text()
        assert "+NRT_MemInfo *NRT_MemInfo_alloc_aligned_zeroed(" in text
        assert len(patched_numba.patch_digest(v)) == 64


def test_refuses_an_interpreter_without_the_build_tools(tmp_path):
    with pytest.raises(CannotBuild, match="could not run"):
        patched_numba.check_build_requirements(str(tmp_path / "no-python"))


def test_cli_says_why_in_one_line(capsys):
    assert main(["build-numba", "0.56.4", "--out", "/nonexistent"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("allocbench build-numba: no calloc patch") and err.count("\n") == 1


def _no_build(monkeypatch):
    """Make any step past the checks fail the test: nothing is run, downloaded or built."""
    for step in ("check_build_requirements", "download_sdist", "build"):
        monkeypatch.setattr(patched_numba, step, lambda *a, s=step: pytest.fail(f"{s} ran"))


def _fifo(path):
    os.mkfifo(path)


def _file(path):
    path.write_text("keep me")


def _dangling_link(path):
    path.symlink_to(path.with_name("nowhere"))


def _under_a_file(path):
    path.write_text("keep me")
    return path / "wheels"


@pytest.mark.parametrize("make", [_fifo, _file, _dangling_link, _under_a_file])
def test_an_out_that_is_not_a_folder_is_one_line_before_anything_runs(
    tmp_path, capsys, monkeypatch, make
):
    _no_build(monkeypatch)
    path = tmp_path / "out"
    out = make(path) or path
    before = sorted((p.name, p.lstat().st_mode) for p in tmp_path.iterdir())
    assert main(["build-numba", VERSION, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    wanted = f"{path} exists and is not a folder: the wheel cannot go there"
    assert err == f"allocbench build-numba: {wanted}\n"
    assert sorted((p.name, p.lstat().st_mode) for p in tmp_path.iterdir()) == before
    if make in (_file, _under_a_file):
        assert path.read_text() == "keep me"


@pytest.mark.parametrize(
    "text", ["0." + "1" * 5000 + ".0", "9" * 5000, "0.68.1\n", "0.68.1rc1", "0.68.1+local"]
)
def test_cli_refuses_a_bad_version_in_one_line(tmp_path, capsys, monkeypatch, text):
    _no_build(monkeypatch)
    assert main(["build-numba", text, "--out", str(tmp_path / "w")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("allocbench build-numba: not a release version") and len(err) < 200
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_new_out_folder_is_made_with_its_parents(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(patched_numba, "check_build_requirements", lambda python: None)

    def offline(version, dest, python):
        raise SdistUnavailable(f"pip could not download the numba {version} sdist: offline")

    monkeypatch.setattr(patched_numba, "download_sdist", offline)
    out = tmp_path / "a" / "b"
    assert main(["build-numba", VERSION, "--out", str(out)]) == 1
    assert capsys.readouterr().err.endswith("sdist: offline\n")
    assert out.is_dir() and list(out.iterdir()) == []


# --- the real build --------------------------------------------------------------------------


def _run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def _cached_wheel(python):
    """The patched wheel, from the cache keyed on the diff, or built into it."""
    cache = ROOT / ".asv" / "wheels" / "patched-numba" / patched_numba.patch_digest(VERSION)
    found = sorted(cache.glob(f"numba-{patched_numba.patched_version(VERSION)}-*.whl"))
    if found:
        return found[0]
    try:
        return patched_numba.build_wheel(VERSION, cache, python)
    except SdistUnavailable as exc:
        pytest.skip(f"no numba sdist: {exc}")


@pytest.fixture(scope="module")
def patched_python(tmp_path_factory):
    """A fresh virtualenv's python with the patched numba next to this one's numpy, llvmlite."""
    if version("numba") != VERSION:
        pytest.skip(f"stock numba here is {version('numba')}, the comparison needs {VERSION}")
    venv = tmp_path_factory.mktemp("patched") / "venv"
    _run([sys.executable, "-m", "venv", str(venv)]).check_returncode()
    python = str(venv / "bin" / "python")
    pins = [f"numpy=={version('numpy')}", f"llvmlite=={version('llvmlite')}"]
    pins += ["setuptools", "wheel"]  # to build the wheel with this interpreter
    done = _run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *pins])
    if done.returncode != 0:
        pytest.skip(f"cannot install numpy and llvmlite: {done.stderr.strip()[-200:]}")
    wheel = _cached_wheel(python)
    install = [python, "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check"]
    _run([*install, str(wheel)]).check_returncode()
    return python


def _probe(python, tmp_path, name, **env):
    out = tmp_path / f"{name}.json"
    done = _run([python, "-c", PROBE, str(out)], env=dict(os.environ, **env), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


@pytest.mark.slow
def test_patched_build_is_labelled_and_detectable(patched_python):
    done = _run([patched_python, "-c", "import numba; print(numba.__version__)"])
    assert done.stdout.strip() == patched_numba.patched_version(VERSION)
    assert _run([patched_python, "-c", patched_numba.DETECT]).stdout.strip() == "True"
    assert _run([sys.executable, "-c", patched_numba.DETECT]).stdout.strip() == "False"


@pytest.mark.slow
def test_zeros_like_stock_arrays_errors_and_allocation_counts(patched_python, tmp_path):
    stock = _probe(sys.executable, tmp_path, "stock", NUMBA_NRT_STATS="1")
    patched = _probe(patched_python, tmp_path, "patched", NUMBA_NRT_STATS="1")
    assert patched == stock
    stats = patched["stats"]
    assert stats["alloc"] == stats["free"] > 0 and stats["mi_alloc"] == stats["mi_free"] > 0
    errors = {r["message"] for r in patched["results"] if "error" in r}
    assert "negative dimensions not allowed" in errors
    assert all(r["zero"] for r in patched["results"] if "error" not in r)


@pytest.mark.slow
def test_debug_allocator_still_marks_empty_but_not_zeros(patched_python, tmp_path):
    result = _probe(patched_python, tmp_path, "debug", NUMBA_NRT_STATS="1", NUMBA_DEBUG_NRT="1")
    assert all(r["zero"] for r in result["results"] if "error" not in r)
    assert result["empty_bytes"] == [0xCB]
    assert result["stats"]["alloc"] == result["stats"]["free"]


@pytest.mark.slow
def test_large_zeros_skip_the_fill(patched_python):
    """Stock numba's fill faults in every page of a 64 MiB np.zeros (16,385 here); the patched
    one touches none. Counted, so that a busy machine cannot move it; the speed is measured by
    the suite (bench_fix) and reproducer.py."""
    stock, patched = (int(_run([p, "-c", FAULTS]).stdout) for p in (sys.executable, patched_python))
    assert patched < 64 and stock >= 32, (stock, patched)  # 32: 2 MiB pages, THP "always"


@pytest.mark.slow
@pytest.mark.skipif(
    not pathlib.Path("/sys/kernel/mm/transparent_hugepage/enabled").exists(),
    reason="no transparent huge pages in this kernel",
)
def test_large_zeros_are_advised_huge_pages_as_numpy_advises(patched_python):
    """np.zeros of 4 MiB and more gets madvise(MADV_HUGEPAGE) where numpy gives its own np.zeros
    memory that advice (numpy 2.2 on, unless NUMPY_MADVISE_HUGEPAGE=0), or where
    NUMBA_MADVISE_HUGEPAGE=1; rtsys.set_madvise_hugepage turns it off and returns the old."""

    def probe(**env):
        done = _run([patched_python, "-c", HUGE_PAGES], env=dict(os.environ, **env))
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    numpy_advises = tuple(int(x) for x in version("numpy").split(".")[:2]) >= (2, 2)
    on = {"big": True, "small": False, "previous": True, "off": False}
    off = {"big": False, "small": False, "previous": False, "off": False}
    assert probe() == (on if numpy_advises else off)
    assert probe(NUMPY_MADVISE_HUGEPAGE="0") == off
    assert probe(NUMPY_MADVISE_HUGEPAGE="0", NUMBA_MADVISE_HUGEPAGE="1") == on
    assert probe(NUMBA_MADVISE_HUGEPAGE="0") == off


@pytest.mark.slow
def test_parallel_zeros_are_zero_filled_and_not_written(patched_python):
    stock, patched = (
        json.loads(_run([p, "-c", PARALLEL]).stdout) for p in (sys.executable, patched_python)
    )
    assert patched["zeroed"] and not stock["zeroed"], (stock, patched)
    assert patched["faults"] < 64 and stock["faults"] >= 128, (stock, patched)


def _new_tests(cls):
    """How many test methods the patch's class `cls` has (its `+    def test_` lines, from the
    class to the next class or file of the diff)."""
    inside, count = False, 0
    for line in patched_numba.patch_path("0.68.1").read_text().splitlines():
        if line.startswith(("+class ", "diff --git")):
            inside = line.startswith(f"+class {cls}(")
        elif inside and line.startswith("+    def test_"):
            count += 1
    return count


def test_the_patchs_test_class_is_counted_from_the_diff():
    assert _new_tests("TestNdZerosCalloc") >= 4
    assert _new_tests("NoSuchClass") == 0


def _counts(output):
    """unittest's summary as numbers: ran, and failures, errors, skipped, ... as reported."""
    ran = re.findall(r"^Ran (\d+) tests?", output, re.MULTILINE)
    status = re.findall(r"^(OK|FAILED)(?: \((.*)\))?$", output, re.MULTILINE)
    assert ran and status, output[-2000:]
    counts = {"ran": int(ran[-1]), "ok": status[-1][0] == "OK"}
    for item in filter(None, status[-1][1].split(", ")):
        key, value = item.split("=")
        counts[key] = int(value)
    return counts


@pytest.mark.slow
def test_numbas_own_tests_agree(patched_python, tmp_path):
    """numba's own tests: stock, the patched build, and stock numba with allocbench's
    run-time switch on (ALLOCBENCH_PATCH_NUMBA_ZEROS=1, applied through numba's hook)."""
    stock_env = {k: v for k, v in os.environ.items() if k != "ALLOCBENCH_PATCH_NUMBA_ZEROS"}
    runs = {
        "stock": ([sys.executable, "-m", "numba.runtests", *NUMBA_TESTS], stock_env),
        "patched": ([patched_python, "-m", "numba.runtests", *NUMBA_TESTS, NEW_TESTS], stock_env),
        "switched": ([sys.executable, "-m", "numba.runtests", *NUMBA_TESTS],
                     dict(stock_env, ALLOCBENCH_PATCH_NUMBA_ZEROS="1")),
    }  # fmt: skip
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = {k: pool.submit(_run, c, cwd=tmp_path, env=e) for k, (c, e) in runs.items()}
        done = {k: f.result() for k, f in futures.items()}
    stock, patched, switched = (
        _counts(done[k].stdout + done[k].stderr) for k in ("stock", "patched", "switched")
    )
    assert stock["ok"] and patched["ok"] and switched["ok"], (stock, patched, switched)
    assert patched == dict(stock, ran=stock["ran"] + _new_tests("TestNdZerosCalloc"))
    assert switched == stock
