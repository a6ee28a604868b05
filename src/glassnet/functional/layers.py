"""The stateless halves of layers: ``linear`` (one fused op, see linear_ops.py) and ``dropout``."""

from __future__ import annotations

import numpy as np

from glassnet.autograd import Function, Tensor, input_tensor, promote
from glassnet.functional.linear_ops import LinearOp
from glassnet.random import default_generator


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weightᵀ + bias.   x: (N, in), weight: (out, in), bias: (out,) -> (N, out).

    Array data x takes the weight's dtype; Tensors meet at their common dtype (type promotion,
    so an int64 batch through a float32 weight gives float32)."""
    if type(x) is not Tensor:
        x = input_tensor(x, like=weight)
    dtype = weight.data.dtype
    if x.data.dtype is not dtype or (bias is not None and bias.data.dtype is not dtype):
        x, weight, bias = promote(x, weight, bias)  # an int batch becomes float32, say
    if bias is None:
        return LinearOp().apply(x, weight)
    return LinearOp().apply(x, weight, bias)


class DropoutOp(Function):
    """y = x·mask/(1 − p), mask ~ Bernoulli(1 − p) (inverted dropout).  Any shape."""

    def __init__(self, p: float) -> None:
        self.p = p

    def forward(self, x: np.ndarray) -> np.ndarray:
        keep = default_generator().random(x.shape) >= self.p
        self.scale = (keep / (1 - self.p)).astype(x.dtype)
        return x * self.scale

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * self.scale,)

    @property
    def label(self) -> str:
        return "dropout"


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p, scale the rest by 1/(1 − p); identity in eval."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be between 0 and 1; got {p}.")
    x = input_tensor(x)
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    return DropoutOp(p).apply(x)
