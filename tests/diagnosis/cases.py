"""Small trainings, healthy and deliberately broken, each with fixed seeds.

Each case returns the keyword arguments of ``gn.diagnose``: model, X, y, loss, optimizer and
history. The data sets are made here with NumPy (moons, blobs, an iris-like set, a regression)
so the tests need neither scikit-learn nor files.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.tutorial.data import gender_data

Case = dict[str, Any]


def moons(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles with noise 0.1, standardised; labels 0/1."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label == 0, np.cos(angle), 1 - np.cos(angle))
    y = np.where(label == 0, np.sin(angle), 0.5 - np.sin(angle))
    X = np.column_stack([x, y]) + rng.normal(0, 0.1, (n, 2))
    return (X - X.mean(0)) / X.std(0), label


def blobs(n: int = 300, classes: int = 3, features: int = 4,
          seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs around random centres, standardised; labels 0..classes−1."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, (classes, features))
    label = rng.integers(0, classes, n)
    X = centres[label] + rng.normal(0, 1, (n, features))
    return (X - X.mean(0)) / X.std(0), label


def regression(n: int = 300, features: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """y = X·w + noise, standardised X, y of shape (n, 1)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (n, features))
    y = X @ rng.normal(0, 1, features) + rng.normal(0, 0.1, n)
    return X, y.reshape(-1, 1)


def _mlp(sizes: list[int], activation: str = "relu", seed: int = 0) -> nn.Module:
    gn.manual_seed(seed)
    return nn.mlp(sizes, activation=activation)


def _case(model: nn.Module, X: np.ndarray, y: np.ndarray, loss: Any, optimizer: Any = None,
          history: Any = None) -> Case:
    return {"model": model, "X": X, "y": y, "loss": loss, "optimizer": optimizer,
            "history": history}


# -- healthy --------------------------------------------------------------------------------------
def healthy_moons() -> Case:
    X, y = moons()
    model = _mlp([2, 16, 16, 2])
    return _case(model, X, y, "cross_entropy", optim.Adam(model.parameters(), lr=1e-3))


def healthy_blobs() -> Case:
    X, y = blobs()
    model = _mlp([4, 32, 3])
    return _case(model, X, y, "cross_entropy", optim.Adam(model.parameters(), lr=1e-3))


def healthy_iris_like_tanh() -> Case:
    X, y = blobs(150, classes=3, features=4, seed=1)
    model = _mlp([4, 8, 3], activation="tanh")
    return _case(model, X, y, "cross_entropy", optim.SGD(model.parameters(), lr=0.1))


def healthy_regression() -> Case:
    X, y = regression()
    model = _mlp([5, 16, 1])
    return _case(model, X, y, "mse", optim.Adam(model.parameters(), lr=1e-3))


def healthy_binary_logits() -> Case:
    X, y = moons(seed=2)
    model = _mlp([2, 8, 1])
    return _case(model, X, y.astype(float).reshape(-1, 1), "bce_with_logits",
                 optim.SGD(model.parameters(), lr=0.05, momentum=0.9))


def healthy_history() -> Case:
    X, y = blobs(seed=3)
    model = _mlp([4, 16, 3])
    history = {"loss": [1.1, 0.8, 0.6, 0.5, 0.45, 0.42],
               "val_loss": [1.15, 0.85, 0.66, 0.57, 0.53, 0.52]}
    return _case(model, X, y, "cross_entropy", optim.Adam(model.parameters(), lr=1e-3), history)


HEALTHY = [healthy_moons, healthy_blobs, healthy_iris_like_tanh, healthy_regression,
           healthy_binary_logits, healthy_history]


def healthy_trained() -> Case:
    """Adam lr 1e-2 for 30 epochs on the moons, diagnosed with its History."""
    X, y = moons(seed=4)
    model = _mlp([2, 16, 2])
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    history = gn.fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=30,
                     batch_size=32, validation_split=0.2, verbose=0)
    return _case(model, X, y, "cross_entropy", optimizer, history)


HEALTHY.append(healthy_trained)


# -- broken ---------------------------------------------------------------------------------------
def lr_ten_on_tutorial() -> Case:
    """The tutorial's people, one-hidden-layer net, SGD at lr 10."""
    X, y, _ = gender_data()
    model = _mlp([2, 4, 1], activation="sigmoid")
    return _case(model, X / np.abs(X).max(0), y.reshape(-1, 1), "mse",
                 optim.SGD(model.parameters(), lr=10.0))


def lr_ten_on_blobs() -> Case:
    X, y = blobs(seed=5)
    model = _mlp([4, 32, 3])
    return _case(model, X, y, "cross_entropy", optim.SGD(model.parameters(), lr=10.0))


def lr_tiny() -> Case:
    X, y = blobs(seed=6)
    model = _mlp([4, 32, 3])
    return _case(model, X, y, "cross_entropy", optim.SGD(model.parameters(), lr=1e-7))


