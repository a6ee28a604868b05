"""A glassnet model as a whole ONNX graph: input "input", output "output"."""

from __future__ import annotations

from typing import Any

import onnx.helper

from glassnet import nn
from glassnet.errors import ShapeError
from glassnet.onnx._graph import GraphBuilder, float_input, tensor_output
from glassnet.onnx._layers import Shape, convert_module, input_shape


def sample_shape(model: nn.Module, n_features: Any) -> Shape:
    """One input sample's shape: ``n_features`` if given (an int or a tuple), else the model's."""
    inferred = input_shape(model)
    if n_features is None:
        if inferred is None:
            raise ShapeError(
                f"cannot tell the shape of one input sample of this {type(model).__name__} (its "
                "first layer does not fix it, as Linear, BatchNorm1d or LayerNorm do; a "
                "convolution, a pooling layer, an Embedding or a recurrent layer does not fix "
                "the length); pass n_features=, e.g. n_features=4, or one sample's shape as a "
                "tuple: (1, 40) for Conv1d on 40 steps, (1, 28, 28) for Conv2d on 28×28 images."
            )
        return inferred
    shape = (n_features,) if isinstance(n_features, (int, float)) else tuple(n_features)
    if not shape or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0
                            for d in shape):
        raise ValueError(f"n_features must be a positive int or a tuple of them; got "
                         f"{n_features!r}.")
    return shape


def model_to_onnx(model: nn.Module, n_features: Any, opset: int) -> onnx.ModelProto:
    """The ONNX model computing ``model`` in eval mode: "input" (batch, …) → "output"."""
    shape = sample_shape(model, n_features)
    builder = GraphBuilder(opset)
    value, out_shape = convert_module(builder, model, builder.reserve("input"), shape)
    output = builder.rename_output(value, "output")
    doc = f"glassnet {type(model).__name__}, exported in eval mode:\n{model!r}"
    return builder.model(
        [float_input("input", shape)],
        [tensor_output(output, onnx.TensorProto.FLOAT, out_shape)],
        "glassnet_model",
        doc,
    )
