"""Recurrent layers with PyTorch's arguments, parameter names, gate order and initialisation:
``RNN`` (tanh or relu), ``GRU`` and ``LSTM``; and ``LastTimeStep``, which puts one in a
``Sequential``.

A layer of ``num_layers`` stacked layers, each one or two directions, runs one op per layer and
direction (``glassnet.functional.recurrent_ops``): weights move between PyTorch and glassnet by
``state_dict`` (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, …, ``_reverse`` for the
second direction). Each is registered (see ``glassnet.nn.registry``) with its settings, tensors
and ONNX form (recurrent_export.py).
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from glassnet import functional as F
from glassnet.autograd import (
    Tensor,
    concatenate,
    converted,
    default_float,
    from_numpy,
    get_default_dtype,
    input_tensor,
    result_type,
    stack,
)
from glassnet.errors import ShapeError
from glassnet.functional.recurrent_ops import GRULayer, LSTMLayer, RecurrentLayer, RNNLayer
from glassnet.nn import init
from glassnet.nn.module import Module, Parameter
from glassnet.nn.recurrent_export import (
    MAX_LAYERS,
    export_last_time_step,
    export_recurrent,
    recurrent_state,
)
from glassnet.nn.registry import COUNT, FLAG, choice, integer, number, register_layer

NONLINEARITIES = ("tanh", "relu")


def _check_count(value: Any, name: str, who: str) -> int:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1:
        return int(value)
    raise ValueError(f"{who}: {name} must be an integer >= 1; got {value!r:.60}.")


class RecurrentBase(Module):
    """The part RNN, GRU and LSTM share: arguments, parameters, and running the layers.

    Input x: (L, N, input_size), or (N, L, input_size) with ``batch_first``, or (L, input_size)
    for one unbatched sequence. Initial state hx: (D·num_layers, N, hidden_size) ((D·num_layers,
    hidden_size) unbatched), zeros when not given; D = 2 if ``bidirectional`` else 1. Returns
    (output, h_n): output (L, N, D·hidden_size) (batch first if asked) holds the last layer's
    state at every step, both directions side by side; h_n every layer's and direction's last
    state, row layer·D + direction. ``dropout``: in training, inverted dropout on the output of
    every layer but the last, drawn from glassnet's generator.
    """

    gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ) -> None:
        super().__init__()
        who = type(self).__name__
        self.input_size = _check_count(input_size, "input_size", who)
        self.hidden_size = _check_count(hidden_size, "hidden_size", who)
        self.num_layers = _check_count(num_layers, "num_layers", who)
        for flag, value in (("bias", bias), ("batch_first", batch_first),
                            ("bidirectional", bidirectional)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{who}: {flag} must be True or False; got {value!r:.60}.")
        if (not isinstance(dropout, numbers.Real) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError(f"{who}: dropout must be a probability from 0 to 1; got "
                             f"{dropout!r:.60}.")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{who}: dropout={dropout} acts between stacked layers only, and "
                          "there is one (num_layers=1): it does nothing.", stacklevel=3)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        dtype = get_default_dtype()
        rows = self.gates * self.hidden_size
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.directions * self.hidden_size
            for suffix in self._suffixes():
                shapes = {"weight_ih": (rows, layer_input), "weight_hh": (rows, self.hidden_size)}
                if self.bias:
                    shapes.update(bias_ih=(rows,), bias_hh=(rows,))
                for name, shape in shapes.items():
                    # from_numpy: arrays made here for the parameters, nothing to copy them from
                    parameter = Parameter(from_numpy(np.empty(shape, dtype)))
                    setattr(self, f"{name}_l{layer}{suffix}", parameter)
        self.reset_parameters()

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def reset_parameters(self) -> None:
        """Every weight and bias from U(−1/√hidden_size, 1/√hidden_size), in parameter order."""
        bound = 1 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            init.uniform_(parameter, -bound, bound)

    def layer_parameters(self, layer: int, direction: int) -> list[Parameter]:
        """[W_ih, W_hh] (and [b_ih, b_hh] with bias) of one layer and direction."""
        suffix = self._suffixes()[direction]
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        return [getattr(self, f"{name}_l{layer}{suffix}") for name in names]

    def _layer_op(self, reverse: bool) -> RecurrentLayer:
        raise NotImplementedError

    # -- input checks ---------------------------------------------------------------------------
    def _input_shape_text(self) -> str:
        layout = "N, L" if self.batch_first else "L, N"
        return f"({layout}, {self.input_size}) or (L, {self.input_size}) for one sequence"

    def _sequence(self, input: Any) -> tuple[Tensor, bool]:
        """The input as a time-major float Tensor (L, N, input_size), and whether it was batched."""
        x = input_tensor(input, like=self.weight_ih_l0)
        who = type(self).__name__
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ShapeError(f"{who}(input_size={self.input_size}) expects input of shape "
                             f"{self._input_shape_text()}; got {x.shape}.")
        length = x.shape[1] if x.ndim == 3 and self.batch_first else x.shape[0]
        if length == 0:
            raise ShapeError(f"{who} needs sequences of at least one step; got input of shape "
                             f"{x.shape}.")
        if x.ndim == 2:
            return x.reshape(x.shape[0], 1, self.input_size), False
        return (x.transpose(1, 0, 2) if self.batch_first else x), True

    def _initial_state(self, hx: Any, batch: int, batched: bool, what: str) -> Tensor | None:
        """hx as (D·num_layers, N, hidden_size), checked; None when not given."""
        if hx is None:
            return None
        state = input_tensor(hx, like=self.weight_ih_l0)
        rows = self.directions * self.num_layers
        expected = (rows, batch, self.hidden_size) if batched else (rows, self.hidden_size)
        if state.shape != expected:
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise ShapeError(f"{type(self).__name__}: for {kind} input, {what} must have shape "
                             f"{expected} (D·num_layers, {'N, ' if batched else ''}hidden_size)"
                             f"; got {state.shape}.")
        return state if batched else state.reshape(rows, 1, self.hidden_size)

    # -- the layers -----------------------------------------------------------------------------
    def _run(self, input: Any, states: list[Any]) -> tuple[Tensor, list[Tensor], bool]:
        """(output, [h_n, (c_n)], batched) for the input and initial states (None: zeros)."""
        x, batched = self._sequence(input)
        length, batch = x.shape[0], x.shape[1]
        initial = [self._initial_state(state, batch, batched, name)
                   for state, name in zip(states, ("h_0", "c_0")[:len(states)], strict=False)]
        dtype = result_type(x, *[s for s in initial if s is not None], self.weight_ih_l0)
        if dtype.kind != "f":
            dtype = default_float()
        x = converted(x, dtype)
        initial = [None if s is None else converted(s, dtype) for s in initial]
        zeros = Tensor(np.zeros((batch, self.hidden_size), dtype))
        finals: list[list[Tensor]] = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.directions):
                row = layer * self.directions + direction
                start = [zeros if s is None else s[row] for s in initial]
                weights = [converted(p, dtype) for p in self.layer_parameters(layer, direction)]
                out = self._layer_op(reverse=direction == 1).apply(x, *start, *weights)
                last = 0 if direction == 1 else length - 1
                finals[0].append(out[last])
                if len(states) == 2:  # the LSTM's op also returns its last cell state, row L
                    finals[1].append(out[length])
                    out = out[:length]
                outputs.append(out)
            x = outputs[0] if len(outputs) == 1 else concatenate(outputs, axis=2)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout)
        output = x if batched else x.reshape(length, -1)
        if batched and self.batch_first:
            output = output.transpose(1, 0, 2)
        last_states = []
        for rows in finals:
            state = stack(rows, axis=0)
            last_states.append(state if batched else state.reshape(len(rows), -1))
        return output, last_states, batched

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        defaults = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
                    "bidirectional": False}
        for name, default in defaults.items():
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text


class RNN(RecurrentBase):
    """h_t = f(x_t @ W_ihᵀ + b_ih + h_{t−1} @ W_hhᵀ + b_hh), f = tanh (or relu).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; W_ih: (H, I), W_hh: (H, H).
    ``forward(x, hx=None) -> (output, h_n)``; shapes in RecurrentBase.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ) -> None:
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu'; got "
                             f"{nonlinearity!r:.60}.")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)
        self.nonlinearity = nonlinearity

    def _layer_op(self, reverse: bool) -> RecurrentLayer:
        return RNNLayer(reverse, self.nonlinearity)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        output, (h_n,), _ = self._run(input, [hx])
        return output, h_n

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + (f", nonlinearity={self.nonlinearity!r}" if self.nonlinearity != "tanh"
                       else "")


