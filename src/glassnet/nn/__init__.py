"""Layers with parameters, containers and loss modules, with PyTorch's names and defaults.

Import as ``glassnet.nn`` (``gn.nn``); initialisers are in ``glassnet.nn.init``.
"""

from glassnet.nn import init, utils
from glassnet.nn.activation import (
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from glassnet.nn.container import ModuleList, Sequential
from glassnet.nn.dropout import Dropout
from glassnet.nn.flatten import Flatten
from glassnet.nn.linear import Identity, Linear
from glassnet.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from glassnet.nn.module import LoadResult, Module, Parameter, RemovableHandle
from glassnet.nn.normalization import BatchNorm1d, LayerNorm
from glassnet.nn.summary import ModelSummary

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "GELU",
    "HuberLoss",
    "Identity",
    "L1Loss",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LoadResult",
    "LogSoftmax",
    "MSELoss",
    "ModelSummary",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "RemovableHandle",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "init",
    "utils",
]
