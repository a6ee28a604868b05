"""``Flatten``: merge a range of axes into one.  (N, C, H, W) -> (N, C·H·W) by default."""

from __future__ import annotations

import math
from typing import Any

from glassnet.autograd import Tensor, input_tensor
from glassnet.errors import ShapeError
from glassnet.nn.module import Module


class Flatten(Module):
    """Merge axes ``start_dim`` … ``end_dim`` (inclusive; negatives count from the end).

    (d₀, …, d_start, …, d_end, …) -> (d₀, …, d_start·…·d_end, …). The default keeps the batch axis.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Any) -> Tensor:
        x = input_tensor(x)
        ndim = max(x.ndim, 1)
        start, end = self.start_dim, self.end_dim
        if not (-ndim <= start < ndim and -ndim <= end < ndim):
            raise ShapeError(f"Flatten(start_dim={start}, end_dim={end}) needs axes that exist; "
                             f"got an input of shape {x.shape}.")
        start, end = start % ndim, end % ndim
        if start > end:
            raise ShapeError(f"Flatten: start_dim ({self.start_dim}) comes after end_dim "
                             f"({self.end_dim}) for an input of shape {x.shape}.")
        if x.ndim == 0:
            return x.reshape(1)
        shape = x.shape
        return x.reshape(shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
