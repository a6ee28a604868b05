"""``Conv1d`` and ``Conv2d``: convolution layers with PyTorch's arguments, parameters and init.

The arithmetic is ``glassnet.functional.convolution`` (im2col → one product → reshape). Each
layer is registered (see ``glassnet.nn.registry``) with its settings, tensors and ONNX form.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from glassnet.autograd import Tensor, from_numpy, get_default_dtype, promote_arrays
from glassnet.errors import ShapeError
from glassnet.functional.convolution import (
    check_output_size,
    check_shapes,
    convolution,
    integer_tuple,
    padding_pairs,
)
from glassnet.functional.convolution_ops import Convolution, output_size
from glassnet.nn import init
from glassnet.nn.module import Module, Parameter
from glassnet.nn.registry import (
    COUNT,
    FLAG,
    Setting,
    Shape,
    StateSpec,
    choice,
    integers,
    register_layer,
)
from glassnet.nn.registry import padding as padding_setting

PADDING_MODES = ("zeros",)


class _ConvNd(Module):
    """The shared part of Conv1d and Conv2d; ``spatial`` is the number of spatial axes."""

    spatial = 0

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] | str = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__()
        who, spatial = type(self).__name__, self.spatial
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                            ("groups", groups)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{who}: {name} must be a positive integer; got {value!r:.60}.")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{who}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must both be divisible by groups ({groups}).")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{who}: padding_mode {padding_mode!r:.40} is not supported; "
                             "glassnet's convolutions pad with zeros only (padding_mode='zeros')."
                             " For another mode, pad the input first and use padding=0.")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = integer_tuple(kernel_size, spatial, "kernel_size", 1, who)
        self.stride = integer_tuple(stride, spatial, "stride", 1, who)
        self.dilation = integer_tuple(dilation, spatial, "dilation", 1, who)
        # checked (and "same" refused with a stride) here, not at the first forward
        pads = padding_pairs(padding, self.kernel_size, self.stride, self.dilation, who)
        self.padding = padding if isinstance(padding, str) else tuple(
            before for before, _ in pads)
        self.padding_mode = padding_mode
        dtype = get_default_dtype()
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        # from_numpy: arrays made here for the parameters, nothing to copy them from
        self.weight = Parameter(from_numpy(np.empty(shape, dtype)))
        self.bias = Parameter(from_numpy(np.empty(out_channels, dtype))) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's init: kaiming_uniform_(weight, a=√5), i.e. U(−1/√fan_in, 1/√fan_in) with
        fan_in = in_channels/groups · Π kernel_size, and the bias from the same interval."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_channels // self.groups * math.prod(self.kernel_size))
            init.uniform_(self.bias, -bound, bound)

    @property
    def pads(self) -> tuple[tuple[int, int], ...]:
        """The zeros added (before, after) along each spatial axis: "same" and "valid" spelt
        out (an odd total puts the extra zero after, as PyTorch does)."""
        return padding_pairs(self.padding, self.kernel_size, self.stride, self.dilation,
                             type(self).__name__)

    def forward(self, x: Any) -> Tensor:
        return convolution(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                           self.groups, self.spatial)

    def forward_array(self, x: np.ndarray, temporary: bool) -> np.ndarray:
        """forward on a bare array, for inference without a graph (see Sequential)."""
        who = f"conv{self.spatial}d"
        weight = self.weight.data
        bias = None if self.bias is None else self.bias.data
        unbatched = x.ndim == self.spatial + 1
        batch = x[None] if unbatched else x
        check_shapes(batch, weight, bias, self.groups, self.spatial, who)
        pads = self.pads
        check_output_size(batch.shape[2:], self.kernel_size, self.stride, pads, self.dilation,
                          who)
        if batch.dtype is not weight.dtype:
            batch, weight, bias = promote_arrays(batch, weight, bias)
        out = Convolution(self.stride, pads, self.dilation, self.groups).forward(
            batch, weight, bias)
        return out[0] if unbatched else out

    def output_shape(self, shape: Shape) -> Shape:
        """One sample's output shape (out_channels, *out) for a sample of ``shape`` (C, *size);
        ShapeError if the layer cannot take it."""
        who = type(self).__name__
        if len(shape) != self.spatial + 1 or shape[0] != self.in_channels:
            axes = ", ".join("LHW"[-self.spatial:])
            raise ShapeError(f"{who} expects samples of shape ({self.in_channels}, {axes}); "
                             f"got {shape}.")
        out = output_size(tuple(shape[1:]), self.kernel_size, self.stride, self.pads,
                          self.dilation)
        if min(out) < 1:
            raise ShapeError(f"{who}: samples of shape {shape} are shorter than its kernel "
                             f"{self.kernel_size} spans; the output would have size {out}.")
        return (self.out_channels, *out)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self.spatial:
            text += f", padding={self.padding!r}"
        if self.dilation != (1,) * self.spatial:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv1d(_ConvNd):
    """y[n, o, l] = bias[o] + Σ_{c, k} weight[o, c, k] · x_pad[n, c′, l·stride + k·dilation].

    x: (N, in_channels, L) or (in_channels, L) -> (N, out_channels, L_out), L_out =
    ⌊(L + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1; c′ runs over the
    in_channels/groups channels of o's group. weight: (out_channels, in_channels/groups,
    kernel_size), bias: (out_channels,). ``padding``: an int, "valid" or "same" (L_out = L,
    stride 1). Parameters take the default dtype.
    """

    spatial = 1


class Conv2d(_ConvNd):
    """y[n, o, i, j] = bias[o] + Σ_{c, a, b} weight[o, c, a, b] · x_pad[n, c′, i·sₕ + a·dₕ,
    j·s_w + b·d_w].

    x: (N, in_channels, H, W) or (in_channels, H, W) -> (N, out_channels, H_out, W_out), each
    as Conv1d's L_out. weight: (out_channels, in_channels/groups, Kₕ, K_w), bias:
    (out_channels,). ``kernel_size``, ``stride``, ``padding``, ``dilation``: an int or a pair
    (height, width); ``padding`` also "valid" or "same" (stride 1). groups = in_channels =
    out_channels / m makes it depthwise.
    """

    spatial = 2


def _conv_config(layer: _ConvNd) -> dict[str, Any]:
    return {"in_channels": layer.in_channels, "out_channels": layer.out_channels,
            "kernel_size": layer.kernel_size, "stride": layer.stride, "padding": layer.padding,
            "dilation": layer.dilation, "groups": layer.groups, "bias": layer.bias is not None,
            "padding_mode": layer.padding_mode}


def _as_tuple(value: int | tuple[int, ...], spatial: int) -> tuple[int, ...]:
    return value if isinstance(value, tuple) else (value,) * spatial


def _conv_state(spatial: int) -> Any:
    def state(config: dict[str, Any]) -> StateSpec:
        out_channels = config["out_channels"]
        kernel = _as_tuple(config["kernel_size"], spatial)
        tensors = {"weight": ((out_channels, config["in_channels"] // config["groups"],
                               *kernel), "float")}
        if config["bias"]:
            tensors["bias"] = ((out_channels,), "float")
        return tensors

    return state


def _export_conv(
    builder: Any, layer: _ConvNd, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    """One ONNX Conv; "same" and "valid" written as the explicit pads they stand for."""
    out_shape = layer.output_shape(shape)
    pairs = layer.pads
    pads = [before for before, _ in pairs] + [after for _, after in pairs]
    inputs = [x, builder.constant(f"{name}.weight", layer.weight.data)]
    if layer.bias is not None:
        inputs.append(builder.constant(f"{name}.bias", layer.bias.data))
    output = builder.node("Conv", inputs, f"{name}_Conv", kernel_shape=list(layer.kernel_size),
                          strides=list(layer.stride), pads=pads,
                          dilations=list(layer.dilation), group=layer.groups)
    return output, out_shape


def _conv_settings(spatial: int) -> dict[str, Setting]:
    return {"in_channels": COUNT, "out_channels": COUNT, "kernel_size": integers(spatial, 1),
            "stride": integers(spatial, 1), "padding": padding_setting(spatial),
            "dilation": integers(spatial, 1), "groups": COUNT, "bias": FLAG,
            "padding_mode": choice(*PADDING_MODES)}


register_layer(Conv1d, settings=_conv_settings(1), config=_conv_config, state=_conv_state(1),
               export=_export_conv, feature_axis="channels")
register_layer(Conv2d, settings=_conv_settings(2), config=_conv_config, state=_conv_state(2),
               export=_export_conv, feature_axis="channels")
