"""The chain rule, with numbers: ``gn.explain(loss, w1)`` shows how ∂loss/∂w1 is built.

``glassnet`` binds the name ``explain`` to the function, so reach the modules of this package
with ``from glassnet.explain.model import Term`` (``import glassnet.explain.model`` would find
the function under ``glassnet.explain``).
"""

from glassnet.explain.core import MAX_TERMS, explain
from glassnet.explain.model import Explanation, Factor, Step, Term

__all__ = ["MAX_TERMS", "Explanation", "Factor", "Step", "Term", "explain"]
