"""Shared fixtures: a private reference cache per test session, the real data dir (when present), a warm sandbox
and a build cache per module."""

from __future__ import annotations

from pathlib import Path

import pytest

from execeval.languages import BuildCache
from execeval.sandbox import ForkServerSandbox

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True, scope="session")
def _private_reference_cache(tmp_path_factory):
    """Keep tests from reading or filling the user's ~/.cache/execeval."""
    mp = pytest.MonkeyPatch()
    mp.setenv("EXECEVAL_CACHE_DIR", str(tmp_path_factory.mktemp("execeval-cache")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA_DIR.is_dir():
        pytest.skip(f"real benchmark files not found at {DATA_DIR}")
    return DATA_DIR


@pytest.fixture(scope="module")
def sandbox():
    """A warm fork-server sandbox shared by a module's tests (modules that test another backend define their own)."""
    with ForkServerSandbox(workers=2) as sb:
        yield sb


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> BuildCache:
    """An empty build cache shared by a module's tests (compiled languages build each program once)."""
    return BuildCache(tmp_path_factory.mktemp("builds"))