class GRU(RecurrentBase):
    """The gated recurrent unit, PyTorch's form (gates r, z, n stacked in that order):

        r = σ(W_ir x + b_ir + W_hr h + b_hr),   z = σ(W_iz x + b_iz + W_hz h + b_hz),
        n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),   h′ = (1 − z) ⊙ n + z ⊙ h.

    W_ih: (3H, I), W_hh: (3H, H). ``forward(x, hx=None) -> (output, h_n)``; shapes in
    RecurrentBase. In a Sequential, follow it with ``LastTimeStep()``.
    """

    gates = 3

    def _layer_op(self, reverse: bool) -> RecurrentLayer:
        return GRULayer(reverse)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        output, (h_n,), _ = self._run(input, [hx])
        return output, h_n


class LSTM(RecurrentBase):
    """Long short-term memory (gates i, f, g, o stacked in that order):

        i, f, o = σ(W_i· x + b_i· + W_h· h + b_h·),   g = tanh(W_ig x + b_ig + W_hg h + b_hg),
        c′ = f ⊙ c + i ⊙ g,   h′ = o ⊙ tanh(c′).

    W_ih: (4H, I), W_hh: (4H, H). ``forward(x, (h_0, c_0)=None) -> (output, (h_n, c_n))``, c
    shaped as h (see RecurrentBase). ``proj_size`` (PyTorch's projected LSTM) is refused.
    """

    gates = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
    ) -> None:
        if proj_size != 0:
            raise ValueError(f"LSTM: proj_size={proj_size!r:.60} asks for a projected LSTM, "
                             "which glassnet does not have; leave proj_size=0.")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)

    def _layer_op(self, reverse: bool) -> RecurrentLayer:
        return LSTMLayer(reverse)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        if hx is None:
            states: list[Any] = [None, None]
        elif isinstance(hx, (tuple, list)) and len(hx) == 2:
            states = list(hx)
        else:
            raise TypeError(f"LSTM expects hx as a pair (h_0, c_0); got "
                            f"{type(hx).__name__}.")
        output, (h_n, c_n), _ = self._run(input, states)
        return output, (h_n, c_n)


