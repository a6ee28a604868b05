"""The tutorial's activation functions and its loss, on plain NumPy arrays (float64).

Each accepts a number, a list or an array of any shape and returns the same shape; a single
number comes back as a NumPy scalar.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def sigmoid(x: ArrayLike) -> np.ndarray:
    """f(x) = 1 / (1 + e^(-x)), element-wise; any shape -> same shape, values in (0, 1).

    For x >= 0 this is the tutorial's formula operation for operation (so its printed numbers
    are reproduced exactly); for x < 0 it uses the equal form e^x / (1 + e^x), which cannot
    overflow.

    >>> float(sigmoid(0))
    0.5
    >>> float(sigmoid(7))
    0.9990889488055994
    >>> sigmoid([-1000.0, 1000.0]).tolist()
    [0.0, 1.0]
    """
    x = np.asarray(x, dtype=np.float64)
    exp_minus_abs = np.exp(-np.abs(x))  # at most 1: no overflow on either side
    result = np.where(x >= 0, 1.0 / (1.0 + exp_minus_abs), exp_minus_abs / (1.0 + exp_minus_abs))
    return result[()]  # 0-d arrays become NumPy scalars; other shapes are unchanged


def deriv_sigmoid(x: ArrayLike) -> np.ndarray:
    """f'(x) = f(x) * (1 - f(x)) with f = sigmoid; any shape -> same shape, values in (0, 0.25].

    Takes the sum x that went *into* the sigmoid, as in the tutorial's ``deriv_sigmoid``.

    >>> float(deriv_sigmoid(0))
    0.25
    """
    fx = sigmoid(x)
    return fx * (1.0 - fx)


def relu(x: ArrayLike) -> np.ndarray:
    """ReLU(x) = max(0, x), element-wise: the input where positive, else 0; any shape.

    >>> relu([-2.0, 0.0, 3.0]).tolist()
    [0.0, 0.0, 3.0]
    """
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)[()]


def softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """softmax(x)_i = e^(x_i) / sum_j e^(x_j) along ``axis``; any shape -> same shape.

    The outputs are positive and sum to 1, so they read as probabilities. The maximum is
    subtracted first: the result is unchanged (the factor e^(-max) cancels) and e^(...) <= 1
    cannot overflow.

    >>> [round(p, 3) for p in softmax([5.0, 1.0]).tolist()]
    [0.982, 0.018]
    >>> softmax([1000.0, 0.0]).tolist()
    [1.0, 0.0]
    """
    x = np.asarray(x, dtype=np.float64)
    # x - max <= 0; if it overflows it becomes -inf, whose e^(...) is the correct 0
    with np.errstate(over="ignore"):
        exps = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return exps / np.sum(exps, axis=axis, keepdims=True)


def mse_loss(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """MSE = (1/n) * sum_i (y_true_i - y_pred_i)^2; two arrays of the same shape (n,) -> float.

    >>> mse_loss([1, 0, 0, 1], [0, 0, 0, 0])
    0.5
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        # broadcasting (n,) against (n, 1) would silently average n*n differences
        raise ValueError(
            f"mse_loss expects y_true and y_pred of the same shape; "
            f"got {y_true.shape} and {y_pred.shape}."
        )
    if y_true.size == 0:
        raise ValueError("mse_loss expects at least one value; got empty arrays.")
    return float(((y_true - y_pred) ** 2).mean())
