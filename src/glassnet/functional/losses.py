"""Loss functions, each one fused op: the per-element loss and its derivative side by side.

Shapes: regression losses take input and target of one shape; classification losses take
logits or log-probabilities (N, C) and class indices (N,) or probabilities (N, C).
``reduction`` is "mean" (default), "sum" or "none", as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.autograd import Function, Tensor, as_tensor
from glassnet.autograd.ops_unary import sigmoid_values
from glassnet.errors import ShapeError, check_numeric
from glassnet.functional.activations import _shift_by_max, log_softmax

REDUCTIONS = ("mean", "sum", "none")
# Up to this many elements, MSE sums its squares as one dot product (see MSE.forward).
_FEW_ELEMENTS = 32


class _Loss(Function):
    """Shared reduction: forward reduces the per-element losses, backward spreads the gradient."""

    def __init__(self, reduction: str) -> None:
        self.reduction = _checked_reduction(reduction)

    def reduce(self, losses: np.ndarray, count: int | None = None) -> np.ndarray:
        count = losses.size if count is None else count
        if self.reduction == "none":
            self.count = count
            return losses
        return self.reduce_total(np.add.reduce(losses, axis=None), count)

    def reduce_total(self, total: Any, count: int) -> Any:
        """The reduced loss from ``total``, the sum of ``count`` per-element losses."""
        self.count = count
        return total / count if self.reduction == "mean" else total

    def spread(self, grad: np.ndarray, factor: float = 1.0) -> np.ndarray | float:
        """factor · ∂L/∂(per-element loss): grad·factor/N for mean, grad·factor otherwise."""
        if self.reduction == "mean":
            factor /= self.count  # one product on grad instead of a product and a quotient
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


def _checked_label_smoothing(label_smoothing: float) -> float:
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"label_smoothing must be in [0, 1]; got {label_smoothing}.")
    return label_smoothing


def _smoothed(q: Any, smoothing: float, classes: int) -> Any:
    """The target distribution with label smoothing: q·(1 − s) + s/C (arrays or Tensors)."""
    return q * (1 - smoothing) + smoothing / classes if smoothing else q


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
            # Σ d² as d·d, one call instead of a product and a reduction: on the tutorial's
            # one output that halves the loss's cost; on a few terms the sums agree
            flat = diff.reshape(-1)
            return self.reduce_total(flat.dot(flat), diff.size)
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

    ∂ℓ/∂p = (p − y) / max(p(1 − p), 1e-12).
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

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, None]:
        p, y = self.p, self.y
        return self.spread(grad) * (p - y) / np.maximum(p * (1 - p), 1e-12), None


class BinaryCrossEntropyWithLogits(_Loss):
    """ℓ = max(x, 0) − x·y + ln(1 + e^−|x|)  (BCE of σ(x), without overflow).  ∂ℓ/∂x = σ(x) − y."""

    @np.errstate(under="ignore")  # e^−|x| → 0 for large |x| is the right answer
    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        self.x, self.y = x, y
        return self.reduce(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))))

    @np.errstate(under="ignore")
    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, None]:
        x, y = self.x, self.y
        # σ(x) − y as (1 − y)·σ(x) − y·σ(−x): the same number, but when σ(x) rounds to y = 1
        # (x > 37) the difference keeps its relative precision instead of becoming 0.
        return self.spread(grad) * ((1 - y) * sigmoid_values(x) - y * sigmoid_values(-x)), None


# uint of each int size: a negative index seen as unsigned is huge (see _class_indices)
_UNSIGNED = {size: np.dtype(f"u{size}") for size in (1, 2, 4, 8)}
# 0, 1, …, n−1 by n, read-only: the sample number of each row, made once per batch size
_POSITIONS: dict[int, np.ndarray] = {}


def _positions(n: int) -> np.ndarray:
    positions = _POSITIONS.get(n)
    if positions is None:
        if len(_POSITIONS) > 16:  # many batch sizes: start over
            _POSITIONS.clear()
        positions = _POSITIONS[n] = np.arange(n)
        positions.flags.writeable = False
    return positions


def _class_indices(target: np.ndarray, classes: int, who: str) -> np.ndarray:
    """Validate class indices: integers in [0, classes)."""
    if target.dtype.kind == "f":
        if not np.all(np.mod(target, 1) == 0):
            raise ValueError(f"{who} expects integer class indices; got non-integer values.")
        target = target.astype(np.int64)
    elif target.dtype.kind not in "iu":
        raise TypeError(f"{who} expects integer class indices; got dtype {target.dtype}.")
    if target.size:
        if target.dtype.kind == "i":
            # seen as unsigned, a negative index is huge: one max finds both kinds of bad index
            unsigned = target.view(_UNSIGNED[target.dtype.itemsize])
            if np.maximum.reduce(unsigned, axis=None) < classes:
                return target
        lowest, highest = np.minimum.reduce(target, axis=None), np.maximum.reduce(target, axis=None)
        if lowest < 0 or highest >= classes:
            raise ValueError(
                f"{who}: class indices must be in [0, {classes}) for {classes} outputs; got "
                f"values from {lowest} to {highest}."
            )
    return target


class CrossEntropy(_Loss):
    """ℓₙ = −Σ_c qₙ꜀ · log_softmax(xₙ)꜀ with q the (smoothed) target distribution.

    Logits x: (N, C) -> loss. The target, class indices (N,) or probabilities (N, C), is a
    constant of the node, not an input: no gradient flows to it.
    ∂ℓₙ/∂xₙ = softmax(xₙ)·Σq − qₙ: for class indices, softmax − onehot.

    Both directions work on the logits transposed, (C, N): NumPy reduces over the class axis
    far faster along contiguous rows of N than within N short rows of C (the max of 128 rows of
    10 logits takes 1.7 µs instead of 11.6 µs), and the gradient goes back as a transposed view.
    """

    def __init__(self, target: np.ndarray, reduction: str, label_smoothing: float) -> None:
        super().__init__(reduction)
        self.label_smoothing = _checked_label_smoothing(label_smoothing)
        self.target = target  # validated class indices, or probabilities in the logits' dtype

    def forward(self, x: np.ndarray) -> np.ndarray:
        n, classes = x.shape
        # (x − max) − ln Σ e^(x − max), never x − logsumexp(x): see _log_softmax. The copy is
        # this node's own, so it is shifted in place.
        shifted, _ = _shift_by_max(x.T.copy(), axis=0, in_place=True)
        with np.errstate(under="ignore"):  # e^(x − max) → 0 far below the max is right
            self.exps = np.exp(shifted)
        self.total = np.add.reduce(self.exps, axis=0)
        log_total = np.log(self.total)
        smoothing, target = self.label_smoothing, self.target
        if target.ndim == 1:
            self.target_distribution = None
            self.flat_target = target * n + _positions(n)  # where (targetₙ, n) sits in (C, N)
            losses = log_total - shifted.take(self.flat_target)
            if smoothing:
                sum_log_p = np.add.reduce(shifted, axis=0) - classes * log_total
                losses = (1 - smoothing) * losses - smoothing / classes * sum_log_p
            return self.reduce(losses)
        q = _smoothed(target, smoothing, classes)
        self.target_distribution = q
        shifted -= log_total  # now log_softmax, (C, N)
        return self.reduce(-np.add.reduce(q.T * shifted, axis=0))

    @np.errstate(under="ignore")
    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        scale = self.spread(grad)  # scalar, or (N,) for reduction="none"
        gradient = self.exps * (scale / self.total)  # softmax · scale, (C, N)
        q = self.target_distribution
        if q is not None:
            gradient *= np.add.reduce(q, axis=1)
            gradient -= q.T * scale
            return (gradient.T,)
        smoothing = self.label_smoothing
        classes = gradient.shape[0]
        gradient.put(self.flat_target, 0)
        # p − 1 at the target as −Σ_{j≠t} p_j: a sum of positive terms keeps its relative
        # precision where p itself rounds to 1 (a confident right answer) and p − 1 to 0.
        at_target = np.add.reduce(gradient, axis=0)
        np.negative(at_target, out=at_target)
        if smoothing:
            gradient -= smoothing / classes * scale
            at_target += (smoothing - smoothing / classes) * scale
        gradient.put(self.flat_target, at_target)
        return (gradient.T,)


class NLL(_Loss):
    """ℓₙ = −log_probs[n, targetₙ].  ∂ℓₙ/∂log_probs = −onehot(targetₙ)."""

    def forward(self, log_probs: np.ndarray, target: np.ndarray) -> np.ndarray:
        n, classes = log_probs.shape
        self.shape, self.dtype = log_probs.shape, log_probs.dtype
        self.indices = _class_indices(target, classes, "nll_loss")
        return self.reduce(-log_probs[_positions(n), self.indices])

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, None]:
        full = np.zeros(self.shape, dtype=self.dtype)
        full[_positions(self.shape[0]), self.indices] = -self.spread(grad)
        return full, None


def _pair(input: Any, target: Any, who: str, same_shape: bool = True) -> tuple[Tensor, Tensor]:
    input = as_tensor(input)
    target = as_tensor(target, like=input) if same_shape else as_tensor(target)
    if same_shape:
        _check_same_shape(input, target, who)
    return input, target


def _as_batch(input: Tensor, target: Any, who: str) -> tuple[Tensor, Any, bool]:
    """Accept one sample (C,) with a scalar target, as PyTorch does; (N, C) otherwise. The
    target may be a Tensor or an ndarray."""
    if input.ndim == 1:
        input, target = input.reshape(1, -1), target.reshape(1, *target.shape)
        _check_batch(input.shape, target.shape, who)
        return input, target, True
    _check_batch(input.shape, target.shape, who)
    return input, target, False


def _check_batch(shape: tuple[int, ...], target_shape: tuple[int, ...], who: str) -> None:
    """Input (N, C) with target (N,) of class indices or (N, C) of probabilities."""
    if len(shape) != 2:
        raise ShapeError(f"{who} expects input of shape (N, C); got {shape}.")
    if len(target_shape) == 1 and target_shape[0] != shape[0]:
        raise ShapeError(f"{who}: input has {shape[0]} rows but target has "
                         f"{target_shape[0]} entries.")
    if len(target_shape) == 2 and target_shape != shape:
        raise ShapeError(f"{who} expects probabilities of shape {shape}; got {target_shape}.")
    if len(target_shape) not in (1, 2):
        raise ShapeError(f"{who} expects target (N,) of class indices or (N, C) of probabilities; "
                         f"got {target_shape}.")


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


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """BCE on raw scores (logits), stable for any magnitude; input and target of one shape."""
    pair = _pair(input, target, "binary_cross_entropy_with_logits")
    return BinaryCrossEntropyWithLogits(reduction).apply(*pair)


def cross_entropy(
    input: Any, target: Any, reduction: str = "mean", label_smoothing: float = 0.0
) -> Tensor:
    """Softmax cross-entropy on logits (N, C) against class indices (N,) or probabilities (N, C).

    Probabilities that require grad get their gradient, −log_softmax(x)·(1 − label_smoothing)
    per sample, as in PyTorch."""
    logits = as_tensor(input)
    if isinstance(target, Tensor) and target.requires_grad:
        return _cross_entropy_to_learned_target(logits, target, reduction, label_smoothing)
    target = _data(target)
    if type(target) is not np.ndarray:
        target = np.asarray(target)
    check_numeric(target, who="cross_entropy")
    logits, target, single = _as_batch(logits, target, "cross_entropy")
    classes = logits.shape[1]
    if target.ndim == 1:
        target = _class_indices(target, classes, "cross_entropy")
    elif target.dtype != logits.dtype and logits.dtype.kind == "f":
        target = target.astype(logits.dtype)
    loss = CrossEntropy(target, reduction, label_smoothing).apply(logits)
    return loss.reshape(()) if single and reduction == "none" else loss


def _cross_entropy_to_learned_target(
    logits: Tensor, target: Tensor, reduction: str, label_smoothing: float
) -> Tensor:
    """−Σ_c q꜀ · log_softmax(x)꜀ built from differentiable ops, so the target gets its gradient
    too. The fused op keeps the target as a constant; a target that requires grad is rare."""
    reduction = _checked_reduction(reduction)
    smoothing = _checked_label_smoothing(label_smoothing)
    logits, target, single = _as_batch(logits, target, "cross_entropy")
    if target.ndim != 2:
        raise ShapeError("cross_entropy: only probabilities (N, C) can require grad; class "
                         f"indices of shape {target.shape} cannot.")
    q = _smoothed(target, smoothing, logits.shape[1])
    losses = -(q * log_softmax(logits, axis=1)).sum(axis=1)
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses.reshape(()) if single else losses


def nll_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) at class indices (N,)."""
    log_probs, target, single = _as_batch(as_tensor(input), as_tensor(target), "nll_loss")
    loss = NLL(reduction).apply(log_probs, target)
    return loss.reshape(()) if single and reduction == "none" else loss


def _data(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value
