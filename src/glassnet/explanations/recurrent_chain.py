"""The gradient of one weight (or bias) of a recurrent layer as its sum over the time steps.

A layer op (RNN, GRU, LSTM: one per layer and direction) applies the same weights at every
step, so their gradient is a sum over the steps t (and the samples n):

    ∂L/∂W_ih[i, j] = Σ_t Σ_n ∂L/∂gates_x[t, n, i] · x_t[n, j],
    ∂L/∂W_hh[i, j] = Σ_t Σ_n ∂L/∂gates_h[t, n, i] · h_{t−1}[n, j],
    ∂L/∂b_ih[i] = Σ_t Σ_n ∂L/∂gates_x[t, n, i],   ∂L/∂b_hh[i] likewise with gates_h.

The gate gradients come from the op's own backward through time (``gate_gradients``), run on
the total gradient of its output; the steps are listed by size, each with its share of Σ|term|:
which steps the weight learns from (for a long sequence, often only the last few). The ops are
recognised by what they offer (``RecurrentOp``): explanations import nothing of functional.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from glassnet.autograd import Function
from glassnet.explanations.graph import Subgraph
from glassnet.explanations.records import format_number
from glassnet.explanations.wording import Words, gate_words, say

LARGEST_STEPS = 5  # steps shown (and kept) by size
ROLES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


@dataclass(frozen=True)
class TimeStepSum:
    """∂L/∂wrt[index] = Σ over ``steps`` time steps: the ``largest`` (step, term) pairs by
    |term|, each with its share of Σ|term| (``shares``); ``gate`` says which gate and unit the
    weight's row feeds."""

    quantity: str
    value: float
    formula: str
    gate: str
    steps: int
    largest: tuple[tuple[int, float], ...]
    shares: tuple[float, ...]

    def format(self, language: str = "en") -> list[str]:
        lines = [f"{self.quantity} = {say(self.formula, language)} = {format_number(self.value)}",
                 f"    {say(self.gate, language)}"]
        if not self.largest:
            return [*lines, "    " + Words("every_step_zero", count=self.steps).say(language)]
        terms = "; ".join(f"t={step}: {format_number(term)} ({round(100 * share)} %)"
                          for (step, term), share in zip(self.largest, self.shares, strict=True))
        total = round(100 * sum(self.shares))
        share = Words("steps_share", shown=len(self.largest), count=self.steps, share=total)
        return [*lines, "    " + Words("largest_steps", terms=terms).say(language),
                "    " + share.say(language)]


class RecurrentOp(Protocol):
    """What glassnet.functional.recurrent_ops' layer ops keep and offer (see RecurrentLayer)."""

    x: np.ndarray  # (T, N, I)
    h0: np.ndarray  # (N, H)
    states: np.ndarray  # (T, N, H), in time order
    reverse: bool
    state_inputs: int  # 1 (h₀) or 2 (h₀, c₀): the inputs between x and W_ih
    gate_names: tuple[str, ...]
    label: str

    def gate_gradients(self, grad: np.ndarray) -> tuple[np.ndarray, ...]: ...


def _previous_states(op: RecurrentOp) -> np.ndarray:
    """h_{t−1} for every step t: (T, N, H)."""
    states = op.states
    before = np.empty_like(states)
    if op.reverse:
        before[:-1], before[-1] = states[1:], op.h0
    else:
        before[1:], before[0] = states[:-1], op.h0
    return before


def recurrent_chain(
    subgraph: Subgraph,
    node_grads: dict[Function, np.ndarray],
    value: float,
    index: tuple[int, ...],
    wrt_label: str,
) -> tuple[TimeStepSum, ...]:
    """The sum over time steps when wrt is used once, as a weight or bias of a recurrent layer
    op; else ()."""
    uses = [(node, slot) for node, slots in subgraph.edges.items() for slot in slots
            if node.inputs[slot] is subgraph.wrt]
    if len(uses) != 1 or not hasattr(uses[0][0], "gate_gradients"):
        return ()
    op: RecurrentOp = uses[0][0]  # type: ignore[assignment]
    slot = uses[0][1]
    role = ROLES[slot - 1 - op.state_inputs] if slot > op.state_inputs else None
    if role is None:
        return ()
    grad_gates_x, grad_gates_h, *_ = op.gate_gradients(node_grads[op])
    row = index[0]
    gate_gradient = (grad_gates_x if role.endswith("ih") else grad_gates_h)[:, :, row]
    gates = "gates_x" if role.endswith("ih") else "gates_h"
    length, batch = gate_gradient.shape
    if role.startswith("bias"):
        terms = gate_gradient.sum(axis=1)
        inner = f"∂L/∂{gates}[t, n, {row}]"
    else:
        column = index[1]
        inputs = op.x if role == "weight_ih" else _previous_states(op)
        terms = (gate_gradient * inputs[:, :, column]).sum(axis=1)
        source = f"x_t[n, {column}]" if role == "weight_ih" else f"h_(t−1)[n, {column}]"
        inner = f"∂L/∂{gates}[t, n, {row}] · {source}"
    formula = Words("sum_over_time_steps", steps=length, count=batch, inner=inner)
    hidden = op.states.shape[-1]
    direction = Words("reverse_direction" if op.reverse else "forward_direction")
    gate = Words("row_feeds", row=row, gate=gate_words(op.gate_names[row // hidden]),
                 unit=row % hidden, layer=op.label, direction=direction)
    sizes = np.abs(terms)
    total = float(sizes.sum())
    largest: tuple[tuple[int, float], ...] = ()
    shares: tuple[float, ...] = ()
    if total > 0:
        order = np.argsort(-sizes, kind="stable")[:LARGEST_STEPS]
        order = order[sizes[order] > 0]  # a step that gives 0 is not among the largest
        largest = tuple((int(t), float(terms[t])) for t in order)
        shares = tuple(float(sizes[t]) / total for t in order)
    # an unnamed weight is called by its role in the layer (weight_hh), not "wrt"
    name = wrt_label if subgraph.wrt.name else f"{role}[{', '.join(map(str, index))}]"
    return (TimeStepSum(f"∂L/∂{name}", value, formula, gate, length, largest, shares),)
