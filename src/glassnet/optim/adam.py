"""Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019), as PyTorch implements them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from glassnet import fast_paths
from glassnet.autograd import Tensor
from glassnet.optim.hyperparameters import NON_NEGATIVE, UNIT
from glassnet.optim.optimizer import (
    Optimizer,
    ParamsLike,
    Workspace,
    checked_gradient,
    effective_gradient,
)


class Adam(Optimizer):
    """m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p − lr·m̂ / (√v̂ + eps),
    with m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ) and g = grad + weight_decay·p.

    ``amsgrad`` uses the running maximum of v in place of v; ``maximize`` uses −grad;
    ``decoupled_weight_decay`` shrinks p ← p·(1 − lr·weight_decay) instead of adding to g (AdamW).
    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v), ``max_exp_avg_sq``.
    """

    hyperparameter_rules = {"lr": NON_NEGATIVE, "betas": UNIT, "eps": NON_NEGATIVE,
                            "weight_decay": NON_NEGATIVE}

    def __init__(
        self,
        params: ParamsLike,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        self._check_group({"betas": betas})  # before float() reads them
        defaults = {
            "lr": lr,
            "betas": (float(betas[0]), float(betas[1])),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        betas = group.get("betas", (0.0, 0.0))
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2); got {betas!r}.")
        super()._check_group(group)

    def _update_group(self, group: dict[str, Any]) -> None:
        adam_update(group["params"], self.state, group)

    def _update_group_fast(self, group: dict[str, Any]) -> None:
        adam_update_fast(group["params"], self.state, group, self._workspace)


def _adam_state(state: dict[Tensor, dict[str, Any]], param: Tensor,
                amsgrad: bool) -> dict[str, Any]:
    """param's state, made on its first step: m = v = 0 (and their running maximum)."""
    param_state = state.get(param)
    if not param_state:
        param_state = state[param] = {
            "step": 0,
            "exp_avg": np.zeros_like(param.data),
            "exp_avg_sq": np.zeros_like(param.data),
        }
    if amsgrad and param_state.get("max_exp_avg_sq") is None:  # also when switched on later
        param_state["max_exp_avg_sq"] = np.zeros_like(param.data)
    return param_state


def adam_update(params: list[Tensor], state: dict[Tensor, dict[str, Any]],
                group: dict[str, Any]) -> None:
    """Adam's rule (see the class docstring), line by line, on each parameter with a gradient."""
    lr, eps, weight_decay = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
    beta1, beta2 = (float(beta) for beta in group["betas"])
    amsgrad, maximize = group["amsgrad"], group["maximize"]
    decoupled = group["decoupled_weight_decay"]
    for param in params:
        if param.grad is None:  # not used by this forward pass
            continue
        g = checked_gradient(param)
        param_state = _adam_state(state, param, amsgrad)
        param_state["step"] += 1
        t = param_state["step"]
        if maximize:
            g = -g
        if weight_decay != 0 and decoupled:
            param.data *= 1 - lr * weight_decay  # AdamW
        elif weight_decay != 0:
            g = g + weight_decay * param.data
        m, v = param_state["exp_avg"], param_state["exp_avg_sq"]
        m += (1 - beta1) * (g - m)  # β1·m + (1 − β1)·g, in PyTorch's lerp form
        v *= beta2
        v += (1 - beta2) * g**2
        if amsgrad:
            v = np.maximum(param_state["max_exp_avg_sq"], v, out=param_state["max_exp_avg_sq"])
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        param.data -= lr * m_hat / (np.sqrt(v_hat) + eps)


def adam_update_fast(params: list[Tensor], state: dict[Tensor, dict[str, Any]],
                     group: dict[str, Any], workspace: Workspace) -> None:
    """adam_update with every temporary in the workspace (nothing allocated per step) and the
    bias corrections moved onto scalars, which saves a pass: the same values up to rounding."""
    lr, eps, weight_decay = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
    beta1, beta2 = (float(beta) for beta in group["betas"])
    amsgrad, maximize = group["amsgrad"], group["maximize"]
    decoupled = group["decoupled_weight_decay"]
    for param in params:
        if param.grad is None:  # not used by this forward pass
            continue
        grad = effective_gradient(param, 0.0 if decoupled else weight_decay, maximize, workspace)
        param_state = _adam_state(state, param, amsgrad)
        param_state["step"] += 1
        step = param_state["step"]
        if decoupled and weight_decay != 0:
            param.data *= 1 - lr * weight_decay
        exp_avg, exp_avg_sq = param_state["exp_avg"], param_state["exp_avg_sq"]
        scratch = workspace.get(param, 1)
        # m ← m + (1 − β1)(g − m), PyTorch's lerp form of β1·m + (1 − β1)·g
        exp_avg += np.multiply(np.subtract(grad, exp_avg, out=scratch), 1 - beta1, out=scratch)
        exp_avg_sq *= beta2
        exp_avg_sq += np.multiply(np.square(grad, out=scratch), 1 - beta2, out=scratch)
        second_moment = exp_avg_sq
        if amsgrad:
            second_moment = param_state["max_exp_avg_sq"]
            np.maximum(second_moment, exp_avg_sq, out=second_moment)
        # lr·m̂/(√v̂ + eps) = step_size·m/(√v + eps·√bc2): the Adam paper's rearrangement
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = math.sqrt(1 - beta2**step)
        step_size = lr * bias_correction2_sqrt / bias_correction1
        denominator = np.sqrt(second_moment, out=scratch)
        denominator += eps * bias_correction2_sqrt
        update = np.divide(exp_avg, denominator, out=scratch)
        update *= step_size
        param.data -= update


class AdamW(Adam):
    """Adam with decoupled weight decay: p ← p·(1 − lr·weight_decay), then the Adam step on grad.

    Decay no longer passes through m and v, so every weight shrinks at the same rate whatever
    its gradient history. Default ``weight_decay=1e-2`` as in PyTorch.
    """

    def __init__(
        self,
        params: ParamsLike,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )


fast_paths.install(Adam, "_update_group", Adam._update_group_fast)
