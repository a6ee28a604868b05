"""Reductions over axes: sum, mean, max, min.  (…) -> (…) with the reduced axes removed or kept."""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd.function_and_tensor import Function
from glassnet.errors import ShapeError

Axis = int | tuple[int, ...] | None


def _normalized_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim if ndim else a for a in axes)


def _expand_to_input(grad: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Put the reduced axes back as length-1 axes so grad broadcasts against the input."""
    return grad if keepdims else np.expand_dims(grad, axes)


class Sum(Function):
    """y = Σ x over axes.  ∂y/∂x = 1, so the gradient is broadcast back."""

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        self.axes = _normalized_axes(self.axis, x.ndim)
        return np.add.reduce(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        grad = _expand_to_input(grad, self.axes, self.keepdims)
        return (np.broadcast_to(grad, self.shape),)


class Mean(Function):
    """y = (1/n) Σ x over axes.  ∂y/∂x = 1/n.  The mean of n = 0 values is NaN, and its
    gradient empty, as in PyTorch."""

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        self.axes = _normalized_axes(self.axis, x.ndim)
        self.count = math.prod([x.shape[a] for a in self.axes]) if x.ndim else 1
        total = np.add.reduce(x, axis=self.axis, keepdims=self.keepdims)
        if not self.count:  # 0/0 without NumPy's warning: NaN is the answer, not an accident
            return total * np.nan
        return total / self.count

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        if not self.count:  # an empty input: no element for 1/0 to reach
            return (np.zeros(self.shape, grad.dtype),)
        grad = _expand_to_input(grad, self.axes, self.keepdims)
        return (np.broadcast_to(grad / self.count, self.shape),)


class Max(Function):
    """y = max x over axes.  The gradient is shared equally among tied maxima."""

    reduce = staticmethod(np.max)

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        self.axes = _normalized_axes(self.axis, x.ndim)
        try:
            self.y = self.reduce(x, axis=self.axis, keepdims=True)
        except ValueError as error:
            if not any(x.shape[axis] == 0 for axis in self.axes):  # a bad axis, not a 0-length one
                raise
            name = type(self).__name__.lower()
            where = "all axes" if self.axis is None else f"axis {self.axis}"
            raise ShapeError(
                f"{name}() over {where} of a tensor of shape {x.shape} reduces zero elements, "
                f"which have no {name}imum (PyTorch refuses it too)."
            ) from error
        return self.y if self.keepdims else np.squeeze(self.y, axis=self.axes)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        grad = _expand_to_input(grad, self.axes, self.keepdims)
        winners = self.x == self.y
        # Count in x's dtype: an int64 count would promote a float32 gradient to float64.
        ties = winners.sum(axis=self.axes, keepdims=True, dtype=self.x.dtype)
        return (winners * (grad / ties),)


class Min(Max):
    """y = min x over axes.  The gradient is shared equally among tied minima."""

    reduce = staticmethod(np.min)
