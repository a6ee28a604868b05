"""The chain rule, with numbers: ``gn.explain(loss, w1)`` shows how ∂loss/∂w1 is built.

Every submodule is imported here, before ``glassnet`` binds the name ``explain`` to the function.
"""

from glassnet.explain.core import MAX_TERMS, explain
from glassnet.explain.graph import build_subgraph, gradient_of_wrt
from glassnet.explain.model import Explanation, Factor, Step, Term
from glassnet.explain.paths import walk

__all__ = [
    "MAX_TERMS",
    "Explanation",
    "Factor",
    "Step",
    "Term",
    "build_subgraph",
    "explain",
    "gradient_of_wrt",
    "walk",
]
