"""A model's architecture as plain JSON, and back, through an explicit registry of layer types.

``describe(model)`` turns a ``Sequential`` of registered layers into, for example::

    {"type": "Sequential", "layers": [
        {"type": "Linear", "in_features": 4, "out_features": 8, "bias": true},
        {"type": "ReLU"}, ...]}

``build(config)`` rebuilds it. Nothing named in a file is ever imported or evaluated: the type
name is looked up in the layer registry (``glassnet.nn.registry``: each layer declares its
settings there, beside its class) and every constructor argument is checked against its
setting's kind and this format's bounds before any constructor runs. ``expected_state(config)``
predicts every tensor's name and shape from the configuration alone (each layer's registered
``state``), so a hostile file cannot make glassnet allocate more than it holds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from glassnet import nn, random
from glassnet.errors import ModelFormatError
from glassnet.nn.registry import (
    REQUIRED,
    LayerType,
    Setting,
    StateSpec,
    layer_type,
    layer_type_of,
    layer_types,
)

MAX_FEATURES = 2**31 - 1
MAX_NESTING = 16
# Every layer and every Sequential counts one, as model.modules() counts them. Generous for a
# model glassnet trains, and it bounds what a file can make load do before a layer is checked.
MAX_MODULES = 10_000
MAX_AXIS = 64
MAX_SHAPE_AXES = 8


# -- one check per kind of setting (glassnet.nn.registry.Setting) ------------------------------
def _count(setting: Setting, value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_FEATURES:
        return value
    raise ModelFormatError(f"{where} must be a positive integer; got {value!r:.60}.")


def _integer(setting: Setting, value: Any, where: str) -> int:
    low, high = max(setting.low, -MAX_FEATURES), min(setting.high, MAX_FEATURES)
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    raise ModelFormatError(f"{where} must be an integer from {low:g} to {high:g}; got "
                           f"{value!r:.60}.")


def _axis(setting: Setting, value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and -MAX_AXIS <= value < MAX_AXIS:
        return value
    raise ModelFormatError(f"{where} must be an integer axis from {-MAX_AXIS} to "
                           f"{MAX_AXIS - 1}; got {value!r:.60}.")


def _flag(setting: Setting, value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ModelFormatError(f"{where} must be true or false; got {value!r:.60}.")


def _number(setting: Setting, value: Any, where: str) -> float | None:
    low, high = setting.low, setting.high
    if value is None and setting.optional:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isfinite(value) and low <= value <= high:
            return float(value)
    bounds = f" between {low} and {high}" if math.isfinite(low) or math.isfinite(high) else ""
    nothing = " or null" if setting.optional else ""
    raise ModelFormatError(f"{where} must be a finite number{bounds}{nothing}; got "
                           f"{value!r:.60}.")


def _choice(setting: Setting, value: Any, where: str) -> str:
    if isinstance(value, str) and value in setting.options:
        return value
    raise ModelFormatError(f"{where} must be one of {', '.join(setting.options)}; got "
                           f"{value!r:.60}.")


def _shape(setting: Setting, value: Any, where: str) -> list[int]:
    if isinstance(value, list) and 1 <= len(value) <= MAX_SHAPE_AXES:
        sizes = [_count(setting, size, f"{where}[{i}]") for i, size in enumerate(value)]
        if math.prod(sizes) <= MAX_FEATURES:
            return sizes
    raise ModelFormatError(f"{where} must be a list of 1 to {MAX_SHAPE_AXES} positive integers; "
                           f"got {value!r:.60}.")


def _integer_or_list(setting: Setting, value: Any) -> int | tuple[int, ...] | None:
    """``value`` as an int or a tuple of ``setting.length`` ints within bounds, else None."""
    low, high = max(setting.low, -MAX_FEATURES), min(setting.high, MAX_FEATURES)

    def fits(item: Any) -> bool:
        return isinstance(item, int) and not isinstance(item, bool) and low <= item <= high

    if fits(value):
        return value
    if isinstance(value, list) and len(value) == setting.length and all(map(fits, value)):
        return tuple(value)
    return None


def _integers_wanted(setting: Setting) -> str:
    low, high = int(max(setting.low, -MAX_FEATURES)), int(min(setting.high, MAX_FEATURES))
    return f"an integer from {low} to {high}, or a list of {setting.length} such integers"


def _integers(setting: Setting, value: Any, where: str) -> int | tuple[int, ...] | None:
    if value is None and setting.optional:
        return None
    checked = _integer_or_list(setting, value)
    if checked is None:
        nothing = ", or null" if setting.optional else ""
        raise ModelFormatError(f"{where} must be {_integers_wanted(setting)}{nothing}; got "
                               f"{value!r:.60}.")
    return checked


def _padding(setting: Setting, value: Any, where: str) -> int | tuple[int, ...] | str:
    if isinstance(value, str) and value in setting.options:
        return value
    checked = _integer_or_list(setting, value)
    if checked is None:
        words = " or ".join(f'"{option}"' for option in setting.options)
        raise ModelFormatError(f"{where} must be {_integers_wanted(setting)}, or {words}; got "
                               f"{value!r:.60}.")
    return checked


CHECKS: dict[str, Callable[[Setting, Any, str], Any]] = {
    "count": _count, "integer": _integer, "axis": _axis, "flag": _flag, "number": _number,
    "choice": _choice, "shape": _shape, "integers": _integers, "padding": _padding,
}


def _known_types() -> str:
    return ", ".join(["Sequential", *(entry.name for entry in layer_types())])


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
    entry = layer_type_of(kind)
    if entry is None:
        raise TypeError(
            f"cannot save {where}: it is a {kind.__qualname__}, which glassnet cannot rebuild "
            f"from a file without running its code. Savable layers: {_known_types()}. Save "
            "its weights with model.state_dict() and safetensors.numpy.save_file instead, or "
            "register the layer with gn.nn.register_layer."
        )
    if any(True for _ in model.children()):
        raise TypeError(f"cannot save {where}: this {kind.__name__} has sub-modules attached, "
                        "which its type does not describe.")
    raw = entry.config(model)
    return {"type": entry.name, **{name: _plain(value) for name, value in raw.items()}}


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
    entry = layer_type(kind)
    if entry is None:
        raise ModelFormatError(
            f"{where}: unknown layer type {kind!r:.60}. Known types: {_known_types()}."
        )
    settings = entry.settings
    given = set(config) - {"type"}
    # a setting with a default may be left out: files written before the layer had it
    absent = {name for name in set(settings) - given if settings[name].default is not REQUIRED}
    missing, extra = set(settings) - given - absent, given - set(settings)
    if missing or extra:
        raise ModelFormatError(
            f"{where} ({kind}): expected the settings {sorted(settings)}; missing "
            f"{sorted(missing)}, unexpected {sorted(extra, key=str)[:5]}."
        )
    values = {**{name: settings[name].default for name in absent}, **config}
    checked = {name: CHECKS[setting.kind](setting, values[name], f"{where}.{name}")
               for name, setting in settings.items()}
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


def _registered(kind: str) -> LayerType:
    """The registration of a type that validate() accepted."""
    entry = layer_type(kind)
    if entry is None:  # unregistered since the config was validated
        raise ModelFormatError(f"unknown layer type {kind!r:.60}. Known types: "
                               f"{_known_types()}.")
    return entry


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
    layer_state = _registered(config["type"]).state(config)
    return {prefix + name: spec for name, spec in layer_state.items()}


def _construct(config: dict[str, Any]) -> nn.Module:
    if config["type"] == "Sequential":
        return nn.Sequential({name: _construct(child) for name, child in _children(config)})
    entry = _registered(config["type"])
    return entry.layer(**{name: config[name] for name in entry.settings})


def build(config: dict[str, Any]) -> nn.Module:
    """A fresh model of a validated config. glassnet's random generator is left as it was."""
    generator = random.default_generator()
    saved = generator.bit_generator.state  # constructors draw initial weights we overwrite
    try:
        return _construct(config)
    finally:
        generator.bit_generator.state = saved
