"""Dtypes: the default float dtype, and PyTorch's type promotion for ops with several operands.

The dtype of ``a + b`` (and of ``- * / ** @``, ``where``, ``concatenate``, ``stack``, ``linear``,
a loss's input and target) follows ``torch.result_type``, not NumPy's rules:

* Categories rank bool < integer < floating. An operand of a higher category decides; integers
  never widen a float (float32 + int64 is float32, where NumPy gives float64).
* Operands rank by standing: tensors with dimensions, then 0-d tensors, then Python numbers.
  A lower standing counts only if its category is higher than every operand above it: float32
  (3,) + float64 0-d is float32, but int64 (3,) + float64 0-d is float64.
* A Python float with no float tensor beside it takes the default dtype (float32), a Python
  int int64, a Python bool bool.
* Within one standing and one category, the wider dtype: int8 + uint8 is int16 (NumPy's rule,
  which agrees with PyTorch's for every pair PyTorch supports).

Only Tensors bring their dtype: a NumPy array, NumPy scalar or list is data, and counts as
Python numbers of its category do (as floating data given to ``gn.tensor`` takes the default
dtype). So float32 tensor × float64 array is float32, int64 tensor × float64 array float32;
wrap the array with ``gn.from_numpy`` for its own dtype to count. Integer values that do not fit
the result's dtype raise instead of wrapping around. True division of integers gives the default
float dtype, as PyTorch's does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.autograd import ops_unary
from glassnet.autograd.function_and_tensor import Tensor, detached
from glassnet.errors import DTypeError, check_numeric

_default_dtype: np.dtype = np.dtype(np.float32)

_BOOL = np.dtype(np.bool_)
_INT64 = np.dtype(np.int64)
_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}  # bool < integer < floating


def set_default_dtype(dtype: Any) -> None:
    """The dtype floating data becomes when no dtype is given: float32 (default) or float64."""
    global _default_dtype
    resolved = np.dtype(dtype)
    if resolved not in (np.float32, np.float64):
        raise DTypeError(f"default dtype must be float32 or float64; got {resolved}.")
    _default_dtype = resolved


def get_default_dtype() -> type[np.floating]:
    """The default float dtype, as a NumPy scalar type (np.float32 unless set otherwise)."""
    return _default_dtype.type


def default_float() -> np.dtype:
    """The default float dtype as an ``np.dtype``."""
    return _default_dtype


def promote_types(first: np.dtype, second: np.dtype) -> np.dtype:
    """The dtype two operands of one standing meet at (``torch.promote_types``)."""
    if first == second:
        return first
    first_category, second_category = _CATEGORY[first.kind], _CATEGORY[second.kind]
    if first_category != second_category:
        return first if first_category > second_category else second
    if first_category == 1 and first.kind != second.kind:
        unsigned, signed = (first, second) if first.kind == "u" else (second, first)
        if unsigned.itemsize == 8:  # NumPy would give float64, a float from two integers
            raise DTypeError(
                f"no integer dtype holds both {unsigned} and {signed} values; convert one "
                f"first, e.g. t.astype(np.int64)."
            )
    return np.promote_types(first, second)


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """The result of a higher standing's dtype with a lower one's (PyTorch's
    ``combine_categories``): the lower counts only where its category is higher."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return promote_types(higher, lower)
    return higher  # both integers: the higher standing's width


def _number_dtype(kind: str) -> np.dtype:
    """The dtype a Python number of this kind takes when its category decides."""
    if kind == "f":
        return _default_dtype
    return _BOOL if kind == "b" else _INT64


def _standing_and_dtype(operand: Any) -> tuple[int, np.dtype]:
    """(0 for a Tensor with dimensions, 1 for a 0-d Tensor, 2 for anything else, the dtype)."""
    if isinstance(operand, Tensor):
        data = operand.data
        return (0 if data.ndim else 1), data.dtype
    # an array, a list or a number: only its category counts
    values = operand if isinstance(operand, np.ndarray) else np.asarray(operand)
    check_numeric(values, who="glassnet")
    return 2, _number_dtype(values.dtype.kind)


