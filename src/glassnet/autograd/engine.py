"""Reverse-mode differentiation: walk the graph backwards, applying each node's chain rule once."""

from __future__ import annotations

from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet.autograd import dtypes
from glassnet.errors import GlassnetError, GraphFreedError

if TYPE_CHECKING:
    from glassnet.autograd.function_and_tensor import Function, Tensor


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


def backward(root: Tensor, grad: Any = None, retain_graph: bool = False) -> None:
    """``root.backward(grad)``: the seed gradient checked, then ``propagate``."""
    if not root.requires_grad:
        raise GlassnetError(
            "backward() on a tensor that does not require grad: no input of its graph has "
            "requires_grad=True (or it was computed under no_grad)."
        )
    if grad is None:
        if root.data.size != 1:
            raise GlassnetError(
                f"backward() without a gradient needs a scalar; this tensor has shape "
                f"{root.shape}. Reduce it first (e.g. loss.mean()) or pass grad= of that shape."
            )
        # shared and read-only: backward never writes into a gradient it is given
        grad_array = dtypes.scalar_one(root.data.dtype)
        if root.data.shape:
            grad_array = grad_array.reshape(root.data.shape)
    else:
        grad_array = dtypes.as_array(grad, dtype=root.dtype)
        if grad_array.shape != root.shape:
            raise GlassnetError(
                f"backward(grad) needs grad of shape {root.shape}; got {grad_array.shape}."
            )
    if root._ctx is None:
        root.grad = grad_array.copy() if root.grad is None else root.grad + grad_array
        return
    propagate(root, grad_array, retain_graph=retain_graph)


def propagate(root: Tensor, grad: np.ndarray, retain_graph: bool = False) -> None:
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
        # backward returns one gradient per input (Function's contract); not checked with
        # strict=, since a keyword argument makes this call dearer on every node
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
