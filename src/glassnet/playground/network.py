"""The network a config describes, its loss and its optimizer, built from glassnet's own parts.

    network   gn.nn.mlp([inputs, *hidden, outputs], activation) — outputs: 1 for regression and
              two classes, k for k > 2 classes; the people's network ends in Sigmoid (the
              tutorial's y_pred), so its loss is the tutorial's mean squared error
    loss      people: mse(σ(z), y); two classes: bce_with_logits(z, y); more: cross_entropy(z, y);
              regression: mse(z, y); plus the penalty rate · Σ w² (l2) or rate · Σ |w| (l1) over
              the weights (not the biases)
    optimizer sgd: SGD(lr); momentum: SGD(lr, momentum=0.9); adam: Adam(lr)

With the people, one hidden layer of 2 sigmoid units starts from the tutorial's weights for the
seed (``glassnet.tutorial.TrainableNetwork(seed)``, the network ``glassnet demo`` trains).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

import glassnet as gn
from glassnet import functional as F
from glassnet import nn
from glassnet.playground.config import Config
from glassnet.playground.datasets import REGRESSION, Dataset

MOMENTUM = 0.9
# gn.manual_seed and the initialisers share one generator; building under this lock keeps each
# session's initial weights a function of its seed alone, however many sessions build at once.
RANDOM_STATE_LOCK = threading.Lock()

ACTIVATION_NAMES = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "linear": "identity"}


def output_width(dataset: Dataset) -> int:
    """1 for regression and for two classes (one logit), else one logit per class."""
    return 1 if dataset.problem == REGRESSION or dataset.classes == 2 else dataset.classes


def uses_tutorial_loss(dataset: Dataset) -> bool:
    """The people are learned as the tutorial learns them: σ output, mean squared error."""
    return dataset.name == "people"


def is_tutorial_network(config: Config, dataset: Dataset) -> bool:
    """Whether this is the tutorial's 2-2-1 sigmoid network on its people."""
    return uses_tutorial_loss(dataset) and config.hidden == (2,) and \
        config.activation == "sigmoid"


def layer_sizes(config: Config, dataset: Dataset) -> list[int]:
    """[inputs, *hidden, outputs]: the units of each layer, the inputs' layer 0."""
    return [dataset.inputs.shape[1], *config.hidden, output_width(dataset)]


def build_network(config: Config, dataset: Dataset) -> nn.Sequential:
    """The config's network with its initial weights (see the module's docstring)."""
    sizes = layer_sizes(config, dataset)
    with RANDOM_STATE_LOCK:
        gn.manual_seed(config.seed)
        layers = list(nn.mlp(sizes, activation=ACTIVATION_NAMES[config.activation]))
    if uses_tutorial_loss(dataset):
        layers.append(nn.Sigmoid())
    model = nn.Sequential(*layers)
    for number, linear in enumerate(linear_layers(model), start=1):
        linear.weight.name = f"W{number}"  # the labels gn.explain prints
        linear.bias.name = f"b{number}"
    if is_tutorial_network(config, dataset):
        set_tutorial_weights(model, config.seed)
    return model


def set_tutorial_weights(model: nn.Sequential, seed: int) -> None:
    """w1..w6, b1..b3 of TrainableNetwork(seed): h1 = σ(w1 x1 + w2 x2 + b1), h2 = σ(w3 x1 + w4 x2
    + b2), y_pred = σ(w5 h1 + w6 h2 + b3). Linear weights are (out, in)."""
    from glassnet.tutorial import TrainableNetwork

    p = TrainableNetwork(seed=seed).parameters()
    hidden, output = linear_layers(model)
    hidden.weight.data[...] = [[p["w1"], p["w2"]], [p["w3"], p["w4"]]]
    hidden.bias.data[...] = [p["b1"], p["b2"]]
    output.weight.data[...] = [[p["w5"], p["w6"]]]
    output.bias.data[...] = [p["b3"]]


def linear_layers(model: nn.Sequential) -> list[nn.Linear]:
    """The Linear layers in order: layer L of the picture is ``linear_layers(model)[L - 1]``."""
    return [module for module in model if isinstance(module, nn.Linear)]


def build_optimizer(config: Config, model: nn.Module) -> Any:
    if config.optimizer == "adam":
        return gn.optim.Adam(model.parameters(), lr=config.learning_rate)
    momentum = MOMENTUM if config.optimizer == "momentum" else 0.0
    return gn.optim.SGD(model.parameters(), lr=config.learning_rate, momentum=momentum)


def loss_name(dataset: Dataset) -> str:
    """The data loss, by the name gn.fit and gn.diagnose know."""
    if dataset.problem == REGRESSION or uses_tutorial_loss(dataset):
        return "mse"
    return "bce_with_logits" if dataset.classes == 2 else "cross_entropy"


def loss_targets(dataset: Dataset, rows: np.ndarray) -> np.ndarray:
    """The targets the loss compares with: (n, 1) float32 values, or (n,) class indices."""
    targets = dataset.targets[rows]
    if loss_name(dataset) == "cross_entropy":
        return targets.astype(np.int64)
    return targets.astype(np.float32).reshape(-1, 1)


def data_loss(dataset: Dataset, output: gn.Tensor, targets: np.ndarray) -> gn.Tensor:
    """The mean loss of ``output`` (n, outputs) against ``targets`` (see loss_targets)."""
    name = loss_name(dataset)
    target = gn.tensor(targets)
    if name == "mse":
        return F.mse_loss(output, target)
    if name == "bce_with_logits":
        return F.binary_cross_entropy_with_logits(output, target)
    return F.cross_entropy(output, target)


def penalty(config: Config, model: nn.Sequential) -> gn.Tensor | None:
    """rate · Σ w² (l2) or rate · Σ |w| (l1) over every weight matrix; None without one."""
    if config.regularization == "none" or config.regularization_rate == 0:
        return None
    total = None
    for linear in linear_layers(model):
        size = (linear.weight * linear.weight if config.regularization == "l2"
                else linear.weight.abs()).sum()
        total = size if total is None else total + size
    return total * config.regularization_rate


def batch_loss(config: Config, dataset: Dataset, model: nn.Sequential, rows: np.ndarray
               ) -> gn.Tensor:
    """L = data loss on ``rows`` + penalty: what a Step differentiates and what gn.explain reads.
    """
    inputs = gn.tensor(dataset.inputs[rows].astype(np.float32))
    loss = data_loss(dataset, model(inputs), loss_targets(dataset, rows))
    extra = penalty(config, model)
    loss = loss if extra is None else loss + extra
    loss.name = "L"
    return loss
