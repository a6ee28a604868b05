"""The autograd engine: Tensor, Function, the backward pass and gradcheck.

Every name glassnet's layers, losses and optimizers build on is importable from here, so they
never depend on which module of the package holds it.
"""

from glassnet.autograd.constructors import as_tensor, from_numpy, input_tensor, tensor
from glassnet.autograd.dtypes import (
    converted,
    default_float,
    get_default_dtype,
    promote,
    promote_arrays,
    promote_for_division,
    result_type,
    set_default_dtype,
)
from glassnet.autograd.function import Function, detached, unbroadcast
from glassnet.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

# is_grad_enabled without a Python call, for hot paths; importable, but not in __all__: it is
# ContextVar.get, whose docstring speaks of context variables
from glassnet.autograd.grad_mode import grad_enabled as grad_enabled
from glassnet.autograd.gradcheck import gradcheck
from glassnet.autograd.ops_unary import (
    Cast,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softplus,
    Tanh,
    sigmoid_values,
)
from glassnet.autograd.tensor import Tensor, concatenate, matmul, stack, where

__all__ = [
    # the public API (also at the top level: gn.tensor, gn.no_grad, ...)
    "Function",
    "Tensor",
    "as_tensor",
    "concatenate",
    "enable_grad",
    "from_numpy",
    "get_default_dtype",
    "gradcheck",
    "is_grad_enabled",
    "matmul",
    "no_grad",
    "result_type",
    "set_default_dtype",
    "set_grad_enabled",
    "stack",
    "tensor",
    "where",
    # the building blocks glassnet's layers and losses use, for new ops as well
    "Cast",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softplus",
    "Tanh",
    "converted",
    "default_float",
    "detached",
    "input_tensor",
    "promote",
    "promote_arrays",
    "promote_for_division",
    "sigmoid_values",
    "unbroadcast",
]
