"""Making Tensors from data: ``tensor`` copies, ``as_tensor`` shares when it can,
``from_numpy`` always shares, as their PyTorch namesakes do."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.autograd.dtypes import as_array
from glassnet.autograd.function_and_tensor import Tensor, detached
from glassnet.errors import DTypeError, check_numeric

# data NumPy always converts into a new array: no need to ask whether it shares memory
_MADE_AFRESH = frozenset({list, tuple, float, int, bool})


def tensor(
    data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
) -> Tensor:
    """A new Tensor holding a copy of ``data`` (``torch.tensor``): changing one never changes
    the other, so an optimizer updating it leaves the caller's array as it was.

    Floating data becomes the default dtype (float32) unless ``dtype`` is given; integer and
    bool data keep theirs. A Tensor given as data is copied too, outside any graph. To share
    an array's memory instead, use ``gn.as_tensor`` or ``gn.from_numpy``.

    Example:
    >>> weights = np.zeros(3, dtype=np.float32)
    >>> w = gn.tensor(weights)
    >>> w.data += 1
    >>> weights
    array([0., 0., 0.], dtype=float32)
    """
    source = data.data if isinstance(data, Tensor) else data
    array = as_array(source, dtype)
    if array is source or (type(source) not in _MADE_AFRESH
                           and np.may_share_memory(array, source)):
        array = array.copy(order="K")  # keeps the layout (a column-major array stays so)
    return Tensor(array, requires_grad=requires_grad, dtype=array.dtype, name=name)


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """``data`` as a Tensor, sharing its memory when it can (``torch.as_tensor``).

    A Tensor is returned as it is (converted, in the graph, if ``dtype`` differs). An array
    already in the dtype it would get (``dtype``, else the default float dtype for floating
    data and its own dtype otherwise) is used without a copy, so writing to one writes to the
    other; anything else is converted into a new array, as ``gn.tensor`` does.

    Example:
    >>> batch = np.ones((2, 3), dtype=np.float32)
    >>> gn.as_tensor(batch).data is batch
    True
    >>> gn.as_tensor(np.ones(3)).dtype  # float64 data becomes the default float32: a copy
    dtype('float32')
    """
    if isinstance(data, Tensor):
        if dtype is None or np.dtype(dtype) == data.data.dtype:
            return data
        return data.astype(dtype)
    return Tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor that uses ``array`` itself, in its own dtype (``torch.from_numpy``).

    Nothing is copied or converted, so a change to one is seen in the other (an optimizer
    step updates the array). Refuses anything but a NumPy array of numbers.

    Example:
    >>> values = np.arange(3.0)
    >>> t = gn.from_numpy(values)
    >>> t.dtype, t.data is values
    (dtype('float64'), True)
    """
    if not isinstance(array, np.ndarray):
        raise DTypeError(
            f"from_numpy expects a NumPy array; got {type(array).__name__}. Use gn.tensor(data) "
            f"for a copy of other data, or gn.as_tensor(data)."
        )
    check_numeric(array, who="from_numpy")
    return detached(array if type(array) is np.ndarray else array.view(np.ndarray))


def input_tensor(value: Any, like: Tensor | None = None) -> Tensor:
    """An op's input: ``value`` itself if it is a Tensor, else a constant Tensor in ``like``'s
    float dtype (sharing the array when it already has that dtype)."""
    if isinstance(value, Tensor):
        return value
    if like is not None and like.dtype.kind == "f":
        return Tensor(value, dtype=like.dtype)
    return Tensor(value)
