"""The op of ``conv1d`` and ``conv2d``: ``Convolution``, as im2col → one matrix product → reshape.

For x: (N, C, *size), weight W: (O, C/g, *kernel) in g groups, bias b: (O,), the output
y: (N, O, *out) is

    y[n, o, p] = b[o] + Σ_{c, k} W[o, c, k] · x_pad[n, group(o)·C/g + c, p·stride + k·dilation]

with p an output position, k a kernel offset, c a channel of o's group and x_pad the input
zero-padded. im2col gathers, for every (n, p), the (C/g)·K values its sum reads into one
column of ``columns``, (C·K, P·N): a strided view of x_pad (no copy) turned into a matrix (one
copy). The sums are then one product, y = W @ columns, (O, C·K) @ (C·K, P·N), per group (a
batched product over the groups). Backward:

    ∂W = ∂y @ columnsᵀ,   ∂b = Σ_{n, p} ∂y,   ∂columns = Wᵀ @ ∂y,   ∂x = col2im(∂columns)

where col2im adds each kernel offset's rows of ∂columns back onto the input positions they were
read from: a loop over the K kernel offsets, never over samples, channels or positions.
``columns`` holds about K / Π stride times the input: training keeps the padded input instead and
makes the columns again for ∂W, one copy, after ∂columns (the same size) is freed.

Memory layout: the op works on arrays laid out channels first and batch last, (C, *size, N).
Then every reshape between the products and the images is free, and the copies (im2col, the
padding) and col2im's adds run along the N samples, contiguous, or along whole rows of
positions when the stride is 1. Its output is a view (N, O, *out) of an (O, *out, N) array:
the activations between two convolutions keep that layout, so the next convolution, and the
gradient coming back, find it without a copy.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from glassnet.autograd import Function

Padding = tuple[tuple[int, int], ...]  # (before, after) zeros per spatial axis


def output_size(
    size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...], padding: Padding,
    dilation: tuple[int, ...],
) -> tuple[int, ...]:
    """out = ⌊(size + before + after − dilation·(kernel − 1) − 1) / stride⌋ + 1, per axis."""
    return tuple(
        (length + before + after - spacing * (width - 1) - 1) // step + 1
        for length, width, step, (before, after), spacing in zip(
            size, kernel, stride, padding, dilation, strict=True)
    )


def batch_last(x: np.ndarray) -> np.ndarray:
    """(N, C, *size) -> (C, *size, N), a view: the op's layout (see the module docstring)."""
    return x.transpose(*range(1, x.ndim), 0)


def batch_first(x: np.ndarray) -> np.ndarray:
    """(C, *size, N) -> (N, C, *size), a view: the layout the op returns."""
    return x.transpose(x.ndim - 1, *range(x.ndim - 1))


def padded_batch_last(x: np.ndarray, padding: Padding) -> np.ndarray:
    """x: (N, C, *size) as (C, *padded size, N), zeros around: a view when there is no padding,
    else one copy."""
    x = batch_last(x)
    if not any(before or after for before, after in padding):
        return x
    padded = np.zeros((x.shape[0], *(length + before + after for length, (before, after) in zip(
        x.shape[1:-1], padding, strict=True)), x.shape[-1]), x.dtype)
    padded[(slice(None), *inside(x.shape[1:-1], padding))] = x
    return padded


def inside(size: tuple[int, ...], padding: Padding) -> list[slice]:
    """The slices of a padded array's spatial axes that hold the input."""
    return [slice(before, before + length)
            for length, (before, _) in zip(size, padding, strict=True)]