def result_type(*operands: Any) -> np.dtype:
    """The dtype of an op's result on these operands (Tensors, arrays or Python numbers), by
    PyTorch's type promotion (see the module docstring)."""
    best: list[np.dtype | None] = [None, None, None]
    for operand in operands:
        if operand is None:
            continue
        standing, dtype = _standing_and_dtype(operand)
        current = best[standing]
        best[standing] = dtype if current is None else promote_types(current, dtype)
    result = _combine(best[0], _combine(best[1], best[2]))
    if result is None:
        raise DTypeError("result_type needs at least one operand.")
    return result


def converted(operand: Any, dtype: np.dtype) -> Any:
    """``operand`` as a Tensor of ``dtype``: as it is if it has that dtype; a float Tensor that
    requires grad through a Cast node (its gradient is cast back); anything else as a constant.
    Integers that do not fit ``dtype`` raise instead of wrapping around."""
    if isinstance(operand, Tensor):
        data = operand.data
        if data.dtype == dtype:
            return operand
        if operand.requires_grad and dtype.kind == "f":
            return ops_unary.Cast(dtype).apply(operand)
    else:
        data = operand
    try:
        array = np.asarray(data, dtype=dtype) if type(data) is not np.ndarray else data
    except OverflowError as error:  # a Python int outside the range of an integer dtype
        raise DTypeError(f"{data!r} does not fit {dtype}, the dtype of the result; convert the "
                         f"tensor to a wider dtype first (t.astype(...)).") from error
    if array.dtype != dtype:
        array = _narrowed(array, dtype)
    return detached(array)


def _narrowed(array: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """array cast to ``dtype``; integers that do not survive the cast raise (NumPy would wrap)."""
    cast = array.astype(dtype)
    if dtype.kind in "iub" and array.size and not np.array_equal(cast, array):
        raise DTypeError(f"values of dtype {array.dtype} do not fit {dtype}, the dtype of the "
                         f"result; convert the other operand to a wider dtype first.")
    return cast


def promote(*operands: Any) -> tuple[Any, ...]:
    """The operands as Tensors of their common dtype (``result_type``); None stays None."""
    dtype = result_type(*operands)
    return tuple(None if operand is None else converted(operand, dtype) for operand in operands)


def promote_for_division(*operands: Any) -> tuple[Any, ...]:
    """As ``promote``, but integers and bools become the default float dtype: a / b is true
    division (PyTorch's ``true_divide``)."""
    dtype = result_type(*operands)
    if dtype.kind != "f":
        dtype = _default_dtype
    return tuple(converted(operand, dtype) for operand in operands)


def promote_arrays(*arrays: np.ndarray | None) -> tuple[np.ndarray | None, ...]:
    """Arrays that are Tensors' data (so each brings its dtype), in their common dtype."""
    dtype = result_type(*[detached(array) for array in arrays if array is not None])
    return tuple(None if array is None else array.astype(dtype, copy=False) for array in arrays)


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


def common_operands(a: Tensor, b: Any) -> tuple[Tensor, Tensor]:
    """a and b as Tensors of their common dtype (PyTorch's type promotion: the module docstring).

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


# The scalar 1 of each dtype, as read-only 0-d arrays: the seed gradient of backward(), and the
# 1 in σ's 1 + eˣ (a 0-d array of the right dtype adds faster than a Python int NumPy converts).
_SCALAR_ONES: dict[np.dtype, np.ndarray] = {}


def scalar_one(dtype: np.dtype) -> np.ndarray:
    """1 as a read-only 0-d array of ``dtype``, made once per dtype."""
    one = _SCALAR_ONES.get(dtype)
    if one is None:
        one = _SCALAR_ONES[dtype] = np.ones((), dtype=dtype)
        one.flags.writeable = False
    return one
