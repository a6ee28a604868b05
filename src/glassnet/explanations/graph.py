"""The part of a graph linking ``wrt`` to ``output``, and backward sweeps over it, writing nothing.

Every gradient here comes from calling a node's own ``backward`` (its vector-Jacobian product) on
arrays this module owns; no ``.grad`` is touched and no node is released, so the graph stays
usable for a later ``backward()``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glassnet.autograd import Function, Tensor
from glassnet.autograd.engine import topological_order
from glassnet.errors import GlassnetError, GraphFreedError, ShapeError


@dataclass(frozen=True)
class Edge:
    """Input ``slot`` of ``node``: the tensor ``node.inputs[slot]`` flows into ``node``."""

    node: Function
    slot: int

    @property
    def tensor(self) -> Tensor:
        return self.node.inputs[self.slot]


@dataclass
class Arrival:
    """A gradient that reached a boundary tensor along one edge of a sweep."""

    edge: Edge
    grad: np.ndarray
    ops: tuple[str, ...]  # the kinds of op the sweep went through, output side first


@dataclass
class Subgraph:
    """The nodes of ``output``'s graph that depend on ``wrt``, in backward order."""

    output: Tensor
    wrt: Tensor
    position: dict[Function, int]  # backward order: consumers before producers
    edges: dict[Function, tuple[int, ...]] = field(default_factory=dict)  # slots leading to wrt

    def relevant_edges(self, node: Function) -> list[Edge]:
        return [Edge(node, slot) for slot in self.edges.get(node, ())]

    def first_user_of_wrt(self) -> Function | None:
        """The first node (in ``edges`` order) that takes ``wrt`` itself as an input."""
        return next((node for node in self.edges
                     if any(edge.tensor is self.wrt for edge in self.relevant_edges(node))), None)

    def path_count(self) -> int:
        """How many distinct paths (sequences of edges) lead from ``wrt`` to ``output``."""
        if self.output is self.wrt:
            return 1
        counts: dict[Function, int] = {}
        for node in sorted(self.edges, key=self.position.__getitem__, reverse=True):
            total = 0
            for edge in self.relevant_edges(node):
                tensor = edge.tensor
                total += 1 if tensor is self.wrt else counts[tensor._ctx]
            counts[node] = total
        root = self.output._ctx
        return counts.get(root, 0) if root is not None else 0


def check_arguments(output: Any, wrt: Any) -> None:
    """Raise unless ``output`` is a one-element Tensor and ``wrt`` a Tensor that requires grad."""
    for name, value in (("output", output), ("wrt", wrt)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"explain expects {name} to be a glassnet Tensor; got {type(value).__name__}."
            )
    if output.size != 1:
        raise ShapeError(
            f"explain needs a scalar output (one element); got shape {output.shape}. "
            "Reduce it first, e.g. loss.mean() or loss.sum()."
        )
    if not wrt.requires_grad:
        raise GlassnetError(
            "explain: wrt does not require grad, so autograd computes no gradient for it. "
            "Create it with requires_grad=True."
        )


def normalize_index(wrt: Tensor, index: Any) -> tuple[int, ...]:
    """The chosen element of ``wrt`` as a full, non-negative index tuple (None: wrt's only one)."""
    if index is None and wrt.size == 1:
        return (0,) * wrt.ndim
    parts = index if isinstance(index, tuple) else (index,)
    if len(parts) != wrt.ndim or not all(isinstance(p, (int, np.integer)) for p in parts):
        raise ShapeError(
            f"explain: index must be {wrt.ndim} integer(s) for wrt of shape {wrt.shape}; "
            f"got {index!r}."
        )
    normalized = []
    for part, size in zip(parts, wrt.shape, strict=True):
        if not -size <= part < size:
            raise IndexError(
                f"explain: index {index!r} is out of range for wrt of shape {wrt.shape}."
            )
        normalized.append(int(part) % size)
    return tuple(normalized)