def windows(
    padded: np.ndarray, kernel: tuple[int, ...], out: tuple[int, ...], stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> np.ndarray:
    """The read-only view window[c, *k, *p, n] = padded[c, *(p·stride + k·dilation), n].

    padded: (C, *size, N) -> (C, *kernel, *out, N), without copying: only strides change.
    """
    channel_step, *axis_steps, batch_step = padded.strides
    return as_strided(
        padded,
        shape=(padded.shape[0], *kernel, *out, padded.shape[-1]),
        strides=(channel_step,
                 *(step * spacing for step, spacing in zip(axis_steps, dilation, strict=True)),
                 *(step * stride for step, stride in zip(axis_steps, stride, strict=True)),
                 batch_step),
        writeable=False,
    )


def col2im(
    grad_windows: np.ndarray, padded_shape: tuple[int, ...], stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> np.ndarray:
    """The adjoint of ``windows``: (C, *kernel, *out, N) -> (C, *padded size, N), each window
    element added onto the padded position it was read from (one strided add per kernel
    offset, over every channel, position and sample at once)."""
    spatial = len(stride)
    kernel = grad_windows.shape[1 : 1 + spatial]
    out = grad_windows.shape[1 + spatial : 1 + 2 * spatial]
    grad_padded = np.zeros(padded_shape, grad_windows.dtype)
    for offset in np.ndindex(*kernel):
        reads = [slice(k * spacing, k * spacing + step * (length - 1) + 1, step)
                 for k, spacing, step, length in zip(offset, dilation, stride, out, strict=True)]
        grad_padded[(slice(None), *reads)] += grad_windows[(slice(None), *offset)]
    return grad_padded


class Convolution(Function):
    """y = b + Σ W · x_pad over each window (see the module docstring), for any spatial rank.

    x: (N, C, *size), weight: (O, C/groups, *kernel), bias: (O,) or absent -> (N, O, *out).
    ``stride`` and ``dilation`` hold one integer per spatial axis, ``padding`` one (before,
    after) pair. The arguments are checked by ``conv1d`` / ``conv2d``, not here.
    """

    def __init__(
        self, stride: tuple[int, ...], padding: Padding, dilation: tuple[int, ...], groups: int
    ) -> None:
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups

    def forward(
        self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None
    ) -> np.ndarray:
        out_channels, batch = weight.shape[0], x.shape[0]
        self.kernel = tuple(weight.shape[2:])
        padded = padded_batch_last(x, self.padding)  # (C, *padded size, N)
        out = output_size(x.shape[2:], self.kernel, self.stride, self.padding, self.dilation)
        # (g, O/g, C/g·K) @ (g, C/g·K, P·N) -> (g, O/g, P·N): one product per group
        weight_rows = weight.reshape(self.groups, out_channels // self.groups, -1)
        product = np.matmul(weight_rows, self.im2col(padded, out))
        if bias is not None:
            product += bias.reshape(self.groups, -1, 1)
        if self.recording:  # the padded input, not its K times larger columns (see columns)
            self.padded, self.weight_rows, self.x_size, self.out = (padded, weight_rows,
                                                                     x.shape[2:], out)
        return batch_first(product.reshape(out_channels, *out, batch))

    def im2col(self, padded: np.ndarray, out: tuple[int, ...]) -> np.ndarray:
        """columns: (C, *padded size, N) -> (g, C/g·K, P·N), the windows as one matrix; the
        reshape of the strided view is the one copy."""
        view = windows(padded, self.kernel, out, self.stride, self.dilation)
        rows = padded.shape[0] // self.groups * math.prod(self.kernel)  # written out: N may be 0
        return view.reshape(self.groups, rows, math.prod(out) * padded.shape[-1])

    def grad_rows(self, grad: np.ndarray) -> np.ndarray:
        """∂y: (N, O, *out) as (g, O/g, P·N), the layout of the forward product (free when
        ∂y has the layout of the output)."""
        positions = math.prod(grad.shape[2:]) * grad.shape[0]  # written out: N may be 0
        return batch_last(grad).reshape(self.groups, grad.shape[1] // self.groups, positions)

    @property
    def columns(self) -> np.ndarray:
        """The recorded forward's im2col matrix, (g, C/g·K, P·N), made again from the padded
        input that training keeps. Kept itself, it would hold K / Π stride times the input from
        forward to backward: a quarter of the memory that training bench/cnn.py's 2-D CNN adds,
        for one copy more per step."""
        return self.im2col(self.padded, self.out)

    def weight_gradient(self, rows: np.ndarray) -> np.ndarray:
        """∂W = ∂y @ columnsᵀ: (g, O/g, P·N) @ (g, P·N, C/g·K) -> (O, C/g, *kernel).

        Computed as (columns @ ∂yᵀ)ᵀ, the same sums: OpenBLAS runs this orientation of the long
        P·N contraction about 1.4× faster on bench/cnn.py's 2-D CNN (∂W is small: the
        reshape's transposing copy does not show)."""
        columns = self.columns
        product = np.matmul(columns, rows.transpose(0, 2, 1)).transpose(0, 2, 1)
        return product.reshape(-1, columns.shape[1] // math.prod(self.kernel), *self.kernel)

    def input_gradient(self, rows: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
        """∂x = col2im(Wᵀ @ ∂y): (g, C/g·K, O/g) @ (g, O/g, P·N) -> (C, *kernel, *out, N),
        each window's element added back where it was read; returned as (N, C, *size)."""
        grad_columns = np.matmul(self.weight_rows.transpose(0, 2, 1), rows)
        grad_windows = grad_columns.reshape(self.padded.shape[0], *self.kernel, *out_shape[2:],
                                            out_shape[0])
        grad_padded = col2im(grad_windows, self.padded.shape, self.stride, self.dilation)
        return batch_first(grad_padded[(slice(None), *inside(self.x_size, self.padding))])

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        needs = self.needs_input_grad  # (x, weight) or (x, weight, bias)
        rows = self.grad_rows(grad)
        grad_x = grad_weight = grad_bias = None
        if needs[0]:
            grad_x = self.input_gradient(rows, grad.shape)
        if needs[1]:
            grad_weight = self.weight_gradient(rows)
        if len(needs) == 2:
            return grad_x, grad_weight
        if needs[2]:
            grad_bias = rows.sum(axis=2).reshape(-1)
        return grad_x, grad_weight, grad_bias

    @property
    def label(self) -> str:
        return f"conv{len(self.stride)}d"
