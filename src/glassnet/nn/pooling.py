"""Pooling layers: ``MaxPool1d/2d``, ``AvgPool1d/2d``, ``AdaptiveAvgPool1d/2d``.

PyTorch's arguments, defaults and attributes; the arithmetic is
``glassnet.functional.pooling_ops``. Each layer is registered (see ``glassnet.nn.registry``)
with its settings and ONNX form (MaxPool, AveragePool, GlobalAveragePool, or an averaging
matrix product for adaptive windows of unequal lengths).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.autograd import Tensor
from glassnet.errors import ShapeError
from glassnet.functional import pooling_ops as P
from glassnet.functional.pooling_canvas import pooled_length
from glassnet.nn.module import Module
from glassnet.nn.registry import FLAG, Setting, Shape, integers, register_layer

# The largest settings a model file may hold, per axis. Nothing in the file bounds the arrays a
# pooling layer makes, so these do: at most 4,096 kernel positions to loop over, windows (and
# so the padding around the input) of at most 2²⁴ positions per channel, outputs of adaptive
# pooling of at most 4,096 per axis (its averaging matrix is output × input long).
LARGEST_KERNEL_FROM_FILE = {1: 2**12, 2: 2**6}  # kernel_size and dilation
LARGEST_OUTPUT_FROM_FILE = 2**12
LARGEST_STRIDE_FROM_FILE = 2**24


class _MaxPoolNd(Module):
    """The shared part of MaxPool1d and MaxPool2d; ``spatial`` is the number of spatial axes."""

    spatial = 0

    def __init__(
        self,
        kernel_size: P.IntOrTuple,
        stride: P.IntOrTuple | None = None,
        padding: P.IntOrTuple = 0,
        dilation: P.IntOrTuple = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        who = type(self).__name__
        if return_indices:
            raise ValueError(f"{who}: return_indices=True is not supported; glassnet's max "
                             "pooling returns the pooled values only.")
        P.pool_geometry(kernel_size, stride, padding, dilation, self.spatial, who)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = False, bool(ceil_mode)

    def forward(self, x: Any) -> Tensor:
        return P.max_pool_nd(x, self.spatial, self.kernel_size, self.stride, self.padding,
                             self.dilation, self.ceil_mode, type(self).__name__)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """y[n, c, i] = max_j x[n, c, i·stride − padding + j·dilation], j < kernel_size.

    x: (N, C, L) or (C, L) -> (N, C, L_out), L_out = ⌊(L + 2·padding − dilation·(kernel_size −
    1) − 1)/stride⌋ + 1 (rounded up with ``ceil_mode``). ``stride`` defaults to
    ``kernel_size``; padding (at most half the kernel) counts as −∞.
    """

    spatial = 1


class MaxPool2d(_MaxPoolNd):
    """The maximum of each (kernel_h, kernel_w) window, moved by ``stride`` along H and W.

    x: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out), each axis as in ``MaxPool1d``;
    ints apply to both axes, tuples give (height, width).
    """

    spatial = 2


class _AvgPoolNd(Module):
    """The shared part of AvgPool1d and AvgPool2d."""

    spatial = 0
    divisor_override: int | None = None

    def _configure(self, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,
                   count_include_pad: bool) -> None:
        P.pool_geometry(kernel_size, stride, padding, 1, self.spatial, type(self).__name__)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode, self.count_include_pad = bool(ceil_mode), bool(count_include_pad)

    def forward(self, x: Any) -> Tensor:
        return P.avg_pool_nd(x, self.spatial, self.kernel_size, self.stride, self.padding,
                             self.ceil_mode, self.count_include_pad, self.divisor_override,
                             type(self).__name__)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """y[n, c, i] = Σ_j x[n, c, i·stride − padding + j] / divisor(i), j < kernel_size.

    x: (N, C, L) or (C, L) -> (N, C, L_out) (L_out as in ``MaxPool1d``). divisor(i): the
    window's length within the padded input (``count_include_pad=True``, the default) or within
    the input alone. Sizes are kept as 1-tuples, as PyTorch keeps them.
    """

    spatial = 1

    def __init__(
        self,
        kernel_size: P.IntOrTuple,
        stride: P.IntOrTuple | None = None,
        padding: P.IntOrTuple = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()

        def single(value: Any) -> Any:
            return value if value is None or isinstance(value, tuple) else (
                tuple(value) if isinstance(value, list) else (value,))

        self._configure(single(kernel_size), single(stride), single(padding), ceil_mode,
                        count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """The mean of each (kernel_h, kernel_w) window: Σ window / divisor.

    x: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out). divisor: the product over both axes
    of the window's length as in ``AvgPool1d``, or ``divisor_override`` when given.
    """

    spatial = 2

    def __init__(
        self,
        kernel_size: P.IntOrTuple,
        stride: P.IntOrTuple | None = None,
        padding: P.IntOrTuple = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self._configure(kernel_size, stride, padding, ceil_mode, count_include_pad)
        if divisor_override is not None:  # one int: a 1-tuple is refused too
            P.integer_tuple((divisor_override,), 1, "divisor_override", 1, "AvgPool2d")
        self.divisor_override = divisor_override


class _AdaptiveAvgPoolNd(Module):
    spatial = 0

    def __init__(self, output_size: P.IntOrTuple) -> None:
        super().__init__()
        P.integer_tuple(output_size, self.spatial, "output_size", 1, type(self).__name__)
        self.output_size = output_size

    def forward(self, x: Any) -> Tensor:
        return P.adaptive_avg_pool_nd(x, self.spatial, self.output_size, type(self).__name__)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Mean over window i = [⌊i·L/out⌋, ⌈(i+1)·L/out⌉), i < out = ``output_size``.

    x: (N, C, L) or (C, L) -> (N, C, output_size). The windows cover the whole input, and
    overlap by at most one position when L is not a multiple of ``output_size``.
    """

    spatial = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Adaptive windows (as in ``AdaptiveAvgPool1d``) along H and W.

    x: (N, C, H, W) or (C, H, W) -> (N, C, out_h, out_w); ``output_size`` an int (square) or
    (out_h, out_w). ``AdaptiveAvgPool2d(1)`` is global average pooling.
    """

    spatial = 2


# -- files and ONNX -----------------------------------------------------------------------------
def _sample_spatial(layer: Module, shape: Shape, name: str) -> Shape:
    """The spatial part of one sample's shape (C, *spatial); ShapeError if it has other axes."""
    if len(shape) != layer.spatial + 1:
        axes = "(C, L)" if layer.spatial == 1 else "(C, H, W)"
        raise ShapeError(f"{name} ({type(layer).__name__}) expects samples of shape {axes}; "
                         f"the layers before it produce {shape}.")
    return shape[1:]


