"""glassnet: a neural-network library on NumPy that shows its work."""

from glassnet import callbacks, fast_paths, functional, io, nn, onnx, optim
from glassnet._allocator import tune_allocator
from glassnet.autograd import (
    Function,
    Tensor,
    as_tensor,
    concatenate,
    enable_grad,
    from_numpy,
    get_default_dtype,
    gradcheck,
    is_grad_enabled,
    matmul,
    no_grad,
    set_default_dtype,
    set_grad_enabled,
    stack,
    tensor,
    where,
)
from glassnet.errors import (
    DTypeError,
    FolderInUseError,
    GlassnetError,
    GradcheckError,
    GraphFreedError,
    ModelFormatError,
    ShapeError,
    TrainingDiverged,
)
from glassnet.explanations import Explanation, explain
from glassnet.io import load, save
from glassnet.random import manual_seed
from glassnet.training import evaluate, fit, predict

__version__ = "0.1.0"

__all__ = [
    "DTypeError",
    "Explanation",
    "FolderInUseError",
    "Function",
    "GlassnetError",
    "GradcheckError",
    "GraphFreedError",
    "ModelFormatError",
    "ShapeError",
    "Tensor",
    "TrainingDiverged",
    "as_tensor",
    "callbacks",
    "concatenate",
    "enable_grad",
    "evaluate",
    "explain",
    "fast_paths",
    "fit",
    "from_numpy",
    "functional",
    "nn",
    "onnx",
    "optim",
    "get_default_dtype",
    "gradcheck",
    "io",
    "is_grad_enabled",
    "load",
    "manual_seed",
    "matmul",
    "no_grad",
    "predict",
    "save",
    "set_default_dtype",
    "set_grad_enabled",
    "stack",
    "tensor",
    "tune_allocator",
    "where",
]
