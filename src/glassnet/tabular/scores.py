"""Scores of a model's answers on a table: accuracy, a confusion matrix and each class's
precision, recall and F1 for classes; MAE, RMSE and R² for values (sklearn.metrics'
definitions)."""

from __future__ import annotations

import math

import numpy as np

from glassnet.training.epoch_metrics import scores_from_counts


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """counts[i, j] = rows of class i predicted as class j: (N,), (N,) -> (C, C)."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (true, predicted), 1)
    return counts


def classification_scores(true: np.ndarray, predicted: np.ndarray, n_classes: int) -> dict:
    """{"accuracy": fraction right, "correct": count, "rows": N, "confusion": (C, C) counts}."""
    correct = int(np.count_nonzero(true == predicted))
    return {
        "accuracy": correct / len(true),
        "correct": correct,
        "rows": len(true),
        "confusion": confusion_matrix(true, predicted, n_classes),
    }


def per_class_scores(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """Each class's precision, recall, F1 and support from a (C, C) confusion matrix (rows: true
    class), as ``sklearn.metrics.precision_recall_fscore_support`` gives them (the formulas:
    ``glassnet.training.epoch_metrics.scores_from_counts``)."""
    counts = np.asarray(confusion, dtype=np.int64)
    hits = np.diag(counts)
    predicted, support = counts.sum(axis=0), counts.sum(axis=1)
    return {**scores_from_counts(hits, predicted - hits, support - hits), "support": support}


def _divided_by_scale(values: np.ndarray) -> tuple[float, np.ndarray]:
    """(scale, values / scale), scale a power of two near max |values| (1 for zeros): exact,
    and the quotients' squares can neither overflow nor underflow."""
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    if largest == 0 or not math.isfinite(largest):
        return 1.0, values
    scale = math.ldexp(1.0, math.frexp(largest)[1] - 1)
    return scale, values / scale


def regression_scores(true: np.ndarray, predicted: np.ndarray) -> dict:
    """{"mae": mean |e|, "rmse": sqrt(mean e²), "r2": 1 − Σe² / Σ(y − ȳ)², "rows": N},
    e = predicted − true; R² is NaN for a constant target (it has no variance to explain).
    Sums of squares are taken of values divided by a power of two, so targets near 1e300 give
    finite scores."""
    with np.errstate(over="ignore", invalid="ignore"):  # e itself may pass float64: then inf
        error_scale, error = _divided_by_scale(predicted - true)
        true_scale, scaled_true = _divided_by_scale(true)
        deviation = scaled_true - scaled_true.mean()
        squared, spread = float(np.dot(error, error)), float(np.dot(deviation, deviation))
        mae = error_scale * float(np.mean(np.abs(error)))
        relative = error_scale / true_scale
        ratio = relative * relative * squared / spread if spread > 0 else math.nan
    return {
        "mae": mae,
        "rmse": error_scale * math.sqrt(squared / len(true)),
        "r2": 1.0 - ratio,
        "rows": len(true),
    }
