"""Scores of a model's answers on a table: accuracy and a confusion matrix for classes; MAE, RMSE
and R² for values (sklearn.metrics' definitions)."""

from __future__ import annotations

import math

import numpy as np


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


def regression_scores(true: np.ndarray, predicted: np.ndarray) -> dict:
    """{"mae": mean |e|, "rmse": sqrt(mean e²), "r2": 1 − Σe² / Σ(y − ȳ)², "rows": N},
    e = predicted − true; R² is NaN for a constant target (it has no variance to explain)."""
    error = predicted - true
    squared = float(np.dot(error, error))
    spread = float(np.sum((true - true.mean()) ** 2))
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": math.sqrt(squared / len(true)),
        "r2": 1.0 - squared / spread if spread > 0 else math.nan,
        "rows": len(true),
    }
