"""Layers with parameters, containers and loss modules, with PyTorch's names and defaults.

Import as ``glassnet.nn`` (``gn.nn``); initialisers are in ``glassnet.nn.init``. ``mlp(sizes)``
builds the usual multi-layer perceptron; ``register_layer`` makes a new layer type savable and
exportable (see ``glassnet.nn.registry``).
"""

from glassnet.nn import init, registry, utils
from glassnet.nn.activation import (
    ACTIVATIONS,
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
from glassnet.nn.multilayer_perceptron import mlp
from glassnet.nn.normalization import BatchNorm1d, LayerNorm
from glassnet.nn.registry import register_layer, unregister_layer
from glassnet.nn.summary import ModelSummary

__all__ = [
    "ACTIVATIONS",
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
    "mlp",
    "register_layer",
    "registry",
    "unregister_layer",
    "utils",
]
