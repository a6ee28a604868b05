"""The node of the graph: a ``Function`` computes its forward value and, next to it, its backward.

A subclass implements ``forward(*arrays) -> array`` (saving on ``self`` exactly what backward
needs) and ``backward(grad) -> tuple`` (one gradient per input, ``None`` where not needed). Backward
must not modify ``grad`` or the saved arrays in place: ``gn.explain`` replays backward on the same
node. ``op.apply(*tensors)`` (or ``op(*tensors)``) applies the op and records it in the graph;
``op.forward(*arrays)`` called directly computes the value alone (inference uses that, see
``Sequential``).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet.autograd.grad_mode import grad_enabled

if TYPE_CHECKING:
    from glassnet.autograd.tensor import Tensor


# Filled in by tensor.py, which imports this module: the class every op's output is made of.
TENSOR_CLASS: list[type] = []
# Outputs are made without Tensor.__init__: their data is an ndarray the op just computed, so the
# conversion and dtype checks that guard user input would only cost time on every op.
_new_tensor = object.__new__
# Numbers the nodes in the order they are made. A node is made after the nodes that made its
# inputs, so visiting nodes from the highest number down is a topological order (PyTorch's
# sequence numbers serve the same purpose).
_next_sequence = itertools.count().__next__


class Function:
    """One differentiable operation, and (once applied) a node of the graph."""

    inputs: tuple[Tensor, ...] = ()
    needs_input_grad: tuple[bool, ...] = ()
    freed = False
    sequence = -1  # set when a graph records the node: later nodes have higher numbers
    # Whether a graph will hold this node: __call__ sets it before each forward. False (no_grad,
    # no input requires grad, or forward called directly for its value alone, as inference
    # does): forward may then skip saving what only backward needs.
    recording = False

    def forward(self, *arrays: Any) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        raise NotImplementedError

    def apply(self, *inputs: Tensor) -> Tensor:
        """The op's output for ``inputs``, recorded in the graph when a gradient may flow."""
        # Unrolled for ops of one to three inputs: on small arrays this glue, not NumPy, is most
        # of an op's cost, and a list comprehension is one more function call.
        count = len(inputs)
        if count == 1:
            (a,) = inputs
            needs = (a.requires_grad,)
            recording = self.recording = needs[0] and grad_enabled()
            data = self.forward(a.data)
        elif count == 2:
            a, b = inputs
            needs = (a.requires_grad, b.requires_grad)
            recording = self.recording = (needs[0] or needs[1]) and grad_enabled()
            data = self.forward(a.data, b.data)
        elif count == 3:
            a, b, c = inputs
            needs = (a.requires_grad, b.requires_grad, c.requires_grad)
            recording = self.recording = (needs[0] or needs[1] or needs[2]) and grad_enabled()
            data = self.forward(a.data, b.data, c.data)
        else:
            needs = tuple([t.requires_grad for t in inputs])
            recording = self.recording = any(needs) and grad_enabled()
            data = self.forward(*[t.data for t in inputs])
        out = _new_tensor(TENSOR_CLASS[0])
        out.data = data if type(data) is np.ndarray else np.asarray(data)
        out.grad = None
        out.name = None
        out.requires_grad = recording
        if recording:
            self.inputs = inputs
            self.needs_input_grad = needs
            self.sequence = _next_sequence()
            out._ctx = self
        else:
            out._ctx = None
        return out

    # op(x) as well; glassnet's own code calls op.apply(x), which Python dispatches faster than
    # a __call__ (a method call skips the slot lookup and the extra C frame: ~0.2 µs an op)
    __call__ = apply

    def release(self) -> None:
        """Drop the saved arrays and the links to the inputs once backward has used them."""
        self.__dict__.clear()
        self.freed = True

    @property
    def label(self) -> str:
        """The op's name as the explanations print it."""
        return type(self).__name__.lower()


def detached(data: np.ndarray) -> Tensor:
    """A Tensor around ``data`` as it is (no copy, no dtype conversion), outside any graph."""
    out = _new_tensor(TENSOR_CLASS[0])
    out.data = data
    out.grad = None
    out.name = None
    out.requires_grad = False
    out._ctx = None
    return out


# 1 by dtype, as read-only 0-d arrays: the seed gradient of backward(), and the 1 in σ's
# 1 + e⁻ˣ (adding a 0-d array of the right dtype costs half of adding the Python int 1).
_ONES: dict[np.dtype, np.ndarray] = {}


def one_of(dtype: np.dtype) -> np.ndarray:
    """1 as a read-only 0-d array of ``dtype``, made once per dtype."""
    one = _ONES.get(dtype)
    if one is None:
        one = _ONES[dtype] = np.ones((), dtype=dtype)
        one.flags.writeable = False
    return one


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` back to ``shape``: the chain rule for NumPy broadcasting."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = np.add.reduce(grad, axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = np.add.reduce(grad, axis=stretched, keepdims=True)
    return grad
