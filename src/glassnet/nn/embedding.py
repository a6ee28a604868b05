"""``Embedding``: a table of vectors looked up by integer index (a word's, a category's).

The lookup is ``glassnet.functional.embedding_ops``; the layer is registered (see
``glassnet.nn.registry``) with its settings, its one tensor and its ONNX form (Gather).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.autograd import Tensor, from_numpy, get_default_dtype
from glassnet.functional.embedding_ops import embedding
from glassnet.nn import init
from glassnet.nn.module import Module, Parameter
from glassnet.nn.registry import COUNT, Shape, StateSpec, integers, register_layer


def _count(value: Any, name: str) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        if value >= 1:
            return int(value)
    raise ValueError(f"Embedding: {name} must be a positive integer; got {value!r:.60}.")


class Embedding(Module):
    """y = weight[x].   x: integer indices of any shape, each in [0, num_embeddings) ->
    (*x.shape, embedding_dim).

    weight: (num_embeddings, embedding_dim), initialised N(0, 1) as in PyTorch. With
    ``padding_idx`` (negative counts from the end; stored from 0) that row starts at zero and
    never receives a gradient, so it stays whatever it is set to. An index out of range is an
    IndexError naming it, its position and the range; a float index that is not a whole number
    is a DTypeError.
    """

    def __init__(
        self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None
    ) -> None:
        super().__init__()
        self.num_embeddings = _count(num_embeddings, "num_embeddings")
        self.embedding_dim = _count(embedding_dim, "embedding_dim")
        if padding_idx is not None:
            if isinstance(padding_idx, (bool, np.bool_)) or not isinstance(
                padding_idx, (int, np.integer)
            ) or not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be an integer from "
                                 f"{-num_embeddings} to {num_embeddings - 1} (or None); got "
                                 f"{padding_idx!r:.60}.")
            padding_idx = int(padding_idx) % num_embeddings
        self.padding_idx = padding_idx
        shape = (self.num_embeddings, self.embedding_dim)
        # from_numpy: an array made here for the parameter, nothing to copy it from
        self.weight = Parameter(from_numpy(np.empty(shape, get_default_dtype())))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights from N(0, 1); the padding row, if any, becomes zeros."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, x: Any) -> Tensor:
        return embedding(x, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"


def _embedding_state(config: dict[str, Any]) -> StateSpec:
    return {"weight": ((config["num_embeddings"], config["embedding_dim"]), "float")}


def _export_embedding(
    builder: Any, layer: Embedding, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    """Gather of the weight's rows at the indices. The graph's input is float32 (exact for
    integers below 2²⁴), so it is cast to int64 first."""
    if layer.num_embeddings > 2**24:
        raise ValueError(f"cannot export {name} to ONNX: its {layer.num_embeddings} rows are "
                         "more than the graph's float32 input counts exactly (2**24).")
    indices = builder.cast(x, np.int64, f"{name}_indices")
    weight = builder.constant(f"{name}.weight", layer.weight.data)
    out = builder.node("Gather", [weight, indices], f"{name}_Gather", axis=0)
    return out, (*shape, layer.embedding_dim)


register_layer(
    Embedding,
    settings={"num_embeddings": COUNT, "embedding_dim": COUNT,
              "padding_idx": integers(1, 0, 2**31 - 2, optional=True)},
    state=_embedding_state,
    export=_export_embedding,
    feature_axis="last",  # its output: (…, embedding_dim)
    takes_indices=True,
)
