"""``explain(output, wrt, index)``: ∂output/∂wrt read from the graph, path by path, with numbers."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.autograd import Function, Tensor
from glassnet.explanations.convolution_chain import convolution_chain
from glassnet.explanations.element_chain import element_chain
from glassnet.explanations.embedding_chain import embedding_chain
from glassnet.explanations.graph import (
    Subgraph,
    build_subgraph,
    check_arguments,
    full_gradients,
    normalize_index,
)
from glassnet.explanations.layer_records import Magnitude
from glassnet.explanations.layers import layer_records, strongest_factor
from glassnet.explanations.normalization_chain import normalization_chain
from glassnet.explanations.paths import Labeller, TooManyTerms, walk
from glassnet.explanations.records import Explanation, Term
from glassnet.explanations.recurrent_chain import recurrent_chain

MAX_TERMS = 64


def explain(
    output: Tensor, wrt: Tensor, index: Any = None, *, max_terms: int = MAX_TERMS
) -> Explanation:
    """The chain rule for ∂output/∂wrt[index], with the numbers, read from the graph.

    ``output`` is a one-element Tensor whose graph is still alive (call this before
    ``backward()``, or after ``backward(retain_graph=True)``); ``wrt`` is any tensor of that
    graph that requires grad, and ``index`` picks one of its elements when it has more than one.

    Without ``index`` on a wrt of several elements, the explanation is a summary of the whole
    gradient: its size, and for each Linear or convolution layer on the path the
    gradient's size before and after the activation, the activation's derivative on the batch,
    the weight's scale and how much each factor scales the gradient (``Explanation.layers``).
    With ``index`` on a weight or bias of a Linear + activation chain, ``Explanation.links``
    writes the chain rule layer by layer with the largest terms of each sum; on a weight or
    bias of a convolution (``F.conv1d``, ``nn.Conv2d``, …), its sum over the output positions.

    Returns an Explanation whose ``value`` is the gradient autograd would compute, and whose
    ``terms`` split it into one term per path from wrt to the output (each a product of local
    derivatives). When there are more than ``max_terms`` paths, paths through the same named
    tensors (``tensor.name``) are grouped into one term; if that is still too many, paths are
    grouped by each use of ``wrt``. Nothing is written to any ``.grad`` and the graph is left
    as it was. ``print`` writes it in English; ``.format(language="zh")`` in Chinese.

    >>> import glassnet as gn
    >>> w = gn.tensor(0.5, requires_grad=True, dtype="float64", name="w")
    >>> h = (w * 2.0).sigmoid()
    >>> h.name = "h"
    >>> print(gn.explain(h * h, w))  # h is used twice: two paths
    ∂L/∂w: 2 paths
      ∂L/∂h · ∂h/∂w = (0.7311) · (0.3932) = 0.2875   [via mul[0] ← sigmoid[0] ← mul[0]]
      ∂L/∂h · ∂h/∂w = (0.7311) · (0.3932) = 0.2875   [via mul[1] ← sigmoid[0] ← mul[0]]
    ∂L/∂w = 0.2875 + 0.2875 = 0.5749
    """
    check_arguments(output, wrt)
    whole = index is None and wrt.size != 1
    element = None if whole else normalize_index(wrt, index)
    subgraph = build_subgraph(output, wrt)
    gradient, node_grads = full_gradients(subgraph)
    if element is None:
        return _summary(output, wrt, subgraph, gradient, node_grads)
    value = float(gradient[element]) if gradient.ndim else float(gradient)
    labels = Labeller(output, wrt, element)
    count = subgraph.path_count()
    grouping = "path"
    if output is wrt:
        terms: list[Term] = [Term((), 1.0)]
    elif count == 0:
        terms = []
    elif count <= max_terms:
        terms = walk(subgraph, element, lambda tensor: True, None)
    else:
        try:
            terms = walk(subgraph, element, lambda tensor: bool(tensor.name), max_terms)
            grouping = "named"
        except TooManyTerms:
            terms = walk(subgraph, element, lambda tensor: False, None)
            grouping = "use"
    links = ()
    if wrt.size != 1 and count == 1:  # one path: each layer's sum is the whole gradient
        links = (element_chain(subgraph, node_grads, value, element, labels.wrt_label)
                 or convolution_chain(subgraph, node_grads, value, element, labels.wrt_label)
                 or embedding_chain(subgraph, node_grads, value, element, labels.wrt_label)
                 or normalization_chain(subgraph, node_grads, value, element,
                                        labels.wrt_label))
    if not links and wrt.size != 1:  # a recurrent weight: its sum over the time steps
        links = recurrent_chain(subgraph, node_grads, value, element, labels.wrt_label)
    return Explanation(
        output_label=labels.output_label,
        wrt_label=labels.wrt_label,
        index=element if wrt.size != 1 else None,
        value=value,
        terms=tuple(terms),
        grouping=grouping,
        path_count=count,
        links=links,
    )


def _summary(
    output: Tensor,
    wrt: Tensor,
    subgraph: Subgraph,
    gradient: np.ndarray,
    node_grads: dict[Function, np.ndarray],
) -> Explanation:
    """The whole-tensor explanation: sizes and factors per Linear layer on the path."""
    records = layer_records(subgraph, node_grads, gradient)
    return Explanation(
        output_label=output.name or "L",
        wrt_label=wrt.name or "wrt",
        index=None,
        value=None,
        terms=(),
        grouping="path",
        path_count=subgraph.path_count(),
        layers=tuple(records),
        gradient=Magnitude.of(gradient),
        strongest=strongest_factor(records),
    )
