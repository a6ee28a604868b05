"""Activation layers: element-wise functions without parameters.  (…) -> (…), same shape.

Each has ``forward`` (Tensors, in the graph) and ``forward_array`` (the same op on a bare array,
for inference without a graph: see Sequential; ``temporary`` says the array is an intermediate
no one else holds, which the layer may compute in place).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet import functional as F
from glassnet.autograd import LeakyReLU as LeakyReLUOp
from glassnet.autograd import ReLU as ReLUOp
from glassnet.autograd import Sigmoid as SigmoidOp
from glassnet.autograd import Softplus as SoftplusOp
from glassnet.autograd import Tanh as TanhOp
from glassnet.autograd import Tensor
from glassnet.functional import activations as activation_ops
from glassnet.nn.module import Module


class ReLU(Module):
    """y = max(x, 0)."""

    def forward(self, x: Any) -> Tensor:
        return F.relu(x)

    def forward_array(self, x: np.ndarray, temporary: bool) -> np.ndarray:
        if temporary:  # an intermediate no one else holds: no new array
            return np.maximum(x, 0, out=x)
        return ReLUOp().forward(x)


class LeakyReLU(Module):
    """y = x where x > 0, else negative_slope·x."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Any) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def forward_array(self, x: np.ndarray, temporary: bool) -> np.ndarray:
        return LeakyReLUOp(self.negative_slope).forward(x)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """y = 1 / (1 + e⁻ˣ)."""

    def forward(self, x: Any) -> Tensor:
        return F.sigmoid(x)

    def forward_array(self, x: np.ndarray, temporary: bool) -> np.ndarray:
        return SigmoidOp().forward(x)


class Tanh(Module):
    """y = tanh x."""

    def forward(self, x: Any) -> Tensor:
        return F.tanh(x)

    def forward_array(self, x: np.ndarray, temporary: bool) -> np.ndarray:
        if temporary:
            return np.tanh(x, out=x)
        return TanhOp().forward(x)


class GELU(Module):
    """y = x·Φ(x), Φ the standard normal CDF; ``approximate="tanh"`` uses PyTorch's tanh form."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh'; got {approximate!r}.")
        self.approximate = approximate

    def forward(self, x: Any) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def forward_array(self, x: np.ndarray, temporary: bool) -> np.ndarray:
        return activation_ops.GELU(self.approximate).forward(x)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """y = ln(1 + eˣ), computed without overflow."""

    def forward(self, x: Any) -> Tensor:
        return F.softplus(x)

    def forward_array(self, x: np.ndarray, temporary: bool) -> np.ndarray:
        return SoftplusOp().forward(x)


class Softmax(Module):
    """y = eˣ / Σ eˣ along ``dim`` (PyTorch's name for the axis).  (…, C) -> (…, C)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Tensor:
        return F.softmax(x, axis=self.dim)

    def forward_array(self, x: np.ndarray, temporary: bool) -> np.ndarray:
        return activation_ops.Softmax(self.dim).forward(x)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """y = x − logsumexp(x) along ``dim``: log-probabilities, for ``NLLLoss``.  (…, C) -> (…, C)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Tensor:
        return F.log_softmax(x, axis=self.dim)

    def forward_array(self, x: np.ndarray, temporary: bool) -> np.ndarray:
        return activation_ops.LogSoftmax(self.dim).forward(x)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
