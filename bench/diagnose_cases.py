"""The trainings `diagnose_recall.py` diagnoses: healthy ones and deliberately broken ones.

Each case is a function of a seed that returns the keyword arguments of ``gn.diagnose``; the
seed draws the generated data, the rows kept of a scikit-learn table (a random 80 %) and the
model's initial weights. Scikit-learn's bundled tables (iris, wine, breast cancer, digits) are
standardised unless the case is about unscaled inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

import glassnet as gn
from glassnet import nn, optim

Arguments = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """A training to diagnose. ``expected``: the codes it must raise (empty: healthy, no
    warning or error allowed); ``allowed``: codes that may come along, with why in ``note``."""

    name: str
    make: Callable[[int], Arguments]
    expected: frozenset[str] = frozenset()
    allowed: frozenset[str] = frozenset()
    note: str = ""
    data: str = field(default="generated")


@cache
def _table(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    return bunch.data.astype(np.float64), bunch.target


def table(name: str, seed: int, standardise: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A random 80 % of the rows of a scikit-learn table, standardised on those rows (constant
    columns, like digits' blank corner pixels, left at 0)."""
    X, y = _table(name)
    rows = np.random.default_rng(seed).permutation(len(X))[: int(0.8 * len(X))]
    X, y = X[rows], y[rows]
    if standardise:
        std = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return X, y


def blobs(seed: int, n: int = 300, classes: int = 3, features: int = 4) -> tuple[np.ndarray, ...]:
    """Gaussian blobs around random centres, standardised; labels 0..classes−1."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, (classes, features))
    label = rng.integers(0, classes, n)
    X = centres[label] + rng.normal(0, 1, (n, features))
    return (X - X.mean(0)) / X.std(0), label


def moons(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles with noise 0.1, standardised; labels 0/1."""
    rng = np.random.default_rng(seed)
    angle, label = rng.uniform(0, np.pi, n), rng.integers(0, 2, n)
    x = np.where(label == 0, np.cos(angle), 1 - np.cos(angle))
    y = np.where(label == 0, np.sin(angle), 0.5 - np.sin(angle))
    X = np.column_stack([x, y]) + rng.normal(0, 0.1, (n, 2))
    return (X - X.mean(0)) / X.std(0), label


