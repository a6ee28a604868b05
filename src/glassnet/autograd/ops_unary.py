"""Element-wise functions, each with its local derivative beside it. Any shape -> same shape.

Where a value can underflow (σ(−1000) = e⁻¹⁰⁰⁰), rounding to 0 or a subnormal is the correctly
rounded answer, so those methods run under ``np.errstate(under="ignore")``: a user who turns all
floating-point warnings into errors still sees overflow and NaN, but not this.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import dtypes
from glassnet.autograd.function_and_tensor import Function


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


# |x| below which e^−x is a normal number in both directions (no overflow, no underflow), by
# itemsize. There the textbook σ = 1/(1 + e^−x) keeps full relative precision in both tails.
_EXP_NORMAL_RANGE = {2: 9.0, 4: 80.0, 8: 700.0}
# By dtype: that range, and the 1 of 1 + eˣ as a 0-d array (it adds faster than a Python 1)
_SIGMOID_CONSTANTS: dict[np.dtype, tuple[float, np.ndarray]] = {}


def _sigmoid_constants(dtype: np.dtype) -> tuple[float, np.ndarray]:
    constants = _SIGMOID_CONSTANTS[dtype] = (_EXP_NORMAL_RANGE.get(dtype.itemsize, 80.0),
                                             dtypes.scalar_one(dtype))
    return constants


def _reaches(x: np.ndarray, limit: float) -> bool:
    """Whether some |x| ≥ limit, or a NaN may hide one (NaN counts as reaching it)."""
    if x.size <= 8:  # the tutorial's layers: a Python loop over a few floats beats NumPy
        # `not <`: every comparison with NaN is False, so a NaN reaches the limit
        for value in x.ravel().tolist():
            if not -limit < value < limit:
                return True
        return False
    return x.size > 0 and not np.maximum.reduce(np.abs(x), axis=None) < limit


class Sigmoid(Function):
    """y = σ(x) = eˣ/(1 + eˣ) = 1/(1 + e⁻ˣ).  y' = σ(x)·σ(−x) = eˣ/(1 + eˣ)² = y/(1 + eˣ)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        normal_range, one = _SIGMOID_CONSTANTS.get(x.dtype) or _sigmoid_constants(x.dtype)
        # NaN counts as extreme, since the careful form is safe for any input
        self.extreme = _reaches(x, normal_range)
        if self.extreme:  # e^−|x| underflows: the right answer, silenced only here (costly)
            with np.errstate(under="ignore"):
                return self._far_form(x)
        # eˣ rather than e⁻ˣ: no negation, and y' is one division away (4 NumPy calls, not 6).
        # Every step is a correctly rounded operation on normal numbers, so y and y' keep full
        # relative precision in both tails (a few ulp); y' is not computed as y(1 − y), which
        # loses it all once y nears 1.
        exp_x = np.exp(x)
        denominator = exp_x + one
        y = exp_x / denominator
        if self.recording:
            self.slope = y / denominator
        return y

    def _far_form(self, x: np.ndarray) -> np.ndarray:
        """σ from e^−|x| ≤ 1, which cannot overflow whatever x is."""
        small = np.exp(-np.abs(x))
        denominator = 1 + small
        if self.recording:
            self.slope = small / (denominator * denominator)
        return np.where(x >= 0, 1, small) / denominator

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        if self.extreme:
            with np.errstate(under="ignore"):  # a slope as small as e^−700 times grad
                return (grad * self.slope,)
        return (grad * self.slope,)


def sigmoid_values(x: np.ndarray) -> np.ndarray:
    """σ(x) on an array, as Sigmoid computes it (full relative precision in both tails, no
    overflow), keeping nothing for a backward pass."""
    return Sigmoid().forward(x)


class ReLU(Function):
    """y = max(x, 0).  y' = 1 where x > 0, else 0."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.maximum(x, 0)
        if self.recording:
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
