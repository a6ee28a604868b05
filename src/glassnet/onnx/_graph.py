"""``GraphBuilder``: the nodes and constants of one ONNX graph, with readable unique names.

Only imported once ``onnx`` is known to be installed (see ``glassnet.onnx.require_onnx``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx.checker
import onnx.helper
import onnx.numpy_helper

from glassnet._version import __version__

# Opset 17 has LayerNormalization; with IR version 8 the files load in onnxruntime >= 1.14.
DEFAULT_OPSET = 17
IR_VERSION_BY_OPSET = {17: 8, 18: 8, 19: 9, 20: 9, 21: 10}
GRAPH_DTYPE = np.float32  # onnxruntime lacks float64 kernels for Erf and Softplus
# The ai.onnx.ml version released with opset 17; its LabelEncoder (version 2) maps strings.
ML_DOMAIN, ML_OPSET = "ai.onnx.ml", 3


class GraphBuilder:
    """Collects nodes and initializers; every name it hands out is unique in the graph.

    Layers' export functions (registered in ``glassnet.nn.registry``) receive it and call
    ``node``, ``constant``, ``cast`` and ``reduce_mean`` and read ``opset``: glassnet.nn never
    imports onnx.
    """

    def __init__(self, opset: int) -> None:
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._used: set[str] = set()
        self._domains: set[str] = set()

    def reserve(self, name: str) -> str:
        """Claim ``name`` (a graph input's) so that no node output takes it."""
        self._used.add(name)
        return name

    def unique(self, name: str) -> str:
        candidate, number = name, 1
        while candidate in self._used:
            candidate = f"{name}_{number}"
            number += 1
        self._used.add(candidate)
        return candidate

    def constant(self, name: str, value: Any, dtype: Any = GRAPH_DTYPE) -> str:
        """An initializer holding ``value`` (cast to ``dtype``; ``object`` for strings).

        ValueError for a number the cast would turn into inf (float64 data beyond float32's
        range): the graph would compute something else than glassnet does.
        """
        with np.errstate(over="ignore"):
            array = np.asarray(value, dtype=dtype)
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            largest = np.max(np.abs(np.asarray(value, dtype=np.float64)))
            raise ValueError(f"{name} holds a value of magnitude {largest:g}, beyond what "
                             f"{array.dtype} can represent (the ONNX graph computes in "
                             f"{array.dtype}); this model cannot be exported.")
        tensor = onnx.numpy_helper.from_array(np.ascontiguousarray(array), self.unique(name))
        self.initializers.append(tensor)
        return tensor.name

    def node(
        self, op_type: str, inputs: Sequence[str], name: str, **attributes: Any
    ) -> str:
        """Add one node with a single output; returns the output's name.

        ``domain="ai.onnx.ml"`` among the attributes places the node in that operator set,
        which the model then imports.
        """
        if attributes.get("domain"):
            self._domains.add(attributes["domain"])
        node_name = self.unique(name)
        output = self.unique(f"{node_name}_out")
        self.nodes.append(
            onnx.helper.make_node(op_type, list(inputs), [output], name=node_name, **attributes)
        )
        return output

    def cast(self, value: str, dtype: Any, name: str) -> str:
        """A Cast node turning ``value`` into the NumPy ``dtype`` (e.g. np.float64)."""
        element_type = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        return self.node("Cast", [value], name, to=element_type)

    def reduce_mean(self, value: str, axes: Sequence[int], name: str) -> str:
        """The mean of ``value`` over ``axes``, keeping them (length 1), in this opset's form."""
        if self.opset >= 18:  # opset 18 moved the axes from an attribute to an input
            axes_constant = self.constant(f"{name}.axes", list(axes), dtype=np.int64)
            return self.node("ReduceMean", [value, axes_constant], name, keepdims=1)
        return self.node("ReduceMean", [value], name, axes=list(axes), keepdims=1)

    def rename_output(self, value: str, name: str) -> str:
        """Expose ``value`` under the graph-output name ``name`` (an Identity node)."""
        self._used.add(name)
        identity = onnx.helper.make_node("Identity", [value], [name], name=f"{name}_identity")
        self.nodes.append(identity)
        return name

    def model(
        self,
        inputs: Sequence[onnx.ValueInfoProto],
        outputs: Sequence[onnx.ValueInfoProto],
        graph_name: str,
        doc: str,
    ) -> onnx.ModelProto:
        graph = onnx.helper.make_graph(
            self.nodes, graph_name, list(inputs), list(outputs), self.initializers
        )
        opsets = [onnx.helper.make_opsetid("", self.opset)]
        if ML_DOMAIN in self._domains:
            opsets.append(onnx.helper.make_opsetid(ML_DOMAIN, ML_OPSET))
        model = onnx.helper.make_model(
            graph,
            opset_imports=opsets,
            ir_version=IR_VERSION_BY_OPSET[self.opset],
            producer_name="glassnet",
            producer_version=__version__,
            doc_string=doc,
        )
        onnx.checker.check_model(model, full_check=True)
        return model


def float_input(name: str, feature_shape: Sequence[int]) -> onnx.ValueInfoProto:
    """A float32 graph input with a dynamic first axis named "batch"."""
    return tensor_input(name, onnx.TensorProto.FLOAT, feature_shape)


def tensor_input(
    name: str, elem_type: int, feature_shape: Sequence[int], doc: str = ""
) -> onnx.ValueInfoProto:
    """A graph input of ``elem_type`` (an onnx.TensorProto type), first axis "batch"."""
    return onnx.helper.make_tensor_value_info(name, elem_type, ["batch", *feature_shape], doc)


def tensor_output(
    name: str, elem_type: int, feature_shape: Sequence[int]
) -> onnx.ValueInfoProto:
    return onnx.helper.make_tensor_value_info(name, elem_type, ["batch", *feature_shape])
