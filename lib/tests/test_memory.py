"""release_freed_memory: glibc's malloc_trim, at most every MIN_INTERVAL."""

import pytest

from lib import memory


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.setattr(memory, "_last", [float("-inf")])


@pytest.mark.skipif(memory._trim is None, reason="not glibc")
def test_it_trims_then_waits_before_trimming_again():
    assert memory.release_freed_memory(now=100.0) is True
    assert memory.release_freed_memory(now=100.0 + memory.MIN_INTERVAL / 2) is False
    assert memory.release_freed_memory(now=100.0 + memory.MIN_INTERVAL) is True


def test_without_glibc_it_does_nothing(monkeypatch):
    monkeypatch.setattr(memory, "_trim", None)
    assert memory.release_freed_memory(now=100.0) is False
