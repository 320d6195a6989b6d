"""Shared test fixtures: the repository root, and the benchmarks package on sys.path."""

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT
