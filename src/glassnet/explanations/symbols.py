"""A local derivative written as the tutorial writes it: ∂y_pred/∂h1 = f′(w5·h1 + w6·h2 + b3) · w5.

``local_symbol(node, slot)`` names ∂output/∂input of one op on single numbers with the names of
the graph's tensors: the other factor of a product, ±1 for a sum, f′(the expression it was
applied to) for an activation. Unnamed results are written out as the expression that made them,
a few ops deep; where that is not possible the answer is None and the op form is kept.
"""

from __future__ import annotations

from glassnet.autograd import Function, Tensor
from glassnet.explanations.records import format_number

EXPRESSION_OPS = 8  # an unnamed result made by more ops than this is not written out
SLOPE_NAMES = {"sigmoid": "f′", "tanh": "tanh′", "relu": "ReLU′", "exp": "exp"}


def expression(tensor: Tensor, budget: list[int]) -> str | None:
    """The tensor as a formula of named tensors and constants (None past EXPRESSION_OPS ops)."""
    if tensor.name:
        return tensor.name
    node = tensor._ctx
    if node is None:
        return format_number(float(tensor.data.reshape(()))) if tensor.size == 1 else None
    budget[0] -= 1
    if budget[0] < 0 or node.label not in ("add", "sub", "mul"):
        return None
    left, right = (expression(operand, budget) for operand in node.inputs)
    if left is None or right is None:
        return None
    if node.label == "mul":
        return f"{_grouped(left)}·{_grouped(right)}"
    if node.label == "add":
        return f"{left} + {right}"
    return f"{left} − {_grouped(right)}"


def _grouped(text: str) -> str:
    return f"({text})" if " " in text else text


def local_symbol(node: Function, slot: int) -> str | None:
    """∂(node's output)/∂(its input ``slot``) in names, or None when it cannot be written so."""
    label = node.label
    if label == "add":
        return "1"
    if label == "sub":
        return "1" if slot == 0 else "−1"
    if label == "neg":
        return "−1"
    if label == "mul" and len(node.inputs) == 2:
        return expression(node.inputs[1 - slot], [EXPRESSION_OPS])
    inner = expression(node.inputs[0], [EXPRESSION_OPS]) if node.inputs else None
    if inner is None:
        return None
    if label in SLOPE_NAMES:
        return f"{SLOPE_NAMES[label]}({inner})"
    exponent = getattr(node, "exponent", None)
    if label.startswith("pow") and isinstance(exponent, (int, float)):
        if exponent == 2:
            return f"2·({inner})"
        return f"{format_number(exponent)}·({inner})^{format_number(exponent - 1)}"
    return None
