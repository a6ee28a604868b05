"""Pooling ops on (N, C, *spatial) arrays, any number of spatial axes: max, average, adaptive
average; and the functions ``max_pool1d/2d``, ``avg_pool1d/2d``, ``adaptive_avg_pool1d/2d``.

Window j of output position i along an axis covers the input positions
i·stride − padding + j·dilation, j = 0 … kernel − 1 (PyTorch's geometry). The output length is

    L_out = ⌊(L + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1,

rounded up instead with ``ceil_mode``, but never so far that the last window starts past the
input and its left padding (PyTorch's rule). The input is placed once on a "canvas": the
padding around it filled with −∞ (max) or 0 (average), so that one kernel offset j picks the
j-th element of every window at once, as a strided slice (a view). The ops loop over the
kernel's offsets only (4 for a 2×2 kernel), never over the batch, the channels or the positions.
Outputs and gradients keep the input's memory order (a convolution's output is a strided view of
a (C, *size, N) array): element-wise work between two layouts runs several times slower.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any

import numpy as np

from glassnet import fast_paths
from glassnet.autograd import Function, Tensor, converted, default_float, input_tensor
from glassnet.errors import ShapeError
from glassnet.functional.pooling_canvas import Canvas, in_order, memory_order, on_own_axes

IntOrTuple = int | tuple[int, ...]


def integer_tuple(value: Any, spatial: int, name: str, low: int, who: str) -> tuple[int, ...]:
    """``value`` (an int, or a tuple/list of ``spatial`` ints) as a tuple of ``spatial`` ints,
    each >= ``low``; TypeError or ValueError saying what was expected."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * spatial
    if len(items) != spatial or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in items
    ):
        raise TypeError(f"{who}: {name} must be an int or a tuple of {spatial} ints; got "
                        f"{value!r:.60}.")
    if any(v < low for v in items):
        raise ValueError(f"{who}: {name} must be >= {low}; got {value!r:.60}.")
    return tuple(int(v) for v in items)


def pool_geometry(
    kernel_size: Any, stride: Any, padding: Any, dilation: Any, spatial: int, who: str
) -> tuple[tuple[int, ...], ...]:
    """(kernel, stride, padding, dilation) as tuples of ``spatial`` ints, checked as PyTorch
    does: kernel, stride, dilation >= 1; 0 <= padding <= half the dilated kernel. ``stride``
    None means the kernel size."""
    kernel = integer_tuple(kernel_size, spatial, "kernel_size", 1, who)
    steps = kernel if stride is None else integer_tuple(stride, spatial, "stride", 1, who)
    pads = integer_tuple(padding, spatial, "padding", 0, who)
    dilations = integer_tuple(dilation, spatial, "dilation", 1, who)
    for pad, size, step in zip(pads, kernel, dilations, strict=True):
        if 2 * pad > step * (size - 1) + 1:
            raise ValueError(f"{who}: padding should be at most half of the kernel size "
                             f"(dilated); got padding={padding!r:.40} for "
                             f"kernel_size={kernel_size!r:.40}.")
    return kernel, steps, pads, dilations


