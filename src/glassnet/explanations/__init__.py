"""The chain rule, with numbers: ``gn.explain(loss, w1)`` shows how ∂loss/∂w1 is built.

``explain`` (also ``gn.explain``) follows the graph back from the loss; ``records`` holds what it
returns (Explanation, its Steps, Terms and Factors), ``layer_records`` what it keeps about the
Linear layers of a real network (LayerRecord, Magnitude, Slopes; ChainLink, SumTerm).
"""

from glassnet.explanations.core import MAX_TERMS, explain
from glassnet.explanations.layer_records import (
    ChainLink,
    LayerRecord,
    Magnitude,
    Slopes,
    SumTerm,
)
from glassnet.explanations.records import Explanation, Factor, Step, Term

__all__ = [
    "MAX_TERMS",
    "ChainLink",
    "Explanation",
    "Factor",
    "LayerRecord",
    "Magnitude",
    "Slopes",
    "Step",
    "SumTerm",
    "Term",
    "explain",
]
