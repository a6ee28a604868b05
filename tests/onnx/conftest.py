"""``run_onnx``: execute an exported model in onnxruntime, outputs by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import onnxruntime
import pytest


@pytest.fixture
def run_onnx() -> Callable[..., dict[str, np.ndarray]]:
    def run(model: Any, X: np.ndarray) -> dict[str, np.ndarray]:
        """``model``: a path or an onnx.ModelProto; X is fed to the input "input" as float32."""
        source = model if isinstance(model, str) else model.SerializeToString()
        session = onnxruntime.InferenceSession(source, providers=["CPUExecutionProvider"])
        names = [output.name for output in session.get_outputs()]
        values = session.run(names, {"input": np.asarray(X, dtype=np.float32)})
        return dict(zip(names, values, strict=True))

    return run
