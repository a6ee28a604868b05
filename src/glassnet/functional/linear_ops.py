"""The op of ``linear``, y = x @ Wᵀ + b: ``LinearOp``, and the fast variants of its forward and
backward beside it (installed through ``gn.fast_paths``, which picks them while it is on).

Both compute the same function: the fast ones make the same products and bias add through
``glassnet._blas`` (the same bits), and sum the bias gradient as one BLAS product, which rounds
differently (see ``backward_through_blas``).
"""

from __future__ import annotations

import numpy as np

from glassnet import _blas, fast_paths
from glassnet.autograd import Function
from glassnet.errors import ShapeError


def linear_shape_error(x: np.ndarray, weight: np.ndarray) -> ShapeError:
    """The error for an x whose last axis is not the weight's in_features."""
    return ShapeError(
        f"linear expects input of shape (batch, {weight.shape[1]}) for a weight of shape "
        f"{weight.shape}; got {x.shape}."
    )


class LinearOp(Function):
    """y = x @ Wᵀ + b.   x: (…, in), W: (out, in), b: (out,) -> (…, out).

    One node instead of matmul, transpose and add: the backward is three products,
    ∂x = g @ W,  ∂W = gᵀ @ x,  ∂b = Σ g over the batch — and none is computed if not needed.
    """

    def forward(
        self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None
    ) -> np.ndarray:
        if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise linear_shape_error(x, weight)
        self.x, self.weight = x, weight
        out = x @ weight.T
        if bias is not None:
            out += bias  # in place on the fresh product
        return out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        needs = self.needs_input_grad  # (x, weight) or (x, weight, bias)
        # leading batch axes folded into one: (…, out) -> (N, out), (…, in) -> (N, in)
        grad_rows = grad.reshape(-1, grad.shape[-1])
        x_rows = self.x.reshape(-1, self.x.shape[-1])
        grad_x = grad @ self.weight if needs[0] else None
        grad_weight = grad_rows.T @ x_rows if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_weight
        grad_bias = grad_rows.sum(axis=0) if needs[2] else None
        return grad_x, grad_weight, grad_bias

    @property
    def label(self) -> str:
        return "linear"  # the function's name in explanations and reprs, whichever op ran


def forward_through_blas(
    self: LinearOp, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None
) -> np.ndarray:
    """LinearOp.forward with its product and bias add through ``glassnet._blas``: the same bits,
    cheaper calls (bench/mlp.py's training step and gn.predict use them)."""
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise linear_shape_error(x, weight)
    self.x, self.weight = x, weight
    out = _blas.matmul(x, weight.T)
    if bias is not None:
        _blas.add_to_rows(out, bias)
    return out


def backward_through_blas(self: LinearOp, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
    """LinearOp.backward with its products through ``glassnet._blas`` and ∂b as ones·g, one BLAS
    call instead of NumPy adding row after row: within N·ε·Σ|g| of the exact sum, as
    ``g.sum(axis=0)`` is, though not bit for bit the same."""
    needs = self.needs_input_grad
    grad_x = _blas.matmul(grad, self.weight) if needs[0] else None
    grad_rows, x_rows = grad, self.x
    if grad.ndim != 2:  # folded only then: a reshape costs as much as a small product
        grad_rows = grad.reshape(-1, grad.shape[-1])
        x_rows = self.x.reshape(-1, self.x.shape[-1])
    grad_weight = _blas.matmul(grad_rows.T, x_rows) if needs[1] else None
    if len(needs) == 2:
        return grad_x, grad_weight
    grad_bias = _blas.sum_rows(grad_rows) if needs[2] else None
    return grad_x, grad_weight, grad_bias


fast_paths.install(LinearOp, "forward", forward_through_blas)
fast_paths.install(LinearOp, "backward", backward_through_blas)
