"""Walk the paths from the output down to ``wrt`` and write each as a product of local derivatives.

Two gradients travel down each path, both by the nodes' own backward (VJP):

* ``grad``: ∂output/∂(current tensor) along this path only, seeded with 1 at the output. Where
  the path reaches ``wrt`` its element ``index`` is the path's contribution, exact whatever the
  shapes in between.
* ``unit``: ∂top/∂(current tensor), seeded with 1 at the factor's top tensor (the last named
  tensor passed) while that tensor is a single number. Where the factor closes, at the next
  named tensor, its value is the factor's number.

A tensor is a "boundary" where a sweep stops and the path can branch: every tensor when each
path is listed, only named tensors (and ``wrt``) when paths are grouped by named tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.autograd import Function, Tensor
from glassnet.explanations.graph import Arrival, Subgraph, sweep
from glassnet.explanations.records import Factor, Step, Term
from glassnet.explanations.symbols import local_symbol

UNFOLDED_STEPS = 8  # a path without named tensors and at most this many ops shows every op


class TooManyTerms(Exception):
    """Raised inside the walk when a grouping would produce more terms than allowed."""


# A path grows one item at a time and shares its beginning with its branches, so its lists are
# linked: (last item, rest) or None. Growing is O(1); unrolling, once per factor, is O(length).
Chain = tuple[Any, "Chain"] | None


def _unroll(chain: Chain) -> tuple:
    items = []
    while chain is not None:
        item, chain = chain
        items.append(item)
    return tuple(reversed(items))


@dataclass(frozen=True)
class _State:
    """A partly walked path: everything from the output down to ``tensor``."""

    tensor: Tensor
    grad: np.ndarray
    factors: Chain  # closed factors, output side first
    top: Tensor  # where the open factor starts
    unit: np.ndarray | None  # ∂top/∂tensor along the open factor, while top is a single number
    steps: Chain  # the open factor's Steps
    ops: Chain  # the open factor's op labels, a tuple per sweep
    route: Chain  # "op[slot]" per edge


class Labeller:
    """Tensor labels as explanations print them: the user's ``name``, else the op in brackets."""

    def __init__(self, output: Tensor, wrt: Tensor, index: tuple[int, ...]) -> None:
        self.output, self.wrt, self.index = output, wrt, index
        self.output_label = output.name or "L"
        wrt_name = wrt.name or "wrt"
        self.wrt_label = wrt_name if wrt.size == 1 else f"{wrt_name}[{', '.join(map(str, index))}]"

    def __call__(self, tensor: Tensor) -> str:
        if tensor is self.output:
            return self.output_label
        if tensor is self.wrt:
            return self.wrt_label
        if tensor.name:
            return tensor.name
        return f"[{tensor._ctx.label}]" if tensor._ctx is not None else "[constant]"

    def shape(self, tensor: Tensor) -> tuple[int, ...]:
        return () if tensor is self.wrt else tensor.shape  # one element of wrt is chosen


def walk(
    subgraph: Subgraph,
    index: tuple[int, ...],
    is_boundary: Callable[[Tensor], bool],
    max_terms: int | None,
) -> list[Term]:
    """Every path (or group of paths) from wrt to the output as a Term, in the graph's order."""
    labels = Labeller(subgraph.output, subgraph.wrt, index)
    output = subgraph.output
    seed = np.ones(output.shape, dtype=output.dtype)
    stack = [_State(output, seed, None, output, seed, None, None, None)]
    local_slopes: dict[Function, tuple] = {}
    terms: list[Term] = []
    while stack:
        state = stack.pop()
        arrivals = sweep(subgraph, state.tensor, state.grad, is_boundary)
        units = _unit_sweep(subgraph, state, is_boundary, arrivals)
        children = []
        for arrival, unit in zip(arrivals, units, strict=True):
            step = _step(arrival, state.tensor, labels, local_slopes)
            child = _advance(state, arrival, unit, step, labels)
            if isinstance(child, Term):
                terms.append(child)
            else:
                children.append(child)
        stack.extend(reversed(children))  # depth first, lowest slot first
        if max_terms is not None and len(terms) + len(stack) > max_terms:
            raise TooManyTerms
    return terms


def _unit_sweep(
    subgraph: Subgraph,
    state: _State,
    is_boundary: Callable[[Tensor], bool],
    arrivals: list[Arrival],
) -> list[np.ndarray | None]:
    if state.unit is None:
        return [None] * len(arrivals)
    if state.unit is state.grad:  # at the output both seeds are the same ones
        return [arrival.grad for arrival in arrivals]
    return [arrival.grad for arrival in sweep(subgraph, state.tensor, state.unit, is_boundary)]


def _step(
    arrival: Arrival, above: Tensor, labels: Labeller, local_slopes: dict[Function, tuple]
) -> Step | None:
    """The op of a one-node sweep as a Step (None when the sweep crossed several nodes)."""
    node, slot = arrival.edge.node, arrival.edge.slot
    if above._ctx is not node:
        return None
    below = arrival.edge.tensor
    value = None
    if above.size == 1 and (below.size == 1 or below is labels.wrt):
        if node not in local_slopes:
            local_slopes[node] = node.backward(np.ones(above.shape, dtype=above.dtype))
        slope = np.asarray(local_slopes[node][slot])
        value = float(slope[labels.index] if below is labels.wrt else slope.reshape(()))
    symbol = local_symbol(node, slot) if value is not None else None
    return Step(node.label, slot, labels(above), labels(below), value, labels.shape(above),
                labels.shape(below), symbol)


def _advance(
    state: _State, arrival: Arrival, unit: np.ndarray | None, step: Step | None, labels: Labeller
) -> _State | Term:
    """Move the path one boundary down: close the open factor at a named tensor or at wrt."""
    below = arrival.edge.tensor
    steps = (step, state.steps) if step is not None else state.steps
    ops = (arrival.ops, state.ops)
    route = (f"{arrival.edge.node.label}[{arrival.edge.slot}]", state.route)
    is_wrt = below is labels.wrt
    if not (is_wrt or below.name):
        return _State(below, arrival.grad, state.factors, state.top, unit, steps, ops, route)
    value = None
    if unit is not None and (is_wrt or below.size == 1):
        value = float(unit[labels.index]) if is_wrt else float(unit.reshape(()))
    closed_steps = _unroll(steps)
    factor = Factor(labels(state.top), labels(below), value, labels.shape(state.top),
                    labels.shape(below), _distinct(_unroll(ops)), closed_steps)
    factors = (factor, state.factors)
    if is_wrt:
        all_factors = _unroll(factors)
        if len(all_factors) == 1 and 1 < len(closed_steps) <= UNFOLDED_STEPS:
            all_factors = tuple(_step_factor(s) for s in closed_steps)  # nothing named: each op
        product = arrival.grad[labels.index]
        return Term(all_factors, float(product), _unroll(route))
    fresh = np.ones(below.shape, dtype=below.dtype) if below.size == 1 else None
    return _State(below, arrival.grad, factors, below, fresh, None, None, route)


def _distinct(op_groups: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    """The op labels in path order; a long path repeats a few kinds, so keep each kind once
    when the factor folds more than UNFOLDED_STEPS ops."""
    labels = tuple(op for group in op_groups for op in group)
    return labels if len(labels) <= UNFOLDED_STEPS else tuple(dict.fromkeys(labels))


def _step_factor(step: Step) -> Factor:
    return Factor(step.output, step.input, step.value, step.output_shape, step.input_shape,
                  (step.op,), (step,))
