"""Arithmetic with NumPy broadcasting: + - * / ** and @, each with its chain rule beside it;
and ``matmul``, a @ b for operands of any dtypes."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.autograd import dtypes
from glassnet.autograd.function_and_tensor import Function, Tensor
from glassnet.errors import ShapeError


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


class Add(Function):
    """a + b, broadcast.  ∂/∂a = ∂/∂b = 1, summed back over the broadcast axes."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a_shape, self.b_shape = a.shape, b.shape
        return a + b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return unbroadcast(grad, self.a_shape), unbroadcast(grad, self.b_shape)


class Sub(Function):
    """a − b, broadcast.  ∂/∂a = 1, ∂/∂b = −1, summed back over the broadcast axes."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a_shape, self.b_shape = a.shape, b.shape
        return a - b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return unbroadcast(grad, self.a_shape), unbroadcast(-grad, self.b_shape)


class Mul(Function):
    """a · b, broadcast.  ∂/∂a = b, ∂/∂b = a."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return a * b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        need_a, need_b = self.needs_input_grad
        grad_a = unbroadcast(grad * self.b, self.a.shape) if need_a else None
        grad_b = unbroadcast(grad * self.a, self.b.shape) if need_b else None
        return grad_a, grad_b


class Div(Function):
    """a / b, broadcast.  ∂/∂a = 1/b, ∂/∂b = −a/b²."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return a / b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        need_a, need_b = self.needs_input_grad
        grad_over_b = grad / self.b
        grad_a = unbroadcast(grad_over_b, self.a.shape) if need_a else None
        grad_b = unbroadcast(-grad_over_b * self.a / self.b, self.b.shape) if need_b else None
        return grad_a, grad_b


class Neg(Function):
    """−a.  ∂/∂a = −1."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        return -a

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (-grad,)


class PowScalar(Function):
    """a ** p for a constant exponent p.  ∂/∂a = p·a^(p−1), and 0 where p = 0 (PyTorch's rule:
    a⁰ = 1 is constant, so even at a = 0, where p·a^(p−1) would be 0·0⁻¹ = NaN)."""

    def __init__(self, exponent: float) -> None:
        self.exponent = exponent

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return a**self.exponent

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        exponent = self.exponent
        if exponent == 2:
            return (grad * 2 * self.a,)
        if exponent == 0:
            return (np.zeros_like(grad),)
        return (grad * exponent * self.a ** (exponent - 1),)

    def release(self) -> None:
        exponent = self.exponent
        super().release()
        self.exponent = exponent  # the label (and so repr of the output) still shows it

    @property
    def label(self) -> str:
        return f"pow{self.exponent:g}"


class Pow(Function):
    """a ** b, both tensors, as PyTorch differentiates it:

    ∂/∂a = b·a^(b−1), and 0 where b = 0 (a⁰ = 1, even at a = 0);
    ∂/∂b = a^b·ln a, and 0 where a = 0 and b ≥ 0 (0^b is constant there; ln 0 = −∞ would make
    it NaN). Elsewhere at a ≤ 0 it is what the formula gives: NaN for a < 0, −∞ at a = 0, b < 0.
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        self.out = a**b
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = self.a, self.b
        need_a, need_b = self.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            constant = b == 0
            # where b = 0 the exponent b − 1 is replaced by 0 before the power is taken, so the
            # masked entries (0⁻¹ at a = 0) never raise a divide-by-zero warning
            safe_b = np.where(constant, 1, b) if constant.any() else b
            slope = np.where(constant, 0, safe_b * a ** (safe_b - 1))
            grad_a = unbroadcast(grad * slope, a.shape)
        if need_b:
            constant = (a == 0) & (b >= 0)
            log_a = np.log(np.where(constant, 1, a)) if constant.any() else np.log(a)
            grad_b = unbroadcast(grad * np.where(constant, 0, self.out * log_a), b.shape)
        return grad_a, grad_b


def _matmul_shapes_message(a: tuple[int, ...], b: tuple[int, ...]) -> str:
    return (
        f"matmul: shapes {a} and {b} are not aligned: the last dimension of the first "
        f"({a[-1] if a else '-'}) must equal the "
        f"{'only' if len(b) == 1 else 'second-to-last'} dimension of the second "
        f"({b[0] if len(b) == 1 else b[-2] if b else '-'})."
    )


class MatMul(Function):
    """a @ b: 1-D, 2-D and batched.  ∂/∂a = g @ bᵀ, ∂/∂b = aᵀ @ g."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(
                f"matmul needs at least 1-D operands; got shapes {a.shape} and {b.shape}."
            )
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if a.shape[-1] != inner_b:
            raise ShapeError(_matmul_shapes_message(a.shape, b.shape))
        self.a, self.b = a, b
        try:
            return a @ b
        except ValueError as error:  # batch dimensions that do not broadcast
            raise ShapeError(
                f"matmul: cannot broadcast batch shapes {a.shape} and {b.shape}."
            ) from error

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = self.a, self.b
        need_a, need_b = self.needs_input_grad
        # Promote 1-D operands to matrices so one formula covers every case.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad
        if b.ndim == 1:  # first: for 1-D @ 1-D, grad is 0-d and has no axis −2 yet
            g2 = np.expand_dims(g2, -1)
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        grad_a = grad_b = None
        if need_a:
            grad_a = g2 @ np.swapaxes(b2, -1, -2)
            if a.ndim == 1:  # (…, 1, n) -> (n,): drop the added axis, sum over the batch
                grad_a = np.add.reduce(grad_a[..., 0, :], axis=tuple(range(grad_a.ndim - 2)))
            else:
                grad_a = unbroadcast(grad_a, a.shape)
        if need_b:
            grad_b = np.swapaxes(a2, -1, -2) @ g2
            if b.ndim == 1:  # (…, n, 1) -> (n,)
                grad_b = np.add.reduce(grad_b[..., 0], axis=tuple(range(grad_b.ndim - 2)))
            else:
                grad_b = unbroadcast(grad_b, b.shape)
        return grad_a, grad_b


def matmul(a: Any, b: Any) -> Tensor:
    """a @ b, in the operands' common dtype (type promotion)."""
    return MatMul().apply(*dtypes.promote(a, b))
