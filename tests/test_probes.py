"""The OS probes see fresh pages being touched, and the memory check refuses what cannot fit."""

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest

from allocbench.catalog import ALLOCATORS, MiB
from allocbench.harness import probes


def test_touching_fresh_memory_faults_and_grows_rss():
    nbytes = 64 * MiB
    faults, rss = probes.minor_faults(), probes.resident_bytes()
    array = np.empty(nbytes, np.uint8)  # above any mmap threshold: fresh, untouched pages
    array.fill(1)
    pages = nbytes // probes.page_size()
    grew = probes.resident_bytes() - rss
    faulted = probes.minor_faults() - faults
    del array
    assert grew >= nbytes // 2
    # Huge pages cut the count to one fault per 2 MiB; small pages give one per page.
    assert nbytes // (2 * MiB) <= faulted <= 2 * pages


def test_available_memory_is_plausible():
    # None only where nothing says: Linux has /proc/meminfo, macOS sysconf's page count.
    available = probes.available_memory()
    assert available is not None and 64 * MiB < available < 2**50


def test_fits_in_memory(monkeypatch):
    assert probes.fits_in_memory(1 * MiB)
    monkeypatch.setattr(probes, "available_memory", lambda: 1024 * MiB)
    assert probes.fits_in_memory(256 * MiB, copies=2)
    assert not probes.fits_in_memory(600 * MiB)
    assert not probes.fits_in_memory(2**50)


def test_fallbacks_without_proc(monkeypatch):
    """Where there is no /proc (macOS), RSS comes from ps(1) and memory from sysconf."""
    monkeypatch.setattr(probes, "_STATM", "/nonexistent/statm")
    monkeypatch.setattr(probes, "_MEMINFO", "/nonexistent/meminfo")
    monkeypatch.setitem(__import__("sys").modules, "psutil", None)
    rss = probes.resident_bytes()
    assert 10 * MiB < rss < 2**40
    assert 64 * MiB < probes.available_memory() < 2**50


def test_machine_facts_are_text_or_none():
    facts = probes.machine_facts()
    assert all(isinstance(v, (str, type(None))) for v in dataclasses.astuple(facts))
    assert facts.malloc == "glibc" or facts.libc is None or "glibc" not in facts.libc
    assert int(facts.page_size) == probes.page_size()
    if probes.glibc_version() is not None:
        assert facts.libc.startswith("glibc 2.")


def test_the_allocator_asked_for_is_read_from_ld_preload(monkeypatch):
    monkeypatch.setenv("LD_PRELOAD", "/opt/x/libfoo.so:libtcmalloc_minimal.so.4")
    assert probes.requested_allocator().name == "tcmalloc"
    monkeypatch.setenv("LD_PRELOAD", "libfoo.so")
    assert probes.requested_allocator() is None
    monkeypatch.delenv("LD_PRELOAD")
    assert probes.requested_allocator() is None and probes.missing_allocator() is None


def test_an_allocator_the_loader_ignored_is_named_missing(monkeypatch):
    # this process runs glibc's malloc, whatever LD_PRELOAD now says
    monkeypatch.setenv("LD_PRELOAD", "libjemalloc.so.2")
    assert probes.malloc_in_use() in ("glibc", "system")
    assert "jemalloc is not installed here" in probes.missing_allocator()
    assert "libjemalloc2" in probes.missing_allocator()


@pytest.mark.parametrize("name", sorted(ALLOCATORS))
def test_a_preloaded_allocator_is_seen_in_use(name):
    soname = ALLOCATORS[name].soname
    code = "from allocbench.harness import probes; print(probes.malloc_in_use())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, LD_PRELOAD=soname))  # fmt: skip
    if "cannot be preloaded" in done.stderr:
        pytest.skip(f"{soname} is not installed here")
    assert done.stdout.strip() == name
