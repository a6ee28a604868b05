"""Ops that move values without changing them: reshape, transpose, indexing, joining, where;
and the functions that apply the last three to Tensors of any dtypes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from glassnet.autograd import dtypes
from glassnet.autograd.function_and_tensor import Function, Tensor, raw
from glassnet.autograd.ops_arith import unbroadcast
from glassnet.errors import DTypeError, ShapeError


class Reshape(Function):
    """y = x viewed with a new shape; the gradient is reshaped back."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.input_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError as error:
            raise ShapeError(
                f"cannot reshape a tensor of shape {x.shape} ({x.size} elements) into {self.shape}."
            ) from error

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad.reshape(self.input_shape),)


class Transpose(Function):
    """y = x with its axes permuted; the gradient takes the inverse permutation."""

    def __init__(self, axes: tuple[int, ...] | None = None) -> None:
        self.axes = axes

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.transpose(x, self.axes)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        if self.axes is None:
            return (np.transpose(grad),)
        return (np.transpose(grad, np.argsort(self.axes)),)


def _is_advanced(index: Any) -> bool:
    """True when the index holds an integer or boolean array, whose positions may repeat."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (list, np.ndarray)) for p in parts)


class GetItem(Function):
    """y = x[index].  The gradient lands on the selected positions; repeated ones accumulate."""

    def __init__(self, index: Any) -> None:
        self.index = index

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.input_shape, self.dtype = x.shape, x.dtype
        return x[self.index]

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        full = np.zeros(self.input_shape, dtype=grad.dtype)
        if _is_advanced(self.index):
            np.add.at(full, self.index, grad)
        else:
            full[self.index] = grad
        return (full,)


class Concatenate(Function):
    """y = the inputs joined along an existing axis; each gets its slice of the gradient."""

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        self.split_points = np.cumsum([a.shape[self.axis] for a in arrays])[:-1]
        try:
            return np.concatenate(arrays, axis=self.axis)
        except ValueError as error:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ShapeError(
                f"concatenate along axis {self.axis} needs equal shapes elsewhere; got {shapes}."
            ) from error

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(np.split(grad, self.split_points, axis=self.axis))


class Stack(Function):
    """y = the inputs stacked along a new axis; each gets its slice of the gradient."""

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        try:
            return np.stack(arrays, axis=self.axis)
        except ValueError as error:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ShapeError(f"stack needs inputs of one shape; got {shapes}.") from error

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(np.moveaxis(grad, self.axis, 0))


class Where(Function):
    """y = a where condition, else b (broadcast).  Each side gets the gradient where chosen."""

    def __init__(self, condition: np.ndarray) -> None:
        self.condition = condition

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a_shape, self.b_shape = a.shape, b.shape
        return np.where(self.condition, a, b)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        zero = np.zeros((), dtype=grad.dtype)
        return (
            unbroadcast(np.where(self.condition, grad, zero), self.a_shape),
            unbroadcast(np.where(self.condition, zero, grad), self.b_shape),
        )


def _joined(tensors: Sequence[Any], who: str) -> list[Any]:
    """The tensors to join, as a list; a lone Tensor or array, or no tensor at all, is refused."""
    if isinstance(tensors, (Tensor, np.ndarray)):
        raise DTypeError(f"{who} expects a list of tensors; got one {type(tensors).__name__}. "
                         f"Put it in a list: {who}([t, ...]).")
    joined = list(tensors)
    if not joined:
        raise ShapeError(f"{who} expects at least one tensor; got an empty list.")
    return joined


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis, in their common dtype (type promotion)."""
    return Concatenate(axis).apply(*dtypes.promote(*_joined(tensors, "concatenate")))


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along a new axis, in their common dtype (type promotion)."""
    return Stack(axis).apply(*dtypes.promote(*_joined(tensors, "stack")))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Element-wise ``a if condition else b``, broadcast; ``condition`` is a constant mask.
    ``a`` and ``b`` (Tensors, arrays or numbers) meet at their common dtype (type promotion)."""
    mask = np.asarray(raw(condition), dtype=bool)
    return Where(mask).apply(*dtypes.promote(a, b))