def _onnx_pool(layer: Module, shape: Shape, name: str) -> tuple[dict[str, Any], Shape]:
    """The MaxPool / AveragePool attributes of ``layer`` and the shape of one output sample.

    ONNX's ceil_mode (opset 17) lacks PyTorch's rule that the last window starts inside the
    input or its left padding, so ceil_mode is spelled out instead as just enough padding at
    the end for the last window: no window then reaches past the padding.
    """
    spatial = _sample_spatial(layer, shape, name)
    kernel, stride, pads, dilations = P.pool_geometry(
        layer.kernel_size, layer.stride, layer.padding, getattr(layer, "dilation", 1),
        layer.spatial, name)
    lengths = tuple(pooled_length(*axis, layer.ceil_mode) for axis in
                    zip(spatial, kernel, stride, pads, dilations, strict=True))
    if min(lengths) < 1:
        raise ShapeError(f"{name} ({type(layer).__name__}): samples of spatial shape "
                         f"{spatial} are smaller than one window.")
    ends = [max(pad, (out - 1) * s + d * (k - 1) + 1 - length - pad) for out, s, d, k, length, pad
            in zip(lengths, stride, dilations, kernel, spatial, pads, strict=True)]
    attributes = {"kernel_shape": list(kernel), "strides": list(stride),
                  "pads": [*pads, *ends]}
    if isinstance(layer, _MaxPoolNd):
        attributes["dilations"] = list(dilations)
    return attributes, (shape[0], *lengths)


def _export_max_pool(builder: Any, layer: _MaxPoolNd, x: str, shape: Shape,
                     name: str) -> tuple[str, Shape]:
    attributes, out_shape = _onnx_pool(layer, shape, name)
    return builder.node("MaxPool", [x], f"{name}_MaxPool", **attributes), out_shape


