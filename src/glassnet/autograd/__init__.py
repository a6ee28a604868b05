"""The autograd engine: Tensor, Function, the backward pass and gradcheck."""

from glassnet.autograd.constructors import as_tensor, from_numpy, input_tensor, tensor
from glassnet.autograd.dtypes import get_default_dtype, result_type, set_default_dtype
from glassnet.autograd.function import Function, unbroadcast
from glassnet.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from glassnet.autograd.gradcheck import gradcheck
from glassnet.autograd.tensor import Tensor, concatenate, matmul, stack, where

__all__ = [
    "Function",
    "Tensor",
    "as_tensor",
    "concatenate",
    "enable_grad",
    "from_numpy",
    "get_default_dtype",
    "gradcheck",
    "input_tensor",
    "is_grad_enabled",
    "matmul",
    "no_grad",
    "result_type",
    "set_default_dtype",
    "set_grad_enabled",
    "stack",
    "tensor",
    "unbroadcast",
    "where",
]
