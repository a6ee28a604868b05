"""The lookup of ``Embedding``: y = weight[indices], and ``embedding``, its checked function form.

The backward scatters each output row's gradient back to the row it was read from, summing
where an index repeats: ∂L/∂weight[r] = Σ over positions p with indices[p] = r of g[p].
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.autograd import Function, Tensor
from glassnet.errors import DTypeError


class EmbeddingLookup(Function):
    """y = weight[indices].  weight: (V, D), indices: any shape (ints in [0, V)) -> (*, D).

    ∂L/∂weight[r] = Σ_{p: indices[p] = r} g[p]; the row ``padding_idx`` receives none.
    """

    def __init__(self, indices: np.ndarray, padding_idx: int | None = None) -> None:
        self.indices, self.padding_idx = indices, padding_idx

    def forward(self, weight: np.ndarray) -> np.ndarray:
        if self.recording:
            self.weight_shape, self.dtype = weight.shape, weight.dtype
        return np.take(weight, self.indices, axis=0)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        rows = self.indices.reshape(-1)
        grad_rows = grad.reshape(-1, self.weight_shape[1])
        # Sorted, each index's rows are adjacent and one add.reduceat sums them: twice as fast
        # as np.add.at's scattered adds (bench: 5,120 lookups into 1,000 × 64)
        order = np.argsort(rows, kind="stable")
        sorted_rows = rows[order]
        starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
        grad_weight = np.zeros(self.weight_shape, dtype=grad.dtype)
        if rows.size:
            grad_weight[sorted_rows[starts]] = np.add.reduceat(grad_rows[order], starts, axis=0)
        if self.padding_idx is not None:
            grad_weight[self.padding_idx] = 0
        return (grad_weight,)

    @property
    def label(self) -> str:
        return "embedding"


def _largest_exact_integer(dtype: np.dtype) -> int:
    return 2 ** (np.finfo(dtype).nmant + 1)


def checked_indices(indices: Any, num_embeddings: int, who: str) -> np.ndarray:
    """``indices`` as an int64 array of values in [0, num_embeddings).

    Integer data, or floats that are whole numbers (``gn.fit`` hands a model its X in the
    model's float dtype); DTypeError or IndexError naming the first bad index, its position
    and the range.
    """
    array = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if array.dtype.kind == "f":
        if num_embeddings > _largest_exact_integer(array.dtype):
            raise DTypeError(f"{who} has {num_embeddings} rows, more than {array.dtype} counts "
                             f"exactly; pass the indices as integers, not {array.dtype}.")
        whole = np.isfinite(array) & (array == np.round(array))
        if not whole.all():
            position = tuple(int(i) for i in np.argwhere(~whole)[0])
            raise DTypeError(f"{who} expects integer indices; got {float(array[position])!r} at "
                             f"position {position}.")
    elif array.dtype.kind not in "iu":
        raise DTypeError(f"{who} expects integer indices; got dtype {array.dtype}.")
    if array.size and (array.min() < 0 or array.max() >= num_embeddings):
        outside = (array < 0) | (array >= num_embeddings)
        position = tuple(int(i) for i in np.argwhere(outside)[0])
        value = array[position]
        shown = int(value) if array.dtype.kind == "f" else value
        raise IndexError(f"{who}: index {shown} at position {position} is out of range; "
                         f"indices must be from 0 to {num_embeddings - 1} (num_embeddings="
                         f"{num_embeddings}).")
    return array.astype(np.int64, copy=False)


def embedding(indices: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """weight[indices]: rows of ``weight`` (V, D) at ``indices`` (any shape) -> (*indices, D).

    ``padding_idx`` (negative counts from the end): that row receives no gradient. Indices
    outside [0, V) raise IndexError, non-integer ones DTypeError, before anything is computed.
    """
    vocabulary = weight.shape[0]
    if padding_idx is not None:
        if not -vocabulary <= padding_idx < vocabulary:
            raise ValueError(f"embedding: padding_idx must be from {-vocabulary} to "
                             f"{vocabulary - 1}; got {padding_idx}.")
        padding_idx %= vocabulary
    rows = checked_indices(indices, vocabulary, f"embedding of {vocabulary} rows")
    return EmbeddingLookup(rows, padding_idx).apply(weight)
