"""Shared fixtures: every test starts from glassnet's default dtype and leaves it as it found it."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

import glassnet as gn


@pytest.fixture(autouse=True)
def float32_default() -> Iterator[None]:
    """float32 as the default dtype, whatever a test sets, restored afterwards."""
    previous = gn.get_default_dtype()
    gn.set_default_dtype(np.float32)
    yield
    gn.set_default_dtype(previous)


@pytest.fixture
def float64_default() -> Iterator[None]:
    """float64 as the default dtype for one test (``float32_default`` restores it)."""
    gn.set_default_dtype(np.float64)
    yield


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)

