"""Metrics reported by ``fit`` and ``evaluate``: metric(y_true, y_pred) -> float on NumPy arrays.

Names: "accuracy" (alias "acc"), "mae" ("mean_absolute_error"), "mse" ("mean_squared_error"),
and, equal to scikit-learn's functions with their defaults (see ``epoch_metrics``):
"balanced_accuracy", "precision", "recall", "f1" (binary: class 1; multiclass: macro),
"roc_auc" (multiclass: one-vs-rest macro), "log_loss", "r2", "rmse". Each is logged under the
name given, as Keras does (``metrics=["acc"]`` logs "acc" and "val_acc"); callbacks that monitor
a value find it under any of its names. Any callable metric(y_true, y_pred) -> float works too
and is logged under its ``__name__``. During training, accuracy, mae, mse and callables are
averaged over the epoch's batches weighted by batch size (exact for the three, which are means
over samples); the others (and callables with a true ``whole_epoch`` attribute) are computed
once on the whole epoch's outputs, which fit then keeps until the epoch ends. Metrics are
unweighted, even when fit weighs the loss.

Accuracy decides what the outputs are from their shape:

- (N, C) with C > 1: predicted class = argmax over C; y_true is class indices (N,) or one-hot /
  probabilities (N, C) (then the true class is its argmax).
- (N, 1) or (N,): a binary classifier. Logits are thresholded at 0, probabilities at 0.5. Which
  one the outputs are comes from the loss ("bce_with_logits" -> logits, "bce" -> probabilities),
  else from the model's last layer (a Sigmoid -> probabilities), else from the values: all
  inside [0, 1] -> probabilities, otherwise logits. The last rule can misread logits that all
  happen to lie in [0, 1]; pass a loss, or use ``binary_accuracy(from_logits=...)``, to be exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np

from glassnet.training import epoch_metrics

Metric = Callable[[np.ndarray, np.ndarray], float]


def binary_accuracy(
    y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool | None = None
) -> float:
    """Fraction of samples whose thresholded score matches the 0/1 label.  (N,) or (N, 1)."""
    scores = np.reshape(y_pred, -1)
    if from_logits is None:
        from_logits = not (scores.min() >= 0 and scores.max() <= 1)
    predicted = scores > (0.0 if from_logits else 0.5)
    truth = np.reshape(y_true, -1) > 0.5
    return float(np.count_nonzero(predicted == truth)) / max(len(truth), 1)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool | None = None) -> float:
    """Fraction of samples classified correctly; see the module docstring for the rules."""
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        predicted = y_pred.argmax(axis=1)
        if y_true.ndim == 2 and y_true.shape[1] == y_pred.shape[1]:
            truth = y_true.argmax(axis=1)
        else:
            truth = np.reshape(y_true, -1)
        return float(np.count_nonzero(predicted == truth)) / max(len(truth), 1)
    return binary_accuracy(y_true, y_pred, from_logits)


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error: mean |y_pred − y_true| over all entries."""
    return float(np.mean(np.abs(y_pred - np.reshape(y_true, np.shape(y_pred)))))


def mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean squared error: mean (y_pred − y_true)² over all entries."""
    difference = y_pred - np.reshape(y_true, np.shape(y_pred))
    return float(np.mean(difference * difference))


_BY_NAME: dict[str, Metric] = {
    "accuracy": accuracy,
    "mae": mae,
    "mse": mse,
    **{function.__name__: function
       for function in (*epoch_metrics.CLASSIFICATION, *epoch_metrics.REGRESSION)},
}
_ALIASES = {
    "acc": "accuracy",
    "mean_absolute_error": "mae",
    "mean_squared_error": "mse",
    "root_mean_squared_error": "rmse",
    "r2_score": "r2",
    "f1_score": "f1",
    "precision_score": "precision",
    "recall_score": "recall",
    "balanced_accuracy_score": "balanced_accuracy",
    "roc_auc_score": "roc_auc",
}
# told whether one-column outputs are logits or probabilities (see binary_accuracy)
_TAKE_FROM_LOGITS = (accuracy, *epoch_metrics.CLASSIFICATION)
_VALUE_METRICS = (mae, mse, *epoch_metrics.REGRESSION)


def whole_epoch(metric: Metric) -> bool:
    """Whether fit computes ``metric`` on the epoch's outputs rather than per batch."""
    return bool(getattr(metric, "whole_epoch", False))


def canonical_name(key: str) -> str:
    """The one name of a logged value: "val_acc" -> "val_accuracy", "MSE" -> "mse"."""
    prefix = "val_" if key.startswith("val_") else ""
    name = key.removeprefix(prefix).lower()
    return prefix + _ALIASES.get(name, name)


def find_logged(logs: Mapping[str, Any], key: str) -> str | None:
    """The key of ``logs`` holding ``key``'s value: ``key`` itself, or another name of the same
    metric ("val_accuracy" finds "val_acc"); None if there is none."""
    if key in logs:
        return key
    wanted = canonical_name(key)
    return next((logged for logged in logs if canonical_name(logged) == wanted), None)


def resolve_metrics(
    metrics: Sequence[Any] | str | Callable[..., Any] | None, *,
    from_logits: bool | None = None,
) -> list[tuple[str, Metric]]:
    """(name, function) for each metric, named as given; no metric twice, none called "loss"."""
    if metrics is None:
        metrics = []
    elif isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    elif not isinstance(metrics, Iterable):
        raise TypeError(
            "metrics must be a list of names or callables metric(y_true, y_pred); got "
            f"{type(metrics).__name__}."
        )
    resolved: list[tuple[str, Metric]] = []
    for metric in metrics:
        if isinstance(metric, str):
            name = metric
            if canonical_name(metric) not in _BY_NAME:
                known = ", ".join(repr(known_name) for known_name in _BY_NAME)
                raise ValueError(
                    f"Unknown metric {metric!r}; known names: {known}, or pass a callable "
                    "metric(y_true, y_pred) -> float."
                )
            function = _BY_NAME[canonical_name(metric)]
            if function in _TAKE_FROM_LOGITS and from_logits is not None:
                told = partial(function, from_logits=from_logits)
                told.whole_epoch = whole_epoch(function)  # type: ignore[attr-defined]
                function = told
        elif callable(metric):
            name = getattr(metric, "__name__", type(metric).__name__)
            function = metric
        else:
            raise TypeError(
                f"metrics must be names or callables metric(y_true, y_pred); got {metric!r}."
            )
        same = [other for other, _ in resolved if canonical_name(other) == canonical_name(name)]
        if canonical_name(name) == "loss" or same:
            clash = f"{same[0]!r} and {name!r} name the same metric" if same else "the loss"
            raise ValueError(f"metric name {name!r} is used twice ({clash}); give it once.")
        resolved.append((name, function))
    return resolved


def check_metric_targets(metrics: Sequence[tuple[str, Metric]], target_kind: str) -> None:
    """Refuse, before training, built-in metrics that cannot compare these targets."""
    if target_kind != "class_indices":
        return
    for name, function in metrics:
        if getattr(function, "func", function) in _VALUE_METRICS:
            raise ValueError(
                f"metric {name!r} compares values shaped like the model's output, but y holds "
                "class indices; use 'accuracy' for a classifier."
            )


def last_layer_is_sigmoid(model: Any) -> bool:
    """Whether the model's last leaf module is a Sigmoid (its outputs are probabilities)."""
    leaves = [m for m in model.modules() if next(m.children(), None) is None]
    return bool(leaves) and type(leaves[-1]).__name__ == "Sigmoid"