def linear_regression(seed: int, n: int = 300, features: int = 5) -> tuple[np.ndarray, ...]:
    """y = X·w + noise 0.1, X standard normal; y of shape (n, 1)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (n, features))
    return X, (X @ rng.normal(0, 1, features) + rng.normal(0, 0.1, n)).reshape(-1, 1)


def mlp(sizes: list[int], seed: int, activation: str = "relu") -> nn.Sequential:
    gn.manual_seed(seed)
    return nn.mlp(sizes, activation=activation)


def arguments(model: nn.Module, X: np.ndarray, y: np.ndarray, loss: str, optimizer: Any = None,
              history: Any = None) -> Arguments:
    return {"model": model, "X": X, "y": y, "loss": loss, "optimizer": optimizer,
            "history": history}


def adam(model: nn.Module, lr: float = 1e-3) -> optim.Adam:
    return optim.Adam(model.parameters(), lr=lr)


def sgd(model: nn.Module, lr: float, momentum: float = 0.0) -> optim.SGD:
    return optim.SGD(model.parameters(), lr=lr, momentum=momentum)


def trained(model: nn.Module, X: np.ndarray, y: np.ndarray, loss: str, optimizer: Any,
            epochs: int) -> Arguments:
    """The arguments after ``gn.fit`` with a 20 % validation split, History included."""
    history = gn.fit(model, X, y, loss=loss, optimizer=optimizer, epochs=epochs, batch_size=32,
                     validation_split=0.2, verbose=0)
    return arguments(model, X, y, loss, optimizer, history)


# -- healthy ---------------------------------------------------------------------------------------
def iris_relu(seed: int) -> Arguments:
    X, y = table("iris", seed)
    model = mlp([4, 16, 3], seed)
    return arguments(model, X, y, "cross_entropy", adam(model))


def wine_relu(seed: int) -> Arguments:
    X, y = table("wine", seed)
    model = mlp([13, 32, 3], seed)
    return arguments(model, X, y, "cross_entropy", adam(model))


def wine_sigmoid_sgd(seed: int) -> Arguments:
    X, y = table("wine", seed)
    model = mlp([13, 16, 3], seed, "sigmoid")
    return arguments(model, X, y, "cross_entropy", sgd(model, 0.5))


def breast_cancer_momentum(seed: int) -> Arguments:
    X, y = table("breast_cancer", seed)
    model = mlp([30, 32, 2], seed)
    return arguments(model, X, y, "cross_entropy", sgd(model, 0.05, momentum=0.9))


def breast_cancer_binary_logits(seed: int) -> Arguments:
    X, y = table("breast_cancer", seed)
    model = mlp([30, 16, 1], seed)
    return arguments(model, X, y.astype(float).reshape(-1, 1), "bce_with_logits", adam(model))


def digits_relu(seed: int) -> Arguments:
    X, y = table("digits", seed)
    model = mlp([64, 64, 10], seed)
    return arguments(model, X, y, "cross_entropy", adam(model))


def moons_tanh(seed: int) -> Arguments:
    X, y = moons(seed)
    model = mlp([2, 16, 16, 2], seed, "tanh")
    return arguments(model, X, y, "cross_entropy", sgd(model, 0.1))


def blobs_deep_relu(seed: int) -> Arguments:
    X, y = blobs(seed)
    model = mlp([4, 32, 32, 32, 3], seed)
    return arguments(model, X, y, "cross_entropy", adam(model))


def regression_mse(seed: int) -> Arguments:
    X, y = linear_regression(seed)
    model = mlp([5, 16, 1], seed)
    return arguments(model, X, y, "mse", adam(model))


def iris_trained(seed: int) -> Arguments:
    X, y = table("iris", seed)
    model = mlp([4, 16, 3], seed)
    return trained(model, X, y, "cross_entropy", adam(model, 1e-2), epochs=30)


def breast_cancer_trained(seed: int) -> Arguments:
    X, y = table("breast_cancer", seed)
    model = mlp([30, 16, 2], seed)
    return trained(model, X, y, "cross_entropy", adam(model, 1e-3), epochs=20)


HEALTHY = [Case(make.__name__, make, data=data) for make, data in [
    (iris_relu, "iris"), (wine_relu, "wine"), (wine_sigmoid_sgd, "wine"),
    (breast_cancer_momentum, "breast cancer"), (breast_cancer_binary_logits, "breast cancer"),
    (digits_relu, "digits"), (moons_tanh, "moons"), (blobs_deep_relu, "blobs"),
    (regression_mse, "regression"), (iris_trained, "iris"),
    (breast_cancer_trained, "breast cancer"),
]]


# -- broken ----------------------------------------------------------------------------------------
def wine_unscaled(seed: int) -> Arguments:
    """Wine as it comes: proline runs to 1680, hue below 2."""
    X, y = table("wine", seed, standardise=False)
    model = mlp([13, 32, 3], seed)
    return arguments(model, X, y, "cross_entropy", sgd(model, 0.01))


def blobs_times_1000(seed: int) -> Arguments:
    X, y = blobs(seed)
    model = mlp([4, 32, 3], seed)
    return arguments(model, X * 1000.0, y, "cross_entropy", sgd(model, 0.01))


def iris_labels_shifted(seed: int) -> Arguments:
    """Classes numbered 1..3 for a 3-output head."""
    X, y = table("iris", seed)
    model = mlp([4, 16, 3], seed)
    return arguments(model, X, y + 1, "cross_entropy", adam(model))


def regression_target_on_classifier(seed: int) -> Arguments:
    X, y = linear_regression(seed, features=4)
    model = mlp([4, 16, 3], seed)
    return arguments(model, X, y.ravel(), "cross_entropy", adam(model))


def wine_softmax_then_cross_entropy(seed: int) -> Arguments:
    X, y = table("wine", seed)
    gn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(13, 16), nn.ReLU(), nn.Linear(16, 3), nn.Softmax(dim=1))
    return arguments(model, X, y, "cross_entropy", adam(model))


def breast_cancer_sigmoid_then_bce_with_logits(seed: int) -> Arguments:
    X, y = table("breast_cancer", seed)
    gn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid())
    return arguments(model, X, y.astype(float).reshape(-1, 1), "bce_with_logits", adam(model))


def blobs_relu_bias_minus_20(seed: int) -> Arguments:
    X, y = blobs(seed)
    model = mlp([4, 16, 3], seed)
    model[0].bias.data[...] = -20.0
    return arguments(model, X, y, "cross_entropy", adam(model))


def digits_half_dead(seed: int) -> Arguments:
    X, y = table("digits", seed)
    model = mlp([64, 32, 10], seed)
    model[0].bias.data[:16] = -50.0
    return arguments(model, X, y, "cross_entropy", adam(model))


def iris_sigmoid_weights_times_30(seed: int) -> Arguments:
    X, y = table("iris", seed)
    model = mlp([4, 16, 3], seed, "sigmoid")
    model[0].weight.data *= 30.0
    return arguments(model, X, y, "cross_entropy", sgd(model, 0.1))


def wine_tanh_weights_times_100(seed: int) -> Arguments:
    X, y = table("wine", seed)
    model = mlp([13, 16, 3], seed, "tanh")
    model[0].weight.data *= 100.0
    return arguments(model, X, y, "cross_entropy", sgd(model, 0.1))


def regression_targets_times_10000(seed: int) -> Arguments:
    """Targets in the tens of thousands: MSE's gradient grows with the error."""
    X, y = linear_regression(seed)
    model = mlp([5, 16, 1], seed)
    return arguments(model, X, y * 1e4, "mse", sgd(model, 1e-3))


