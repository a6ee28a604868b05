"""One element of an embedding table, explained: ∂L/∂E[r, c] = Σ over the places p where the
index is r of ∂L/∂y[p, c] (the row is copied to each place the index names, so its gradient is
the sum of theirs). The largest terms come first, with their share.

An embedding op is recognised by what it offers (``indices``, ``padding_idx``): explanations
sit beside ``glassnet.functional`` and do not import it.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import Function
from glassnet.explanations.element_chain import largest_terms, placed
from glassnet.explanations.graph import Subgraph
from glassnet.explanations.layer_records import ChainLink
from glassnet.explanations.layers import output_tensor, tensor_name
from glassnet.explanations.wording import Words


def is_embedding(node: Function) -> bool:
    return hasattr(node, "indices") and hasattr(node, "padding_idx") and len(node.inputs) == 1


def embedding_chain(
    subgraph: Subgraph,
    node_grads: dict[Function, np.ndarray],
    value: float,
    index: tuple[int, ...],
    wrt_label: str,
) -> tuple[ChainLink, ...]:
    """The sum over the places that look row ``index[0]`` up, when wrt is an embedding table
    used once; else ()."""
    lookup = subgraph.first_user_of_wrt()
    if lookup is None or not is_embedding(lookup) or len(index) != 2:
        return ()
    row, column = index
    users = [node for node in subgraph.edges
             if any(edge.tensor._ctx is lookup for edge in subgraph.relevant_edges(node))]
    y_name = tensor_name(output_tensor(lookup, users[0] if users else None, subgraph), "y")
    indices = np.asarray(lookup.indices)
    places = np.argwhere(indices == row)  # (k, indices.ndim), in row-major order
    grad_y = node_grads[lookup]
    left = np.array([grad_y[(*place, column)] for place in places], dtype=np.float64)
    where = ", ".join("n" if axis == 0 else f"p{axis}" for axis in range(indices.ndim))
    formula = Words("sum_over_places", count=len(places), where=where, row=row,
                    inner=f"∂L/∂{y_name}[{where}, {column}]")
    note = ""
    if lookup.padding_idx is not None and row == lookup.padding_idx:
        note = Words("padding_row")
        left = np.zeros(0)
    elif not len(places):
        note = Words("no_such_index", row=row)
    largest, share = largest_terms(left, np.ones_like(left))
    largest = placed(largest, places.__getitem__)
    return (ChainLink(f"∂L/∂{wrt_label}", value, 1, "sum", formula, len(places), "places",
                      largest, share, note=note),)
