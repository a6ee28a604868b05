"""Fixtures for the io tests: a small trained-looking model, its file, and a raw-file builder."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn


def build_small_model(dtype: Any = np.float32) -> nn.Module:
    """Linear → BatchNorm (with moved running statistics) → ReLU → Dropout → Linear, eval mode."""
    previous = gn.get_default_dtype()
    gn.set_default_dtype(dtype)
    try:
        gn.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Dropout(0.25),
                              nn.Linear(5, 2))
        model.train()
        model(np.random.default_rng(1).normal(size=(8, 3)))  # running stats ≠ their defaults
        return model.eval()
    finally:
        gn.set_default_dtype(previous)


def _assert_same(a: Any, b: Any, where: str = "root") -> None:
    """Equal values of the very same types; arrays bit for bit; dict key order kept."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}/{i}")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, where


@pytest.fixture(scope="session")
def assert_same() -> Callable[[Any, Any], None]:
    return _assert_same


@pytest.fixture
def small_model() -> nn.Module:
    return build_small_model()


@pytest.fixture
def inputs() -> np.ndarray:
    return np.random.default_rng(2).normal(size=(7, 3))


@pytest.fixture
def model_file(tmp_path: Any, small_model: nn.Module) -> str:
    path = os.path.join(tmp_path, "model.safetensors")
    gn.io.save(small_model, path, metadata={"classes": ["no", "yes"]})
    return path


@pytest.fixture
def raw_file() -> Callable[..., bytes]:
    """Bytes of a safetensors-framed file from a header dict and a data section, unchecked."""

    def build(header: dict[str, Any], data: bytes = b"", header_text: str | None = None) -> bytes:
        text = json.dumps(header) if header_text is None else header_text
        encoded = text.encode("utf-8")
        return len(encoded).to_bytes(8, "little") + encoded + data

    return build