class MaxPool(Function):
    """y[n, c, i] = max over the window of i of x[n, c, ·]  (padding counts as −∞).

    x: (N, C, *spatial) -> (N, C, *output). ∂L/∂x routes each g[n, c, i] to the first maximum of
    its window (row-major order, ties to the first), or to its last NaN if it holds any; padding
    never receives gradient: PyTorch's choices.
    """

    def __init__(self, kernel: tuple[int, ...], stride: tuple[int, ...],
                 padding: tuple[int, ...], dilation: tuple[int, ...], ceil_mode: bool,
                 who: str = "max_pool") -> None:
        self.geometry = (kernel, stride, padding, dilation, ceil_mode)
        self.who = who

    def forward(self, x: np.ndarray) -> np.ndarray:
        canvas = Canvas(self.who, x.shape, *self.geometry)
        placed = canvas.place(x, -np.inf)
        offsets = canvas.offsets()
        # order="K": the output keeps x's memory order (a convolution's output is laid out
        # (C, *size, N)), so that it, its gradient and the ReLU before it all run along memory
        out = placed[canvas.window_slice(next(offsets))].copy(order="K")
        for offset in offsets:  # np.maximum propagates NaN, as PyTorch's max does
            np.maximum(out, placed[canvas.window_slice(offset)], out=out)
        if self.recording:
            self.canvas, self.placed, self.out = canvas, placed, out
        return out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        canvas, placed, out = self.canvas, self.placed, self.out
        # in out's memory order: a broadcast gradient (from a sum) or a C-order one (from
        # Flatten) would make every element-wise op below several times slower
        grad = in_order(grad, memory_order(out))
        unclaimed = np.ones_like(out, dtype=bool)  # windows whose maximum is not found yet
        canvas_grad = self.route_to_maxima(grad, unclaimed)
        if np.isnan(out).any():  # NaN equals nothing: those windows take their last NaN
            hit = np.empty_like(out, dtype=bool)
            for offset in canvas.offsets(backwards=True):
                np.isnan(placed[canvas.window_slice(offset)], out=hit)
                hit &= unclaimed
                unclaimed ^= hit
                canvas.add_to(canvas_grad, offset, grad, where=hit)
        return (canvas.gather_gradient(canvas_grad),)

    def route_to_maxima(self, grad: np.ndarray, unclaimed: np.ndarray) -> np.ndarray:
        """∂L/∂canvas: each g[n, c, i] added at the first maximum of window i, offset by
        offset; the windows found are cleared from ``unclaimed`` (those of NaN stay)."""
        canvas, placed, out = self.canvas, self.placed, self.out
        canvas_grad = np.zeros_like(placed, dtype=grad.dtype)  # in x's memory order
        hit = np.empty_like(out, dtype=bool)
        for offset in canvas.offsets():
            np.equal(placed[canvas.window_slice(offset)], out, out=hit)
            if canvas.filled:  # a window of −∞ values sends its gradient to an input value
                hit &= canvas.inside_input(offset)
            hit &= unclaimed
            unclaimed ^= hit
            canvas.add_to(canvas_grad, offset, grad, where=hit)
        return canvas_grad

    def route_to_maxima_by_blocks(self, grad: np.ndarray, unclaimed: np.ndarray) -> np.ndarray:
        """``route_to_maxima`` in three passes over the canvas instead of three per offset, when
        the windows tile it (kernel = stride, the common case) and g is finite.

        The canvas is viewed as blocks (N, C, out₁, k₁, out₂, k₂, …), one window per block:
        hit = (block == its maximum) in one comparison, the first hit of each window kept by
        walking the offsets over booleans, then ∂L/∂canvas = g · hit in one product (0·g is 0
        only for a finite g, hence the condition). The same values (a zero may be −0.0).
        """
        canvas, placed, out = self.canvas, self.placed, self.out
        if not canvas.tiled or not np.isfinite(grad).all():
            return route_to_maxima(self, grad, unclaimed)
        blocks = placed.shape[:2] + tuple(itertools.chain.from_iterable(
            zip(canvas.output, canvas.kernel, strict=True)))
        per_window = out.shape[:2] + tuple(itertools.chain.from_iterable(
            (length, 1) for length in canvas.output))
        hit = np.equal(placed.reshape(blocks), out.reshape(per_window))  # views: axes split
        for offset in canvas.offsets():
            first = hit[(slice(None), slice(None), *itertools.chain.from_iterable(
                (slice(None), j) for j in offset))]  # a view: clearing it clears hit
            if canvas.filled:
                first &= canvas.inside_input(offset)
            first &= unclaimed
            unclaimed ^= first
        canvas_grad = np.empty_like(placed, dtype=grad.dtype)  # split below, a view too
        np.multiply(grad.reshape(per_window), hit, out=canvas_grad.reshape(blocks))
        return canvas_grad

    @property
    def label(self) -> str:
        return "max_pool"


route_to_maxima = MaxPool.route_to_maxima  # the reference, which the fast variant falls back on
fast_paths.install(MaxPool, "route_to_maxima", MaxPool.route_to_maxima_by_blocks)


