"""``Linear`` and ``Identity``: the affine layer y = x Wᵀ + b, and the layer that does nothing."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from glassnet.autograd import Tensor, from_numpy, get_default_dtype, input_tensor
from glassnet.autograd.dtypes import promote, promote_arrays
from glassnet.errors import ShapeError
from glassnet.functional.layers import Linear as LinearFunction
from glassnet.nn import init
from glassnet.nn.module import Module, Parameter


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
        weight, bias = self.weight, self.bias
        x = input_tensor(x, like=weight)
        if x.data.dtype is not weight.data.dtype:  # an int batch becomes float32, say
            x, weight, bias = promote(x, weight, bias)
        if x.data.ndim < 2:  # the op also takes one sample as (in,); the layer wants a batch
            check_features(x.data, self.in_features, who="Linear")
        try:
            if bias is None:
                return LinearFunction().apply(x, weight)
            return LinearFunction().apply(x, weight, bias)
        except ShapeError:
            # the op checks the features (once per forward); a mismatch is reported in the
            # layer's own words
            check_features(x.data, self.in_features, who="Linear")
            raise

    def forward_array(self, x: np.ndarray, overwrite: bool) -> np.ndarray:
        """forward on a bare array, for inference without a graph (see Sequential)."""
        check_features(x, self.in_features, who="Linear")
        weight = self.weight.data
        bias = None if self.bias is None else self.bias.data
        if x.dtype is not weight.dtype:
            x, weight, bias = promote_arrays(x, weight, bias)
        return LinearFunction().forward(x, weight, bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """y = x.  Any shape. Accepts (and ignores) any constructor arguments, as PyTorch's does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x

    def forward_array(self, x: np.ndarray, overwrite: bool) -> np.ndarray:
        return x
