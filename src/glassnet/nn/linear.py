"""``Linear`` and ``Identity``: the affine layer y = x Wᵀ + b, and the layer that does nothing.

Each is registered (see ``glassnet.nn.registry``) with its settings, tensors and ONNX form.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from glassnet import functional as F
from glassnet.autograd import (
    Tensor,
    from_numpy,
    get_default_dtype,
    input_tensor,
    promote_arrays,
)
from glassnet.errors import ShapeError
from glassnet.functional.linear_ops import LinearOp
from glassnet.nn import init
from glassnet.nn.module import Module, Parameter
from glassnet.nn.registry import COUNT, FLAG, Shape, StateSpec, elementwise, register_layer


def check_features(x: Tensor | np.ndarray, expected: int, *, who: str) -> None:
    """Raise ShapeError unless x has shape (batch, expected) (or (…, expected))."""
    if x.ndim >= 2 and x.shape[-1] == expected:
        return
    hint = " For one sample, use x.reshape(1, -1)." if x.ndim == 1 else ""
    raise ShapeError(f"{who} expects input of shape (batch, {expected}); got {x.shape}.{hint}")


class Linear(Module):
    """y = x @ weightᵀ + bias.   x: (N, in_features) -> (N, out_features); also (N, …, in).

    weight: (out_features, in_features), bias: (out_features,). PyTorch's default init:
    ``kaiming_uniform_(weight, a=√5)``, i.e. U(−1/√in, 1/√in), and bias U(−1/√in, 1/√in).
    Parameters take the default dtype (float32 unless ``gn.set_default_dtype`` says otherwise).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        if in_features < 0 or out_features < 0:
            raise ValueError(f"Linear needs sizes >= 0; got in_features={in_features}, "
                             f"out_features={out_features}.")
        self.in_features = in_features
        self.out_features = out_features
        dtype = get_default_dtype()
        # from_numpy: arrays made here for the parameters, nothing to copy them from
        self.weight = Parameter(from_numpy(np.empty((out_features, in_features), dtype)))
        self.bias = Parameter(from_numpy(np.empty(out_features, dtype))) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights: U(−1/√in, 1/√in) for both (weight first, then bias)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        try:
            out = F.linear(x, self.weight, self.bias)
        except ShapeError:
            # F.linear checks the features (once per forward); a mismatch is reported in the
            # layer's own words
            check_features(input_tensor(x).data, self.in_features, who="Linear")
            raise
        if out.data.ndim < 2:  # F.linear also takes one sample as (in,); the layer wants a batch
            check_features(input_tensor(x).data, self.in_features, who="Linear")
        return out

    def forward_array(self, x: np.ndarray, temporary: bool) -> np.ndarray:
        """forward on a bare array, for inference without a graph (see Sequential)."""
        check_features(x, self.in_features, who="Linear")
        weight = self.weight.data
        bias = None if self.bias is None else self.bias.data
        if x.dtype is not weight.dtype:
            x, weight, bias = promote_arrays(x, weight, bias)
        return LinearOp().forward(x, weight, bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """y = x.  Any shape. Accepts (and ignores) any constructor arguments, as PyTorch's does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x

    def forward_array(self, x: np.ndarray, temporary: bool) -> np.ndarray:
        return x


def _linear_state(config: dict[str, Any]) -> StateSpec:
    out_features, in_features = config["out_features"], config["in_features"]
    state = {"weight": ((out_features, in_features), "float")}
    if config["bias"]:
        state["bias"] = ((out_features,), "float")
    return state


def _export_linear(
    builder: Any, layer: Linear, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    """(N, in) -> one Gemm computing x·Wᵀ + b; (N, …, in) -> MatMul (+ Add)."""
    if not shape or shape[-1] != layer.in_features:
        raise ShapeError(f"{name} (Linear) expects {layer.in_features} input features; the "
                         f"layers before it produce samples of shape {shape}.")
    weight = layer.weight.data
    bias = None if layer.bias is None else builder.constant(f"{name}.bias", layer.bias.data)
    out_shape = (*shape[:-1], layer.out_features)
    if len(shape) == 1:
        inputs = [x, builder.constant(f"{name}.weight", weight)] + ([bias] if bias else [])
        return builder.node("Gemm", inputs, f"{name}_Gemm", transB=1), out_shape
    # Gemm takes 2-D inputs only; MatMul broadcasts over the middle axes
    weight_t = builder.constant(f"{name}.weight_t", weight.T)
    product = builder.node("MatMul", [x, weight_t], f"{name}_MatMul")
    if bias is None:
        return product, out_shape
    return builder.node("Add", [product, bias], f"{name}_Add"), out_shape


register_layer(
    Linear,
    settings={"in_features": COUNT, "out_features": COUNT, "bias": FLAG},
    config=lambda layer: {"in_features": layer.in_features, "out_features": layer.out_features,
                          "bias": layer.bias is not None},
    state=_linear_state,
    export=_export_linear,
    input_shape=lambda layer: (layer.in_features,),
    feature_axis="last",
)
register_layer(Identity, export=elementwise("Identity"), keeps_shape=True)
