"""The file and ONNX forms of the recurrent layers (registered in recurrent.py).

ONNX has RNN, GRU and LSTM operators, one per layer (both directions in one node), with its own
gate order: GRU z, r, h (PyTorch: r, z, n) and ``linear_before_reset=1`` for PyTorch's
n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); LSTM i, o, f, c (PyTorch: i, f, g, o). The
weights are reordered here. ONNX runs time first, (L, batch, features), and its output Y is
(L, directions, batch, H): Transposes and a Reshape turn a batch-first model's input and output
into glassnet's (batch, L, directions·H).
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from glassnet.errors import ShapeError
from glassnet.nn.registry import Shape, StateSpec

# torch's gate blocks, in the order ONNX stacks them
ONNX_GATE_ORDER = {"RNN": [0], "GRU": [1, 0, 2], "LSTM": [0, 3, 1, 2]}
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
MAX_LAYERS = 1024  # a file's num_layers; state() lists 4·D tensors per layer before any check

# For each graph being built: the values that are a recurrent layer's output sequence, with
# (directions, hidden_size), which LastTimeStep needs and the value's shape does not tell.
_SEQUENCES: weakref.WeakKeyDictionary[Any, dict[str, tuple[int, int]]] = (
    weakref.WeakKeyDictionary()
)


def recurrent_state(kind: str, config: dict[str, Any]) -> StateSpec:
    """Every tensor of a recurrent layer of this configuration: name -> (shape, "float")."""
    rows, hidden = GATES[kind] * config["hidden_size"], config["hidden_size"]
    directions = 2 if config["bidirectional"] else 1
    state: StateSpec = {}
    for layer in range(config["num_layers"]):
        inputs = config["input_size"] if layer == 0 else directions * hidden
        for suffix in ("", "_reverse")[:directions]:
            state[f"weight_ih_l{layer}{suffix}"] = ((rows, inputs), "float")
            state[f"weight_hh_l{layer}{suffix}"] = ((rows, hidden), "float")
            if config["bias"]:
                state[f"bias_ih_l{layer}{suffix}"] = ((rows,), "float")
                state[f"bias_hh_l{layer}{suffix}"] = ((rows,), "float")
    return state


def _onnx_order(weight: np.ndarray, kind: str) -> np.ndarray:
    """Rows of the gate blocks of ``weight`` ((G·H, …) or (G·H,)) in ONNX's order."""
    gates = GATES[kind]
    blocks = weight.reshape(gates, weight.shape[0] // gates, *weight.shape[1:])
    return blocks[ONNX_GATE_ORDER[kind]].reshape(weight.shape)


def export_recurrent(
    builder: Any, layer: Any, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    """(batch, L, input_size) -> (batch, L, D·H): one ONNX RNN/GRU/LSTM node per layer."""
    b, kind = builder, type(layer).__name__
    if not layer.batch_first:
        raise ShapeError(f"{name} ({kind}) has batch_first=False; ONNX graphs here take the "
                         f"batch first. Export a {kind} built with batch_first=True (its "
                         "state_dict loads into it unchanged).")
    if len(shape) != 2 or shape[1] != layer.input_size:
        raise ShapeError(f"{name} ({kind}) expects samples of shape (sequence_length, "
                         f"{layer.input_size}); the layers before it produce {shape}. Pass "
                         f"n_features=(sequence_length, {layer.input_size}) to export.")
    directions, hidden = layer.directions, layer.hidden_size
    attributes: dict[str, Any] = {"hidden_size": hidden,
                                  "direction": "bidirectional" if directions == 2 else "forward"}
    if kind == "GRU":
        attributes["linear_before_reset"] = 1
    if kind == "RNN":
        attributes["activations"] = [layer.nonlinearity.capitalize()] * directions
    value = b.node("Transpose", [x], f"{name}_time_first", perm=[1, 0, 2])
    for number in range(layer.num_layers):
        parameters = [layer.layer_parameters(number, d) for d in range(directions)]
        stacked = {
            "W": np.stack([_onnx_order(p[0].data, kind) for p in parameters]),
            "R": np.stack([_onnx_order(p[1].data, kind) for p in parameters]),
        }
        if layer.bias:
            stacked["B"] = np.stack([np.concatenate([_onnx_order(p[2].data, kind),
                                                     _onnx_order(p[3].data, kind)])
                                     for p in parameters])
        inputs = [value] + [b.constant(f"{name}.l{number}.{key}", array)
                            for key, array in stacked.items()]
        sequence = b.node(kind, inputs, f"{name}_l{number}_{kind}", **attributes)
        last = number == layer.num_layers - 1
        # Y is (L, D, batch, H): the next layer wants (L, batch, D·H), the model (batch, L, D·H)
        perm = [2, 0, 1, 3] if last else [0, 2, 1, 3]
        moved = b.node("Transpose", [sequence], f"{name}_l{number}_directions_last", perm=perm)
        target = b.constant(f"{name}.l{number}.shape", [0, 0, directions * hidden],
                            dtype=np.int64)
        value = b.node("Reshape", [moved, target], f"{name}_l{number}_joined")
    _SEQUENCES.setdefault(builder, {})[value] = (directions, hidden)
    return value, (shape[0], directions * hidden)


def export_last_time_step(
    builder: Any, layer: Any, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    """(batch, L, D·H) -> (batch, D·H): the forward direction's state at step L − 1, beside
    the reverse direction's at step 0."""
    b = builder
    found = _SEQUENCES.get(builder, {}).get(x)
    if found is None:
        raise TypeError(f"cannot export {name} (LastTimeStep) to ONNX: it must come right after "
                        "an RNN, GRU or LSTM, whose output sequence it reads.")
    directions, hidden = found
    length = shape[0]

    def slice_at(step: int, first_feature: int, label: str) -> str:
        starts = b.constant(f"{name}.{label}_starts", [step, first_feature], dtype=np.int64)
        ends = b.constant(f"{name}.{label}_ends", [step + 1, first_feature + hidden],
                          dtype=np.int64)
        axes = b.constant(f"{name}.{label}_axes", [1, 2], dtype=np.int64)
        return b.node("Slice", [x, starts, ends, axes], f"{name}_{label}")

    finals = [slice_at(length - 1, 0, "forward_final")]
    if directions == 2:
        finals.append(slice_at(0, hidden, "reverse_final"))
        joined = b.node("Concat", finals, f"{name}_finals", axis=2)
    else:
        joined = finals[0]
    flat = b.constant(f"{name}.shape", [0, directions * hidden], dtype=np.int64)
    return b.node("Reshape", [joined, flat], f"{name}_flat"), (directions * hidden,)