def blobs_deep_sigmoid(seed: int) -> Arguments:
    """Eight sigmoid layers: each multiplies the gradient by σ′(z) ≤ 0.25 on the way back."""
    X, y = blobs(seed)
    model = mlp([4, *[8] * 8, 3], seed, "sigmoid")
    return arguments(model, X, y, "cross_entropy", sgd(model, 0.1))


class WithUnusedLayer(nn.Module):
    """A net whose ``spare`` layer never takes part in forward."""

    def __init__(self, features: int, classes: int) -> None:
        super().__init__()
        self.hidden = nn.Linear(features, 16)
        self.spare = nn.Linear(16, 16)
        self.out = nn.Linear(16, classes)

    def forward(self, x: Any) -> Any:
        return self.out(gn.functional.relu(self.hidden(x)))


def wine_unused_layer(seed: int) -> Arguments:
    X, y = table("wine", seed)
    gn.manual_seed(seed)
    model = WithUnusedLayer(13, 3)
    return arguments(model, X, y, "cross_entropy", adam(model))


def iris_last_layer_not_in_optimizer(seed: int) -> Arguments:
    X, y = table("iris", seed)
    model = mlp([4, 16, 3], seed)
    return arguments(model, X, y, "cross_entropy", optim.Adam(model[0].parameters(), lr=1e-3))


def blobs_sgd_lr_10(seed: int) -> Arguments:
    X, y = blobs(seed)
    model = mlp([4, 32, 3], seed)
    return arguments(model, X, y, "cross_entropy", sgd(model, 10.0))


def wine_adam_lr_1(seed: int) -> Arguments:
    X, y = table("wine", seed)
    model = mlp([13, 32, 3], seed)
    return arguments(model, X, y, "cross_entropy", adam(model, 1.0))


def iris_sgd_lr_1e_7(seed: int) -> Arguments:
    X, y = table("iris", seed)
    model = mlp([4, 16, 3], seed)
    return arguments(model, X, y, "cross_entropy", sgd(model, 1e-7))


def breast_cancer_adam_lr_1e_8(seed: int) -> Arguments:
    X, y = table("breast_cancer", seed)
    model = mlp([30, 16, 2], seed)
    return arguments(model, X, y, "cross_entropy", adam(model, 1e-8))


