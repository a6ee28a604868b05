"""The trainable 2-2-1 network again, built from ``gn.Tensor``s so autograd can differentiate it.

The same formulas as ``TrainableNetwork.forward_pass``, one scalar tensor per number, with the
tutorial's names on the tensors (``name=``) so that ``gn.explain`` prints the chain rule in the
tutorial's words:

    ∂L/∂w1 = ∂L/∂y_pred · ∂y_pred/∂h1 · ∂h1/∂w1
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

import glassnet as gn
from glassnet.tutorial._checks import as_sample


class AutogradPass(NamedTuple):
    """One forward pass as a graph: the parameter leaves by name, the named results, the loss."""

    parameters: dict[str, gn.Tensor]
    h1: gn.Tensor
    h2: gn.Tensor
    y_pred: gn.Tensor
    loss: gn.Tensor


def _named(tensor: gn.Tensor, name: str) -> gn.Tensor:
    tensor.name = name  # ops create unnamed tensors; the name is what explain prints
    return tensor


def build_graph(parameters: Mapping[str, float], x: ArrayLike, y_true: float) -> AutogradPass:
    """L = (y_true - y_pred)^2 for one sample, as a float64 graph.   x: (2,), y_true: float."""
    x1, x2 = as_sample(x, 2, who="TrainableNetwork.autograd_graph")
    leaves = {
        name: gn.tensor(value, requires_grad=True, dtype=np.float64, name=name)
        for name, value in parameters.items()
    }
    w1, w2, w3, w4, w5, w6 = (leaves[f"w{i}"] for i in range(1, 7))
    b1, b2, b3 = leaves["b1"], leaves["b2"], leaves["b3"]
    input1 = gn.tensor(x1, dtype=np.float64, name="x1")
    input2 = gn.tensor(x2, dtype=np.float64, name="x2")
    h1 = _named((w1 * input1 + w2 * input2 + b1).sigmoid(), "h1")
    h2 = _named((w3 * input1 + w4 * input2 + b2).sigmoid(), "h2")
    y_pred = _named((w5 * h1 + w6 * h2 + b3).sigmoid(), "y_pred")
    loss = _named((gn.tensor(float(y_true), dtype=np.float64) - y_pred) ** 2, "L")
    return AutogradPass(leaves, h1, h2, y_pred, loss)


def autograd_gradients(
    parameters: Mapping[str, float], x: ArrayLike, y_true: float
) -> dict[str, float]:
    """dL/dparameter by ``loss.backward()``, keyed like ``parameters``."""
    graph = build_graph(parameters, x, y_true)
    graph.loss.backward()
    return {name: float(leaf.grad) for name, leaf in graph.parameters.items()}
