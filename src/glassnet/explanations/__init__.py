"""The chain rule, with numbers: ``gn.explain(loss, w1)`` shows how ∂loss/∂w1 is built.

``explain`` (also ``gn.explain``) follows the graph back from the loss; ``records`` holds what it
returns (Explanation, its Steps, Terms and Factors).
"""

from glassnet.explanations.core import MAX_TERMS, explain
from glassnet.explanations.records import Explanation, Factor, Step, Term

__all__ = ["MAX_TERMS", "Explanation", "Factor", "Step", "Term", "explain"]
