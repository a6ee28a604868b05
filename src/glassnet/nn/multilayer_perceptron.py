"""``mlp``: the multi-layer perceptron as a Sequential (micrograd's ``MLP(nin, nouts)``)."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

from glassnet.nn.activation import ACTIVATIONS
from glassnet.nn.container import Sequential
from glassnet.nn.dropout import Dropout
from glassnet.nn.linear import Linear
from glassnet.nn.module import Module


def _activation_layer(activation: str | Callable[[], Module]) -> Callable[[], Module]:
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(f"mlp: activation must be one of {', '.join(ACTIVATIONS)} (or a "
                             f"callable returning a Module); got {activation!r}.")
        return ACTIVATIONS[activation]
    if callable(activation):
        return activation
    raise TypeError(f"mlp: activation must be a name ({', '.join(ACTIVATIONS)}) or a callable "
                    f"returning a Module; got {type(activation).__name__}.")


def mlp(
    sizes: Sequence[int],
    activation: str | Callable[[], Module] = "relu",
    dropout: float = 0.0,
) -> Sequential:
    """Linear layers of the given widths with an activation (and Dropout) between them.

    ``sizes`` = [in_features, hidden₁, …, out_features]:  x (N, sizes[0]) -> (N, sizes[-1]).
    Each hidden layer is Linear -> activation -> Dropout(p=dropout) (no Dropout when dropout is
    0); the last Linear has nothing after it (logits or values). The layers are numbered as
    Sequential numbers them, so the weights are "0.weight", "2.weight", … without dropout and
    "0.weight", "3.weight", … with it. ``activation``: a name from ``nn.ACTIVATIONS`` ("relu",
    "tanh", "sigmoid" or "logistic", "identity", "gelu", "leaky_relu", "softplus") or a
    callable that returns a new layer, e.g. ``lambda: nn.LeakyReLU(0.2)``.

    Example:
    >>> model = gn.nn.mlp([4, 16, 8, 3], activation="tanh", dropout=0.1)
    >>> [type(layer).__name__ for layer in model]
    ['Linear', 'Tanh', 'Dropout', 'Linear', 'Tanh', 'Dropout', 'Linear']
    >>> [name for name, _ in model.named_parameters()][::2]
    ['0.weight', '3.weight', '6.weight']
    >>> gn.predict(model, np.zeros((5, 4), np.float32)).shape
    (5, 3)
    >>> [type(layer).__name__ for layer in gn.nn.mlp([4, 1])]  # no hidden layer: linear
    ['Linear']
    """
    try:
        widths = list(sizes)
    except TypeError:
        widths = []
    if len(widths) < 2 or not all(isinstance(width, numbers.Integral)
                                  and not isinstance(width, bool) and width > 0
                                  for width in widths):
        raise ValueError(f"mlp: sizes must list at least 2 positive integers (in_features, "
                         f"…, out_features), e.g. [4, 16, 3]; got {sizes!r:.80}.")
    if not (isinstance(dropout, numbers.Real) and not isinstance(dropout, bool)
            and 0 <= dropout < 1):
        raise ValueError(f"mlp: dropout must be a probability from 0 to below 1; got "
                         f"{dropout!r}.")
    make_activation = _activation_layer(activation)
    layers: list[Module] = []
    for in_features, out_features in zip(widths[:-2], widths[1:-1], strict=True):
        layers += [Linear(int(in_features), int(out_features)), make_activation()]
        if dropout > 0:
            layers.append(Dropout(float(dropout)))
    layers.append(Linear(int(widths[-2]), int(widths[-1])))
    return Sequential(*layers)
