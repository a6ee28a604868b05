"""Where the windows of a pooling lie, and memory layouts.

``Canvas``: the input placed once among its padding, so that one kernel offset picks that element
of every window as a strided slice (see ``glassnet.functional.pooling_ops``). ``memory_order``,
``in_order``: keeping arrays in one memory order, so that element-wise ops between them run along
memory (a convolution's output is laid out (C, *size, N), its (N, C, *size) view strided).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator

import numpy as np

from glassnet.errors import ShapeError


def pooled_length(
    length: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    """L_out of one axis (``pooling_ops``'s docstring gives the formula); 0 or less: the input
    is too short."""
    room = length + 2 * padding - dilation * (kernel - 1) - 1
    out = (room + (stride - 1 if ceil_mode else 0)) // stride + 1  # floor, also below zero
    if ceil_mode and (out - 1) * stride >= length + padding:
        out -= 1  # the last window would start past the input and its left padding
    return out


def memory_order(array: np.ndarray) -> tuple[int, ...]:
    """The array's axes from the largest stride to the smallest: (1, 2, 3, 0) for an
    (N, C, H, W) view of a (C, H, W, N) array (a convolution's output)."""
    return tuple(sorted(range(array.ndim), key=lambda axis: -abs(array.strides[axis])))


def lies_in_order(array: np.ndarray, order: tuple[int, ...]) -> bool:
    """Whether the array's axes (those longer than 1) lie in memory in ``order``, none of them
    broadcast or reversed: then an element-wise op with arrays laid out in that order runs
    along memory; across two layouts it runs several times slower."""
    steps = [array.strides[axis] for axis in order if array.shape[axis] > 1]
    return all(step > 0 for step in steps) and steps == sorted(steps, reverse=True)


def in_order(array: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    """``array`` itself when it lies in memory in ``order`` (see ``lies_in_order``), else a copy
    that does."""
    if lies_in_order(array, order):
        return array
    laid_out = np.empty([array.shape[axis] for axis in order], array.dtype)
    laid_out = laid_out.transpose(np.argsort(order))
    laid_out[...] = array
    return laid_out


def on_own_axes(vectors: list[np.ndarray]) -> list[np.ndarray]:
    """Vector a reshaped to lie along axis a, so that combining them broadcasts to a grid."""
    last = len(vectors) - 1
    return [v.reshape((1,) * a + (-1,) + (1,) * (last - a)) for a, v in enumerate(vectors)]


class Canvas:
    """Where the windows of one pooling lie: the input inside, the padding around it.

    Along each axis the canvas starts at input position −padding and holds every window
    (length (L_out − 1)·stride + dilation·(kernel − 1) + 1), and the whole input too.
    """

    def __init__(self, who: str, input_shape: tuple[int, ...], kernel: tuple[int, ...],
                 stride: tuple[int, ...], padding: tuple[int, ...], dilation: tuple[int, ...],
                 ceil_mode: bool) -> None:
        spatial = input_shape[2:]
        self.output = tuple(pooled_length(*axis, ceil_mode) for axis in
                            zip(spatial, kernel, stride, padding, dilation, strict=True))
        if min(self.output) < 1:
            raise ShapeError(f"{who}: the input of spatial shape {spatial} is smaller than one "
                             f"window (kernel {kernel}, padding {padding}, dilation {dilation}); "
                             "its output would be empty.")
        needed = [(out - 1) * s + d * (k - 1) + 1 for out, s, d, k in
                  zip(self.output, stride, dilation, kernel, strict=True)]
        self.shape = input_shape[:2] + tuple(
            max(need, pad + length) for need, pad, length in zip(needed, padding, spatial,
                                                                 strict=True))
        self.input_region = (slice(None), slice(None)) + tuple(
            slice(pad, pad + length) for pad, length in zip(padding, spatial, strict=True))
        self.filled = self.shape != input_shape  # padding, or room for ceil_mode's last window
        self.input_shape, self.kernel, self.stride = input_shape, kernel, stride
        self.padding, self.dilation = padding, dilation

    def offsets(self, backwards: bool = False) -> Iterator[tuple[int, ...]]:
        """Every position j of a window, in row-major order (or its reverse)."""
        ranges = (range(k - 1, -1, -1) if backwards else range(k) for k in self.kernel)
        return itertools.product(*ranges)

    def place(self, x: np.ndarray, fill: float) -> np.ndarray:
        """x on the canvas, the rest ``fill``; x itself when there is nothing around it."""
        if not self.filled:
            return x
        canvas = np.full_like(x, fill, shape=self.shape)  # in x's memory order
        canvas[self.input_region] = x
        return canvas

    def window_slice(self, offset: tuple[int, ...]) -> tuple[slice, ...]:
        """The offset-th element of every window: a strided slice of the canvas."""
        return (slice(None), slice(None)) + tuple(
            slice(j * d, j * d + (out - 1) * s + 1, s) for j, d, out, s in
            zip(offset, self.dilation, self.output, self.stride, strict=True))

    def inside_input(self, offset: tuple[int, ...]) -> np.ndarray:
        """Which windows' offset-th element is an input value, not padding: (*output,) bool."""
        per_axis = [(0 <= positions) & (positions < length) for positions, length in zip(
            (np.arange(out) * s - pad + j * d for out, s, pad, j, d in
             zip(self.output, self.stride, self.padding, offset, self.dilation, strict=True)),
            self.input_shape[2:], strict=True)]
        return functools.reduce(np.logical_and, on_own_axes(per_axis))

    def gather_gradient(self, canvas_grad: np.ndarray) -> np.ndarray:
        """The input's part of a gradient with respect to the canvas."""
        return canvas_grad if not self.filled else canvas_grad[self.input_region]

    @property
    def tiled(self) -> bool:
        """Whether the windows tile the canvas: each position in exactly one window."""
        return all(s == k and d == 1 and out * k == length for s, d, k, out, length in zip(
            self.stride, self.dilation, self.kernel, self.output, self.shape[2:], strict=True))

    @property
    def overlapping(self) -> bool:
        """Whether an input position can be in two windows (stride shorter than a window)."""
        return any(s < d * (k - 1) + 1 for s, d, k in
                   zip(self.stride, self.dilation, self.kernel, strict=True))

    def add_to(self, canvas_grad: np.ndarray, offset: tuple[int, ...], value: np.ndarray,
               where: np.ndarray | bool = True) -> None:
        """canvas_grad at the offset-th elements of the windows += value (only ``where``)."""
        part = canvas_grad[self.window_slice(offset)]
        if self.overlapping:
            np.add(part, value, out=part, where=where)
        else:  # each position belongs to one window, so nothing is there yet: a copy adds
            np.copyto(part, value, where=where)