def _export_avg_pool(builder: Any, layer: _AvgPoolNd, x: str, shape: Shape,
                     name: str) -> tuple[str, Shape]:
    """AveragePool; where PyTorch's divisor is not ONNX's, the mean rescaled to it.

    With ``count_include_pad=False`` both divide by the input values in the window. Otherwise
    ONNX divides every window by the kernel's size (no window passes the padding, see
    _onnx_pool), PyTorch by the part of the window within the padded input, or by
    ``divisor_override``: the mean is multiplied by kernel size / PyTorch's divisor."""
    attributes, out_shape = _onnx_pool(layer, shape, name)
    if not layer.count_include_pad and layer.divisor_override is None:
        return builder.node("AveragePool", [x], f"{name}_AveragePool", count_include_pad=0,
                            **attributes), out_shape
    mean = builder.node("AveragePool", [x], f"{name}_AveragePool", count_include_pad=1,
                        **attributes)
    kernel = attributes["kernel_shape"]
    if layer.divisor_override is not None:
        divisor: Any = float(layer.divisor_override)
    else:
        spatial = layer.spatial
        divisor = P.AvgPool(tuple(kernel), tuple(attributes["strides"]),
                            tuple(attributes["pads"][:spatial]), layer.ceil_mode,
                            True).divisor_of(shape[1:], out_shape[1:])
    factor = float(np.prod(kernel)) / np.asarray(divisor, dtype=np.float64)
    if (factor == 1).all():
        return mean, out_shape
    scale = builder.constant(f"{name}.divisor_scale", factor)
    return builder.node("Mul", [mean, scale], f"{name}_rescaled"), out_shape


def _export_adaptive_avg_pool(builder: Any, layer: _AdaptiveAvgPoolNd, x: str, shape: Shape,
                              name: str) -> tuple[str, Shape]:
    """GlobalAveragePool for an output of 1s; AveragePool when every length divides evenly;
    else a product with each axis's averaging matrix (windows of unequal lengths)."""
    spatial = _sample_spatial(layer, shape, name)
    sizes = P.integer_tuple(layer.output_size, layer.spatial, "output_size", 1, name)
    out_shape = (shape[0], *sizes)
    if all(size == 1 for size in sizes):
        return builder.node("GlobalAveragePool", [x], f"{name}_GlobalAveragePool"), out_shape
    if all(length % size == 0 for length, size in zip(spatial, sizes, strict=True)):
        kernel = [length // size for length, size in zip(spatial, sizes, strict=True)]
        return builder.node("AveragePool", [x], f"{name}_AveragePool", kernel_shape=kernel,
                            strides=kernel), out_shape
    value = x
    if layer.spatial == 2:  # rows: A_h (out_h, H) times each (H, W) plane, broadcast by MatMul
        rows = builder.constant(f"{name}.rows", P.averaging_matrix(spatial[0], sizes[0],
                                                                    np.float64))
        value = builder.node("MatMul", [rows, value], f"{name}_rows")
    columns = builder.constant(f"{name}.columns_t",
                               P.averaging_matrix(spatial[-1], sizes[-1], np.float64).T)
    return builder.node("MatMul", [value, columns], f"{name}_columns"), out_shape


def _pool_settings(spatial: int, *names: str) -> dict[str, Setting]:
    largest = LARGEST_KERNEL_FROM_FILE[spatial]
    kinds = {"kernel_size": integers(spatial, 1, largest),
             "stride": integers(spatial, 1, LARGEST_STRIDE_FROM_FILE),
             "padding": integers(spatial, 0, largest * largest // 2),  # ≤ half a window
             "dilation": integers(spatial, 1, largest),
             "output_size": integers(spatial, 1, LARGEST_OUTPUT_FROM_FILE),
             "ceil_mode": FLAG, "count_include_pad": FLAG,
             "divisor_override": integers(1, 1, 2**31 - 1, optional=True)}
    return {name: kinds[name] for name in names}


for _layer in (MaxPool1d, MaxPool2d):
    register_layer(_layer, settings=_pool_settings(_layer.spatial, "kernel_size", "stride",
                                                   "padding", "dilation", "ceil_mode"),
                   export=_export_max_pool, feature_axis="channels")
register_layer(AvgPool1d, settings=_pool_settings(1, "kernel_size", "stride", "padding",
                                                  "ceil_mode", "count_include_pad"),
               export=_export_avg_pool, feature_axis="channels")
register_layer(AvgPool2d, settings=_pool_settings(2, "kernel_size", "stride", "padding",
                                                  "ceil_mode", "count_include_pad",
                                                  "divisor_override"),
               export=_export_avg_pool, feature_axis="channels")
for _layer in (AdaptiveAvgPool1d, AdaptiveAvgPool2d):
    register_layer(_layer, settings=_pool_settings(_layer.spatial, "output_size"),
                   export=_export_adaptive_avg_pool, feature_axis="channels")
