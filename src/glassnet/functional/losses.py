"""Loss functions, each one fused op: the per-element loss and its derivative side by side.

Here the losses whose input and target have one shape (regression, binary cross-entropy) and
what all losses share; cross-entropy and NLL, on (N, C) scores and class indices (N,) or
probabilities (N, C), are in ``classification_losses``. ``reduction`` is "mean" (default),
"sum" or "none", as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.autograd import Function, Tensor, input_tensor, promote, sigmoid_values
from glassnet.errors import ShapeError, check_numeric

REDUCTIONS = ("mean", "sum", "none")
# Up to this many elements, MSE sums its squares as one dot product (see MSE.forward).
_FEW_ELEMENTS = 32


class _Loss(Function):
    """Shared reduction: forward reduces the per-element losses, backward spreads the gradient."""

    def __init__(self, reduction: str) -> None:
        if reduction not in REDUCTIONS:  # checked here, not by a call: it runs on every loss
            _checked_reduction(reduction)
        self.reduction = reduction

    def reduce(self, losses: np.ndarray, count: int | None = None) -> np.ndarray:
        count = losses.size if count is None else count
        if self.reduction == "none":
            self.count = count
            return losses
        return self.reduce_total(np.add.reduce(losses, axis=None), count)

    def reduce_total(self, total: Any, count: int) -> Any:
        """The reduced loss from ``total``, the sum of ``count`` per-element losses. The mean
        of no losses is NaN, as in PyTorch (without NumPy's warning about 0/0)."""
        self.count = count
        if self.reduction != "mean":
            return total
        return total / count if count else total * np.nan

    def spread(self, grad: np.ndarray, factor: float = 1.0) -> np.ndarray | float:
        """factor · ∂L/∂(per-element loss): grad·factor/N for mean, grad·factor otherwise."""
        if self.reduction == "mean":
            # one product on grad instead of a product and a quotient; with N = 0 there is no
            # element for the factor to reach (the gradient is empty, as in PyTorch)
            factor = factor / self.count if self.count else 0.0
        if grad.ndim == 0:  # as a Python float: no NumPy call here, and none cheaper later
            return grad.item() * factor
        return grad if factor == 1.0 else grad * factor

    def negated_for_target(self, grad_input: np.ndarray) -> np.ndarray | None:
        """∂ℓ/∂target = −∂ℓ/∂input for losses of x − y; computed only when the target needs it."""
        return -grad_input if self.needs_input_grad[1] else None


def _checked_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}; got {reduction!r}.")
    return reduction


def checked_weights(weight: Any, dtype: np.dtype, who: str, name: str) -> np.ndarray:
    """``weight`` (a class weight or pos_weight) as a finite, non-negative array of ``dtype``
    (float64 for an integer dtype); its shape is the caller's to check.
    PyTorch takes negative weights too; here they are refused: a negative weight turns a loss
    into a reward for being wrong, which is never what a weighted loss is for."""
    data = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    check_numeric(data, who=f"{who} {name}")
    values = data.astype(dtype if dtype.kind == "f" else np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"{who}: {name} must be finite; got {data.tolist()!r:.120}.")
    if (values < 0).any():
        raise ValueError(f"{who}: {name} must be non-negative; got {data.tolist()!r:.120}.")
    return values


def _check_same_shape(input: Tensor, target: Tensor, who: str) -> None:
    if input.data.shape != target.data.shape:
        hint = ""
        if input.ndim == 2 and input.shape[1] == 1 and target.shape == input.shape[:1]:
            hint = " Reshape the target with y.reshape(-1, 1)."
        raise ShapeError(f"{who} expects target of shape {input.shape} like the input; "
                         f"got {target.shape}.{hint}")


class MSE(_Loss):
    """ℓ = (x − y)².  ∂ℓ/∂x = 2(x − y) = −∂ℓ/∂y."""

    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        self.diff = diff = x - y
        if diff.size <= _FEW_ELEMENTS and self.reduction != "none":
            # Σ d² as d·d (vdot flattens), one call instead of a product and a reduction: on
            # the tutorial's one output that halves the loss's cost; on a few terms the sums agree
            return self.reduce_total(np.vdot(diff, diff), diff.size)
        return self.reduce(diff * diff)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        grad_x = self.diff * self.spread(grad, 2.0)
        return grad_x, self.negated_for_target(grad_x)


class L1(_Loss):
    """ℓ = |x − y|.  ∂ℓ/∂x = sign(x − y)."""

    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        self.diff = x - y
        return self.reduce(np.abs(self.diff))

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        grad_x = self.spread(grad) * np.sign(self.diff)
        return grad_x, self.negated_for_target(grad_x)


class Huber(_Loss):
    """ℓ = ½d² if |d| < δ else δ(|d| − ½δ), d = x − y.  ∂ℓ/∂x = d clipped to [−δ, δ]."""

    def __init__(self, reduction: str, delta: float) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        self.diff = x - y
        size = np.abs(self.diff)
        quadratic = 0.5 * self.diff * self.diff
        linear = self.delta * (size - 0.5 * self.delta)
        return self.reduce(np.where(size < self.delta, quadratic, linear))

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        grad_x = self.spread(grad) * np.clip(self.diff, -self.delta, self.delta)
        return grad_x, self.negated_for_target(grad_x)


