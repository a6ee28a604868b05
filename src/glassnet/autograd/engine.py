"""Reverse-mode differentiation: walk the graph backwards, applying each node's chain rule once."""

from __future__ import annotations

from heapq import heappop, heappush
from typing import TYPE_CHECKING

import numpy as np

from glassnet.errors import GraphFreedError

if TYPE_CHECKING:
    from glassnet.autograd.function import Function
    from glassnet.autograd.tensor import Tensor


def topological_order(root: Function) -> list[Function]:
    """The nodes reachable from ``root``, each after every node that uses its output (for
    ``gn.explain``, which needs the whole graph; backward() visits only where gradients flow).

    Iterative depth-first search, so a graph thousands of ops deep cannot hit Python's recursion
    limit.
    """
    order: list[Function] = []
    seen = {root}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, parents = stack[-1]
        for tensor in parents:
            parent = tensor._ctx
            if parent is not None and parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


def backward(root: Tensor, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) · grad into ``.grad`` of every leaf that requires grad.

    Nodes run from the most recently made down (see ``Function.sequence``): every user of a
    node's output was made after it, so has handed over its gradient by then. A heap of the
    nodes that have received one replaces sorting the whole graph first.
    """
    start = root._ctx
    pending: dict[Function, np.ndarray] = {start: grad}
    queue = [(-start.sequence, start)]
    while queue:
        node = heappop(queue)[1]
        if node.freed:
            raise GraphFreedError(
                "Trying to backward through the graph a second time: its saved values were freed "
                "by the first backward(). Call backward(retain_graph=True) the first time."
            )
        node_grad = pending.pop(node)
        input_grads = node.backward(node_grad)
        needs = node.needs_input_grad
        # backward returns one gradient per input (Function's contract); no strict= to check
        # it here, since a keyword argument makes this call ~1k instructions dearer, per node
        for tensor, input_grad, needed in zip(node.inputs, input_grads, needs):  # noqa: B905
            # None: no gradient flows there (e.g. a loss's target)
            if not needed or input_grad is None:
                continue
            if type(input_grad) is not np.ndarray:  # NumPy turns 0-d results into scalars
                input_grad = np.asarray(input_grad)
            parent = tensor._ctx
            if parent is not None:
                previous = pending.get(parent)
                if previous is None:
                    pending[parent] = input_grad
                    heappush(queue, (-parent.sequence, parent))
                else:
                    pending[parent] = previous + input_grad
            elif tensor.grad is None:
                # A gradient that is the node's own grad, or a view of one, may be shared with
                # a sibling; the leaf must own its .grad because optimizers update it in place.
                if input_grad.dtype != tensor.data.dtype:
                    input_grad = input_grad.astype(tensor.data.dtype)
                elif input_grad is node_grad or input_grad.base is not None:
                    input_grad = input_grad.copy()
                tensor.grad = input_grad
            else:
                tensor.grad += input_grad
        if not retain_graph:
            node.release()
