"""``Tensor``: a NumPy array that remembers how it was computed, so it can be differentiated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from glassnet.autograd import ops_arith, ops_reduce, ops_shape, ops_unary
from glassnet.autograd.dtypes import (
    converted,
    default_float,
    promote,
    promote_for_division,
    result_type,
)
from glassnet.autograd.engine import backward as run_backward
from glassnet.autograd.function import TENSOR_CLASS, Function, detached, one_of
from glassnet.errors import DTypeError, GlassnetError, ShapeError, check_numeric


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """data as an ndarray, without a copy where none is needed: in ``dtype`` if given, else
    floating data in the default dtype and other data as it is."""
    array = data.data if isinstance(data, Tensor) else np.asarray(data)
    check_numeric(array, who="glassnet.tensor")
    if dtype is not None:
        return np.asarray(array, dtype=dtype)
    if array.dtype.kind == "f" and array.dtype != default_float():
        return array.astype(default_float())
    return array


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``data`` is the ndarray, ``grad`` the accumulated gradient (same shape, or None), ``_ctx`` the
    ``Function`` that produced it (None for leaves and for values computed without a graph).
    ``Tensor(array)`` uses the array itself when it has the dtype it would get, as
    ``torch.Tensor(array)`` does; ``gn.tensor`` makes a copy.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "name", "__weakref__")
    __array_ufunc__ = None  # make `ndarray <op> Tensor` defer to Tensor's reflected operators

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> None:
        self.data = as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise DTypeError(
                f"only floating tensors can require gradients; got dtype {self.data.dtype}."
            )
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._ctx: Function | None = None
        self.name = name

    # -- plain attributes -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        return self._ctx

    def __len__(self) -> int:
        return len(self.data)

    def item(self) -> float:
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same values, cut from the graph."""
        return Tensor(self.data, dtype=self.dtype)  # dtype: float64 must not become the default

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def astype(self, dtype: Any) -> Tensor:
        """The values in another dtype; a cast to a float dtype stays in the graph."""
        if np.dtype(dtype) == self.dtype:
            return self
        if np.dtype(dtype).kind != "f":
            return Tensor(self.data.astype(dtype))
        return ops_unary.Cast(dtype).apply(self)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = []
        if self.dtype != default_float():
            extras.append(f"dtype={self.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx.label}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.data)

    # -- differentiation -----------------------------------------------------------------------
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        A scalar needs no ``grad``; a non-scalar needs ``grad`` of its own shape (the vector in the
        vector-Jacobian product).
        """
        if not self.requires_grad:
            raise GlassnetError(
                "backward() on a tensor that does not require grad: no input of its graph has "
                "requires_grad=True (or it was computed under no_grad)."
            )
        if grad is None:
            if self.data.size != 1:
                raise GlassnetError(
                    f"backward() without a gradient needs a scalar; this tensor has shape "
                    f"{self.shape}. Reduce it first (e.g. loss.mean()) or pass grad= of that shape."
                )
            # shared and read-only: backward never writes into a gradient it is given
            grad_array = one_of(self.data.dtype)
            if self.data.shape:
                grad_array = grad_array.reshape(self.data.shape)
        else:
            grad_array = as_array(grad, dtype=self.dtype)
            if grad_array.shape != self.shape:
                raise GlassnetError(
                    f"backward(grad) needs grad of shape {self.shape}; got {grad_array.shape}."
                )
        if self._ctx is None:
            self.grad = grad_array.copy() if self.grad is None else self.grad + grad_array
            return
        run_backward(self, grad_array, retain_graph=retain_graph)

    # -- arithmetic -----------------------------------------------------------------------------
    # The operands meet at one dtype by PyTorch's type promotion (see _operands and dtypes.py).
    # Two tensors of one dtype, the common case, are tested for first, inline: a call to
    # _operands costs ~60 ns, a tenth of the cheapest op.
    def __add__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other.data.dtype is self.data.dtype:
            return ops_arith.Add().apply(self, other)
        return ops_arith.Add().apply(*_operands(self, other))

    def __radd__(self, other: Any) -> Tensor:
        a, b = _operands(self, other)
        return ops_arith.Add().apply(b, a)

    def __sub__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other.data.dtype is self.data.dtype:
            return ops_arith.Sub().apply(self, other)
        return ops_arith.Sub().apply(*_operands(self, other))

    def __rsub__(self, other: Any) -> Tensor:
        a, b = _operands(self, other)
        return ops_arith.Sub().apply(b, a)

    def __mul__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other.data.dtype is self.data.dtype:
            return ops_arith.Mul().apply(self, other)
        return ops_arith.Mul().apply(*_operands(self, other))

    def __rmul__(self, other: Any) -> Tensor:
        a, b = _operands(self, other)
        return ops_arith.Mul().apply(b, a)

    def __truediv__(self, other: Any) -> Tensor:
        a, b = _operands(self, other)
        if a.data.dtype.kind != "f":  # true division: integers give the default float dtype
            a, b = promote_for_division(a, b)
        return ops_arith.Div().apply(a, b)

    def __rtruediv__(self, other: Any) -> Tensor:
        a, b = _operands(self, other)
        if a.data.dtype.kind != "f":
            a, b = promote_for_division(a, b)
        return ops_arith.Div().apply(b, a)

    def __pow__(self, exponent: Any) -> Tensor:
        if type(exponent) is int or type(exponent) is float:
            base = self
            if self.data.dtype.kind != "f":  # an int tensor ** 0.5 is float (the default dtype)
                base = converted(self, result_type(self, exponent))
            return ops_arith.PowScalar(exponent).apply(base)
        a, b = _operands(self, exponent)
        return ops_arith.Pow().apply(a, b)

    def __rpow__(self, base: Any) -> Tensor:
        a, b = _operands(self, base)
        return ops_arith.Pow().apply(b, a)

    def __neg__(self) -> Tensor:
        return ops_arith.Neg().apply(self)

    def __matmul__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other.data.dtype is self.data.dtype:
            return ops_arith.MatMul().apply(self, other)
        return ops_arith.MatMul().apply(*_operands(self, other))

    def __rmatmul__(self, other: Any) -> Tensor:
        a, b = _operands(self, other)
        return ops_arith.MatMul().apply(b, a)

    # Comparisons give bool tensors outside the graph (masks for `where`).
    def __lt__(self, other: Any) -> Tensor:
        return Tensor(self.data < _raw(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor(self.data <= _raw(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor(self.data > _raw(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor(self.data >= _raw(other))

    # -- reductions -------------------------------------------------------------------------------
    def sum(self, axis: ops_reduce.Axis = None, keepdims: bool = False) -> Tensor:
        return ops_reduce.Sum(axis, keepdims).apply(self)

    def mean(self, axis: ops_reduce.Axis = None, keepdims: bool = False) -> Tensor:
        return ops_reduce.Mean(axis, keepdims).apply(self)

    def max(self, axis: ops_reduce.Axis = None, keepdims: bool = False) -> Tensor:
        return ops_reduce.Max(axis, keepdims).apply(self)

    def min(self, axis: ops_reduce.Axis = None, keepdims: bool = False) -> Tensor:
        return ops_reduce.Min(axis, keepdims).apply(self)

    # -- shape ------------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops_shape.Reshape(shape).apply(self)

    def flatten(self, start_axis: int = 0) -> Tensor:
        return self.reshape(self.shape[:start_axis] + (-1,))

    def transpose(self, *axes: int) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return ops_shape.Transpose(axes or None).apply(self)

    @property
    def T(self) -> Tensor:
        return ops_shape.Transpose(None).apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops_shape.GetItem(_raw_index(index)).apply(self)

    # -- element-wise ---------------------------------------------------------------------------
    def exp(self) -> Tensor:
        return ops_unary.Exp().apply(self)

    def log(self) -> Tensor:
        return ops_unary.Log().apply(self)

    def sqrt(self) -> Tensor:
        return ops_unary.Sqrt().apply(self)

    def abs(self) -> Tensor:
        return ops_unary.Abs().apply(self)

    def tanh(self) -> Tensor:
        return ops_unary.Tanh().apply(self)

    def sigmoid(self) -> Tensor:
        return ops_unary.Sigmoid().apply(self)

    def relu(self) -> Tensor:
        return ops_unary.ReLU().apply(self)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        return ops_unary.Clip(min, max).apply(self)

    __abs__ = abs


TENSOR_CLASS.append(Tensor)


def _raw(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def _raw_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_raw(part) for part in index)
    return _raw(index)


def _operands(a: Tensor, b: Any) -> tuple[Tensor, Tensor]:
    """a and b as Tensors of their common dtype (PyTorch's type promotion, see dtypes.py).

    The common cases are decided here before anything else is looked at: two tensors of one
    dtype, and a float tensor with a Python number (which never widens it)."""
    if isinstance(b, Tensor):
        if b.data.dtype is a.data.dtype:
            return a, b
    elif type(b) is float or type(b) is int:
        dtype = a.data.dtype
        if dtype.kind == "f":
            return a, detached(np.array(b, dtype=dtype))
    return promote(a, b)  # type: ignore[return-value]


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
    return ops_shape.Concatenate(axis).apply(*promote(*_joined(tensors, "concatenate")))


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along a new axis, in their common dtype (type promotion)."""
    return ops_shape.Stack(axis).apply(*promote(*_joined(tensors, "stack")))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Element-wise ``a if condition else b``, broadcast; ``condition`` is a constant mask.
    ``a`` and ``b`` (Tensors, arrays or numbers) meet at their common dtype (type promotion)."""
    mask = np.asarray(_raw(condition), dtype=bool)
    return ops_shape.Where(mask).apply(*promote(a, b))


def matmul(a: Any, b: Any) -> Tensor:
    """a @ b, in the operands' common dtype (type promotion)."""
    return ops_arith.MatMul().apply(*promote(a, b))
