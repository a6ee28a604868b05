"""Loss names for ``fit(loss=...)``, and what kind of target each loss expects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import glassnet.functional as F

# task: "classification" (class indices or probabilities), "binary" (targets in [0, 1], one
# column per output), "regression" (values shaped like the output), None (unknown callable).
_BY_NAME: dict[str, tuple[Callable[..., Any], str]] = {
    "cross_entropy": (F.cross_entropy, "classification"),
    "nll": (F.nll_loss, "classification"),
    "mse": (F.mse_loss, "regression"),
    "l1": (F.l1_loss, "regression"),
    "huber": (F.huber_loss, "regression"),
    "bce_with_logits": (F.binary_cross_entropy_with_logits, "binary"),
    "bce": (F.binary_cross_entropy, "binary"),
}
_ALIASES = {
    "crossentropy": "cross_entropy",
    "categorical_crossentropy": "cross_entropy",
    "sparse_categorical_crossentropy": "cross_entropy",
    "nll_loss": "nll",
    "mse_loss": "mse",
    "mean_squared_error": "mse",
    "l1_loss": "l1",
    "mae": "l1",
    "mean_absolute_error": "l1",
    "huber_loss": "huber",
    "binary_cross_entropy_with_logits": "bce_with_logits",
    "binary_cross_entropy": "bce",
    "binary_crossentropy": "bce",
}
# Loss modules of glassnet.nn, recognised by class name so this file need not import nn.
_MODULE_TASKS = {
    "CrossEntropyLoss": "classification",
    "NLLLoss": "classification",
    "MSELoss": "regression",
    "L1Loss": "regression",
    "HuberLoss": "regression",
    "SmoothL1Loss": "regression",
    "BCEWithLogitsLoss": "binary",
    "BCELoss": "binary",
}


@dataclass(frozen=True)
class ResolvedLoss:
    """The callable, the name the logs use, the target kind, and whether binary outputs are
    logits (True), probabilities (False) or unknown (None)."""

    function: Callable[..., Any]
    name: str
    task: str | None
    from_logits: bool | None


def resolve_loss(loss: Any) -> ResolvedLoss:
    """A loss name ("cross_entropy", "mse", ...) or a callable loss(output, target) -> scalar."""
    if isinstance(loss, str):
        key = _ALIASES.get(loss.lower(), loss.lower())
        if key not in _BY_NAME:
            known = ", ".join(repr(name) for name in _BY_NAME)
            raise ValueError(f"Unknown loss {loss!r}; known names: {known}, or pass a callable.")
        function, task = _BY_NAME[key]
        return ResolvedLoss(function, key, task, _from_logits(key))
    if not callable(loss):
        raise TypeError(
            "loss must be a name such as 'cross_entropy' or a callable loss(output, target); "
            f"got {type(loss).__name__}."
        )
    for key, (function, task) in _BY_NAME.items():
        if loss is function:
            return ResolvedLoss(loss, key, task, _from_logits(key))
    class_name = type(loss).__name__
    if class_name in _MODULE_TASKS:
        from_logits = {"BCEWithLogitsLoss": True, "BCELoss": False}.get(class_name)
        return ResolvedLoss(loss, class_name, _MODULE_TASKS[class_name], from_logits)
    return ResolvedLoss(loss, getattr(loss, "__name__", class_name), None, None)


def _from_logits(key: str) -> bool | None:
    return {"bce_with_logits": True, "bce": False}.get(key)
