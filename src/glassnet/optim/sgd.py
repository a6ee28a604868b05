"""Stochastic gradient descent, with PyTorch's momentum, dampening and Nesterov variants."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet import _blas, fast_paths
from glassnet.autograd import Tensor
from glassnet.optim.hyperparameters import FINITE, NON_NEGATIVE
from glassnet.optim.optimizer import (
    Optimizer,
    ParamsLike,
    Workspace,
    checked_gradient,
    effective_gradient,
    gradient_shape_error,
)


class SGD(Optimizer):
    """g ← grad + weight_decay·p;  b ← momentum·b + (1 − dampening)·g  (b = g on the first step);
    p ← p − lr·(g + momentum·b) with Nesterov, else p ← p − lr·b.   (PyTorch's formulation.)

    With ``momentum=0`` this is plain gradient descent p ← p − lr·g; ``maximize`` uses −grad.
    State per parameter: ``momentum_buffer`` (only when momentum ≠ 0).
    """

    hyperparameter_rules = {"lr": NON_NEGATIVE, "momentum": NON_NEGATIVE,
                            "dampening": FINITE, "weight_decay": NON_NEGATIVE}

    def __init__(
        self,
        params: ParamsLike,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        momentum, dampening = group.get("momentum", 0), group.get("dampening", 0)
        if group.get("nesterov") and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"Nesterov momentum needs momentum > 0 and dampening = 0; got momentum={momentum}, "
                f"dampening={dampening}."
            )

    def _update_group(self, group: dict[str, Any]) -> None:
        sgd_update(group["params"], self.state, group)

    def _update_group_fast(self, group: dict[str, Any]) -> None:
        sgd_update_fast(group["params"], self.state, group, self._workspace)


def sgd_update(params: list[Tensor], state: dict[Tensor, dict[str, Any]],
               group: dict[str, Any]) -> None:
    """SGD's rule, as the class docstring writes it, on each parameter with a gradient."""
    lr, weight_decay = float(group["lr"]), float(group["weight_decay"])
    momentum, dampening = float(group["momentum"]), float(group["dampening"])
    for param in params:
        if param.grad is None:  # not used by this forward pass
            continue
        g = checked_gradient(param)
        if group["maximize"]:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * param.data
        if momentum != 0:
            param_state = state.setdefault(param, {})
            b = param_state.get("momentum_buffer")
            if b is None:  # PyTorch starts the buffer at the first gradient, undampened
                b = param_state["momentum_buffer"] = np.array(g, dtype=param.data.dtype)
            else:
                b *= momentum
                b += (1 - dampening) * g
            g = g + momentum * b if group["nesterov"] else b
        param.data -= lr * g


def sgd_update_fast(params: list[Tensor], state: dict[Tensor, dict[str, Any]],
                    group: dict[str, Any], workspace: Workspace) -> None:
    """sgd_update with p ← p − lr·d as one BLAS axpy pass (see _blas.axpy), which may round
    once where NumPy rounds twice, and d computed in the workspace, allocating nothing."""
    lr = float(group["lr"])
    # p ← p − lr·grad: the direction is the gradient itself, read as it is
    plain = group["momentum"] == 0 and group["weight_decay"] == 0 and not group["maximize"]
    for param in params:
        grad, data = param.grad, param.data
        if grad is None:  # not used by this forward pass
            continue
        if not plain:
            direction = _direction(param, state, group, workspace)
        elif grad.shape == data.shape:  # tested inline: a call costs as much as a small update
            direction = grad
        else:
            raise gradient_shape_error(param)
        _blas.axpy(-lr, direction, data)


def _direction(param: Tensor, state: dict[Tensor, dict[str, Any]], group: dict[str, Any],
               workspace: Workspace) -> np.ndarray:
    """What lr multiplies: g with weight decay and sign, through the momentum buffer."""
    weight_decay, maximize = float(group["weight_decay"]), group["maximize"]
    grad = effective_gradient(param, weight_decay, maximize, workspace)
    momentum, dampening = float(group["momentum"]), float(group["dampening"])
    if momentum == 0:
        return grad
    param_state = state.setdefault(param, {})
    buffer = param_state.get("momentum_buffer")
    if buffer is None:
        # PyTorch starts the buffer at the first gradient, undampened
        buffer = np.array(grad, dtype=param.data.dtype, copy=True)
        param_state["momentum_buffer"] = buffer
    else:
        buffer *= momentum
        if dampening == 0:
            buffer += grad
        else:
            buffer += np.multiply(grad, 1 - dampening, out=workspace.get(param, 1))
    if not group["nesterov"]:
        return buffer
    scratch = np.multiply(buffer, momentum, out=workspace.get(param, 1))
    scratch += grad
    return scratch


fast_paths.install(SGD, "_update_group", SGD._update_group_fast)
