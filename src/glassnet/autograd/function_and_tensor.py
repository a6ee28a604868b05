"""``Function`` and ``Tensor``: an op of the graph and the arrays it joins.

A Tensor remembers the Function that made it (``_ctx``), a Function its input Tensors;
``backward()`` walks these links from the output to the leaves (engine.py), applying each
Function's chain rule once.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from glassnet import fast_paths
from glassnet.autograd.grad_mode import grad_enabled
from glassnet.errors import DTypeError

# Numbers the nodes in the order they are made. A node is made after the nodes that made its
# inputs, so visiting nodes from the highest number down is a topological order (PyTorch's
# sequence numbers serve the same purpose).
_next_sequence = itertools.count().__next__


class Function:
    """One differentiable operation, and (once applied) a node of the graph.

    A subclass implements ``forward(*arrays) -> array`` (saving on ``self`` exactly what backward
    needs) and ``backward(grad) -> tuple`` (one gradient per input, ``None`` where not needed),
    which must not modify ``grad`` or the saved arrays in place: ``gn.explain`` replays it.
    ``op.apply(*tensors)`` (or ``op(*tensors)``) applies the op and records it in the graph;
    ``op.forward(*arrays)`` alone computes the value (inference does, see ``Sequential``).
    """

    inputs: tuple[Tensor, ...] = ()
    needs_input_grad: tuple[bool, ...] = ()
    freed = False
    sequence = -1  # set when a graph records the node: later nodes have higher numbers
    # Whether a graph will hold this node: apply sets it before each forward. False (no_grad,
    # no input requires grad, or forward called directly for its value alone, as inference
    # does): forward may then skip saving what only backward needs.
    recording = False

    def forward(self, *arrays: Any) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        raise NotImplementedError

    def apply(self, *inputs: Tensor) -> Tensor:
        """The op's output for ``inputs``, recorded in the graph when a gradient may flow."""
        needs = tuple([tensor.requires_grad for tensor in inputs])
        self.recording = any(needs) and grad_enabled()
        out = detached(self.forward(*[tensor.data for tensor in inputs]))
        if self.recording:
            self.inputs, self.needs_input_grad = inputs, needs
            self.sequence = _next_sequence()
            out.requires_grad, out._ctx = True, self
        return out

    def __call__(self, *inputs: Tensor) -> Tensor:
        """``op(x)``, the same as ``op.apply(x)``."""
        return self.apply(*inputs)

    def release(self) -> None:
        """Drop the saved arrays and the links to the inputs once backward has used them."""
        self.__dict__.clear()
        self.freed = True

    @property
    def label(self) -> str:
        """The op's name as the explanations print it."""
        return type(self).__name__.lower()


