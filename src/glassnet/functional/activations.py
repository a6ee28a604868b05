"""Activation functions. Any shape -> the same shape (softmax family: along ``axis``)."""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import (
    Function,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softplus,
    Tanh,
    Tensor,
    input_tensor,
)
from glassnet.functional.special import normal_cdf, normal_pdf


def relu(x: Tensor) -> Tensor:
    """max(x, 0)."""
    return ReLU().apply(input_tensor(x))


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope·x."""
    return LeakyReLU(negative_slope).apply(input_tensor(x))


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e⁻ˣ)."""
    return Sigmoid().apply(input_tensor(x))


def tanh(x: Tensor) -> Tensor:
    """(eˣ − e⁻ˣ) / (eˣ + e⁻ˣ), in (−1, 1)."""
    return Tanh().apply(input_tensor(x))


def softplus(x: Tensor) -> Tensor:
    """ln(1 + eˣ), without overflow."""
    return Softplus().apply(input_tensor(x))


class GELU(Function):
    """y = x·Φ(x) (exact, erf) or PyTorch's tanh approximation.  Any shape."""

    def __init__(self, approximate: str = "none") -> None:
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh'; got {approximate!r}.")
        self.approximate = approximate

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        if self.approximate == "tanh":
            self.inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
            self.t = np.tanh(self.inner)
            return 0.5 * x * (1 + self.t)
        self.cdf = normal_cdf(x)
        return x * self.cdf

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        x = self.x
        if self.approximate == "tanh":
            d_inner = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)
            return (grad * (0.5 * (1 + self.t) + 0.5 * x * (1 - self.t * self.t) * d_inner),)
        return (grad * (self.cdf + x * normal_pdf(x)),)  # (xΦ)' = Φ + xφ


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x), Φ the standard normal CDF (``approximate="tanh"``: PyTorch's tanh form)."""
    return GELU(approximate).apply(input_tensor(x))


def _shift_by_max(
    x: np.ndarray, axis: int | tuple[int, ...] | None, in_place: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(x − max, max) along axis: the subtraction is exact and leaves entries ≤ 0, so exp cannot
    overflow. A max of ±inf (a row of −inf masks) shifts by 0 instead, to avoid inf − inf.
    ``in_place``: subtract in x itself (a copy the caller owns) instead of a new array."""
    peak = np.maximum.reduce(x, axis=axis, keepdims=True)
    finite = np.isfinite(peak)
    if not np.logical_and.reduce(finite, axis=None):
        peak = np.where(finite, peak, 0)
    if in_place:
        x -= peak
        return x, peak
    return x - peak, peak


def _logsumexp(x: np.ndarray, axis: int | tuple[int, ...] | None, keepdims: bool) -> np.ndarray:
    """ln Σ eˣ, shifted by the max so nothing overflows; all −inf gives −inf, not NaN."""
    shifted, peak = _shift_by_max(x, axis)
    with np.errstate(divide="ignore", under="ignore"):  # log(0) = −inf is right for all −inf
        out = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True)) + peak
    return out if keepdims else np.squeeze(out, axis=axis)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """(x − max) − ln Σ e^(x − max): never x − logsumexp(x), which would lose |x|·2⁻⁵³ to
    rounding (1e-12 at x = 1e4)."""
    shifted, _ = _shift_by_max(x, axis)
    with np.errstate(under="ignore"):  # e^(x − max) → 0 far below the max is the right answer
        return shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))


def _float_empty(x: np.ndarray) -> np.ndarray:
    """An empty array of x's shape, in x's dtype if it is floating (else float64, as NumPy's
    exp would give)."""
    return np.empty(x.shape, x.dtype if x.dtype.kind == "f" else np.float64)


class Softmax(Function):
    """y = eˣ / Σ eˣ along axis.  ∂ᵀg = y ⊙ (g − Σ g⊙y)."""

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    @np.errstate(under="ignore")
    def forward(self, x: np.ndarray) -> np.ndarray:
        # no element: nothing to normalise (and the max of an axis of length 0 has no value)
        self.y = np.exp(_log_softmax(x, self.axis)) if x.size else _float_empty(x)
        return self.y

    @np.errstate(under="ignore")
    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        y = self.y
        return (y * (grad - np.sum(grad * y, axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """y = x − logsumexp(x) along axis.  ∂ᵀg = g − softmax(x)·Σ g."""

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = _log_softmax(x, self.axis) if x.size else _float_empty(x)
        return self.y

    @np.errstate(under="ignore")
    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad - np.exp(self.y) * np.sum(grad, axis=self.axis, keepdims=True),)


class LogSumExp(Function):
    """y = ln Σ eˣ along axis.  ∂y/∂x = softmax(x)."""

    def __init__(self, axis: int | tuple[int, ...] | None = -1, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        if x.size:
            self.y = _logsumexp(x, self.axis, keepdims=True)
        else:  # ln of an empty sum: −inf, as in PyTorch (an empty result if other axes are 0)
            reduced = np.add.reduce(x, axis=self.axis, keepdims=True).shape
            self.y = np.full(reduced, -np.inf, dtype=_float_empty(x).dtype)
        return self.y if self.keepdims else np.squeeze(self.y, axis=self.axis)

    @np.errstate(under="ignore")
    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        if not self.x.size:
            return (np.zeros(self.x.shape, grad.dtype),)
        if not self.keepdims and self.axis is not None:
            grad = np.expand_dims(grad, self.axis)
        # e^(x − max) / Σ e^(x − max), not e^(x − y): y carries a rounding error of |y|·2⁻⁵³
        # (1e-12 at 1e4) into the exponent. A row of −inf has the sum 0 and gets the gradient 0.
        exps = np.exp(_shift_by_max(self.x, self.axis)[0])
        total = np.sum(exps, axis=self.axis, keepdims=True)
        return (grad * (exps / np.where(total > 0, total, 1)),)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """eˣ / Σ eˣ along axis, shifted so it never overflows."""
    return Softmax(axis).apply(input_tensor(x))


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x − logsumexp(x) along axis: log-probabilities without underflow to −inf."""
    return LogSoftmax(axis).apply(input_tensor(x))


def logsumexp(x: Tensor, axis: int | tuple[int, ...] | None = -1, keepdims: bool = False) -> Tensor:
    """ln Σ eˣ along axis (None: all axes), shifted so it never overflows."""
    return LogSumExp(axis, keepdims).apply(input_tensor(x))
