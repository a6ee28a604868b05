"""Sample and class weights for ``fit``: checked, combined into one weight per row, and the
weighted mean loss they define.

A row of weight w counts as w copies of that row: the loss of a batch is

    L = Σᵢ wᵢ·ℓᵢ / Σᵢ wᵢ

with ℓᵢ the row's unreduced loss (averaged over its outputs when it has several), so rows of
weight 2 give the loss and gradients of the same rows written twice. ``class_weight`` gives
each row the weight of its class (its class index, or its 0/1 target for a binary loss);
``sample_weight`` and ``class_weight`` multiply when both are given. "balanced" is
scikit-learn's n_samples / (n_classes · bincount(y)) over the training rows, n_classes being
the number of classes present in them.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from glassnet.autograd import Tensor, detached
from glassnet.errors import ShapeError
from glassnet.training.argument_checks import CLASS_INDICES, _to_array
from glassnet.training.losses import ResolvedLoss

PerSampleLoss = Callable[[Any, Any], Tensor]


def check_sample_weight(sample_weight: Any, n_samples: int, name: str) -> np.ndarray:
    """``sample_weight`` as a float64 array (n_samples,) of finite, non-negative numbers."""
    weights = _to_array(sample_weight, name)
    if weights.ndim != 1 or len(weights) != n_samples:
        raise ShapeError(f"{name} must hold one weight per row, shape ({n_samples},); got "
                         f"shape {weights.shape}.")
    weights = weights.astype(np.float64)
    if not np.isfinite(weights).all():
        raise ValueError(f"{name} must be finite; it contains NaN or infinity (row "
                         f"{int(np.flatnonzero(~np.isfinite(weights))[0])}).")
    if (weights < 0).any():
        row = int(np.flatnonzero(weights < 0)[0])
        raise ValueError(f"{name} must be non-negative; row {row} has {weights[row]:g}.")
    return weights


def balanced_class_weight(row_classes: np.ndarray, n_classes: int) -> np.ndarray:
    """n_samples / (n_present · bincount(y)) for each class present (scikit-learn's
    ``compute_class_weight("balanced")``); NaN for a class absent from the rows."""
    counts = np.bincount(row_classes, minlength=n_classes).astype(np.float64)
    present = counts > 0
    weights = np.full(n_classes, np.nan)
    weights[present] = len(row_classes) / (np.count_nonzero(present) * counts[present])
    return weights


def class_weight_table(
    class_weight: Any, row_classes: np.ndarray, n_classes: int
) -> np.ndarray:
    """The weight of each class (n_classes,): "balanced" over ``row_classes`` (the training
    rows' classes; NaN for a class absent from them), or a dict {class index: weight} (1 for a
    class it does not name)."""
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight must be 'balanced', a dict {{class index: weight}} "
                             f"or None; got {class_weight!r}.")
        return balanced_class_weight(row_classes, n_classes)
    if not isinstance(class_weight, Mapping):
        raise TypeError(f"class_weight must be 'balanced', a dict {{class index: weight}} or "
                        f"None; got {type(class_weight).__name__}.")
    table = np.ones(n_classes)
    unknown = []
    for key, weight in class_weight.items():
        is_index = isinstance(key, numbers.Integral) and not isinstance(key, (bool, np.bool_))
        if not is_index or not 0 <= key < n_classes:
            unknown.append(key)
            continue
        real = isinstance(weight, numbers.Real) and not isinstance(weight, (bool, np.bool_))
        if not real or not np.isfinite(weight) or weight < 0:
            raise ValueError(f"class_weight[{key}] must be a finite, non-negative number; got "
                             f"{weight!r}.")
        table[int(key)] = float(weight)
    if unknown:
        raise ValueError(f"class_weight names classes {unknown!r} that the model does not have: "
                         f"its {n_classes} outputs are classes 0..{n_classes - 1}.")
    return table


def classes_of_rows(y: np.ndarray, kind: str, loss: ResolvedLoss, name: str) -> np.ndarray:
    """The class of each row for ``class_weight``: its class index, or its 0/1 target for a
    binary loss with one output. Refuses other losses and targets."""
    if loss.task == "classification" and kind == CLASS_INDICES:
        return y
    if loss.task == "binary" and y.ndim == 2 and y.shape[1] == 1:
        labels = y[:, 0]
        if not np.isin(labels, (0, 1)).all():
            raise ValueError(f"class_weight needs 0/1 targets for {loss.name!r}; {name} holds "
                             "other values (soft targets have no class).")
        return labels.astype(np.int64)
    if loss.task == "binary":
        raise ValueError(f"class_weight with {loss.name!r} needs one output column of 0/1 "
                         f"targets; {name} has shape {y.shape}. Use sample_weight instead.")
    if loss.task == "classification":
        raise ValueError(f"class_weight needs class indices in {name}, not probabilities; "
                         "use sample_weight instead.")
    raise ValueError(f"class_weight applies to classification losses (cross_entropy, nll, bce, "
                     f"bce_with_logits); the loss {loss.name!r} is not one. Use sample_weight.")


def per_sample_loss(loss: ResolvedLoss) -> PerSampleLoss:
    """loss(output, target) -> one loss per row (N,), for the weighted mean: the loss called
    with reduction="none" (a glassnet loss module on a copy of it set that way), its extra
    dimensions averaged. TypeError if the callable has no ``reduction`` keyword."""
    function = loss.function
    if isinstance(getattr(function, "reduction", None), str):  # a loss module: not changed
        import copy

        function = copy.copy(function)
        object.__setattr__(function, "reduction", "none")

        def unreduced(output: Any, target: Any) -> Tensor:
            return function(output, target)
    elif _accepts_reduction(function):

        def unreduced(output: Any, target: Any) -> Tensor:
            return function(output, target, reduction="none")
    else:
        raise TypeError(
            f"sample_weight and class_weight need one loss per row: fit calls the loss with "
            f"reduction='none', but {loss.name!r} has no 'reduction' keyword. Give it one "
            "(returning the (N,) losses for reduction='none'), or use a built-in loss name."
        )

    def per_row(output: Any, target: Any) -> Tensor:
        losses = unreduced(output, target)
        if losses.ndim > 1:
            losses = losses.reshape(losses.shape[0], -1).mean(axis=1)
        return losses

    return per_row


def _accepts_reduction(function: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return False
    return any(p.name == "reduction" or p.kind is p.VAR_KEYWORD for p in parameters)


def weighted_mean(losses: Tensor, weights: np.ndarray, total: float) -> Tensor:
    """Σᵢ wᵢ·ℓᵢ / total, total = Σᵢ wᵢ > 0: the batch loss, ℓ (N,), w (N,)."""
    if losses.shape != weights.shape:
        raise ShapeError(f"the loss with reduction='none' must give one loss per row, shape "
                         f"{weights.shape}; got {losses.shape}.")
    return (losses * detached(weights)).sum() * (1.0 / total)


def check_not_all_zero(weights: np.ndarray, name: str) -> None:
    if not weights.any():
        raise ValueError(f"{name}: every row has weight 0, so the weighted mean loss "
                         "Σwℓ / Σw is undefined. Give some rows a positive weight.")
