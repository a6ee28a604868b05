"""One scale or shift of a normalisation layer, explained: y = γ·x̂ + β, so
∂L/∂γ[c] = Σ over the elements γ[c] scales of ∂L/∂y · x̂, and ∂L/∂β[c] = Σ of ∂L/∂y there.

A normalisation op is recognised by what it offers (``x_hat``, ``broadcast_shape``): the op is
defined in ``glassnet.nn``, above the explanations.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import Function
from glassnet.explanations.element_chain import largest_terms, placed
from glassnet.explanations.graph import Subgraph
from glassnet.explanations.layer_records import ChainLink
from glassnet.explanations.wording import Words


def is_normalization(node: Function) -> bool:
    return hasattr(node, "x_hat") and hasattr(node, "broadcast_shape")


def normalization_chain(
    subgraph: Subgraph,
    node_grads: dict[Function, np.ndarray],
    value: float,
    index: tuple[int, ...],
    wrt_label: str,
) -> tuple[ChainLink, ...]:
    """The sum over the elements that γ[index] (or β[index]) acts on; else ()."""
    op = subgraph.first_user_of_wrt()
    if op is None or not is_normalization(op):
        return ()
    slots = subgraph.edges[op]
    if len(slots) != 1 or slots[0] not in (1, 2):
        return ()
    grad_y = np.asarray(node_grads[op], dtype=np.float64)
    x_hat = np.asarray(op.x_hat, dtype=np.float64)
    # each element of x, labelled with the flat index of the γ (and β) that acts on it
    size = int(np.prod(op.broadcast_shape))
    owner = np.broadcast_to(np.arange(size).reshape(op.broadcast_shape), x_hat.shape)
    flat = int(np.ravel_multi_index(index, op.inputs[slots[0]].shape)) if index else 0
    places = np.argwhere(owner == flat)
    left = grad_y[tuple(places.T)]
    if slots[0] == 1:
        right = x_hat[tuple(places.T)]
        formula = Words("sum_over_scaled", count=len(places),
                        inner="∂L/∂y · x̂ (x̂ = (x − μ)/√(σ² + ε))")
    else:
        right = np.ones_like(left)
        formula = Words("sum_over_shifted", count=len(places), inner="∂L/∂y")
    largest, share = largest_terms(left, right)
    largest = placed(largest, places.__getitem__)
    return (ChainLink(f"∂L/∂{wrt_label}", value, 1, "sum", formula, len(places), "places",
                      largest, share),)
