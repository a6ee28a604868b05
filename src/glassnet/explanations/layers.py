"""Find the Linear and convolution layers (and their activations) between ``wrt`` and the output,
and measure how the gradient flows through each: the records of a whole-tensor explanation.

A Linear layer is a node labelled "linear" (``F.linear``, ``nn.Linear``), which keeps its input
``x`` and ``weight`` for backward; a convolution one labelled "conv1d" or "conv2d", whose units
are its output channels (axis 1). A layer's activation is the element-wise op (ReLU, sigmoid,
tanh, …) that alone consumes its output. Every gradient used here is the total one from a single
backward sweep (``graph.full_gradients``), so the numbers hold for any graph, not only a chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from glassnet.autograd import Function, Tensor
from glassnet.explanations.graph import Subgraph
from glassnet.explanations.layer_records import LayerRecord, Magnitude, Slopes
from glassnet.explanations.wording import Words

# element-wise activations by op label, with the symbol of their derivative
ACTIVATION_SYMBOLS = {
    "relu": "ReLU′",
    "leakyrelu": "LeakyReLU′",
    "sigmoid": "σ′",
    "tanh": "tanh′",
    "softplus": "softplus′",
    "gelu": "GELU′",
}


CONVOLUTION_LABELS = ("conv1d", "conv2d")


def op_name(node: Function | None) -> str:
    """The op as a reader names it: ``BinaryCrossEntropyWithLogits`` -> "binary_cross_entropy_
    with_logits" (its ``label`` runs the words together), "the output" for no op."""
    if node is None:
        return Words("the_output")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z][a-z])", "_", type(node).__name__).lower()


def is_linear(node: Function) -> bool:
    return node.label == "linear" and len(node.inputs) >= 2


def is_convolution(node: Function) -> bool:
    return node.label in CONVOLUTION_LABELS and len(node.inputs) >= 2


def is_layer(node: Function) -> bool:
    """A Linear or convolution node: a layer of the whole-tensor summary."""
    return is_linear(node) or is_convolution(node)


def units_last(node: Function, array: np.ndarray) -> np.ndarray:
    """A layer's output-shaped array with its units on the last axis: a convolution's channels
    (N, C, *out) -> (N, *out, C); a Linear layer's array as it is."""
    return np.moveaxis(array, 1, -1) if is_convolution(node) else array


def weight_gradient(node: Function, pre_gradient: np.ndarray) -> np.ndarray:
    """This use's ∂L/∂W from ∂L/∂z, as the layer's backward computes it."""
    if is_convolution(node):
        return node.weight_gradient(node.grad_rows(pre_gradient))
    return rows(pre_gradient).T @ rows(node.x)


def is_activation(node: Function) -> bool:
    return node.label in ACTIVATION_SYMBOLS and len(node.inputs) == 1


def slope_of(node: Function, output_gradient: np.ndarray) -> np.ndarray:
    """f′(z) of an element-wise activation node, by its own backward applied to ones."""
    ones = np.ones(output_gradient.shape, dtype=output_gradient.dtype)
    (slope, *_) = node.backward(ones)
    return np.asarray(slope)


def rows(array: np.ndarray) -> np.ndarray:
    """(…, features) -> (N, features): leading batch axes folded, as LinearOp's backward does."""
    return array.reshape(-1, array.shape[-1])


@dataclass
class LayerNodes:
    """The nodes of one layer as found in the subgraph: its linear op and optional activation."""

    linear: Function
    activation: Function | None
    above: Function | None  # the node consuming the layer's output (activation's, if any)
    number: int


def consumers(subgraph: Subgraph) -> dict[Function, list[Function]]:
    """For each node of the subgraph, the subgraph's nodes that take its output as an input."""
    found: dict[Function, list[Function]] = {}
    for node in subgraph.edges:
        for edge in subgraph.relevant_edges(node):
            producer = edge.tensor._ctx
            if producer is not None and edge.tensor is not subgraph.wrt:
                found.setdefault(producer, []).append(node)
    return found


def layer_number(linear: Function) -> int:
    """1 + the layers below this one, following each op's first input down the graph."""
    count = 1
    tensor = linear.inputs[0]
    while tensor._ctx is not None:
        node = tensor._ctx
        count += is_layer(node)
        tensor = node.inputs[0]
    return count


def find_layers(subgraph: Subgraph) -> list[LayerNodes]:
    """The Linear and convolution layers between wrt and the output, output side first."""
    used_by = consumers(subgraph)
    layers = []
    for node in sorted(subgraph.edges, key=subgraph.position.__getitem__):
        if not is_layer(node):
            continue
        users = used_by.get(node, [])
        activation = users[0] if len(users) == 1 and is_activation(users[0]) else None
        top_users = used_by.get(activation, []) if activation is not None else users
        above = top_users[0] if len(top_users) == 1 else None
        layers.append(LayerNodes(node, activation, above, layer_number(node)))
    return layers


