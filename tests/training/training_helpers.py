"""Small models and data sets shared by the training tests."""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet.training import Callback


def blobs(n: int = 120, features: int = 4, classes: int = 3, seed: int = 0):
    """Gaussian blobs, one per class, well apart: X (n, features) float64, y (n,) int64."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=4.0, size=(classes, features))
    y = rng.integers(0, classes, size=n)
    X = centers[y] + rng.normal(size=(n, features))
    return X, y.astype(np.int64)


def classifier(in_features: int = 4, classes: int = 3, hidden: int = 8, seed: int = 0) -> nn.Module:
    gn.manual_seed(seed)
    return nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def regressor(in_features: int = 3, seed: int = 0) -> nn.Module:
    gn.manual_seed(seed)
    return nn.Sequential(nn.Linear(in_features, 8), nn.Tanh(), nn.Linear(8, 1))


def same_state(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


class WeightRecorder(Callback):
    """Keeps a copy of the model's state_dict at the end of every epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.states: list[dict[str, np.ndarray]] = []

    def on_epoch_end(self, epoch, logs=None):
        self.states.append(self.model.state_dict())


class ScriptedValue(Callback):
    """Writes values[epoch] into the epoch logs under ``key`` (for monitor tests)."""

    def __init__(self, key: str, values: list[float]) -> None:
        super().__init__()
        self.key, self.values = key, values

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class RecordingLoss:
    """Wraps a loss; records each batch's loss value, target and input dtypes."""

    def __init__(self, function) -> None:
        self.function = function
        self.values: list[float] = []
        self.targets: list[np.ndarray] = []
        self.output_dtypes: list[np.dtype] = []

    def __call__(self, output, target):
        loss = self.function(output, target)
        self.values.append(float(loss.data))
        self.targets.append(np.array(target.data))
        self.output_dtypes.append(output.dtype)
        return loss
