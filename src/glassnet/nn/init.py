"""Weight initialisation, with PyTorch's names, signatures and formulas (``torch.nn.init``).

Every function fills a Parameter's (or Tensor's, or ndarray's) data in place and returns it. The
random ones draw from ``glassnet.random.default_generator()``, so ``gn.manual_seed(s)`` makes
them reproducible. Values are drawn in float64 and then cast to the array's own dtype: a float32
parameter stays float32, and the same seed gives the same weights in either precision (up to
that rounding).

Fans, for a weight of shape (out, in, *kernel):  fan_in = in·k,  fan_out = out·k,  k = Π kernel.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, TypeVar

import numpy as np

from glassnet.autograd import Tensor
from glassnet.errors import DTypeError, ShapeError
from glassnet.random import default_generator

T = TypeVar("T", Tensor, np.ndarray)

LINEAR_NONLINEARITIES = (
    "linear", "identity", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scale for weights feeding ``nonlinearity``.

    linear/conv/sigmoid: 1;  tanh: 5/3;  relu: √2;  leaky_relu: √(2 / (1 + slope²)) with
    ``param`` the negative slope (default 0.01);  selu: 3/4.
    """
    if nonlinearity in LINEAR_NONLINEARITIES:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope must be a number; got {param!r}.")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
        f"{', '.join(LINEAR_NONLINEARITIES)}, tanh, relu, leaky_relu, selu."
    )


def _array(tensor: Any, who: str) -> np.ndarray:
    """The floating ndarray behind a Parameter, Tensor or ndarray, to be filled in place."""
    array = tensor.data if isinstance(tensor, Tensor) else tensor
    if not isinstance(array, np.ndarray):
        raise DTypeError(f"{who} expects a Parameter, Tensor or ndarray; got "
                         f"{type(tensor).__name__}.")
    if array.dtype.kind != "f":
        raise DTypeError(f"{who} fills floating arrays; got dtype {array.dtype}.")
    return array


def calculate_fan_in_and_fan_out(tensor: Tensor | np.ndarray) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel); at least 2 dimensions."""
    shape = np.shape(tensor.data if isinstance(tensor, Tensor) else tensor)
    if len(shape) < 2:
        raise ShapeError(
            f"fan in and fan out need a weight with at least 2 dimensions (out, in); got shape "
            f"{shape}. Biases are initialised from the weight's fan_in instead."
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _fan(tensor: Tensor | np.ndarray, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out'; got {mode!r}.")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: T, a: float = 0.0, b: float = 1.0) -> T:
    """Fill with U(a, b)."""
    array = _array(tensor, "uniform_")
    array[...] = default_generator().uniform(a, b, size=array.shape)
    return tensor


def normal_(tensor: T, mean: float = 0.0, std: float = 1.0) -> T:
    """Fill with N(mean, std²)."""
    array = _array(tensor, "normal_")
    array[...] = default_generator().normal(mean, std, size=array.shape)
    return tensor


def constant_(tensor: T, val: float) -> T:
    """Fill with ``val``."""
    _array(tensor, "constant_")[...] = val
    return tensor


def zeros_(tensor: T) -> T:
    """Fill with 0."""
    return constant_(tensor, 0.0)


def ones_(tensor: T) -> T:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: T, gain: float = 1.0) -> T:
    """Glorot & Bengio (2010): U(−a, a), a = gain·√(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: T, gain: float = 1.0) -> T:
    """Glorot & Bengio (2010): N(0, std²), std = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std)


def _is_empty(tensor: Any, who: str) -> bool:
    if _array(tensor, who).size == 0:
        warnings.warn(f"{who}: initialising a zero-element tensor does nothing.", stacklevel=3)
        return True
    return False


def kaiming_uniform_(
    tensor: T, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> T:
    """He et al. (2015): U(−bound, bound), bound = gain·√(3 / fan), gain = calculate_gain(
    nonlinearity, a).  ``a`` is the negative slope of a following leaky ReLU (0: plain ReLU)."""
    if _is_empty(tensor, "kaiming_uniform_"):
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(
    tensor: T, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> T:
    """He et al. (2015): N(0, std²), std = gain / √fan, gain = calculate_gain(nonlinearity, a)."""
    if _is_empty(tensor, "kaiming_normal_"):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std)
