"""Adagrad (Duchi, Hazan & Singer 2011), as PyTorch implements it."""

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


class Adagrad(Optimizer):
    """s ← s + g²;  p ← p − lr_t·g / (√s + eps),  lr_t = lr / (1 + (t − 1)·lr_decay),
    with g = grad + weight_decay·p and s starting at ``initial_accumulator_value``.

    State per parameter: ``step`` (t) and ``sum`` (s), created for every parameter up front, as
    PyTorch does.
    """

    hyperparameter_rules = {
        name: NON_NEGATIVE
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")
    }

    def __init__(
        self,
        params: ParamsLike,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for param in group["params"]:
            _adagrad_state(self.state, param, group)

    def _update_group(self, group: dict[str, Any]) -> None:
        adagrad_update(group["params"], self.state, group)

    def _update_group_fast(self, group: dict[str, Any]) -> None:
        adagrad_update_fast(group["params"], self.state, group, self._workspace)


def _adagrad_state(state: dict[Tensor, dict[str, Any]], param: Tensor,
                   group: dict[str, Any]) -> dict[str, Any]:
    """param's state: t = 0 and s = initial_accumulator_value everywhere, made on first need."""
    param_state = state.get(param)
    if not param_state:
        initial = float(group["initial_accumulator_value"])
        param_state = state[param] = {"step": 0, "sum": np.full_like(param.data, initial)}
    return param_state


def adagrad_update(params: list[Tensor], state: dict[Tensor, dict[str, Any]],
                   group: dict[str, Any]) -> None:
    """Adagrad's rule (see the class docstring), line by line, on each parameter with a gradient."""
    lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
    weight_decay, maximize = float(group["weight_decay"]), group["maximize"]
    for param in params:
        if param.grad is None:  # not used by this forward pass
            continue
        g = checked_gradient(param)
        param_state = _adagrad_state(state, param, group)
        param_state["step"] += 1
        t = param_state["step"]
        if maximize:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * param.data
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s = param_state["sum"]
        s += g**2
        param.data -= lr_t * (g / (np.sqrt(s) + eps))


def adagrad_update_fast(params: list[Tensor], state: dict[Tensor, dict[str, Any]],
                        group: dict[str, Any], workspace: Workspace) -> None:
    """adagrad_update with every temporary in the workspace: nothing allocated per step."""
    lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
    weight_decay, maximize = float(group["weight_decay"]), group["maximize"]
    for param in params:
        if param.grad is None:  # not used by this forward pass
            continue
        grad = effective_gradient(param, weight_decay, maximize, workspace)
        param_state = _adagrad_state(state, param, group)
        param_state["step"] += 1
        scratch = workspace.get(param, 1)
        square_sum = param_state["sum"]
        square_sum += np.square(grad, out=scratch)
        denominator = np.sqrt(square_sum, out=scratch)
        denominator += eps
        update = np.divide(grad, denominator, out=scratch)
        update *= lr / (1 + (param_state["step"] - 1) * lr_decay)
        param.data -= update


fast_paths.install(Adagrad, "_update_group", Adagrad._update_group_fast)
