"""The OS probes see fresh pages being touched, and the memory check refuses what cannot fit."""

import numpy as np

from allocbench.catalog import MiB
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
    available = probes.available_memory()
    assert available is None or 64 * MiB < available < 2**50


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
    assert set(facts) == {"libc", "transparent_hugepages", "glibc_tunables", "page_size"}
    assert int(facts["page_size"]) == probes.page_size()
    if probes.glibc_version() is not None:
        assert facts["libc"].startswith("glibc 2.")
