"""``Flatten``: merge a range of axes into one.  (N, C, H, W) -> (N, C·H·W) by default."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from glassnet.autograd import Tensor, input_tensor
from glassnet.errors import ShapeError
from glassnet.nn.module import Module
from glassnet.nn.registry import AXIS, Shape, register_layer, sample_axis


class Flatten(Module):
    """Merge axes ``start_dim`` … ``end_dim`` (inclusive; negatives count from the end).

    (d₀, …, d_start, …, d_end, …) -> (d₀, …, d_start·…·d_end, …). The default keeps the batch axis.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def flat_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output's shape for an input of ``shape``; ShapeError for axes it does not have."""
        ndim = max(len(shape), 1)
        start, end = self.start_dim, self.end_dim
        if not (-ndim <= start < ndim and -ndim <= end < ndim):
            raise ShapeError(f"Flatten(start_dim={start}, end_dim={end}) needs axes that exist; "
                             f"got an input of shape {shape}.")
        start, end = start % ndim, end % ndim
        if start > end:
            raise ShapeError(f"Flatten: start_dim ({self.start_dim}) comes after end_dim "
                             f"({self.end_dim}) for an input of shape {shape}.")
        if not shape:
            return (1,)
        return shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:]

    def forward(self, x: Any) -> Tensor:
        x = input_tensor(x)
        return x.reshape(self.flat_shape(x.shape))

    def forward_array(self, x: np.ndarray, temporary: bool) -> np.ndarray:
        """forward on a bare array, for inference without a graph (see Sequential)."""
        return x.reshape(self.flat_shape(x.shape))

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def _export_flatten(
    builder: Any, layer: Flatten, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    """ONNX Flatten for the usual case (keep the batch, merge the rest), else a Reshape."""
    full = (-1, *shape)  # -1 stands for the dynamic batch axis
    start = sample_axis(layer.start_dim, shape, name, "Flatten")
    end = sample_axis(layer.end_dim, shape, name, "Flatten")
    if start > end:
        raise ShapeError(f"{name} (Flatten): start_dim {layer.start_dim} comes after end_dim "
                         f"{layer.end_dim} for samples of shape {shape}.")
    if start == 1 and end == len(full) - 1:
        return builder.node("Flatten", [x], f"{name}_Flatten", axis=1), (math.prod(shape),)
    if start == 0:  # the batch axis merges with the next ones: its new length is inferred (-1)
        target = [-1, *full[end + 1 :]]
    else:  # Reshape's 0 copies the (dynamic) batch length from the input
        target = [0, *full[1:start], math.prod(full[start : end + 1]), *full[end + 1 :]]
    shape_constant = builder.constant(f"{name}.shape", target, dtype=np.int64)
    return builder.node("Reshape", [x, shape_constant], f"{name}_Reshape"), tuple(target[1:])


register_layer(Flatten, settings={"start_dim": AXIS, "end_dim": AXIS}, export=_export_flatten)