class AvgPool(Function):
    """y[n, c, i] = Σ over the window of i of x[n, c, ·] / divisor(i)  (padding counts as 0).

    divisor(i): the window's length clipped to the padded input (``count_include_pad``) or to
    the input alone, a product over the axes; ``divisor_override`` replaces it. x: (N, C,
    *spatial) -> (N, C, *output). ∂L/∂x: each window's element gets g[n, c, i] / divisor(i).
    """

    def __init__(self, kernel: tuple[int, ...], stride: tuple[int, ...],
                 padding: tuple[int, ...], ceil_mode: bool, count_include_pad: bool,
                 divisor_override: int | None = None, who: str = "avg_pool") -> None:
        self.geometry = (kernel, stride, padding, (1,) * len(kernel), ceil_mode)
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override
        self.who = who

    def divisor_of(self, spatial: tuple[int, ...], output: tuple[int, ...],
                   dtype: Any = np.float64) -> np.ndarray | float:
        """The divisor of every window, (*output,), or one number when they all share it;
        ``spatial``: the input's spatial shape, ``output``: the output's."""
        if self.divisor_override is not None:
            return float(self.divisor_override)
        kernel, stride, padding = self.geometry[:3]
        lengths = []
        for length, out, k, s, pad in zip(spatial, output, kernel, stride, padding, strict=True):
            starts = np.arange(out) * s - pad
            ends = np.minimum(starts + k, length + pad)  # ceil_mode's extra room never counts
            if not self.count_include_pad:
                starts, ends = np.maximum(starts, 0), np.minimum(ends, length)
            lengths.append(ends - starts)
        if all((axis == axis[0]).all() for axis in lengths):
            return float(math.prod(int(axis[0]) for axis in lengths))
        return functools.reduce(np.multiply, on_own_axes(lengths)).astype(dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        canvas = Canvas(self.who, x.shape, *self.geometry)
        placed = canvas.place(x, 0.0)
        offsets = canvas.offsets()
        total = placed[canvas.window_slice(next(offsets))].copy(order="K")  # x's memory order
        for offset in offsets:  # row-major, the order PyTorch sums a window in
            total += placed[canvas.window_slice(offset)]
        divisor = self.divisor_of(x.shape[2:], canvas.output, x.dtype)
        total /= divisor
        if self.recording:
            self.canvas, self.divisor_values, self.order = canvas, divisor, memory_order(x)
        return total

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        canvas = self.canvas
        share = in_order(grad / self.divisor_values, self.order)
        canvas_grad = np.zeros([canvas.shape[axis] for axis in self.order], grad.dtype)
        canvas_grad = canvas_grad.transpose(np.argsort(self.order))  # in x's memory order
        for offset in canvas.offsets():
            canvas.add_to(canvas_grad, offset, share)
        return (canvas.gather_gradient(canvas_grad),)

    @property
    def label(self) -> str:
        return "avg_pool"


def adaptive_windows(length: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive windows of one axis: [⌊i·L/out⌋, ⌈(i+1)·L/out⌉), i = 0 … out − 1."""
    i = np.arange(out)
    return (i * length) // out, -((-(i + 1) * length) // out)


def averaging_matrix(length: int, out: int, dtype: np.dtype) -> np.ndarray:
    """(out, length) A with A[i, p] = 1/|window i| for p in window i: y = A·x averages them."""
    starts, ends = adaptive_windows(length, out)
    positions = np.arange(length)
    inside = (positions >= starts[:, None]) & (positions < ends[:, None])
    return (inside / (ends - starts)[:, None]).astype(dtype)


class AdaptiveAvgPool(Function):
    """y = x averaged over adaptive windows, one averaging matrix Aₐ per spatial axis a:
    y = x ×₁ A₁ ×₂ A₂ …  (Aₐ: (outₐ, Lₐ), see ``averaging_matrix``); ∂L/∂x = g ×₁ A₁ᵀ ×₂ A₂ᵀ ….

    x: (N, C, *spatial) -> (N, C, *output_size). Each product is one BLAS call (tensordot).
    """

    def __init__(self, output_size: tuple[int, ...]) -> None:
        self.output_size = output_size

    @staticmethod
    def _along_axes(array: np.ndarray, matrices: list[np.ndarray]) -> np.ndarray:
        """array with its axis 2 + a multiplied by matrices[a] (contracting the matrix's
        second axis) for every a."""
        for axis, matrix in enumerate(matrices, start=2):
            array = np.moveaxis(np.tensordot(array, matrix, axes=([axis], [1])), -1, axis)
        return np.ascontiguousarray(array)

    def forward(self, x: np.ndarray) -> np.ndarray:
        matrices = [averaging_matrix(length, out, x.dtype)
                    for length, out in zip(x.shape[2:], self.output_size, strict=True)]
        if self.recording:
            self.matrices = matrices
        return self._along_axes(x, matrices)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (self._along_axes(grad, [matrix.T for matrix in self.matrices]),)

    @property
    def label(self) -> str:
        return "adaptive_avg_pool"


# -- the functions -------------------------------------------------------------------------------
def _pool(op: Function, x: Any, spatial: int, who: str) -> Tensor:
    """op on x as a float (N, C, *spatial) Tensor; a single (C, *spatial) sample (PyTorch takes
    both) gets a batch axis for the op, and loses it again."""
    x = input_tensor(x)
    if x.dtype.kind != "f":
        x = converted(x, default_float())
    if x.ndim == spatial + 2:
        return op.apply(x)
    if x.ndim == spatial + 1:
        out = op.apply(x.reshape((1, *x.shape)))
        return out.reshape(out.shape[1:])
    axes = "C, L" if spatial == 1 else "C, H, W"
    raise ShapeError(f"{who} expects input of shape (N, {axes}) or ({axes}); got {x.shape}.")


def max_pool_nd(x: Any, spatial: int, kernel_size: IntOrTuple, stride: IntOrTuple | None,
                padding: IntOrTuple, dilation: IntOrTuple, ceil_mode: bool, who: str) -> Tensor:
    """Max pooling over ``spatial`` axes (see ``max_pool2d``)."""
    geometry = pool_geometry(kernel_size, stride, padding, dilation, spatial, who)
    return _pool(MaxPool(*geometry, bool(ceil_mode), who=who), x, spatial, who)


def avg_pool_nd(x: Any, spatial: int, kernel_size: IntOrTuple, stride: IntOrTuple | None,
                padding: IntOrTuple, ceil_mode: bool, count_include_pad: bool,
                divisor_override: int | None, who: str) -> Tensor:
    """Average pooling over ``spatial`` axes (see ``avg_pool2d``)."""
    kernel, steps, pads, _ = pool_geometry(kernel_size, stride, padding, 1, spatial, who)
    if divisor_override is not None:  # one int: a 1-tuple is refused too
        integer_tuple((divisor_override,), 1, "divisor_override", 1, who)
    op = AvgPool(kernel, steps, pads, bool(ceil_mode), bool(count_include_pad),
                 divisor_override, who=who)
    return _pool(op, x, spatial, who)


def adaptive_avg_pool_nd(x: Any, spatial: int, output_size: IntOrTuple, who: str) -> Tensor:
    """Adaptive average pooling over ``spatial`` axes (see ``adaptive_avg_pool2d``)."""
    sizes = integer_tuple(output_size, spatial, "output_size", 1, who)
    return _pool(AdaptiveAvgPool(sizes), x, spatial, who)


def max_pool1d(x: Any, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, dilation: IntOrTuple = 1,
               ceil_mode: bool = False) -> Tensor:
    """y[n, c, i] = max_j x[n, c, i·stride − padding + j·dilation].  (N, C, L) -> (N, C, L_out).

    ``stride`` defaults to ``kernel_size``; (C, L) is taken as one sample."""
    return max_pool_nd(x, 1, kernel_size, stride, padding, dilation, ceil_mode, "max_pool1d")


def max_pool2d(x: Any, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, dilation: IntOrTuple = 1,
               ceil_mode: bool = False) -> Tensor:
    """The maximum of each (kernel_h, kernel_w) window.  (N, C, H, W) -> (N, C, H_out, W_out).

    ``stride`` defaults to ``kernel_size``; (C, H, W) is taken as one sample."""
    return max_pool_nd(x, 2, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")


def avg_pool1d(x: Any, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """y[n, c, i] = Σ_j x[n, c, i·stride − padding + j] / divisor.  (N, C, L) -> (N, C, L_out).

    divisor: the kernel size, less the part of the window beyond the padding (and, with
    ``count_include_pad=False``, less the padding too)."""
    return avg_pool_nd(x, 1, kernel_size, stride, padding, ceil_mode, count_include_pad, None,
                       "avg_pool1d")


def avg_pool2d(x: Any, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of each (kernel_h, kernel_w) window.  (N, C, H, W) -> (N, C, H_out, W_out).

    Divisor as in ``avg_pool1d``, a product over the two axes, or ``divisor_override``."""
    return avg_pool_nd(x, 2, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override, "avg_pool2d")


def adaptive_avg_pool1d(x: Any, output_size: IntOrTuple) -> Tensor:
    """The mean of window i = [⌊i·L/out⌋, ⌈(i+1)·L/out⌉).  (N, C, L) -> (N, C, output_size)."""
    return adaptive_avg_pool_nd(x, 1, output_size, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(x: Any, output_size: IntOrTuple) -> Tensor:
    """Adaptive windows along H and W (see ``adaptive_avg_pool1d``).  (N, C, H, W) ->
    (N, C, *output_size); an int means a square output."""
    return adaptive_avg_pool_nd(x, 2, output_size, "adaptive_avg_pool2d")
