"""Element-wise functions, each with its local derivative beside it. Any shape -> same shape.

Where a value can underflow (σ(−1000) = e⁻¹⁰⁰⁰), rounding to 0 or a subnormal is the correctly
rounded answer, so those methods run under ``np.errstate(under="ignore")``: a user who turns all
floating-point warnings into errors still sees overflow and NaN, but not this.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.function import Function


class Exp(Function):
    """y = eˣ.  y' = y."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.exp(x)
        return self.y

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * self.y,)


class Log(Function):
    """y = ln x.  y' = 1/x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.log(x)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad / self.x,)


class Sqrt(Function):
    """y = √x.  y' = 1/(2y)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.sqrt(x)
        return self.y

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad / (2 * self.y),)


class Abs(Function):
    """y = |x|.  y' = sign(x) (0 at 0, as PyTorch)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.abs(x)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * np.sign(self.x),)


class Tanh(Function):
    """y = tanh x.  y' = 1 − y²."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * (1 - self.y * self.y),)


@np.errstate(under="ignore")
def sigmoid_values(x: np.ndarray) -> np.ndarray:
    """σ(x) on an array, to full relative precision in both tails.

    With e = e^−|x| ≤ 1 (cannot overflow): σ(x) = 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0.
    (0.5·tanh(x/2) + 0.5 is as safe but keeps only absolute precision: σ(−40) would be off by 1e-3.)
    """
    small = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + small), small / (1 + small))


class Sigmoid(Function):
    """y = σ(x) = 1/(1 + e⁻ˣ).  y' = σ(x)·σ(−x) = e^−|x| / (1 + e^−|x|)²."""

    @np.errstate(under="ignore")
    def forward(self, x: np.ndarray) -> np.ndarray:
        small = np.exp(-np.abs(x))  # ≤ 1: cannot overflow
        denominator = 1 + small
        # y(1 − y) would lose all relative precision once y rounds to 1 (x > 37); this is exact.
        self.slope = small / (denominator * denominator)
        return np.where(x >= 0, 1, small) / denominator  # sigmoid_values, sharing the exp

    @np.errstate(under="ignore")
    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * self.slope,)


class ReLU(Function):
    """y = max(x, 0).  y' = 1 where x > 0, else 0."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.maximum(x, 0)
        self.active = y > 0
        return y

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * self.active,)

    @property
    def label(self) -> str:
        return "relu"


class LeakyReLU(Function):
    """y = x where x > 0, else slope·x.  y' = 1 or slope."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = negative_slope

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.active = x > 0
        return np.where(self.active, x, x * self.negative_slope)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (np.where(self.active, grad, grad * self.negative_slope),)


class Softplus(Function):
    """y = ln(1 + eˣ), computed as logaddexp(0, x).  y' = σ(x)."""

    @np.errstate(under="ignore")
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.logaddexp(0, x)

    @np.errstate(under="ignore")
    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * sigmoid_values(self.x),)


class Clip(Function):
    """y = min(max(x, low), high).  y' = 1 where low ≤ x ≤ high, else 0 (PyTorch's convention)."""

    def __init__(self, low: float | None, high: float | None) -> None:
        self.low, self.high = low, high

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.clip(x, self.low, self.high)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        inside = np.ones(self.x.shape, dtype=bool)
        if self.low is not None:
            inside &= self.x >= self.low
        if self.high is not None:
            inside &= self.x <= self.high
        return (grad * inside,)


class Cast(Function):
    """y = x converted to another float dtype; the gradient is converted back."""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = np.dtype(dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.input_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad.astype(self.input_dtype),)
