"""A glassnet module as ONNX nodes, through each layer's own registered export.

Every layer type declares its ONNX form beside its class (``glassnet.nn.registry``): a function
that takes (builder, layer, value, shape, name) and returns (value, shape), where ``value``
names the tensor flowing through the graph and ``shape`` is one sample's shape (the batch axis
is dynamic and never listed). Tracking shapes lets Linear pick Gemm or MatMul and Flatten
compute its target shape, and finds mismatched layers before onnxruntime would. This module
walks Sequentials and hands each layer to its export function.
"""

from __future__ import annotations

from glassnet import nn
from glassnet.nn.registry import Shape, layer_type_of, layer_types
from glassnet.onnx._graph import GraphBuilder


def exportable_names() -> list[str]:
    return ["Sequential", *(entry.name for entry in layer_types() if entry.export is not None)]


def convert_module(
    b: GraphBuilder, module: nn.Module, x: str, shape: Shape, name: str = "model"
) -> tuple[str, Shape]:
    """The nodes computing ``module`` on ``x`` (samples of ``shape``) in eval mode."""
    kind = type(module)
    if kind is nn.Sequential:
        for child_name, child in module.named_children():
            x, shape = convert_module(b, child, x, shape, f"{name}.{child_name}")
        return x, shape
    entry = layer_type_of(kind)
    if entry is None or entry.export is None:
        raise TypeError(
            f"cannot export {name} to ONNX: it is a {kind.__qualname__}, and glassnet only knows "
            f"the ONNX form of the layers registered with one ({', '.join(exportable_names())})."
            " Rewrite the model as a Sequential of those layers, or register the layer's ONNX "
            "form with gn.nn.register_layer(..., export=...)."
        )
    if any(True for _ in module.children()):
        raise TypeError(f"cannot export {name} to ONNX: this {kind.__name__} has sub-modules "
                        "attached, which its ONNX form would leave out.")
    return entry.export(b, module, x, shape, name)


def input_shape(model: nn.Module) -> Shape | None:
    """One sample's shape, read from the first layer that fixes it (None if none does).

    Layers that keep their input's shape (activations, Dropout) are looked through; the first
    other layer either declares the shape it takes or ends the search (Flatten: the input has
    more axes than the layers after it reveal).
    """
    for module in model.modules():
        entry = layer_type_of(type(module))
        if entry is None or (entry.keeps_shape and entry.input_shape is None):
            continue
        return None if entry.input_shape is None else entry.input_shape(module)
    return None
