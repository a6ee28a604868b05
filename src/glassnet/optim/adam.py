"""Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019), as PyTorch implements them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from glassnet.optim.hyperparameters import NON_NEGATIVE, UNIT
from glassnet.optim.optimizer import (
    Optimizer,
    ParamsLike,
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
        lr = float(group["lr"])
        beta1, beta2 = (float(beta) for beta in group["betas"])
        eps = float(group["eps"])
        weight_decay = float(group["weight_decay"])
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        workspace = self._workspace
        for param in group["params"]:
            if param.grad is None:  # not used by this forward pass
                continue
            state = self.state.get(param)
            if not state:
                state = self._initial_state(param, amsgrad)
            state["step"] += 1
            step = state["step"]
            if decoupled and weight_decay != 0:
                param.data *= 1 - lr * weight_decay
            grad = effective_gradient(
                param, 0.0 if decoupled else weight_decay, maximize, workspace
            )
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            # every temporary goes to the shared scratch via out=: no array is allocated per step
            scratch = workspace.get(param, 1)
            # m ← m + (1 − β1)(g − m), PyTorch's lerp form of β1·m + (1 − β1)·g
            exp_avg += np.multiply(np.subtract(grad, exp_avg, out=scratch), 1 - beta1, out=scratch)
            exp_avg_sq *= beta2
            exp_avg_sq += np.multiply(np.square(grad, out=scratch), 1 - beta2, out=scratch)
            second_moment = exp_avg_sq
            if amsgrad:
                second_moment = state.get("max_exp_avg_sq")
                if second_moment is None:  # amsgrad switched on after the first step
                    second_moment = state["max_exp_avg_sq"] = np.zeros_like(exp_avg_sq)
                np.maximum(second_moment, exp_avg_sq, out=second_moment)
            # lr·m̂/(√v̂ + eps) = step_size·m/(√v + eps·√bc2): the Adam paper's rearrangement, which
            # moves both bias corrections onto scalars and saves a pass over the array
            bias_correction1 = 1 - beta1**step
            bias_correction2_sqrt = math.sqrt(1 - beta2**step)
            step_size = lr * bias_correction2_sqrt / bias_correction1
            denominator = np.sqrt(second_moment, out=scratch)
            denominator += eps * bias_correction2_sqrt
            update = np.divide(exp_avg, denominator, out=scratch)
            update *= step_size
            param.data -= update

    def _initial_state(self, param: Any, amsgrad: bool) -> dict[str, Any]:
        state: dict[str, Any] = {
            "step": 0,
            "exp_avg": np.zeros_like(param.data),
            "exp_avg_sq": np.zeros_like(param.data),
        }
        if amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(param.data)
        self.state[param] = state
        return state


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
