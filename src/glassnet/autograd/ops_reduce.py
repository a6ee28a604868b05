"""Reductions over axes: sum, mean, max, min.  (…) -> (…) with the reduced axes removed or kept."""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd.function import Function

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
    """y = (1/n) Σ x over axes.  ∂y/∂x = 1/n."""

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        self.axes = _normalized_axes(self.axis, x.ndim)
        self.count = math.prod([x.shape[a] for a in self.axes]) if x.ndim else 1
        return np.add.reduce(x, axis=self.axis, keepdims=self.keepdims) / self.count

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
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
        self.y = self.reduce(x, axis=self.axis, keepdims=True)
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
