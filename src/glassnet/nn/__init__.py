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
from glassnet.nn.convolution import Conv1d, Conv2d
from glassnet.nn.dropout import Dropout, Dropout2d
from glassnet.nn.embedding import Embedding
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
from glassnet.nn.normalization_2d import BatchNorm2d
from glassnet.nn.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from glassnet.nn.recurrent import GRU, LSTM, RNN, LastTimeStep
from glassnet.nn.registry import register_layer, unregister_layer
from glassnet.nn.summary import ModelSummary

__all__ = [
    "ACTIVATIONS",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Dropout2d",
    "Embedding",
    "Flatten",
    "GELU",
    "GRU",
    "HuberLoss",
    "Identity",
    "L1Loss",
    "LSTM",
    "LastTimeStep",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LoadResult",
    "LogSoftmax",
    "MSELoss",
    "MaxPool1d",
    "MaxPool2d",
    "ModelSummary",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "RNN",
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
