"""``explain(output, wrt, index)``: ∂output/∂wrt read from the graph, path by path, with numbers."""

from __future__ import annotations

from typing import Any

from glassnet.autograd import Tensor
from glassnet.explanations.graph import (
    build_subgraph,
    check_arguments,
    gradient_of_wrt,
    normalize_index,
)
from glassnet.explanations.paths import Labeller, TooManyTerms, walk
from glassnet.explanations.records import Explanation, Term

MAX_TERMS = 64


def explain(
    output: Tensor, wrt: Tensor, index: Any = None, *, max_terms: int = MAX_TERMS
) -> Explanation:
    """The chain rule for ∂output/∂wrt[index], with the numbers, read from the graph.

    ``output`` is a one-element Tensor whose graph is still alive (call this before
    ``backward()``, or after ``backward(retain_graph=True)``); ``wrt`` is any tensor of that
    graph that requires grad, and ``index`` picks one of its elements when it has more than one.

    Returns an Explanation whose ``value`` is the gradient autograd would compute, and whose
    ``terms`` split it into one term per path from wrt to the output (each a product of local
    derivatives). When there are more than ``max_terms`` paths, paths through the same named
    tensors (``tensor.name``) are grouped into one term; if that is still too many, paths are
    grouped by each use of ``wrt``. Nothing is written to any ``.grad`` and the graph is left
    as it was.

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
    element = normalize_index(wrt, index)
    subgraph = build_subgraph(output, wrt)
    value = gradient_of_wrt(subgraph, element)
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
    return Explanation(
        output_label=labels.output_label,
        wrt_label=labels.wrt_label,
        index=element if wrt.size != 1 else None,
        value=value,
        terms=tuple(terms),
        grouping=grouping,
        path_count=count,
    )