def _apply_unrolled(op: Function, *inputs: Tensor) -> Tensor:
    """``Function.apply``, the same steps with its loops unrolled for one to three inputs and the
    output made in place: on small arrays this glue, not NumPy, is most of an op's cost
    (bench/tiny.py misses its 0.5× micrograd target with the plain loops)."""
    count = len(inputs)
    if count == 1:
        (a,) = inputs
        needs = (a.requires_grad,)
        recording = op.recording = needs[0] and grad_enabled()
        data = op.forward(a.data)
    elif count == 2:
        a, b = inputs
        needs = (a.requires_grad, b.requires_grad)
        recording = op.recording = (needs[0] or needs[1]) and grad_enabled()
        data = op.forward(a.data, b.data)
    elif count == 3:
        a, b, c = inputs
        needs = (a.requires_grad, b.requires_grad, c.requires_grad)
        recording = op.recording = (needs[0] or needs[1] or needs[2]) and grad_enabled()
        data = op.forward(a.data, b.data, c.data)
    else:
        needs = tuple([tensor.requires_grad for tensor in inputs])
        recording = op.recording = any(needs) and grad_enabled()
        data = op.forward(*[tensor.data for tensor in inputs])
    out = object.__new__(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad = None
    out.name = None
    out.requires_grad = recording
    if recording:
        op.inputs = inputs
        op.needs_input_grad = needs
        op.sequence = _next_sequence()
        out._ctx = op
    else:
        out._ctx = None
    return out


def detached(data: np.ndarray) -> Tensor:
    """A Tensor around ``data`` as it is (no copy, no dtype conversion), outside any graph.

    Ops make their outputs this way: the data is an array they just computed, so the conversion
    and dtype checks of ``Tensor.__init__``, which guard user input, would only cost time.
    """
    out = object.__new__(Tensor)
    # NumPy gives a scalar, not a 0-d array, for some 0-d results (a full sum)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad = None
    out.name = None
    out.requires_grad = False
    out._ctx = None
    return out


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``data`` is the ndarray, ``grad`` the accumulated gradient (same shape, or None), ``_ctx`` the
    ``Function`` that produced it (None for leaves and for values computed without a graph).
    ``Tensor(array)`` uses the array itself when it has the dtype it would get, as
    ``torch.Tensor(array)`` does; ``gn.tensor`` makes a copy.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "name", "__weakref__")
    __array_ufunc__ = None  # make `ndarray <op> Tensor` defer to Tensor's reflected operators

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> None:
        self.data = dtypes.as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise DTypeError(
                f"only floating tensors can require gradients; got dtype {self.data.dtype}."
            )
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._ctx: Function | None = None
        self.name = name

    # -- plain attributes -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        return self._ctx

    def __len__(self) -> int:
        return len(self.data)

    def item(self) -> float:
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same values, cut from the graph."""
        return Tensor(self.data, dtype=self.dtype)  # dtype: float64 must not become the default

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def astype(self, dtype: Any) -> Tensor:
        """The values in another dtype; a cast to a float dtype stays in the graph."""
        if np.dtype(dtype) == self.dtype:
            return self
        if np.dtype(dtype).kind != "f":
            return Tensor(self.data.astype(dtype))
        return ops_unary.Cast(dtype).apply(self)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = []
        if self.dtype != dtypes.default_float():
            extras.append(f"dtype={self.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx.label}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.data)

    # -- differentiation -----------------------------------------------------------------------
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ``engine.backward``).

        A scalar needs no ``grad``; a non-scalar needs ``grad`` of its own shape (the vector in the
        vector-Jacobian product).
        """
        engine.backward(self, grad, retain_graph=retain_graph)

    # -- arithmetic -----------------------------------------------------------------------------
    # The operands meet at one dtype by PyTorch's type promotion (see dtypes.common_operands).
    # Two tensors of one dtype, the common case, are tested for first, inline, where the
    # cheapest ops would otherwise pay a call to common_operands.
    def __add__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other.data.dtype is self.data.dtype:
            return ops_arith.Add().apply(self, other)
        return ops_arith.Add().apply(*dtypes.common_operands(self, other))

    def __radd__(self, other: Any) -> Tensor:
        a, b = dtypes.common_operands(self, other)
        return ops_arith.Add().apply(b, a)

    def __sub__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other.data.dtype is self.data.dtype:
            return ops_arith.Sub().apply(self, other)
        return ops_arith.Sub().apply(*dtypes.common_operands(self, other))

    def __rsub__(self, other: Any) -> Tensor:
        a, b = dtypes.common_operands(self, other)
        return ops_arith.Sub().apply(b, a)

    def __mul__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other.data.dtype is self.data.dtype:
            return ops_arith.Mul().apply(self, other)
        return ops_arith.Mul().apply(*dtypes.common_operands(self, other))

    def __rmul__(self, other: Any) -> Tensor:
        a, b = dtypes.common_operands(self, other)
        return ops_arith.Mul().apply(b, a)

    def __truediv__(self, other: Any) -> Tensor:
        a, b = dtypes.common_operands(self, other)
        if a.data.dtype.kind != "f":  # true division: integers give the default float dtype
            a, b = dtypes.promote_for_division(a, b)
        return ops_arith.Div().apply(a, b)

    def __rtruediv__(self, other: Any) -> Tensor:
        a, b = dtypes.common_operands(self, other)
        if a.data.dtype.kind != "f":
            a, b = dtypes.promote_for_division(a, b)
        return ops_arith.Div().apply(b, a)

    def __pow__(self, exponent: Any) -> Tensor:
        if type(exponent) is int or type(exponent) is float:
            base = self
            if self.data.dtype.kind != "f":  # an int tensor ** 0.5 is float (the default dtype)
                base = dtypes.converted(self, dtypes.result_type(self, exponent))
            return ops_arith.PowScalar(exponent).apply(base)
        a, b = dtypes.common_operands(self, exponent)
        return ops_arith.Pow().apply(a, b)

    def __rpow__(self, base: Any) -> Tensor:
        a, b = dtypes.common_operands(self, base)
        return ops_arith.Pow().apply(b, a)

    def __neg__(self) -> Tensor:
        return ops_arith.Neg().apply(self)

    def __matmul__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other.data.dtype is self.data.dtype:
            return ops_arith.MatMul().apply(self, other)
        return ops_arith.MatMul().apply(*dtypes.common_operands(self, other))

    def __rmatmul__(self, other: Any) -> Tensor:
        a, b = dtypes.common_operands(self, other)
        return ops_arith.MatMul().apply(b, a)

    # Comparisons give bool tensors outside the graph (masks for `where`).
    def __lt__(self, other: Any) -> Tensor:
        return Tensor(self.data < raw(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor(self.data <= raw(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor(self.data > raw(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor(self.data >= raw(other))

    # -- reductions -------------------------------------------------------------------------------
    def sum(self, axis: ops_reduce.Axis = None, keepdims: bool = False) -> Tensor:
        return ops_reduce.Sum(axis, keepdims).apply(self)

    def mean(self, axis: ops_reduce.Axis = None, keepdims: bool = False) -> Tensor:
        return ops_reduce.Mean(axis, keepdims).apply(self)

    def max(self, axis: ops_reduce.Axis = None, keepdims: bool = False) -> Tensor:
        return ops_reduce.Max(axis, keepdims).apply(self)

    def min(self, axis: ops_reduce.Axis = None, keepdims: bool = False) -> Tensor:
        return ops_reduce.Min(axis, keepdims).apply(self)

    # -- shape ------------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops_shape.Reshape(shape).apply(self)

    def flatten(self, start_axis: int = 0) -> Tensor:
        return self.reshape(self.shape[:start_axis] + (-1,))

    def transpose(self, *axes: int) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return ops_shape.Transpose(axes or None).apply(self)

    @property
    def T(self) -> Tensor:
        return ops_shape.Transpose(None).apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        parts = tuple(raw(part) for part in index) if isinstance(index, tuple) else raw(index)
        return ops_shape.GetItem(parts).apply(self)

    # -- element-wise ---------------------------------------------------------------------------
    def exp(self) -> Tensor:
        return ops_unary.Exp().apply(self)

    def log(self) -> Tensor:
        return ops_unary.Log().apply(self)

    def sqrt(self) -> Tensor:
        return ops_unary.Sqrt().apply(self)

    def abs(self) -> Tensor:
        return ops_unary.Abs().apply(self)

    def tanh(self) -> Tensor:
        return ops_unary.Tanh().apply(self)

    def sigmoid(self) -> Tensor:
        return ops_unary.Sigmoid().apply(self)

    def relu(self) -> Tensor:
        return ops_unary.ReLU().apply(self)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        return ops_unary.Clip(min, max).apply(self)

    __abs__ = abs


# One op on a few numbers spends most of its time in apply's glue, so the unrolled copy runs
# while gn.fast_paths is on (the tutorial's network: ~10% more instructions without it).
fast_paths.install(Function, "apply", _apply_unrolled)


def raw(value: Any) -> Any:
    """A Tensor's array; anything else as it is."""
    return value.data if isinstance(value, Tensor) else value


# The ops subclass Function and the promotion rules make Tensors: those modules import this one,
# so they are imported once both classes exist (tinygrad's tensor.py imports its ops the same way).
from glassnet.autograd import dtypes, engine, ops_arith, ops_reduce, ops_shape, ops_unary  # noqa: E402
