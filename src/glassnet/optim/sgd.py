"""Stochastic gradient descent, with PyTorch's momentum, dampening and Nesterov variants."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet._blas import AXPY_MIN_SIZE, axpy
from glassnet.autograd import Tensor
from glassnet.optim.hyperparameters import FINITE, NON_NEGATIVE
from glassnet.optim.optimizer import (
    Optimizer,
    ParamsLike,
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
        # (lr, lr as a 0-d array of a parameter's dtype) for small parameters, kept across steps
        self._small_lr: tuple[float, np.ndarray] | None = None

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        momentum, dampening = group.get("momentum", 0), group.get("dampening", 0)
        if group.get("nesterov") and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"Nesterov momentum needs momentum > 0 and dampening = 0; got momentum={momentum}, "
                f"dampening={dampening}."
            )

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        # p ← p − lr·grad: the direction is the gradient itself, read as it is
        plain = group["momentum"] == 0 and group["weight_decay"] == 0 and not group["maximize"]
        workspace = self._workspace
        for param in group["params"]:
            grad = param.grad
            if grad is None:  # not used by this forward pass
                continue
            data = param.data
            if not plain:
                direction = self._direction(param, group)
            elif grad.shape == data.shape:
                direction = grad
            else:
                raise gradient_shape_error(param)
            if data.size < AXPY_MIN_SIZE:
                # small: a temporary costs less than finding a scratch. lr as a 0-d array of the
                # parameter's dtype (the value NumPy would convert a float to): half the cost.
                # `is not`: NumPy has one object per builtin dtype; a miss only rebuilds it
                small_lr = self._small_lr
                if small_lr is None or small_lr[0] != lr or small_lr[1].dtype is not data.dtype:
                    small_lr = self._small_lr = (lr, np.array(lr, dtype=data.dtype))
                data -= direction * small_lr[1]
            elif not axpy(-lr, direction, data):
                # `out=` into the shared scratch: the step lr·direction needs no new array
                data -= np.multiply(direction, lr, out=workspace.get(param, 1))

    def _direction(self, param: Tensor, group: dict[str, Any]) -> np.ndarray:
        """What lr multiplies: g with weight decay and sign, through the momentum buffer."""
        workspace = self._workspace
        weight_decay, maximize = float(group["weight_decay"]), group["maximize"]
        grad = effective_gradient(param, weight_decay, maximize, workspace)
        momentum, dampening = float(group["momentum"]), float(group["dampening"])
        if momentum == 0:
            return grad
        state = self.state.setdefault(param, {})
        buffer = state.get("momentum_buffer")
        if buffer is None:
            # PyTorch starts the buffer at the first gradient, undampened
            buffer = np.array(grad, dtype=param.data.dtype, copy=True)
            state["momentum_buffer"] = buffer
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
