"""Activation layers: element-wise functions without parameters.  (…) -> (…), same shape.

Each has ``forward`` (Tensors, in the graph) and ``forward_array`` (the same op on a bare array,
for inference without a graph: see Sequential; ``temporary`` says the array is an intermediate
no one else holds, which the layer may compute in place). Each is registered (see
``glassnet.nn.registry``) with its settings and ONNX form; ``ACTIVATIONS`` names the ones that
go between hidden layers, for ``mlp``, the CLI and the scikit-learn estimators.
"""

from __future__ import annotations

import math
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
from glassnet.nn.linear import Identity
from glassnet.nn.module import Module
from glassnet.nn.registry import (
    AXIS,
    Shape,
    choice,
    elementwise,
    number,
    register_layer,
    sample_axis,
)


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


# -- ONNX forms ---------------------------------------------------------------------------------
def _export_leaky_relu(
    builder: Any, layer: LeakyReLU, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    alpha = float(layer.negative_slope)
    return builder.node("LeakyRelu", [x], f"{name}_LeakyRelu", alpha=alpha), shape


def _export_softmax(
    builder: Any, layer: Softmax | LogSoftmax, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    op_type = type(layer).__name__  # Softmax or LogSoftmax: same names in ONNX
    axis = sample_axis(layer.dim, shape, name, op_type)
    return builder.node(op_type, [x], f"{name}_{op_type}", axis=axis), shape


def _export_gelu(builder: Any, layer: GELU, x: str, shape: Shape, name: str) -> tuple[str, Shape]:
    b = builder
    if b.opset >= 20:  # the Gelu operator arrived in opset 20
        return b.node("Gelu", [x], f"{name}_Gelu", approximate=layer.approximate), shape
    half = b.constant(f"{name}.half", 0.5)
    one = b.constant(f"{name}.one", 1.0)
    if layer.approximate == "tanh":  # ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
        cube = b.node("Mul", [x, b.node("Mul", [x, x], f"{name}_square")], f"{name}_cube")
        scaled_cube = b.node("Mul", [cube, b.constant(f"{name}.coefficient", 0.044715)],
                             f"{name}_scaled_cube")
        inner = b.node("Mul", [b.node("Add", [x, scaled_cube], f"{name}_sum"),
                               b.constant(f"{name}.sqrt_2_over_pi", math.sqrt(2 / math.pi))],
                       f"{name}_inner")
        gate = b.node("Tanh", [inner], f"{name}_Tanh")
    else:  # ½x(1 + erf(x/√2)) = x·Φ(x)
        gate = b.node("Erf", [b.node("Div", [x, b.constant(f"{name}.sqrt_2", math.sqrt(2))],
                                     f"{name}_Div")], f"{name}_Erf")
    half_x = b.node("Mul", [x, half], f"{name}_half_x")
    return b.node("Mul", [half_x, b.node("Add", [gate, one], f"{name}_one_plus")],
                  f"{name}_Mul"), shape


register_layer(ReLU, export=elementwise("Relu"), keeps_shape=True)
register_layer(LeakyReLU, settings={"negative_slope": number()}, export=_export_leaky_relu,
               keeps_shape=True)
register_layer(Sigmoid, export=elementwise("Sigmoid"), keeps_shape=True)
register_layer(Tanh, export=elementwise("Tanh"), keeps_shape=True)
register_layer(GELU, settings={"approximate": choice("none", "tanh")}, export=_export_gelu,
               keeps_shape=True)
register_layer(Softplus, export=elementwise("Softplus"), keeps_shape=True)
register_layer(Softmax, settings={"dim": AXIS}, export=_export_softmax, keeps_shape=True)
register_layer(LogSoftmax, settings={"dim": AXIS}, export=_export_softmax, keeps_shape=True)

# The activations that go between hidden layers, by the names the CLI (--activation) and the
# scikit-learn estimators (activation=) accept; "logistic" and "identity" are scikit-learn's.
ACTIVATIONS: dict[str, type[Module]] = {
    "relu": ReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "logistic": Sigmoid,
    "identity": Identity,
    "gelu": GELU,
    "leaky_relu": LeakyReLU,
    "softplus": Softplus,
}
