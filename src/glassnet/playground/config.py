"""The page's settings, checked against fixed choices and bounds before anything is built.

``parse_config(raw)`` turns the JSON object the page sends into a ``Config``; any key it does not
know, any value outside its choices or bounds, raises ``ConfigError`` (a ValueError) whose one-line
message names the key, what was expected and what arrived. Nothing the page sends is evaluated.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

from glassnet.errors import GlassnetError

DATASETS = ("people", "xor", "circles", "spirals", "blobs", "regression", "csv")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
OPTIMIZERS = ("sgd", "momentum", "adam")
REGULARIZATIONS = ("none", "l2", "l1")
MAX_HIDDEN_LAYERS = 6
MAX_UNITS = 8
MAX_SEED = 2**32 - 1
MAX_BATCH_SIZE = 100_000
MAX_FEATURE_NAME = 200  # characters: a column name, not a document


class ConfigError(GlassnetError, ValueError):
    """A setting the playground does not accept; the message is one line for the page."""


@dataclass(frozen=True)
class Config:
    """The network, data and training settings of one session (see playground_api's config)."""

    dataset: str = "xor"
    classes: int = 2
    noise: float = 0.1
    test_ratio: float = 0.5
    seed: int = 0
    hidden: tuple[int, ...] = (4, 4)
    activation: str = "tanh"
    learning_rate: float = 0.03
    optimizer: str = "sgd"
    batch_size: int = 10  # 0: the whole training set
    regularization: str = "none"
    regularization_rate: float = 0.0
    features: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "classes": self.classes, "noise": self.noise,
                "test_ratio": self.test_ratio, "seed": self.seed, "hidden": list(self.hidden),
                "activation": self.activation, "learning_rate": self.learning_rate,
                "optimizer": self.optimizer, "batch_size": self.batch_size,
                "regularization": self.regularization,
                "regularization_rate": self.regularization_rate, "features": list(self.features)}


def parse_config(raw: Any) -> Config:
    """A Config from the page's JSON object; keys left out keep their defaults.

    ConfigError for a key that is not a setting or a value outside its choices and bounds.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"config must be a JSON object; got {type(raw).__name__}.")
    known = set(Config.__dataclass_fields__)
    unknown = sorted(str(key) for key in raw if key not in known)
    if unknown:
        raise ConfigError(f"config has unknown keys {', '.join(unknown)[:200]}; the settings are "
                          f"{', '.join(sorted(known))}.")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        values[name] = _CHECKS[name](name, value)
    config = Config(**values)
    if config.dataset == "csv" and config.features and len(config.features) != 2:
        raise ConfigError(f"config.features must name two columns to plot; got "
                          f"{len(config.features)}.")
    return config


def choice(options: tuple[str, ...]) -> Any:
    def check(name: str, value: Any) -> str:
        if isinstance(value, str) and value in options:
            return value
        raise ConfigError(f"config.{name} must be one of {', '.join(options)}; got "
                          f"{_shown(value)}.")

    return check


def integer(low: int, high: int) -> Any:
    def check(name: str, value: Any) -> int:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool) and \
                low <= value <= high:
            return int(value)
        raise ConfigError(f"config.{name} must be a whole number from {low} to {high}; got "
                          f"{_shown(value)}.")

    return check


def number(low: float, high: float, *, open_low: bool = False) -> Any:
    def check(name: str, value: Any) -> float:
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and \
                math.isfinite(value) and (low < value if open_low else low <= value) and \
                value <= high:
            return float(value)
        bracket = "(" if open_low else "["
        raise ConfigError(f"config.{name} must be a number in {bracket}{low:g}, {high:g}]; got "
                          f"{_shown(value)}.")

    return check


def hidden_layers(name: str, value: Any) -> tuple[int, ...]:
    if isinstance(value, list) and len(value) <= MAX_HIDDEN_LAYERS and all(
            isinstance(units, numbers.Integral) and not isinstance(units, bool)
            and 1 <= units <= MAX_UNITS for units in value):
        return tuple(int(units) for units in value)
    raise ConfigError(f"config.{name} must list 0 to {MAX_HIDDEN_LAYERS} layer widths, each 1 "
                      f"to {MAX_UNITS}; got {_shown(value)}.")


def batch_size(name: str, value: Any) -> int:
    if value == "all" or (isinstance(value, numbers.Integral) and not isinstance(value, bool)
                          and 0 <= value <= MAX_BATCH_SIZE):
        return 0 if value == "all" else int(value)
    raise ConfigError(f"config.{name} must be a whole number from 1 to {MAX_BATCH_SIZE}, or 0 "
                      f"or \"all\" for the whole training set; got {_shown(value)}.")


def feature_pair(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, list) and len(value) <= 2 and all(
            isinstance(item, str) and 0 < len(item) <= MAX_FEATURE_NAME for item in value):
        if len(value) == 2 and value[0] == value[1]:
            raise ConfigError(f"config.{name} must name two different columns; got "
                              f"{_shown(value)} twice.")
        return tuple(value)
    raise ConfigError(f"config.{name} must list the two column names to plot; got "
                      f"{_shown(value)}.")


def _shown(value: Any) -> str:
    """The value for a message, cut short: the page may send anything."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_CHECKS = {
    "dataset": choice(DATASETS),
    "classes": integer(2, 4),
    "noise": number(0.0, 0.5),
    "test_ratio": number(0.1, 0.9),
    "seed": integer(0, MAX_SEED),
    "hidden": hidden_layers,
    "activation": choice(ACTIVATIONS),
    "learning_rate": number(0.0, 10.0, open_low=True),
    "optimizer": choice(OPTIMIZERS),
    "batch_size": batch_size,
    "regularization": choice(REGULARIZATIONS),
    "regularization_rate": number(0.0, 1.0),
    "features": feature_pair,
}
