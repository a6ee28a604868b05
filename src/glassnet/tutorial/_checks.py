"""Input checks for the tutorial objects: turn lists into float64 arrays or say what was wrong.

The tutorial is a leaf that needs NumPy only, so these raise the built-in ``ValueError``;
glassnet's ``ShapeError`` subclasses it, so callers catching ``ValueError`` keep working if the
checks later switch to it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def as_sample(inputs: ArrayLike, n_features: int, *, who: str) -> np.ndarray:
    """One sample as a float64 array of shape (n_features,), or ValueError."""
    array = np.asarray(inputs, dtype=np.float64)
    if array.shape == (n_features,):
        return array
    hint = " For many rows at once, use predict(X)." if array.ndim == 2 else ""
    raise ValueError(f"{who} expects one sample of shape ({n_features},); got {array.shape}.{hint}")


def as_rows(inputs: ArrayLike, n_features: int, *, who: str) -> np.ndarray:
    """Many samples as a float64 array of shape (N, n_features), or ValueError."""
    array = np.asarray(inputs, dtype=np.float64)
    if array.ndim == 2 and array.shape[1] == n_features:
        return array
    hint = " For one sample, use x.reshape(1, -1)." if array.ndim == 1 else ""
    raise ValueError(f"{who} expects rows of shape (N, {n_features}); got {array.shape}.{hint}")


def as_targets(targets: ArrayLike, n_rows: int, *, who: str) -> np.ndarray:
    """Targets as a float64 array of shape (n_rows,), one per row of the inputs, or ValueError."""
    array = np.asarray(targets, dtype=np.float64)
    if array.shape == (n_rows,):
        return array
    raise ValueError(
        f"{who} expects one target per input row, shape ({n_rows},); got {array.shape}."
    )


def as_binary_labels(labels: ArrayLike, n_rows: int, *, who: str) -> np.ndarray:
    """Labels of shape (n_rows,) holding only 0 and 1, as an int64 array, or ValueError."""
    array = as_targets(labels, n_rows, who=who)
    if not np.all((array == 0) | (array == 1)):
        found = sorted(set(np.unique(array).tolist()))
        raise ValueError(f"{who} expects labels 0 or 1; got the values {found}.")
    return array.astype(np.int64)
