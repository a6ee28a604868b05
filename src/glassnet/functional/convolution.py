"""``conv1d`` and ``conv2d`` with PyTorch's signatures: the arguments checked and put in one form
(a tuple per spatial axis, (before, after) padding), then the ``Convolution`` op."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.autograd import Tensor, input_tensor, promote
from glassnet.errors import ShapeError
from glassnet.functional.convolution_ops import Convolution, Padding, output_size


def integer_tuple(value: Any, spatial: int, name: str, low: int, who: str) -> tuple[int, ...]:
    """``value`` (an int or ``spatial`` ints, each >= low) as a tuple of ``spatial`` ints."""
    items = value if isinstance(value, (tuple, list)) else (value,) * spatial
    if len(items) == spatial and all(
        isinstance(item, (int, np.integer)) and not isinstance(item, bool) and item >= low
        for item in items
    ):
        return tuple(int(item) for item in items)
    raise ValueError(f"{who}: {name} must be an integer >= {low} or a tuple of {spatial} such "
                     f"integers; got {value!r:.60}.")


def padding_pairs(
    padding: Any, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
    who: str,
) -> Padding:
    """(before, after) zeros per spatial axis for ``padding``: an int, a tuple, "valid" (none)
    or "same" (the output as long as the input: dilation·(kernel − 1) zeros in all, the odd one
    after, where PyTorch puts it; stride 1 only)."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * len(kernel)
        if padding != "same":
            raise ValueError(f"{who}: padding must be an integer, a tuple of integers, 'same' or "
                             f"'valid'; got {padding!r:.60}.")
        if any(step != 1 for step in stride):
            raise ValueError(f"{who}: padding='same' needs stride 1 (a strided output cannot be "
                             f"as long as the input); got stride={stride}.")
        totals = [spacing * (width - 1) for width, spacing in zip(kernel, dilation, strict=True)]
        return tuple((total // 2, total - total // 2) for total in totals)
    return tuple((amount, amount) for amount in
                 integer_tuple(padding, len(kernel), "padding", 0, who))


def check_shapes(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, groups: int, spatial: int,
    who: str,
) -> None:
    """ShapeError unless x: (N, C, *size), weight: (O, C/groups, *kernel), bias: (O,)."""
    if weight.ndim != spatial + 2:
        raise ShapeError(f"{who} expects a weight of shape (out_channels, in_channels/groups, "
                         f"{', '.join(['k'] * spatial)}); got {weight.shape}.")
    out_channels, group_channels = weight.shape[:2]
    if x.ndim != spatial + 2:
        raise ShapeError(f"{who} expects input of shape (N, C, {', '.join('LHW'[-spatial:])}) "
                         f"(or unbatched (C, …)); got {x.shape}.")
    if out_channels % groups or min(weight.shape) == 0:
        raise ShapeError(f"{who}: the weight {weight.shape} must have a non-zero size and "
                         f"out_channels divisible by groups={groups}.")
    if x.shape[1] != group_channels * groups:
        raise ShapeError(f"{who}: a weight of shape {weight.shape} with groups={groups} expects "
                         f"input with {group_channels * groups} channels; got {x.shape[1]} "
                         f"channels in an input of shape {x.shape}.")
    if bias is not None and bias.shape != (out_channels,):
        raise ShapeError(f"{who}: bias must have shape ({out_channels},); got {bias.shape}.")


def check_output_size(
    size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...], padding: Padding,
    dilation: tuple[int, ...], who: str,
) -> None:
    """ShapeError unless the padded input is at least as long as the dilated kernel."""
    out = output_size(size, kernel, stride, padding, dilation)
    if min(out) < 1:
        raise ShapeError(f"{who}: the input's size {size}, padded by {padding}, is shorter than "
                         f"the kernel {kernel} spans with dilation {dilation}; the output "
                         f"would have size {out}.")


def convolution(
    input: Any, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any, dilation: Any,
    groups: int, spatial: int,
) -> Tensor:
    """The convolution with ``spatial`` spatial axes; see ``conv1d`` and ``conv2d``."""
    who = f"conv{spatial}d"
    if type(input) is not Tensor:
        input = input_tensor(input, like=weight)
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{who}: groups must be a positive integer; got {groups!r:.60}.")
    kernel = tuple(weight.shape[2:])
    stride = integer_tuple(stride, spatial, "stride", 1, who)
    dilation = integer_tuple(dilation, spatial, "dilation", 1, who)
    pairs = padding_pairs(padding, kernel, stride, dilation, who)
    unbatched = input.ndim == spatial + 1
    if unbatched:  # (C, *size), as PyTorch takes one sample
        input = input.reshape(1, *input.shape)
    check_shapes(input.data, weight.data, None if bias is None else bias.data, int(groups),
                 spatial, who)
    check_output_size(input.shape[2:], kernel, stride, pairs, dilation, who)
    dtype = weight.data.dtype
    if input.data.dtype is not dtype or (bias is not None and bias.data.dtype is not dtype):
        input, weight, bias = promote(input, weight, bias)  # an int batch becomes float32, say
    op = Convolution(stride, pairs, dilation, int(groups))
    result = op.apply(input, weight) if bias is None else op.apply(input, weight, bias)
    return result.reshape(result.shape[1:]) if unbatched else result


def conv1d(
    input: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
    dilation: Any = 1, groups: int = 1,
) -> Tensor:
    """y[n, o, l] = bias[o] + Σ_{c, k} weight[o, c, k] · x_pad[n, c′, l·stride + k·dilation].

    input: (N, C, L) or (C, L), weight: (O, C/groups, K), bias: (O,) -> (N, O, L_out),
    L_out = ⌊(L + 2·padding − dilation·(K − 1) − 1) / stride⌋ + 1. ``padding``: an int,
    "valid" (0) or "same" (L_out = L; stride 1). Channels c′ run over o's group.
    """
    return convolution(input, weight, bias, stride, padding, dilation, groups, spatial=1)


def conv2d(
    input: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
    dilation: Any = 1, groups: int = 1,
) -> Tensor:
    """y[n, o, i, j] = bias[o] + Σ_{c, a, b} weight[o, c, a, b] · x_pad[n, c′, i·sₕ + a·dₕ,
    j·s_w + b·d_w].

    input: (N, C, H, W) or (C, H, W), weight: (O, C/groups, Kₕ, K_w), bias: (O,) ->
    (N, O, H_out, W_out), each as conv1d's L_out. ``stride``, ``padding``, ``dilation``: an int
    or a pair (height, width); ``padding`` also "valid" or "same" (stride 1).
    """
    return convolution(input, weight, bias, stride, padding, dilation, groups, spatial=2)
