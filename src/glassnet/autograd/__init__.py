"""The autograd engine: Tensor, Function, the backward pass and gradcheck.

Every name glassnet's layers, losses and optimizers build on is importable from here, so they
never depend on which module of the package holds it. The modules, in the order to read them:

    function_and_tensor   Function (an op: forward and backward) and Tensor (an array in the graph)
    engine                backward(): each node's chain rule once, from the output to the leaves
    ops_arith, ops_unary, ops_reduce, ops_shape   the ops, each formula beside its derivative;
                          and matmul, concatenate, stack, where for operands of any dtypes
    dtypes                the default float dtype and PyTorch's type promotion
    constructors          tensor, as_tensor, from_numpy
    grad_mode             no_grad and its kin
    gradient_check        gradcheck: autograd against finite differences
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
from glassnet.autograd.function_and_tensor import Function, Tensor, detached
from glassnet.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

# is_grad_enabled without a Python call, for hot paths; importable, but not in __all__: it is
# ContextVar.get, whose docstring speaks of context variables
from glassnet.autograd.grad_mode import grad_enabled as grad_enabled
from glassnet.autograd.gradient_check import gradcheck
from glassnet.autograd.ops_arith import matmul, unbroadcast
from glassnet.autograd.ops_shape import concatenate, stack, where
from glassnet.autograd.ops_unary import (
    Cast,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softplus,
    Tanh,
    sigmoid_values,
)

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
