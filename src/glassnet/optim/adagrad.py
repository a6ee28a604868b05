"""Adagrad (Duchi, Hazan & Singer 2011), as PyTorch implements it."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.autograd import Tensor
from glassnet.optim.hyperparameters import NON_NEGATIVE
from glassnet.optim.optimizer import (
    Optimizer,
    ParamsLike,
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
            self._initial_state(param, group)

    def _initial_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        initial = float(group["initial_accumulator_value"])
        state = {"step": 0, "sum": np.full_like(param.data, initial)}
        self.state[param] = state
        return state

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        lr_decay = float(group["lr_decay"])
        weight_decay = float(group["weight_decay"])
        eps = float(group["eps"])
        maximize = group["maximize"]
        workspace = self._workspace
        for param in group["params"]:
            if param.grad is None:  # not used by this forward pass
                continue
            state = self.state.get(param) or self._initial_state(param, group)
            state["step"] += 1
            grad = effective_gradient(param, weight_decay, maximize, workspace)
            # temporaries go to the shared scratch via out=: no array is allocated per step
            scratch = workspace.get(param, 1)
            square_sum = state["sum"]
            square_sum += np.square(grad, out=scratch)
            denominator = np.sqrt(square_sum, out=scratch)
            denominator += eps
            update = np.divide(grad, denominator, out=scratch)
            update *= lr / (1 + (state["step"] - 1) * lr_decay)
            param.data -= update
