"""The chain rule for one weight (or bias) of a Linear + activation chain, layer by layer.

For W_k[i, j], with z_k = a_{k−1} @ W_kᵀ + b_k and a_k = f(z_k), rows n the samples:

    ∂L/∂W_k[i, j] = Σ_n ∂L/∂z_k[n, i] · a_{k−1}[n, j]          (a sum over the samples)
    ∂L/∂z_k[n, i] = f′(z_k[n, i]) · ∂L/∂a_k[n, i]
    ∂L/∂a_k[n, i] = Σ_m ∂L/∂z_{k+1}[n, m] · W_{k+1}[m, i]       (a sum over the next layer's units)

Each sum is shown by its largest terms; the chain then follows the largest term up, to the
gradient the loss hands the last layer. Every number comes from the arrays the graph saved
(LinearOp keeps x and W) and the total gradients of one backward sweep.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from glassnet.autograd import Function
from glassnet.explanations.graph import Subgraph
from glassnet.explanations.layer_records import LARGEST_TERMS, ChainLink, SumTerm
from glassnet.explanations.layers import (
    ACTIVATION_SYMBOLS,
    consumers,
    input_name,
    is_activation,
    is_linear,
    layer_number,
    op_name,
    output_tensor,
    slope_of,
    tensor_name,
)
from glassnet.explanations.records import format_number
from glassnet.explanations.wording import Words


def largest_terms(
    left: np.ndarray, right: np.ndarray
) -> tuple[tuple[SumTerm, ...], float | None]:
    """The LARGEST_TERMS terms left·right by |value| (ties: lowest position first), and their
    share of Σ|term|; none and None when every term is 0 (no term to follow)."""
    terms = left * right
    sizes = np.abs(terms)
    total = float(sizes.sum())
    if total == 0:
        return (), None
    order = np.argsort(-sizes, kind="stable")[:LARGEST_TERMS]
    share = float(sizes[order].sum()) / total
    picked = tuple(
        SumTerm(int(n), float(left[n]), float(right[n]), float(terms[n])) for n in order
    )
    return picked, share


def placed(terms: tuple[SumTerm, ...], place: Callable[[int], Sequence[int]]
           ) -> tuple[SumTerm, ...]:
    """``terms`` of a sum over a flattened array, each at its place in the array (a tuple of
    indices, ``place(position)``) instead of its flat position."""
    return tuple(SumTerm(tuple(int(i) for i in place(term.position)), term.left, term.right,
                         term.value) for term in terms)


def element_chain(
    subgraph: Subgraph,
    node_grads: dict[Function, np.ndarray],
    value: float,
    index: tuple[int, ...],
    wrt_label: str,
) -> tuple[ChainLink, ...]:
    """The links for wrt[index] when wrt is a weight or bias of a Linear layer whose output
    reaches the output along Linear layers and activations; else (). The caller makes sure the
    subgraph has one path (else a layer's sum would leave out the other paths)."""
    bottom = subgraph.first_user_of_wrt()
    if bottom is None or not is_linear(bottom):
        return ()
    [slot] = subgraph.edges[bottom]
    if slot == 0 or bottom.x.ndim != 2:
        return ()
    used_by = consumers(subgraph)
    linear, number = bottom, layer_number(bottom)
    first_user = used_by.get(linear, [None])[0]
    z_name = tensor_name(output_tensor(linear, first_user, subgraph), f"z{number}")
    grad_z = node_grads[linear]
    unit = index[0]
    samples = grad_z.shape[0]
    if slot == 1:
        column = index[1]
        x_name = input_name(linear.inputs[0], number)
        largest, share = largest_terms(grad_z[:, unit], linear.x[:, column])
        formula = Words("sum_over_samples", count=samples,
                        inner=f"∂L/∂{z_name}[n, {unit}] · {x_name}[n, {column}]")
    else:
        largest, share = largest_terms(grad_z[:, unit], np.ones(samples, grad_z.dtype))
        formula = Words("sum_over_samples", count=samples, inner=f"∂L/∂{z_name}[n, {unit}]")
    links = [ChainLink(f"∂L/∂{wrt_label}", value, number, "sum", formula, samples, "samples",
                       largest, share)]
    sample = largest[0].position if largest else 0  # all 0: sample 0's f′ shows why
    while True:
        user = used_by.get(linear, [None])[0]
        z_name = tensor_name(output_tensor(linear, user, subgraph), f"z{number}")
        made, made_name = linear, z_name
        if user is not None and is_activation(user):
            activation = user
            user = used_by.get(activation, [None])[0]
            made, made_name = activation, tensor_name(output_tensor(activation, user, subgraph),
                                                f"a{number}")
            links.append(_activation_link(activation, node_grads, linear, sample, unit,
                                          z_name, made_name, number))
        here = float(node_grads[made][sample, unit])
        if user is None or not is_linear(user) or user.inputs[0]._ctx is not made:
            above = op_name(user)
            links.append(ChainLink(f"∂L/∂{made_name}[{sample}, {unit}]", here, number, "top",
                                   Words("handed_down", above=above, number=number)))
            return tuple(links)
        linear, number = user, number + 1
        next_user = used_by.get(linear, [None])[0]
        next_z = tensor_name(output_tensor(linear, next_user, subgraph), f"z{number}")
        weight_name = tensor_name(linear.inputs[1], f"W{number}")
        units = linear.weight.shape[0]
        largest, share = largest_terms(node_grads[linear][sample, :], linear.weight[:, unit])
        formula = Words("sum_over_units", count=units,
                        inner=f"∂L/∂{next_z}[{sample}, m] · {weight_name}[m, {unit}]")
        links.append(ChainLink(f"∂L/∂{made_name}[{sample}, {unit}]", here, number, "sum",
                               formula, units, "units", largest, share))
        if not largest:
            return tuple(links)
        unit = largest[0].position


def _activation_link(
    activation: Function, node_grads: dict[Function, np.ndarray], linear: Function,
    sample: int, unit: int, z_name: str, a_name: str, number: int,
) -> ChainLink:
    """∂L/∂z[n, u] = f′(z[n, u]) · ∂L/∂a[n, u], and f′ of this unit over the batch."""
    symbol = ACTIVATION_SYMBOLS[activation.label]
    upstream = node_grads[activation]
    slopes = slope_of(activation, upstream)
    slope, above = float(slopes[sample, unit]), float(upstream[sample, unit])
    unit_slopes = slopes[:, unit]
    zero = int(np.count_nonzero(unit_slopes == 0))
    note = Words("unit_slope", unit=unit, symbol=symbol,
                 mean=format_number(float(unit_slopes.mean()), 3), count=len(unit_slopes),
                 zeros=Words("zero_on", count=zero) if zero else "")
    formula = (f"{symbol}({z_name}[{sample}, {unit}]) · ∂L/∂{a_name}[{sample}, {unit}] = "
               f"({format_number(slope)}) · ({format_number(above)})")
    return ChainLink(f"∂L/∂{z_name}[{sample}, {unit}]", float(node_grads[linear][sample, unit]),
                     number, "activation", formula, slope=slope, note=note)