def inputs_times_1000() -> Case:
    X, y = blobs(seed=7)
    model = _mlp([4, 32, 3])
    return _case(model, X * 1000.0, y, "cross_entropy", optim.SGD(model.parameters(), lr=0.01))


def softmax_before_cross_entropy() -> Case:
    X, y = blobs(seed=8)
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3), nn.Softmax(dim=1))
    return _case(model, X, y, "cross_entropy", optim.Adam(model.parameters(), lr=1e-3))


class WithUnusedLayer(nn.Module):
    """A net whose ``spare`` layer is never used in forward."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(4, 16)
        self.spare = nn.Linear(16, 16)
        self.out = nn.Linear(16, 3)

    def forward(self, x: Any) -> Any:
        return self.out(gn.functional.relu(self.hidden(x)))


def unused_parameter() -> Case:
    X, y = blobs(seed=9)
    gn.manual_seed(0)
    model = WithUnusedLayer()
    return _case(model, X, y, "cross_entropy", optim.Adam(model.parameters(), lr=1e-3))


def parameter_not_in_optimizer() -> Case:
    X, y = blobs(seed=10)
    model = _mlp([4, 16, 3])
    return _case(model, X, y, "cross_entropy", optim.Adam(list(model.parameters())[:2], lr=1e-3))


def frozen_parameter() -> Case:
    X, y = blobs(seed=11)
    model = _mlp([4, 16, 3])
    model[0].weight.requires_grad = False
    return _case(model, X, y, "cross_entropy", optim.Adam(model.parameters(), lr=1e-3))


def sigmoid_huge_inputs() -> Case:
    X, y = blobs(seed=12)
    model = _mlp([4, 8, 8, 3], activation="sigmoid")
    return _case(model, X * 3000.0, y, "cross_entropy", optim.SGD(model.parameters(), lr=0.1))


def deep_sigmoid() -> Case:
    """Eight sigmoid layers: each multiplies the gradient by σ′(z) ≤ 0.25 on the way back."""
    X, y = blobs(seed=19)
    model = _mlp([4, *[8] * 8, 3], activation="sigmoid")
    return _case(model, X, y, "cross_entropy", optim.SGD(model.parameters(), lr=0.1))


def relu_negative_bias() -> Case:
    X, y = blobs(seed=13)
    model = _mlp([4, 16, 3])
    model[0].bias.data[...] = -20.0
    return _case(model, X, y, "cross_entropy", optim.Adam(model.parameters(), lr=1e-3))


def relu_half_dead() -> Case:
    X, y = blobs(seed=14)
    model = _mlp([4, 16, 3])
    model[0].bias.data[:8] = -20.0
    return _case(model, X, y, "cross_entropy", optim.Adam(model.parameters(), lr=1e-3))


def labels_beyond_outputs() -> Case:
    X, y = blobs(classes=5, seed=15)
    model = _mlp([4, 16, 3])
    return _case(model, X, y, "cross_entropy", optim.Adam(model.parameters(), lr=1e-3))


def regression_target_on_classifier() -> Case:
    X, y = regression(features=4, seed=16)
    model = _mlp([4, 16, 3])
    return _case(model, X, y.ravel(), "cross_entropy", optim.Adam(model.parameters(), lr=1e-3))


def overfit_history() -> Case:
    X, y = blobs(seed=17)
    model = _mlp([4, 16, 3])
    history = {"loss": [1.0, 0.7, 0.5, 0.35, 0.25, 0.18, 0.12, 0.08],
               "val_loss": [1.05, 0.8, 0.66, 0.62, 0.68, 0.75, 0.83, 0.95]}
    return _case(model, X, y, "cross_entropy", optim.Adam(model.parameters(), lr=1e-3), history)


def rising_history() -> Case:
    X, y = blobs(seed=18)
    model = _mlp([4, 16, 3])
    history = {"loss": [1.1, 0.9, 1.4, 0.8, 1.9, 1.2, 2.6]}
    return _case(model, X, y, "cross_entropy", optim.Adam(model.parameters(), lr=1e-3), history)


# case -> the codes it must raise (others may come along, e.g. unscaled_inputs with exploding)
BROKEN = {
    lr_ten_on_tutorial: {"learning_rate_too_high"},
    lr_ten_on_blobs: {"learning_rate_too_high"},
    lr_tiny: {"learning_rate_too_low"},
    inputs_times_1000: {"unscaled_inputs", "exploding_gradients"},
    softmax_before_cross_entropy: {"probabilities_as_logits"},
    unused_parameter: {"parameters_not_training"},
    parameter_not_in_optimizer: {"parameters_not_training"},
    frozen_parameter: {"parameters_not_training"},
    sigmoid_huge_inputs: {"unscaled_inputs", "saturated_activations"},
    deep_sigmoid: {"vanishing_gradients"},
    relu_negative_bias: {"dead_relu", "constant_predictions"},
    relu_half_dead: {"dead_relu"},
    labels_beyond_outputs: {"label_mismatch"},
    regression_target_on_classifier: {"label_mismatch"},
    overfit_history: {"overfitting"},
    rising_history: {"learning_rate_too_high"},
}