def random_labels_trained_long(seed: int) -> Arguments:
    """80 rows of noise with random labels, a wide net, 60 epochs: it can only memorise."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(0, 1, (80, 10)), rng.integers(0, 2, 80)
    model = mlp([10, 128, 2], seed)
    return trained(model, X, y, "cross_entropy", adam(model, 1e-2), epochs=60)


def wine_unscaled_sgd_lr_1(seed: int) -> Arguments:
    """Two faults: unscaled inputs and a learning rate far too high for them."""
    X, y = table("wine", seed, standardise=False)
    model = mlp([13, 32, 3], seed)
    return arguments(model, X, y, "cross_entropy", sgd(model, 1.0))


def digits_softmax_then_cross_entropy_lr_1e_8(seed: int) -> Arguments:
    """Two faults: probabilities fed to cross-entropy and a learning rate that barely moves."""
    X, y = table("digits", seed)
    gn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10), nn.Softmax(dim=1))
    return arguments(model, X, y, "cross_entropy", sgd(model, 1e-8))


def breast_cancer_labels_as_2_3_half_optimised(seed: int) -> Arguments:
    """Two faults: labels coded 2/3 for a 2-output head, and the optimizer holds one layer."""
    X, y = table("breast_cancer", seed)
    model = mlp([30, 16, 2], seed)
    return arguments(model, X, y + 2, "cross_entropy", optim.Adam(model[2].parameters(), lr=1e-3))


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(codes)


SCALE_BRINGS = "unscaled inputs make ∂L/∂W1 = ∂L/∂z1·x large and the first step big"
DEAD_BRINGS = "with every unit of a layer dead, what follows sees a constant"
BROKEN = [
    Case("wine_unscaled", wine_unscaled, _codes("unscaled_inputs"),
         _codes("exploding_gradients", "learning_rate_too_high", "dead_relu"),
         SCALE_BRINGS + "; proline (to 1680) decides the sign of every z", "wine"),
    Case("blobs_times_1000", blobs_times_1000, _codes("unscaled_inputs"),
         _codes("exploding_gradients", "learning_rate_too_high"), SCALE_BRINGS),
    Case("iris_labels_shifted", iris_labels_shifted, _codes("label_mismatch"), data="iris"),
    Case("regression_target_on_classifier", regression_target_on_classifier,
         _codes("label_mismatch")),
    Case("wine_softmax_then_cross_entropy", wine_softmax_then_cross_entropy,
         _codes("probabilities_as_logits"), _codes("learning_rate_too_low"),
         "a softmax's outputs move little under a small step", "wine"),
    Case("breast_cancer_sigmoid_then_bce_with_logits", breast_cancer_sigmoid_then_bce_with_logits,
         _codes("probabilities_as_logits"), data="breast cancer"),
    Case("blobs_relu_bias_minus_20", blobs_relu_bias_minus_20,
         _codes("dead_relu", "constant_predictions"),
         _codes("vanishing_gradients", "learning_rate_too_low", "parameters_not_training"),
         DEAD_BRINGS + ": no gradient reaches the first layer"),
    Case("digits_half_dead", digits_half_dead, _codes("dead_relu"), data="digits"),
    Case("iris_sigmoid_weights_times_30", iris_sigmoid_weights_times_30,
         _codes("saturated_activations"), _codes("vanishing_gradients", "exploding_gradients"),
         "saturated units pass little gradient back", "iris"),
    Case("wine_tanh_weights_times_100", wine_tanh_weights_times_100,
         _codes("saturated_activations"), _codes("vanishing_gradients", "exploding_gradients"),
         "saturated units pass little gradient back", "wine"),
    Case("regression_targets_times_10000", regression_targets_times_10000,
         _codes("exploding_gradients"), _codes("learning_rate_too_high"),
         "huge gradients make a huge first step"),
    Case("blobs_deep_sigmoid", blobs_deep_sigmoid, _codes("vanishing_gradients"),
         _codes("saturated_activations", "learning_rate_too_low", "constant_predictions"),
         "the first layers' updates are tiny too; the last sigmoids output nearly constants"),
    Case("wine_unused_layer", wine_unused_layer, _codes("parameters_not_training"), data="wine"),
    Case("iris_last_layer_not_in_optimizer", iris_last_layer_not_in_optimizer,
         _codes("parameters_not_training"), data="iris"),
    Case("blobs_sgd_lr_10", blobs_sgd_lr_10, _codes("learning_rate_too_high")),
    Case("wine_adam_lr_1", wine_adam_lr_1, _codes("learning_rate_too_high"), data="wine"),
    Case("iris_sgd_lr_1e_7", iris_sgd_lr_1e_7, _codes("learning_rate_too_low"), data="iris"),
    Case("breast_cancer_adam_lr_1e_8", breast_cancer_adam_lr_1e_8,
         _codes("learning_rate_too_low"), data="breast cancer"),
    Case("random_labels_trained_long", random_labels_trained_long, _codes("overfitting"),
         _codes("learning_rate_too_high"), "the History's loss may wobble near zero"),
    Case("wine_unscaled_sgd_lr_1", wine_unscaled_sgd_lr_1,
         _codes("unscaled_inputs", "learning_rate_too_high"),
         _codes("exploding_gradients", "saturated_activations", "dead_relu",
                "constant_predictions"),
         SCALE_BRINGS + "; a blown-up step can kill or pin the units", "wine"),
    Case("digits_softmax_then_cross_entropy_lr_1e_8", digits_softmax_then_cross_entropy_lr_1e_8,
         _codes("probabilities_as_logits", "learning_rate_too_low"), data="digits"),
    Case("breast_cancer_labels_as_2_3_half_optimised", breast_cancer_labels_as_2_3_half_optimised,
         _codes("label_mismatch", "parameters_not_training"), data="breast cancer"),
]
