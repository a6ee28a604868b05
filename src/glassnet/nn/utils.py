"""Gradient clipping, in place on ``.grad``, as ``torch.nn.utils`` does it."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from glassnet.autograd import Tensor
from glassnet.errors import TrainingDiverged

ParametersLike = Tensor | Iterable[Tensor]


def _gradients(parameters: ParametersLike) -> list[np.ndarray]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _vector_norm(array: np.ndarray, norm_type: float) -> float:
    """‖array‖_p over all elements, without overflow for large entries (result in float64)."""
    flat = array.reshape(-1)
    if flat.size == 0:
        return 0.0
    if norm_type == math.inf:
        return float(np.max(np.abs(flat)))
    if norm_type == 2.0:
        # the fast path: one BLAS dot product; it only overflows for entries beyond ~1e19
        # (float32) or ~1e154 (float64), and then the scaled path below takes over
        with np.errstate(over="ignore", invalid="ignore"):
            square_sum = float(np.dot(flat, flat))
        if math.isfinite(square_sum):
            return math.sqrt(square_sum)
    largest = float(np.max(np.abs(flat)))
    if largest == 0.0 or not math.isfinite(largest):
        return largest  # 0, inf, or nan: the norm is the same
    # ‖x‖_p = m·‖x/m‖_p with m = max|x|: every term is ≤ 1, so the sum cannot overflow
    scaled = np.abs(flat, dtype=np.float64) / largest
    if norm_type == 1.0:
        return largest * float(np.sum(scaled))
    return largest * float(np.sum(scaled**norm_type)) ** (1.0 / norm_type)


def clip_grad_norm_(
    parameters: ParametersLike,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale all gradients by max_norm / (total_norm + 1e-6) when that is below 1.

    total_norm = ‖(‖g₁‖_p, …, ‖gₖ‖_p)‖_p, the p-norm of all gradients as one vector
    (``norm_type`` p > 0 or ``math.inf``). Returns total_norm, before clipping, as a float.
    Parameters without a gradient are skipped.
    """
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"norm_type must be positive (or math.inf); got {norm_type}.")
    grads = _gradients(parameters)
    if not grads:
        return 0.0
    norms = np.array([_vector_norm(grad, norm_type) for grad in grads])
    total_norm = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not math.isfinite(total_norm):
        raise TrainingDiverged(
            f"the total {norm_type}-norm of the gradients is {total_norm}, so they cannot be "
            "clipped. Pass error_if_nonfinite=False to scale them anyway."
        )
    clip_coefficient = max_norm / (total_norm + 1e-6)
    if not clip_coefficient >= 1.0:  # also scales when the norm is nan, as PyTorch does
        for grad in grads:
            grad *= clip_coefficient
    return total_norm


def clip_grad_value_(parameters: ParametersLike, clip_value: float) -> None:
    """Clamp every gradient element into [−clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    if clip_value < 0:
        raise ValueError(f"clip_value must be >= 0; got {clip_value}.")
    for grad in _gradients(parameters):
        np.clip(grad, -clip_value, clip_value, out=grad)
