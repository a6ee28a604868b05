"""A model's architecture as plain JSON, and back, through an explicit registry of layer types.

``describe(model)`` turns a ``Sequential`` of glassnet layers into, for example::

    {"type": "Sequential", "layers": [
        {"type": "Linear", "in_features": 4, "out_features": 8, "bias": true},
        {"type": "ReLU"}, ...]}

``build(config)`` rebuilds it. Nothing named in a file is ever imported or evaluated: the type
name is looked up in ``LAYER_TYPES`` and every constructor argument is checked (type, range)
before any constructor runs. ``expected_state(config)`` predicts every tensor's name and shape
from the configuration alone, so a hostile file cannot make glassnet allocate more than it holds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glassnet import nn, random
from glassnet.errors import ModelFormatError

Validator = Callable[[Any, str], Any]
StateSpec = dict[str, tuple[tuple[int, ...], str]]  # tensor name -> (shape, "float" | "int64")

MAX_FEATURES = 2**31 - 1
MAX_NESTING = 16
# Every layer and every Sequential counts one, as model.modules() counts them. Generous for a
# model glassnet trains, and it bounds what a file can make load do before a layer is checked.
MAX_MODULES = 10_000


def _count(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_FEATURES:
        return value
    raise ModelFormatError(f"{where} must be a positive integer; got {value!r:.60}.")


def _axis(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and -64 <= value < 64:
        return value
    raise ModelFormatError(f"{where} must be an integer axis from -64 to 63; got {value!r:.60}.")


def _flag(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ModelFormatError(f"{where} must be true or false; got {value!r:.60}.")


def _number(low: float = -math.inf, high: float = math.inf, optional: bool = False) -> Validator:
    def check(value: Any, where: str) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value) and low <= value <= high:
                return float(value)
        bounds = f" between {low} and {high}" if math.isfinite(low) or math.isfinite(high) else ""
        nothing = " or null" if optional else ""
        raise ModelFormatError(f"{where} must be a finite number{bounds}{nothing}; got "
                               f"{value!r:.60}.")

    return check


def _choice(*options: str) -> Validator:
    def check(value: Any, where: str) -> str:
        if value in options and isinstance(value, str):
            return value
        raise ModelFormatError(f"{where} must be one of {', '.join(options)}; got {value!r:.60}.")

    return check


def _shape(value: Any, where: str) -> list[int]:
    if isinstance(value, list) and 1 <= len(value) <= 8:
        sizes = [_count(size, f"{where}[{i}]") for i, size in enumerate(value)]
        if math.prod(sizes) <= MAX_FEATURES:
            return sizes
    raise ModelFormatError(f"{where} must be a list of 1 to 8 positive integers; got "
                           f"{value!r:.60}.")


@dataclass(frozen=True)
class LayerSpec:
    """How one layer type is described, validated, sized and rebuilt."""

    layer: type[nn.Module]
    fields: dict[str, Validator] = field(default_factory=dict)
    state: Callable[[dict[str, Any]], StateSpec] = lambda config: {}
    read: Callable[[Any], dict[str, Any]] | None = None  # None: the attributes named as fields


def _linear_state(c: dict[str, Any]) -> StateSpec:
    state = {"weight": ((c["out_features"], c["in_features"]), "float")}
    if c["bias"]:
        state["bias"] = ((c["out_features"],), "float")
    return state


def _batch_norm_state(c: dict[str, Any]) -> StateSpec:
    features: tuple[int, ...] = (c["num_features"],)
    state: StateSpec = {}
    if c["affine"]:
        state.update(weight=(features, "float"), bias=(features, "float"))
    if c["track_running_stats"]:
        state.update(running_mean=(features, "float"), running_var=(features, "float"),
                     num_batches_tracked=((), "int64"))
    return state


def _layer_norm_state(c: dict[str, Any]) -> StateSpec:
    shape = tuple(c["normalized_shape"])
    state: StateSpec = {}
    if c["elementwise_affine"]:
        state["weight"] = (shape, "float")
        if c["bias"]:
            state["bias"] = (shape, "float")
    return state


def _read_layer_norm(module: Any) -> dict[str, Any]:
    has_bias = module.bias is not None if module.elementwise_affine else True
    return {"normalized_shape": list(module.normalized_shape), "eps": module.eps,
            "elementwise_affine": module.elementwise_affine, "bias": has_bias}


_EPS = _number(0.0)
LAYER_TYPES: dict[str, LayerSpec] = {
    "Linear": LayerSpec(
        nn.Linear, {"in_features": _count, "out_features": _count, "bias": _flag}, _linear_state,
        lambda m: {"in_features": m.in_features, "out_features": m.out_features,
                   "bias": m.bias is not None},
    ),
    "Identity": LayerSpec(nn.Identity),
    "ReLU": LayerSpec(nn.ReLU),
    "Sigmoid": LayerSpec(nn.Sigmoid),
    "Tanh": LayerSpec(nn.Tanh),
    "Softplus": LayerSpec(nn.Softplus),
    "LeakyReLU": LayerSpec(nn.LeakyReLU, {"negative_slope": _number()}),
    "GELU": LayerSpec(nn.GELU, {"approximate": _choice("none", "tanh")}),
    "Softmax": LayerSpec(nn.Softmax, {"dim": _axis}),
    "LogSoftmax": LayerSpec(nn.LogSoftmax, {"dim": _axis}),
    "Flatten": LayerSpec(nn.Flatten, {"start_dim": _axis, "end_dim": _axis}),
    "Dropout": LayerSpec(nn.Dropout, {"p": _number(0.0, 1.0)}),
    "BatchNorm1d": LayerSpec(
        nn.BatchNorm1d,
        {"num_features": _count, "eps": _EPS, "momentum": _number(optional=True),
         "affine": _flag, "track_running_stats": _flag},
        _batch_norm_state,
    ),
    "LayerNorm": LayerSpec(
        nn.LayerNorm,
        {"normalized_shape": _shape, "eps": _EPS, "elementwise_affine": _flag, "bias": _flag},
        _layer_norm_state, _read_layer_norm,
    ),
}
_TYPE_NAMES = {spec.layer: name for name, spec in LAYER_TYPES.items()}
_CHILD_NAME = re.compile(r"[0-9]+|[A-Za-z][A-Za-z0-9_]*")


# -- model -> JSON ------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def describe(model: nn.Module, where: str = "model") -> dict[str, Any]:
    """The JSON architecture of ``model``; TypeError naming the first layer that cannot be saved."""
    kind = type(model)
    if kind is nn.Sequential:
        names = [name for name, _ in model.named_children()]
        config: dict[str, Any] = {
            "type": "Sequential",
            "layers": [describe(child, f"{where}[{name!r}]") for name, child in
                       model.named_children()],
        }
        if names != [str(i) for i in range(len(names))]:
            config["names"] = names
        return config
    if kind not in _TYPE_NAMES:
        savable = ", ".join(["Sequential", *LAYER_TYPES])
        raise TypeError(
            f"cannot save {where}: it is a {kind.__qualname__}, which glassnet cannot rebuild "
            f"from a file without running its code. Savable layers: {savable}. Save its "
            "weights with model.state_dict() and safetensors.numpy.save_file instead."
        )
    if any(True for _ in model.children()):
        raise TypeError(f"cannot save {where}: this {kind.__name__} has sub-modules attached, "
                        "which its type does not describe.")
    spec = LAYER_TYPES[_TYPE_NAMES[kind]]
    raw = spec.read(model) if spec.read else {name: getattr(model, name) for name in spec.fields}
    return {"type": _TYPE_NAMES[kind], **{name: _plain(value) for name, value in raw.items()}}


# -- JSON -> checked config -> model ------------------------------------------------------------
_TOO_MANY_MODULES = (f"more than {MAX_MODULES} modules (layers and Sequentials, as "
                     f"model.modules() counts them); a glassnet file holds at most {MAX_MODULES}")
_TOO_DEEP = f"Sequentials nested more than {MAX_NESTING} deep"


def check_model_size(model: nn.Module) -> None:
    """ValueError if ``model`` has more than MAX_MODULES modules or nests deeper than MAX_NESTING;
    the walk stops at the first bound passed."""
    pending, count = [(model, 0)], 0
    while pending:
        module, depth = pending.pop()
        count += 1
        if depth > MAX_NESTING:
            raise ValueError(f"cannot save this model: {_TOO_DEEP}.")
        for child in module.children():
            pending.append((child, depth + 1))
            if count + len(pending) > MAX_MODULES:
                raise ValueError(f"cannot save this model: it has {_TOO_MANY_MODULES}.")


def _check_config_size(config: Any) -> None:
    """ModelFormatError for more than MAX_MODULES modules or nesting deeper than MAX_NESTING.

    Runs before any layer is validated and looks at MAX_MODULES entries at most, so a file
    cannot make loading slow before it is refused.
    """
    pending, declared = [(config, 0)], 1
    while pending:
        node, depth = pending.pop()
        if depth > MAX_NESTING:
            raise ModelFormatError(f"architecture: {_TOO_DEEP}.")
        if not (isinstance(node, dict) and node.get("type") == "Sequential"
                and isinstance(node.get("layers"), list)):
            continue  # a layer, or something _validate refuses with a message
        declared += len(node["layers"])
        if declared > MAX_MODULES:
            raise ModelFormatError(f"architecture: {_TOO_MANY_MODULES}.")
        pending.extend((child, depth + 1) for child in node["layers"])


def validate(config: Any) -> dict[str, Any]:
    """``config`` with every value checked; ModelFormatError saying which value is wrong.

    Its size (modules, nesting) is checked first, before any layer.
    """
    _check_config_size(config)
    return _validate(config, "architecture")


def _validate(config: Any, where: str) -> dict[str, Any]:
    if not isinstance(config, dict) or not isinstance(config.get("type"), str):
        raise ModelFormatError(f"{where} must be an object with a string 'type'; got "
                               f"{config!r:.80}.")
    kind = config["type"]
    if kind == "Sequential":
        return _validate_sequential(config, where)
    if kind not in LAYER_TYPES:
        raise ModelFormatError(
            f"{where}: unknown layer type {kind!r:.60}. Known types: "
            f"{', '.join(['Sequential', *LAYER_TYPES])}."
        )
    spec = LAYER_TYPES[kind]
    given = set(config) - {"type"}
    if given != set(spec.fields):
        missing, extra = set(spec.fields) - given, given - set(spec.fields)
        raise ModelFormatError(
            f"{where} ({kind}): expected the settings {sorted(spec.fields)}; missing "
            f"{sorted(missing)}, unexpected {sorted(extra, key=str)[:5]}."
        )
    checked = {name: check(config[name], f"{where}.{name}") for name, check in spec.fields.items()}
    return {"type": kind, **checked}


def _validate_sequential(config: dict[str, Any], where: str) -> dict[str, Any]:
    layers = config.get("layers")
    if set(config) - {"type", "layers", "names"} or not isinstance(layers, list):
        raise ModelFormatError(f"{where} (Sequential) must have a 'layers' list and optional "
                               f"'names'; got keys {sorted(config)[:6]}.")
    names = config.get("names", [str(i) for i in range(len(layers))])
    reserved = set(dir(nn.Sequential()))
    if (
        not isinstance(names, list)
        or len(names) != len(layers)
        or len(set(map(str, names))) != len(names)
        or not all(isinstance(n, str) and _CHILD_NAME.fullmatch(n) and n not in reserved
                   for n in names)
    ):
        raise ModelFormatError(f"{where}.names must be {len(layers)} distinct layer names "
                               f"(letters, digits, '_'); got {names!r:.80}.")
    children = [_validate(layer, f"{where}[{name!r}]")
                for name, layer in zip(names, layers, strict=True)]
    checked: dict[str, Any] = {"type": "Sequential", "layers": children}
    if "names" in config:
        checked["names"] = names
    return checked


def _children(config: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    names = config.get("names", [str(i) for i in range(len(config["layers"]))])
    return list(zip(names, config["layers"], strict=True))


def expected_state(config: dict[str, Any], prefix: str = "") -> StateSpec:
    """Every tensor a model of this (validated) config holds: name -> (shape, kind)."""
    if config["type"] == "Sequential":
        state: StateSpec = {}
        for name, child in _children(config):
            state.update(expected_state(child, f"{prefix}{name}."))
        return state
    return {prefix + name: spec for name, spec in LAYER_TYPES[config["type"]].state(config).items()}


def _construct(config: dict[str, Any]) -> nn.Module:
    if config["type"] == "Sequential":
        return nn.Sequential({name: _construct(child) for name, child in _children(config)})
    spec = LAYER_TYPES[config["type"]]
    return spec.layer(**{name: config[name] for name in spec.fields})


def build(config: dict[str, Any]) -> nn.Module:
    """A fresh model of a validated config. glassnet's random generator is left as it was."""
    generator = random.default_generator()
    saved = generator.bit_generator.state  # constructors draw initial weights we overwrite
    try:
        return _construct(config)
    finally:
        generator.bit_generator.state = saved