class BinaryCrossEntropy(_Loss):
    """ℓ = −[y ln p + (1 − y) ln(1 − p)], logs clamped at −100 as PyTorch does.

    ∂ℓ/∂p = (p − y) / max(p(1 − p), 1e-12),  ∂ℓ/∂y = ln(1 − p) − ln p (a target may learn).
    """

    def forward(self, p: np.ndarray, y: np.ndarray) -> np.ndarray:
        if np.any((p < 0) | (p > 1)):
            raise ValueError("binary_cross_entropy expects probabilities in [0, 1]; got values "
                             f"from {p.min()} to {p.max()}. For raw scores use "
                             "binary_cross_entropy_with_logits.")
        self.p, self.y = p, y
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)
            log_not_p = np.maximum(np.log1p(-p), -100)
        return self.reduce(-(y * log_p + (1 - y) * log_not_p))

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        p, y = self.p, self.y
        scale = self.spread(grad)
        grad_p = scale * (p - y) / np.maximum(p * (1 - p), 1e-12)
        if not self.needs_input_grad[1]:
            return grad_p, None
        # ∂ℓ/∂y = ln(1 − p) − ln p = −logit(p), unclamped as in PyTorch: ±inf at p = 1 or 0
        with np.errstate(divide="ignore"):
            return grad_p, scale * (np.log1p(-p) - np.log(p))


class BinaryCrossEntropyWithLogits(_Loss):
    """ℓ = max(x, 0) − x·y + ln(1 + e^−|x|)  (BCE of σ(x), without overflow).

    ∂ℓ/∂x = σ(x) − y,  ∂ℓ/∂y = −x (a target may learn).

    With ``pos_weight`` p (broadcast against x, as PyTorch's: one weight per output column),
    the positive term is weighted: ℓ = −[p·y·ln σ(x) + (1 − y)·ln σ(−x)]
    = p·y·softplus(−x) + (1 − y)·softplus(x);  ∂ℓ/∂x = (1 − y)·σ(x) − p·y·σ(−x),
    ∂ℓ/∂y = p·softplus(−x) − softplus(x). The mean divides by the number of elements.
    """

    def __init__(self, reduction: str, pos_weight: np.ndarray | None = None) -> None:
        super().__init__(reduction)
        self.pos_weight = pos_weight

    @np.errstate(under="ignore")  # e^−|x| → 0 for large |x| is the right answer
    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        self.x, self.y = x, y
        tail = np.log1p(np.exp(-np.abs(x)))  # ln(1 + e^−|x|)
        if self.pos_weight is None:
            return self.reduce(np.maximum(x, 0) - x * y + tail)
        # softplus(x) = max(x, 0) + tail and softplus(−x) = max(−x, 0) + tail
        self.softplus_x = np.maximum(x, 0) + tail
        self.softplus_minus_x = np.maximum(-x, 0) + tail
        weighted_y = self.pos_weight * y
        return self.reduce(weighted_y * self.softplus_minus_x + (1 - y) * self.softplus_x)

    @np.errstate(under="ignore")
    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        x, y, pos_weight = self.x, self.y, self.pos_weight
        scale = self.spread(grad)
        # σ(x) − y as (1 − y)·σ(x) − y·σ(−x): the same number, but when σ(x) rounds to y = 1
        # (x > 37) the difference keeps its relative precision instead of becoming 0.
        positive = y if pos_weight is None else pos_weight * y
        grad_x = scale * ((1 - y) * sigmoid_values(x) - positive * sigmoid_values(-x))
        if not self.needs_input_grad[1]:
            return grad_x, None
        if pos_weight is None:
            return grad_x, -scale * x
        return grad_x, scale * (pos_weight * self.softplus_minus_x - self.softplus_x)


def _pair(input: Any, target: Any, who: str) -> tuple[Tensor, Tensor]:
    """Input and target of one shape as Tensors of one dtype: target data takes the input's
    float dtype, and two Tensors meet at their common dtype (type promotion: an int64 target
    Tensor leaves a float32 loss float32)."""
    if type(input) is not Tensor:
        input = input_tensor(input)
    if type(target) is not Tensor:
        target = input_tensor(target, like=input)
    if input.data.shape != target.data.shape:
        _check_same_shape(input, target, who)
    if target.data.dtype is not input.data.dtype:
        input, target = promote(input, target)
    return input, target


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (x − y)²; input and target of one shape."""
    return MSE(reduction).apply(*_pair(input, target, "mse_loss"))


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error |x − y|; input and target of one shape."""
    return L1(reduction).apply(*_pair(input, target, "l1_loss"))


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Squared error below delta, absolute error above it; input and target of one shape."""
    return Huber(reduction, delta).apply(*_pair(input, target, "huber_loss"))


def binary_cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """BCE on probabilities p ∈ [0, 1]; input and target of one shape."""
    return BinaryCrossEntropy(reduction).apply(*_pair(input, target, "binary_cross_entropy"))


def binary_cross_entropy_with_logits(
    input: Any, target: Any, reduction: str = "mean", pos_weight: Any = None
) -> Tensor:
    """BCE on raw scores (logits), stable for any magnitude; input and target of one shape.

    ``pos_weight`` (optional, broadcastable to the input, e.g. (C,) for (N, C) scores) weights
    the positive term: ℓ = −[p·y·ln σ(x) + (1 − y)·ln σ(−x)], as PyTorch's. p > 1 raises recall,
    p < 1 precision; with n_neg / n_pos per column, positives and negatives weigh alike."""
    logits, target = _pair(input, target, "binary_cross_entropy_with_logits")
    weights = None
    if pos_weight is not None:
        weights = checked_weights(pos_weight, logits.data.dtype,
                                  "binary_cross_entropy_with_logits", "pos_weight")
        try:
            shape = np.broadcast_shapes(weights.shape, logits.shape)
        except ValueError:
            shape = None
        if shape != logits.shape:
            raise ShapeError(
                "binary_cross_entropy_with_logits: pos_weight of shape "
                f"{weights.shape} does not broadcast to the input's shape {logits.shape}; "
                f"give one weight per output column, shape ({logits.shape[-1]},)."
            )
    return BinaryCrossEntropyWithLogits(reduction, weights).apply(logits, target)
