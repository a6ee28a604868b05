"""Classification losses, each one fused op: cross-entropy on logits and NLL on
log-probabilities, (N, C) scores against class indices (N,) or probabilities (N, C).
``reduction`` is "mean" (default), "sum" or "none", as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.autograd import Tensor, input_tensor
from glassnet.errors import ShapeError, check_numeric
from glassnet.functional.activations import _shift_by_max, log_softmax
from glassnet.functional.losses import _checked_reduction, _Loss, checked_weights


def _checked_label_smoothing(label_smoothing: float) -> float:
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"label_smoothing must be in [0, 1]; got {label_smoothing}.")
    return label_smoothing


def _smoothed(q: Any, smoothing: float, classes: int) -> Any:
    """The target distribution with label smoothing: q·(1 − s) + s/C (arrays or Tensors)."""
    return q * (1 - smoothing) + smoothing / classes if smoothing else q


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

    With class weights w (C,), as PyTorch: for probabilities q is replaced by w ⊙ q (the mean
    still divides by N); for class indices t with smoothing s,
    ℓₙ = (1 − s)·w_tₙ·(−log pₙ,tₙ) + s/C·Σ_c w_c·(−log pₙ꜀), and the mean divides by Σₙ w_tₙ.
    ∂ℓₙ/∂xₙ = (1 − s)·w_tₙ·(pₙ − onehot(tₙ)) + s/C·(Σw·pₙ − w).

    Both directions work on the logits transposed, (C, N): NumPy reduces over the class axis
    far faster along contiguous rows of N than within N short rows of C, and the gradient goes
    back as a transposed view.
    """

    def __init__(
        self,
        target: np.ndarray,
        reduction: str,
        label_smoothing: float,
        weight: np.ndarray | None = None,
    ) -> None:
        super().__init__(reduction)
        self.label_smoothing = _checked_label_smoothing(label_smoothing)
        self.target = target  # validated class indices, or probabilities in the logits' dtype
        self.weight = weight  # (C,) in the logits' dtype, or None

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
            if self.weight is not None:
                return self._weighted_at_indices(losses, shifted, log_total)
            if smoothing:
                sum_log_p = np.add.reduce(shifted, axis=0) - classes * log_total
                losses = (1 - smoothing) * losses - smoothing / classes * sum_log_p
            return self.reduce(losses)
        q = _smoothed(target, smoothing, classes)
        if self.weight is not None:
            q = q * self.weight  # −Σ_c w꜀·q꜀·log p꜀: the weighted target takes q's place
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
        if self.weight is not None:
            return (self._weighted_gradient(scale).T,)
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


    def _weighted_at_indices(
        self, losses: np.ndarray, shifted: np.ndarray, log_total: np.ndarray
    ) -> np.ndarray:
        """The class-weighted losses (N,) from −log p at the targets (``losses``), reduced with
        the mean's divisor Σₙ w_tₙ (NaN when it is 0, as in PyTorch)."""
        weight, smoothing = self.weight, self.label_smoothing
        self.target_weight = weight.take(self.target)
        losses = self.target_weight * losses
        if smoothing:
            classes = len(weight)
            # Σ_c w꜀·log p꜀ = w·(x − max) − Σw·log Σe^(x − max), per sample
            sum_weighted_log_p = weight @ shifted - weight.sum() * log_total
            losses = (1 - smoothing) * losses - smoothing / classes * sum_weighted_log_p
        return self.reduce(losses, count=float(np.add.reduce(self.target_weight)))

    def _weighted_gradient(self, scale: np.ndarray | float) -> np.ndarray:
        """∂L/∂xᵀ (C, N) for class indices with class weights; ``scale``: ∂L/∂ℓₙ."""
        weight, smoothing = self.weight, self.label_smoothing
        row_scale = scale * self.target_weight
        gradient = self.exps * (row_scale / self.total)  # w_t·p·scale
        gradient.put(self.flat_target, 0)
        # w_t·(p − 1) at the target as −w_t·Σ_{j≠t} p_j (see backward)
        at_target = np.add.reduce(gradient, axis=0)
        np.negative(at_target, out=at_target)
        gradient.put(self.flat_target, at_target)
        if not smoothing:
            return gradient
        classes = len(weight)
        gradient *= 1 - smoothing
        spread = smoothing / classes * scale
        gradient += self.exps * (spread * weight.sum() / self.total)  # s/C·Σw·p·scale
        gradient -= weight[:, None] * spread  # − s/C·w·scale
        return gradient


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


def cross_entropy(
    input: Any,
    target: Any,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    weight: Any = None,
) -> Tensor:
    """Softmax cross-entropy on logits (N, C) against class indices (N,) or probabilities (N, C).

    Probabilities that require grad get their gradient, −log_softmax(x)·(1 − label_smoothing)
    per sample, as in PyTorch. ``weight`` (C,), non-negative: the weight of each class, as in
    PyTorch: ℓₙ = w_tₙ·(−log pₙ,tₙ) and the mean is Σₙ ℓₙ / Σₙ w_tₙ for class indices;
    ℓₙ = −Σ_c w꜀·qₙ꜀·log pₙ꜀ and the mean is Σₙ ℓₙ / N for probabilities (see CrossEntropy).

    >>> logits = np.array([[2.0, 0.0], [0.0, 1.0]])
    >>> loss = cross_entropy(logits, np.array([0, 1]), weight=np.array([1.0, 3.0]))
    >>> bool(np.isclose(loss.item(), (np.log1p(np.exp(-2)) + 3 * np.log1p(np.exp(-1))) / 4))
    True
    """
    logits = input_tensor(input)
    if weight is not None:
        weight = _class_weight(weight, logits, "cross_entropy")
    if isinstance(target, Tensor) and target.requires_grad:
        return _cross_entropy_to_learned_target(logits, target, reduction, label_smoothing,
                                                weight)
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
    loss = CrossEntropy(target, reduction, label_smoothing, weight).apply(logits)
    return loss.reshape(()) if single and reduction == "none" else loss


def _class_weight(weight: Any, logits: Tensor, who: str) -> np.ndarray:
    """A class weight (C,) for logits (N, C) or (C,): finite, non-negative, the logits' dtype."""
    values = checked_weights(weight, logits.data.dtype, who, "weight")
    classes = logits.shape[-1] if logits.ndim else None
    if values.ndim != 1 or values.shape[0] != classes:
        raise ShapeError(f"{who}: weight must hold one weight per class, shape ({classes},); "
                         f"got shape {values.shape}.")
    return values


def _cross_entropy_to_learned_target(
    logits: Tensor,
    target: Tensor,
    reduction: str,
    label_smoothing: float,
    weight: np.ndarray | None,
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
    if weight is not None:
        q = q * weight
    losses = -(q * log_softmax(logits, axis=1)).sum(axis=1)
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses.reshape(()) if single else losses


def nll_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) at class indices (N,)."""
    log_probs, target, single = _as_batch(input_tensor(input), input_tensor(target), "nll_loss")
    loss = NLL(reduction).apply(log_probs, target)
    return loss.reshape(()) if single and reduction == "none" else loss


def _data(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value
