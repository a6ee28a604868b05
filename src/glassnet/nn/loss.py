"""Loss modules: the functional losses with their settings stored, as in ``torch.nn``.

``loss_fn = CrossEntropyLoss(); loss = loss_fn(logits, target)``. Every loss takes
``reduction`` = "mean" (default), "sum" or "none"; settings are keyword-only so that a
positional argument can never land in the wrong place. Shapes are those of ``glassnet.functional``:
regression losses take input and target of one shape; classification losses take (N, C) scores
and (N,) class indices (or (N, C) probabilities for ``CrossEntropyLoss``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet import functional as F
from glassnet.autograd import Tensor
from glassnet.errors import ShapeError
from glassnet.functional.losses import REDUCTIONS, checked_weights
from glassnet.nn.module import Module


class _Loss(Module):
    """Stores ``reduction``; subclasses call their functional form with it."""

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}; got {reduction!r}.")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """ℓ = (x − y)², reduced.  input, target: (…) of one shape -> () (or (…) with "none")."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """ℓ = |x − y|, reduced.  input, target: (…) of one shape -> ()."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """ℓ = ½d² if |d| < delta else delta·(|d| − ½delta), d = x − y.  (…), (…) -> ()."""

    def __init__(self, *, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        if delta <= 0:
            raise ValueError(f"HuberLoss: delta must be positive; got {delta}.")
        self.delta = delta

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def extra_repr(self) -> str:
        settings = [super().extra_repr(), "" if self.delta == 1.0 else f"delta={self.delta}"]
        return ", ".join(s for s in settings if s)


class BCELoss(_Loss):
    """ℓ = −[y ln p + (1 − y) ln(1 − p)] on probabilities p ∈ [0, 1].  (…), (…) -> ()."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, reduction=self.reduction)


def _weights(weight: Any, who: str, name: str) -> np.ndarray | None:
    """A weight checked now (finite, non-negative), kept in float64; the functional form
    casts it to the input's dtype and checks its shape against the input."""
    return None if weight is None else checked_weights(weight, np.dtype(np.float64), who, name)


class BCEWithLogitsLoss(_Loss):
    """BCE of σ(x) computed from raw scores x, stable at any magnitude.  (…), (…) -> ().

    ``pos_weight`` (broadcastable to the input, e.g. one per output column) weights the
    positive term: ℓ = −[p·y·ln σ(x) + (1 − y)·ln σ(−x)], as PyTorch's."""

    def __init__(self, *, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction=reduction)
        self.pos_weight = _weights(pos_weight, "BCEWithLogitsLoss", "pos_weight")

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)

    def extra_repr(self) -> str:
        weights = self.pos_weight
        settings = [super().extra_repr(),
                    "" if weights is None else f"pos_weight={weights.tolist()}"]
        return ", ".join(s for s in settings if s)


class CrossEntropyLoss(_Loss):
    """ℓₙ = −Σ_c qₙ꜀ log softmax(xₙ)꜀: logits (N, C) against class indices (N,) or
    probabilities (N, C); ``label_smoothing`` ε mixes q with the uniform distribution:
    q ← (1 − ε)q + ε/C. ``weight`` (C,): the weight of each class; with class indices the mean
    divides by the sum of the targets' weights, as PyTorch's (see ``F.cross_entropy``)."""

    def __init__(
        self, *, weight: Any = None, reduction: str = "mean", label_smoothing: float = 0.0
    ) -> None:
        super().__init__(reduction=reduction)
        if not 0 <= label_smoothing <= 1:
            raise ValueError(f"label_smoothing must be in [0, 1]; got {label_smoothing}.")
        self.label_smoothing = label_smoothing
        self.weight = _weights(weight, "CrossEntropyLoss", "weight")
        if self.weight is not None and self.weight.ndim != 1:
            raise ShapeError(f"CrossEntropyLoss: weight must hold one weight per class, "
                               f"shape (C,); got shape {self.weight.shape}.")

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.cross_entropy(input, target, reduction=self.reduction,
                               label_smoothing=self.label_smoothing, weight=self.weight)

    def extra_repr(self) -> str:
        smoothing, weight = self.label_smoothing, self.weight
        settings = [super().extra_repr(), f"label_smoothing={smoothing}" if smoothing else "",
                    "" if weight is None else f"weight={weight.tolist()}"]
        return ", ".join(s for s in settings if s)


class NLLLoss(_Loss):
    """ℓₙ = −log_probs[n, targetₙ]: log-probabilities (N, C), class indices (N,) -> ()."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.nll_loss(input, target, reduction=self.reduction)
