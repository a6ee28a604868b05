"""glassnet: a neural-network library on NumPy that shows its work."""

import importlib
from types import ModuleType

from glassnet import callbacks, fast_paths, functional, io, nn, optim
from glassnet._allocator import tune_allocator
from glassnet._version import __version__ as __version__
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
from glassnet.diagnosis import Diagnosis, Finding, diagnose
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

# The adapters sit at the edge: the core never imports them, and ``gn.onnx`` (say) imports its
# module on first use, so ``import glassnet`` does not load onnx, scikit-learn or matplotlib.
ADAPTERS = {name: f"glassnet.{name}"
            for name in ("distributed", "onnx", "plot", "sklearn", "tabular", "tutorial")}


def __getattr__(name: str) -> ModuleType:
    if name in ADAPTERS:
        return importlib.import_module(ADAPTERS[name])
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *ADAPTERS])


__all__ = [
    "DTypeError",
    "Diagnosis",
    "Explanation",
    "Finding",
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
    "diagnose",
    "enable_grad",
    "evaluate",
    "explain",
    "fast_paths",
    "fit",
    "from_numpy",
    "functional",
    "nn",
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
