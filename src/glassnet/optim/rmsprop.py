"""RMSprop (Hinton, lecture 6e), with PyTorch's centered and momentum variants."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet import fast_paths
from glassnet.autograd import Tensor
from glassnet.optim.hyperparameters import NON_NEGATIVE
from glassnet.optim.optimizer import (
    Optimizer,
    ParamsLike,
    Workspace,
    checked_gradient,
    effective_gradient,
)


class RMSprop(Optimizer):
    """v ← α·v + (1−α)·g²;  p ← p − lr·g / (√v + eps),  with g = grad + weight_decay·p.

    ``centered`` divides by √(v − ḡ²) + eps instead, ḡ ← α·ḡ + (1−α)·g the mean gradient (an
    estimate of the variance); ``momentum`` > 0 keeps b ← momentum·b + g/(…) and steps p ← p − lr·b.
    State per parameter: ``step``, ``square_avg`` (v), ``momentum_buffer``, ``grad_avg`` (ḡ).
    """

    hyperparameter_rules = {name: NON_NEGATIVE
                            for name in ("lr", "alpha", "eps", "weight_decay", "momentum")}

    def __init__(
        self,
        params: ParamsLike,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        rmsprop_update(group["params"], self.state, group)

    def _update_group_fast(self, group: dict[str, Any]) -> None:
        rmsprop_update_fast(group["params"], self.state, group, self._workspace)


def _state_array(param_state: dict[str, Any], name: str, param: Tensor) -> np.ndarray:
    """The state array ``name``, made as zeros the first time (PyTorch's initial value)."""
    array = param_state.get(name)
    if array is None:
        array = param_state[name] = np.zeros_like(param.data)
    return array


def _rmsprop_state(state: dict[Tensor, dict[str, Any]], param: Tensor) -> dict[str, Any]:
    param_state = state.get(param)
    if not param_state:
        param_state = state[param] = {"step": 0, "square_avg": np.zeros_like(param.data)}
    return param_state


def rmsprop_update(params: list[Tensor], state: dict[Tensor, dict[str, Any]],
                   group: dict[str, Any]) -> None:
    """RMSprop's rule (see the class docstring), line by line, on each parameter with a gradient."""
    lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
    weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
    centered, maximize = group["centered"], group["maximize"]
    for param in params:
        if param.grad is None:  # not used by this forward pass
            continue
        g = checked_gradient(param)
        param_state = _rmsprop_state(state, param)
        param_state["step"] += 1
        if maximize:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * param.data
        v = param_state["square_avg"]
        v *= alpha
        v += (1 - alpha) * g**2
        if centered:
            g_mean = _state_array(param_state, "grad_avg", param)
            g_mean += (1 - alpha) * (g - g_mean)  # α·ḡ + (1 − α)·g, in PyTorch's lerp form
            # v − ḡ² ≥ 0 in exact arithmetic; rounding can leave −1e-20, whose √ would be NaN
            denominator = np.sqrt(np.maximum(v - g_mean**2, 0)) + eps
        else:
            denominator = np.sqrt(v) + eps
        if momentum > 0:
            buffer = _state_array(param_state, "momentum_buffer", param)
            buffer *= momentum
            buffer += g / denominator
            param.data -= lr * buffer
        else:
            param.data -= lr * (g / denominator)


def rmsprop_update_fast(params: list[Tensor], state: dict[Tensor, dict[str, Any]],
                        group: dict[str, Any], workspace: Workspace) -> None:
    """rmsprop_update with every temporary in the workspace: nothing allocated per step."""
    lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
    weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
    centered, maximize = group["centered"], group["maximize"]
    for param in params:
        if param.grad is None:  # not used by this forward pass
            continue
        grad = effective_gradient(param, weight_decay, maximize, workspace)
        param_state = _rmsprop_state(state, param)
        param_state["step"] += 1
        scratch = workspace.get(param, 1)
        square_avg = param_state["square_avg"]
        square_avg *= alpha
        square_avg += np.multiply(np.square(grad, out=scratch), 1 - alpha, out=scratch)
        if centered:
            grad_avg = _state_array(param_state, "grad_avg", param)
            grad_avg += np.multiply(
                np.subtract(grad, grad_avg, out=scratch), 1 - alpha, out=scratch
            )
            variance = np.subtract(square_avg, np.square(grad_avg, out=scratch), out=scratch)
            np.maximum(variance, 0, out=variance)
            denominator = np.sqrt(variance, out=scratch)
        else:
            denominator = np.sqrt(square_avg, out=scratch)
        denominator += eps
        normalized = np.divide(grad, denominator, out=scratch)
        if momentum > 0:
            buffer = _state_array(param_state, "momentum_buffer", param)
            buffer *= momentum
            buffer += normalized
            param.data -= np.multiply(buffer, lr, out=scratch)
        else:
            normalized *= lr
            param.data -= normalized


fast_paths.install(RMSprop, "_update_group", RMSprop._update_group_fast)