class LastTimeStep(Module):
    """y = the last layer's final state: what a sequence classifier reads after a recurrent layer.

    Takes what RNN, GRU and LSTM return, (output, h_n) or (output, (h_n, c_n)), and returns
    h_n of the last layer: (N, H), which equals output at the last time step; for a
    bidirectional layer (N, 2H), the forward direction's state after the last step beside the
    reverse direction's after the first (each direction's final state). Unbatched: (H,) or (2H,).

    A sequence classifier, trained by gn.fit (X: (N, L, 1) sequences, y: class indices):

    >>> import glassnet as gn
    >>> model = gn.nn.Sequential(gn.nn.GRU(1, 8, batch_first=True), gn.nn.LastTimeStep(),
    ...                          gn.nn.Linear(8, 2))
    >>> X = gn.random.default_generator().normal(size=(64, 40, 1)).astype("float32")
    >>> y = (X[:, 0, 0] > 0).astype("int64")
    >>> optimizer = gn.optim.Adam(model.parameters(), lr=0.01)
    >>> history = gn.fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=2,
    ...                  verbose=0)
    >>> gn.predict(model, X).shape
    (64, 2)
    """

    def forward(self, outputs: Any) -> Tensor:
        if not (isinstance(outputs, tuple) and len(outputs) == 2):
            raise TypeError("LastTimeStep expects what a recurrent layer returns, (output, h_n) "
                            f"or (output, (h_n, c_n)); got {type(outputs).__name__}.")
        output, state = outputs
        h_n = state[0] if isinstance(state, tuple) else state
        hidden, features = h_n.shape[-1], output.shape[-1]
        if features not in (hidden, 2 * hidden) or h_n.ndim != output.ndim:
            raise ShapeError(f"LastTimeStep expects output with H or 2H features for h_n of "
                             f"{hidden} (H) features; got output {output.shape} and h_n "
                             f"{h_n.shape}.")
        if features == hidden:
            return h_n[-1]
        return concatenate([h_n[-2], h_n[-1]], axis=-1)


_SETTINGS = {"input_size": COUNT, "hidden_size": COUNT, "num_layers": integer(1, MAX_LAYERS),
             "bias": FLAG, "batch_first": FLAG, "dropout": number(0.0, 1.0),
             "bidirectional": FLAG}
register_layer(RNN, settings={**_SETTINGS, "nonlinearity": choice(*NONLINEARITIES)},
               state=lambda config: recurrent_state("RNN", config), export=export_recurrent)
register_layer(GRU, settings=_SETTINGS, state=lambda config: recurrent_state("GRU", config),
               export=export_recurrent)
register_layer(LSTM, settings=_SETTINGS, state=lambda config: recurrent_state("LSTM", config),
               export=export_recurrent)
register_layer(LastTimeStep, export=export_last_time_step)
