"""The autograd engine: Tensor, Function, the backward pass and gradcheck."""

from glassnet.autograd.function import Function, unbroadcast
from glassnet.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from glassnet.autograd.gradcheck import gradcheck
from glassnet.autograd.tensor import (
    Tensor,
    as_tensor,
    concatenate,
    get_default_dtype,
    matmul,
    set_default_dtype,
    stack,
    tensor,
    where,
)

__all__ = [
    "Function",
    "Tensor",
    "as_tensor",
    "concatenate",
    "enable_grad",
    "get_default_dtype",
    "gradcheck",
    "is_grad_enabled",
    "matmul",
    "no_grad",
    "set_default_dtype",
    "set_grad_enabled",
    "stack",
    "tensor",
    "unbroadcast",
    "where",
]
