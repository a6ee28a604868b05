"""RMSprop (Hinton, lecture 6e), with PyTorch's centered and momentum variants."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.optim.hyperparameters import NON_NEGATIVE
from glassnet.optim.optimizer import (
    Optimizer,
    ParamsLike,
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
        lr = float(group["lr"])
        alpha = float(group["alpha"])
        eps = float(group["eps"])
        weight_decay = float(group["weight_decay"])
        momentum = float(group["momentum"])
        centered, maximize = group["centered"], group["maximize"]
        workspace = self._workspace
        for param in group["params"]:
            if param.grad is None:  # not used by this forward pass
                continue
            state = self.state.get(param)
            if not state:
                state = self.state[param] = {"step": 0, "square_avg": np.zeros_like(param.data)}
            state["step"] += 1
            grad = effective_gradient(param, weight_decay, maximize, workspace)
            # temporaries go to the shared scratch via out=: no array is allocated per step
            scratch = workspace.get(param, 1)
            square_avg = state["square_avg"]
            square_avg *= alpha
            square_avg += np.multiply(np.square(grad, out=scratch), 1 - alpha, out=scratch)
            if centered:
                grad_avg = self._buffer(state, "grad_avg", param)
                # ḡ ← ḡ + (1 − α)(g − ḡ), PyTorch's lerp form
                grad_avg += np.multiply(
                    np.subtract(grad, grad_avg, out=scratch), 1 - alpha, out=scratch
                )
                variance = np.subtract(square_avg, np.square(grad_avg, out=scratch), out=scratch)
                # v − ḡ² ≥ 0 in exact arithmetic; rounding can leave −1e-20, whose √ would be NaN
                np.maximum(variance, 0, out=variance)
                denominator = np.sqrt(variance, out=scratch)
            else:
                denominator = np.sqrt(square_avg, out=scratch)
            denominator += eps
            normalized = np.divide(grad, denominator, out=scratch)
            if momentum > 0:
                buffer = self._buffer(state, "momentum_buffer", param)
                buffer *= momentum
                buffer += normalized
                param.data -= np.multiply(buffer, lr, out=scratch)
            else:
                normalized *= lr
                param.data -= normalized

    @staticmethod
    def _buffer(state: dict[str, Any], name: str, param: Any) -> np.ndarray:
        """The state array ``name``, created as zeros the first time (PyTorch's initial value)."""
        buffer = state.get(name)
        if buffer is None:
            buffer = state[name] = np.zeros_like(param.data)
        return buffer