def tensor_gradient(
    tensor: Tensor, subgraph: Subgraph, node_grads: dict[Function, np.ndarray],
    wrt_gradient: np.ndarray,
) -> np.ndarray | None:
    """The total ∂output/∂tensor for a tensor of the subgraph (None when none flows to it)."""
    if tensor is subgraph.wrt:
        return wrt_gradient
    return node_grads.get(tensor._ctx) if tensor._ctx is not None else None


def output_tensor(node: Function, user: Function | None, subgraph: Subgraph) -> Tensor | None:
    """The tensor ``node`` made, found among its user's inputs (a node does not keep it)."""
    if user is None:
        return subgraph.output if subgraph.output._ctx is node else None
    return next((tensor for tensor in user.inputs if tensor._ctx is node), None)


def _ratio(numerator: Magnitude, denominator: Magnitude) -> float | None:
    if denominator.rms == 0 or not np.isfinite(denominator.rms) or not np.isfinite(numerator.rms):
        return None
    return numerator.rms / denominator.rms


def tensor_name(tensor: Tensor | None, default: str) -> str:
    return tensor.name if tensor is not None and tensor.name else default


def input_name(x: Tensor, number: int) -> str:
    """The label of a Linear layer's input: its name, x for the data, a{k−1} for an activation."""
    if x.name:
        return x.name
    if x._ctx is None:
        return "x"
    return f"a{number - 1}" if is_activation(x._ctx) else f"[{x._ctx.label}]"


def _above(node: Function | None, number: int) -> str:
    if node is None:
        return Words("the_output")
    return Words("layer", number=number + 1) if is_layer(node) else op_name(node)


def layer_records(
    subgraph: Subgraph, node_grads: dict[Function, np.ndarray], wrt_gradient: np.ndarray
) -> list[LayerRecord]:
    """One LayerRecord per Linear or convolution layer on the path, output side first."""
    wrt = subgraph.wrt
    uses_of_wrt = sum(
        edge.tensor is wrt for node in subgraph.edges for edge in subgraph.relevant_edges(node)
    )
    records = []
    for layer in find_layers(subgraph):
        linear, activation, number = layer.linear, layer.activation, layer.number
        x, weight = linear.inputs[0], linear.inputs[1]
        pre_gradient = node_grads[linear]
        output_gradient = node_grads[activation] if activation is not None else pre_gradient
        pre_size, output_size = Magnitude.of(pre_gradient), Magnitude.of(output_gradient)
        slopes = None
        if activation is not None:
            slopes = Slopes.of(activation.label, ACTIVATION_SYMBOLS[activation.label],
                               units_last(linear, slope_of(activation, output_gradient)))
        if weight is wrt and uses_of_wrt == 1:
            use_gradient = wrt_gradient
        else:  # this use's part, as the layer's backward computes it (the path may not pass here)
            use_gradient = weight_gradient(linear, pre_gradient)
        below = tensor_gradient(x, subgraph, node_grads, wrt_gradient)
        input_size = Magnitude.of(below) if below is not None else None
        records.append(LayerRecord(
            number=number,
            weight_name=tensor_name(weight, f"W{number}"),
            output_name=tensor_name(
                output_tensor(activation or linear, layer.above, subgraph),
                f"a{number}" if activation is not None else f"z{number}",
            ),
            pre_activation_name=tensor_name(
                output_tensor(linear, activation or layer.above, subgraph), f"z{number}"
            ),
            input_name=input_name(x, number),
            above=_above(layer.above, number),
            weight=Magnitude.of(weight.data),
            input=Magnitude.of(x.data),
            output_gradient=output_size,
            activation=slopes,
            pre_activation_gradient=pre_size,
            activation_gain=_ratio(pre_size, output_size) if activation is not None else None,
            weight_gradient=Magnitude.of(use_gradient),
            input_gradient=input_size,
            weight_gain=_ratio(input_size, pre_size) if input_size is not None else None,
            kind=linear.label,
        ))
    return records


def strongest_factor(records: list[LayerRecord]) -> tuple[str, float] | None:
    """The factor whose gain is farthest from 1 (by |log gain|; a gain of 0, which stops the
    gradient, is the farthest of all): the one that shapes ∂L/∂wrt most."""
    gains = [(what, gain) for record in records for what, gain in record.gains()]
    if not gains:
        return None
    return max(gains, key=lambda pair: abs(np.log(pair[1])) if pair[1] > 0 else np.inf)
