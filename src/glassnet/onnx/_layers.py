"""One converter per glassnet layer: the ONNX nodes that compute the layer in eval mode.

A converter takes (builder, layer, value, shape, name) and returns (value, shape), where
``value`` names the tensor flowing through the graph and ``shape`` is one sample's shape (the
batch axis is dynamic and never listed). Tracking shapes lets Linear pick Gemm or MatMul and
Flatten compute its target shape, and finds mismatched layers before onnxruntime would.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import onnx.helper

from glassnet import nn
from glassnet.errors import ShapeError
from glassnet.onnx._graph import GraphBuilder

Shape = tuple[int, ...]
Converter = Callable[[GraphBuilder, Any, str, Shape, str], tuple[str, Shape]]


def _array(tensor: Any) -> np.ndarray:
    return np.asarray(tensor.data if hasattr(tensor, "data") else tensor)


def _linear(
    b: GraphBuilder, layer: nn.Linear, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    if not shape or shape[-1] != layer.in_features:
        raise ShapeError(f"{name} (Linear) expects {layer.in_features} input features; the "
                         f"layers before it produce samples of shape {shape}.")
    weight = _array(layer.weight)
    bias = None if layer.bias is None else b.constant(f"{name}.bias", _array(layer.bias))
    out_shape = (*shape[:-1], layer.out_features)
    if len(shape) == 1:  # (N, in): one Gemm computes x·Wᵀ + b
        inputs = [x, b.constant(f"{name}.weight", weight)] + ([bias] if bias else [])
        return b.node("Gemm", inputs, f"{name}_Gemm", transB=1), out_shape
    # (N, …, in): Gemm takes 2-D inputs only; MatMul broadcasts over the middle axes
    product = b.node("MatMul", [x, b.constant(f"{name}.weight_t", weight.T)], f"{name}_MatMul")
    if bias is None:
        return product, out_shape
    return b.node("Add", [product, bias], f"{name}_Add"), out_shape


def _same_shape(op_type: str, **attributes: Any) -> Converter:
    def convert(b: GraphBuilder, layer: Any, x: str, shape: Shape, name: str) -> tuple[str, Shape]:
        return b.node(op_type, [x], f"{name}_{op_type}", **attributes), shape

    return convert


def _leaky_relu(b: GraphBuilder, layer: Any, x: str, shape: Shape, name: str) -> tuple[str, Shape]:
    alpha = float(layer.negative_slope)
    return b.node("LeakyRelu", [x], f"{name}_LeakyRelu", alpha=alpha), shape


def _axis(dim: int, shape: Shape, name: str, who: str) -> int:
    rank = len(shape) + 1
    if not -rank <= dim < rank:
        raise ShapeError(f"{name} ({who}) has dim={dim}, but its input has {rank} axes "
                         f"(batch, {', '.join(map(str, shape))}).")
    return dim % rank


def _softmax(b: GraphBuilder, layer: Any, x: str, shape: Shape, name: str) -> tuple[str, Shape]:
    op_type = type(layer).__name__  # Softmax or LogSoftmax: same names in ONNX
    axis = _axis(layer.dim, shape, name, op_type)
    return b.node(op_type, [x], f"{name}_{op_type}", axis=axis), shape


def _gelu(b: GraphBuilder, layer: nn.GELU, x: str, shape: Shape, name: str) -> tuple[str, Shape]:
    if b.opset >= 20:  # the Gelu operator arrived in opset 20
        return b.node("Gelu", [x], f"{name}_Gelu", approximate=layer.approximate), shape
    half = b.constant(f"{name}.half", 0.5)
    one = b.constant(f"{name}.one", 1.0)
    if layer.approximate == "tanh":  # ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
        cube = b.node("Mul", [x, b.node("Mul", [x, x], f"{name}_square")], f"{name}_cube")
        scaled_cube = b.node("Mul", [cube, b.constant(f"{name}.coefficient", 0.044715)],
                             f"{name}_scaled_cube")
        inner = b.node("Mul", [b.node("Add", [x, scaled_cube], f"{name}_sum"),
                               b.constant(f"{name}.sqrt_2_over_pi", math.sqrt(2 / math.pi))],
                       f"{name}_inner")
        gate = b.node("Tanh", [inner], f"{name}_Tanh")
    else:  # ½x(1 + erf(x/√2)) = x·Φ(x)
        gate = b.node("Erf", [b.node("Div", [x, b.constant(f"{name}.sqrt_2", math.sqrt(2))],
                                     f"{name}_Div")], f"{name}_Erf")
    half_x = b.node("Mul", [x, half], f"{name}_half_x")
    return b.node("Mul", [half_x, b.node("Add", [gate, one], f"{name}_one_plus")],
                  f"{name}_Mul"), shape


def _flatten(
    b: GraphBuilder, layer: nn.Flatten, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    full = (-1, *shape)  # -1 stands for the dynamic batch axis
    start = _axis(layer.start_dim, shape, name, "Flatten")
    end = _axis(layer.end_dim, shape, name, "Flatten")
    if start > end:
        raise ShapeError(f"{name} (Flatten): start_dim {layer.start_dim} comes after end_dim "
                         f"{layer.end_dim} for samples of shape {shape}.")
    if start == 1 and end == len(full) - 1:  # the usual case: keep the batch, merge the rest
        return b.node("Flatten", [x], f"{name}_Flatten", axis=1), (math.prod(shape),)
    if start == 0:  # the batch axis merges with the next ones: its new length is inferred (-1)
        target = [-1, *full[end + 1 :]]
    else:  # Reshape's 0 copies the (dynamic) batch length from the input
        target = [0, *full[1:start], math.prod(full[start : end + 1]), *full[end + 1 :]]
    new_shape = tuple(target[1:])
    shape_constant = b.constant(f"{name}.shape", target, dtype=np.int64)
    return b.node("Reshape", [x, shape_constant], f"{name}_Reshape"), new_shape


def _check_channels(layer: Any, shape: Shape, name: str) -> None:
    if len(shape) not in (1, 2) or shape[0] != layer.num_features:
        c = layer.num_features
        raise ShapeError(f"{name} (BatchNorm1d) expects samples of shape ({c},) or ({c}, length); "
                         f"the layers before it produce {shape}.")


def _batch_norm(
    b: GraphBuilder, layer: nn.BatchNorm1d, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    _check_channels(layer, shape, name)
    features = layer.num_features
    weight = np.ones(features) if layer.weight is None else _array(layer.weight)
    bias = np.zeros(features) if layer.bias is None else _array(layer.bias)
    scale, shift = b.constant(f"{name}.weight", weight), b.constant(f"{name}.bias", bias)
    if layer.track_running_stats:
        inputs = [x, scale, shift, b.constant(f"{name}.running_mean", layer.running_mean),
                  b.constant(f"{name}.running_var", layer.running_var)]
        return b.node("BatchNormalization", inputs, f"{name}_BatchNormalization",
                      epsilon=float(layer.eps)), shape
    # No running statistics: even in eval mode the batch's own mean and variance normalise it.
    # In float64, as glassnet computes them: a float32 square overflows from |x| ~ 1e19.
    axes = [0] if len(shape) == 1 else [0, 2]
    wide = b.node("Cast", [x], f"{name}_to_double", to=onnx.TensorProto.DOUBLE)
    mean = _reduce_mean(b, wide, axes, f"{name}_mean")
    centred = b.node("Sub", [wide, mean], f"{name}_centred")
    variance = _reduce_mean(b, b.node("Mul", [centred, centred], f"{name}_squares"), axes,
                            f"{name}_variance")
    eps = b.constant(f"{name}.eps", layer.eps, dtype=np.float64)
    std = b.node("Sqrt", [b.node("Add", [variance, eps], f"{name}_variance_eps")], f"{name}_std")
    normalised = b.node("Cast", [b.node("Div", [centred, std], f"{name}_normalised")],
                        f"{name}_to_float", to=onnx.TensorProto.FLOAT)
    column = (features,) if len(shape) == 1 else (features, 1)
    scale = b.constant(f"{name}.weight_column", weight.reshape(column))
    shift = b.constant(f"{name}.bias_column", bias.reshape(column))
    scaled = b.node("Mul", [normalised, scale], f"{name}_scaled")
    return b.node("Add", [scaled, shift], f"{name}_shifted"), shape


def _reduce_mean(b: GraphBuilder, x: str, axes: list[int], name: str) -> str:
    if b.opset >= 18:  # opset 18 moved the axes from an attribute to an input
        return b.node("ReduceMean", [x, b.constant(f"{name}.axes", axes, dtype=np.int64)], name,
                      keepdims=1)
    return b.node("ReduceMean", [x], name, axes=axes, keepdims=1)


def _layer_norm(
    b: GraphBuilder, layer: nn.LayerNorm, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    dims = len(layer.normalized_shape)
    if shape[len(shape) - dims :] != layer.normalized_shape or len(shape) < dims:
        raise ShapeError(f"{name} (LayerNorm) normalises the last axes {layer.normalized_shape}; "
                         f"the layers before it produce samples of shape {shape}.")
    weight = (np.ones(layer.normalized_shape) if layer.weight is None
              else _array(layer.weight))
    # In float64, as glassnet computes the statistics: a float32 variance overflows from
    # |x| ~ 1e19, and onnxruntime's float32 kernel would then return garbage, not inf.
    inputs = [b.node("Cast", [x], f"{name}_to_double", to=onnx.TensorProto.DOUBLE),
              b.constant(f"{name}.weight", weight, dtype=np.float64)]
    if layer.bias is not None:
        inputs.append(b.constant(f"{name}.bias", _array(layer.bias), dtype=np.float64))
    normalised = b.node("LayerNormalization", inputs, f"{name}_LayerNormalization", axis=-dims,
                        epsilon=float(layer.eps))
    return b.node("Cast", [normalised], f"{name}_to_float", to=onnx.TensorProto.FLOAT), shape


CONVERTERS: dict[type, Converter] = {
    nn.Linear: _linear,
    nn.Identity: _same_shape("Identity"),
    nn.Dropout: _same_shape("Identity"),  # eval mode: dropout passes its input through
    nn.ReLU: _same_shape("Relu"),
    nn.LeakyReLU: _leaky_relu,
    nn.Sigmoid: _same_shape("Sigmoid"),
    nn.Tanh: _same_shape("Tanh"),
    nn.Softplus: _same_shape("Softplus"),
    nn.GELU: _gelu,
    nn.Softmax: _softmax,
    nn.LogSoftmax: _softmax,
    nn.Flatten: _flatten,
    nn.BatchNorm1d: _batch_norm,
    nn.LayerNorm: _layer_norm,
}


def exportable_names() -> list[str]:
    return ["Sequential", *(layer.__name__ for layer in CONVERTERS)]


def convert_module(
    b: GraphBuilder, module: nn.Module, x: str, shape: Shape, name: str = "model"
) -> tuple[str, Shape]:
    """The nodes computing ``module`` on ``x`` (samples of ``shape``) in eval mode."""
    kind = type(module)
    if kind is nn.Sequential:
        for child_name, child in module.named_children():
            x, shape = convert_module(b, child, x, shape, f"{name}.{child_name}")
        return x, shape
    converter = CONVERTERS.get(kind)
    if converter is None:
        raise TypeError(
            f"cannot export {name} to ONNX: it is a {kind.__qualname__}, and glassnet only knows "
            f"the ONNX form of its own layers ({', '.join(exportable_names())}). Rewrite the "
            "model as a Sequential of those layers."
        )
    if any(True for _ in module.children()):
        raise TypeError(f"cannot export {name} to ONNX: this {kind.__name__} has sub-modules "
                        "attached, which its ONNX form would leave out.")
    return converter(b, module, x, shape, name)


def input_shape(model: nn.Module) -> Shape | None:
    """One sample's shape, read from the first layer that fixes it (None if none does)."""
    for module in model.modules():
        kind = type(module)
        if kind is nn.Linear:
            return (module.in_features,)
        if kind is nn.BatchNorm1d:
            return (module.num_features,)
        if kind is nn.LayerNorm:
            return module.normalized_shape
        if kind is nn.Flatten:
            return None  # the input has more axes than the layers after it reveal
    return None
