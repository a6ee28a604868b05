"""The chain rule for one weight (or bias) of a convolution: a sum over the output positions.

For conv1d, y[n, o, l] = b[o] + Σ_{c, k} W[o, c, k] · x_pad[n, c′, l·stride + k·dilation], so

    ∂L/∂W[o, c, k] = Σ over n and l of ∂L/∂y[n, o, l] · x_pad[n, c′, l·stride + k·dilation]
    ∂L/∂b[o]       = Σ over n and l of ∂L/∂y[n, o, l]

(c′: channel c of o's group; conv2d the same over (h, w)). The sum is shown by its largest
terms and their share, then the gradient the ops above hand the largest term's position. The x
values are the ones the forward pass multiplied: the op's im2col ``columns``, which backward
uses for ∂W too.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import Function
from glassnet.explanations.element_chain import largest_terms, placed
from glassnet.explanations.graph import Subgraph
from glassnet.explanations.layer_records import POSITION_NAMES, ChainLink
from glassnet.explanations.layers import (
    consumers,
    input_name,
    is_convolution,
    layer_number,
    op_name,
    output_tensor,
    tensor_name,
)
from glassnet.explanations.wording import Words


def _read(axis: str, stride: int, offset: int) -> str:
    """The input index a position reads, as text: 2l+1, h−1, w."""
    text = axis if stride == 1 else f"{stride}{axis}"
    if offset:
        text += f"+{offset}" if offset > 0 else f"−{-offset}"
    return text


def convolution_chain(
    subgraph: Subgraph,
    node_grads: dict[Function, np.ndarray],
    value: float,
    index: tuple[int, ...],
    wrt_label: str,
) -> tuple[ChainLink, ...]:
    """The links for wrt[index] when wrt is the weight or bias of a convolution; else ().
    The caller makes sure the subgraph has one path."""
    conv = subgraph.first_user_of_wrt()
    if conv is None or not is_convolution(conv):
        return ()
    [slot] = subgraph.edges[conv]
    if slot == 0:
        return ()
    number = layer_number(conv)
    user = consumers(subgraph).get(conv, [None])[0]
    y_name = tensor_name(output_tensor(conv, user, subgraph), f"z{number}")
    grad_y = node_grads[conv]  # (N, O, *out)
    batch, out_channels, *out = grad_y.shape
    unit = index[0]
    axes = POSITION_NAMES[1 + len(out)][1:-1].split(", ")  # n, then l or h, w
    positions = f"({', '.join(axes)})"
    count = f"{batch}×{'×'.join(map(str, out))}"
    left = grad_y[:, unit].reshape(-1)  # over (n, *p), in that order
    gradient = f"∂L/∂{y_name}[n, {unit}, {', '.join(axes[1:])}]"
    if slot == 1:
        channel, offset = index[1], index[2:]
        groups, kernel = conv.groups, conv.kernel
        group = unit // (out_channels // groups)
        row = channel * math.prod(kernel) + int(np.ravel_multi_index(offset, kernel))
        # the values this weight multiplied: its row of im2col's columns, laid out (*out, N)
        read = conv.columns[group, row].reshape(*out, batch)
        right = np.moveaxis(read, -1, 0).reshape(-1)
        reads = ", ".join(
            _read(axis, step, k * spacing - before)
            for axis, step, k, spacing, (before, _) in zip(
                axes[1:], conv.stride, offset, conv.dilation, conv.padding, strict=True)
        )
        x_name = input_name(conv.inputs[0], number)
        source_channel = group * conv.inputs[1].shape[1] + channel
        formula = Words("sum_over_positions", count=count, positions=positions,
                        inner=f"{gradient} · {x_name}[n, {source_channel}, {reads}]")
        padded = any(before or after for before, after in conv.padding)
        bounds = ", ".join(f"0 ≤ {_read(axis, step, k * spacing - before)} < {length}"
                           for axis, step, k, spacing, (before, _), length in zip(
                               axes[1:], conv.stride, offset, conv.dilation, conv.padding,
                               conv.inputs[0].shape[2:], strict=True))
        note = Words("zero_padding", bounds=bounds) if padded else ""
    else:
        right = np.ones_like(left)
        formula = Words("sum_over_positions", count=count, positions=positions, inner=gradient)
        note = ""
    largest, share = largest_terms(left, right)
    shape = (batch, *out)
    largest = placed(largest, lambda position: np.unravel_index(position, shape))
    links = [ChainLink(f"∂L/∂{wrt_label}", value, number, "sum", formula, left.size,
                       "positions", largest, share, note=note)]
    if largest:
        sample, *position = largest[0].position
        where = ", ".join(map(str, position))
        above = op_name(user)
        links.append(ChainLink(f"∂L/∂{y_name}[{sample}, {unit}, {where}]",
                               float(grad_y[(sample, unit, *position)]), number, "top",
                               Words("handed_down", above=above, number=number)))
    return tuple(links)