def build_subgraph(output: Tensor, wrt: Tensor) -> Subgraph:
    """The nodes between ``wrt`` and ``output``; GraphFreedError if backward() freed them."""
    root = output._ctx
    if root is None or output is wrt:
        return Subgraph(output, wrt, {})
    order = topological_order(root)
    freed = [node for node in order if node.freed]
    if freed:
        raise GraphFreedError(
            "explain: the graph of this output was freed by backward(), so its saved values are "
            "gone. Call explain() before backward(), or call backward(retain_graph=True)."
        )
    # the engine's order (see engine.backward), so gradients meeting at a node add up alike
    subgraph = Subgraph(output, wrt, {node: -node.sequence for node in order})
    reaches: set[Function] = set()
    for node in reversed(order):  # producers first, so an input's node is settled before its users
        pairs = zip(node.inputs, node.needs_input_grad, strict=True)
        slots = tuple(
            slot
            for slot, (tensor, needed) in enumerate(pairs)
            if needed and (tensor is wrt or (tensor._ctx is not None and tensor._ctx in reaches))
        )
        if slots:
            reaches.add(node)
            subgraph.edges[node] = slots
    return subgraph


def sweep(
    subgraph: Subgraph,
    start: Tensor,
    seed: np.ndarray,
    is_boundary: Callable[[Tensor], bool],
    node_grads: dict[Function, np.ndarray] | None = None,
) -> list[Arrival]:
    """Backpropagate ``seed`` (a gradient for ``start``) until it reaches boundary tensors.

    Tensors for which ``is_boundary`` holds (always including ``wrt``) stop the sweep; each edge
    into one yields an Arrival, so a boundary tensor used twice receives two. Gradients meeting at
    a non-boundary tensor are summed, as the engine does, in the same order. ``node_grads``, when
    given, receives each node's summed output gradient as the node runs.
    """
    root = start._ctx
    if root is None or root not in subgraph.edges:
        return []
    pending: dict[Function, np.ndarray] = {root: seed}
    # the op labels met on the way to each node, as an ordered set: a few kinds, not every node
    routes: dict[Function, dict[str, None]] = {root: {}}
    queue = [(subgraph.position[root], root)]  # a node runs once all its users have run
    arrivals: list[Arrival] = []
    while queue:
        _, node = heapq.heappop(queue)
        node_grad = pending.pop(node)
        if node_grads is not None:
            node_grads[node] = node_grad
        labels_met = routes.pop(node)
        labels_met.setdefault(node.label)
        ops = tuple(labels_met)
        input_grads = node.backward(node_grad)
        for edge in subgraph.relevant_edges(node):
            grad = input_grads[edge.slot]
            if type(grad) is not np.ndarray:  # NumPy turns 0-d results into scalars
                grad = np.asarray(grad)
            tensor = edge.tensor
            if tensor is subgraph.wrt or is_boundary(tensor):
                arrivals.append(Arrival(edge, grad, ops))
                continue
            producer = tensor._ctx
            previous = pending.get(producer)
            if previous is None:
                pending[producer], routes[producer] = grad, dict(labels_met)
                heapq.heappush(queue, (subgraph.position[producer], producer))
            else:
                pending[producer] = previous + grad
                routes[producer].update(labels_met)
    return arrivals


def gradient_of_wrt(subgraph: Subgraph, index: tuple[int, ...]) -> float:
    """∂output/∂wrt[index], summed over every path exactly as the engine would."""
    total, _ = full_gradients(subgraph)
    return float(total[index]) if total.ndim else float(total)


def full_gradients(subgraph: Subgraph) -> tuple[np.ndarray, dict[Function, np.ndarray]]:
    """∂output/∂wrt (wrt's shape) and, for each node between them, ∂output/∂(its output).

    One backward sweep, summing where paths meet exactly as the engine does.
    """
    output, wrt = subgraph.output, subgraph.wrt
    if output is wrt:
        return np.ones(wrt.shape, dtype=wrt.dtype), {}
    seed = np.ones(output.shape, dtype=output.dtype)
    node_grads: dict[Function, np.ndarray] = {}
    arrivals = sweep(subgraph, output, seed, lambda tensor: False, node_grads)
    if not arrivals:
        return np.zeros(wrt.shape, dtype=wrt.dtype), node_grads
    total = arrivals[0].grad
    for arrival in arrivals[1:]:
        total = total + arrival.grad
    return total, node_grads
