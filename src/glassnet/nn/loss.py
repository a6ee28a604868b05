"""Loss modules: the functional losses with their settings stored, as in ``torch.nn``.

``loss_fn = CrossEntropyLoss(); loss = loss_fn(logits, target)``. Every loss takes
``reduction`` = "mean" (default), "sum" or "none"; settings are keyword-only so that a
positional argument can never land in the wrong place. Shapes are those of ``glassnet.functional``:
regression losses take input and target of one shape; classification losses take (N, C) scores
and (N,) class indices (or (N, C) probabilities for ``CrossEntropyLoss``).
"""

from __future__ import annotations

from typing import Any

from glassnet import functional as F
from glassnet.autograd import Tensor
from glassnet.functional.losses import REDUCTIONS
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


class BCEWithLogitsLoss(_Loss):
    """BCE of σ(x) computed from raw scores x, stable at any magnitude.  (…), (…) -> ()."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """ℓₙ = −Σ_c qₙ꜀ log softmax(xₙ)꜀: logits (N, C) against class indices (N,) or
    probabilities (N, C); ``label_smoothing`` ε mixes q with the uniform distribution:
    q ← (1 − ε)q + ε/C."""

    def __init__(self, *, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction=reduction)
        if not 0 <= label_smoothing <= 1:
            raise ValueError(f"label_smoothing must be in [0, 1]; got {label_smoothing}.")
        self.label_smoothing = label_smoothing

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.cross_entropy(input, target, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        smoothing = self.label_smoothing
        settings = [super().extra_repr(), f"label_smoothing={smoothing}" if smoothing else ""]
        return ", ".join(s for s in settings if s)


class NLLLoss(_Loss):
    """ℓₙ = −log_probs[n, targetₙ]: log-probabilities (N, C), class indices (N,) -> ()."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.nll_loss(input, target, reduction=self.reduction)
