"""The layer registry: one registration per layer type, beside its class, says how a model file
describes the layer, which tensors it holds, and how it is exported to ONNX.

``glassnet.io`` (``gn.save`` / ``gn.load``) and ``glassnet.onnx`` look layer types up here and
never name layer classes; ``glassnet.nn`` imports neither of them. A registration is keyed by
the exact class: a subclass (which may have changed ``forward``) is not saved or exported as its
parent. Adding a layer is its module, its op, its tests and one call::

    register_layer(Scale, settings={"factor": number()}, export=export_scale, keeps_shape=True)

Settings are the constructor arguments that rebuild the layer, each with the kind of value a
file may hold for it (``COUNT``, ``integer(low, high)``, ``FLAG``, ``AXIS``, ``number(...)``,
``choice(...)``, ``SHAPE``, ``integers(length, low, high)``, ``padding(length)``);
``glassnet.io.architecture`` checks every value against its kind and the file format's bounds
before any constructor runs.

For PyTorch's ``int | tuple`` arguments of convolutions and pooling (``kernel_size``,
``stride``, ``dilation``, ``padding``):

- ``integers(length, low, high=inf, optional=False)``: an integer, or a list of ``length``
  integers, each from ``low`` to ``high`` (``kernel_size=3`` or ``[3, 5]``; the layer receives
  an int or a tuple); ``optional``: null (None) too.
- ``padding(length)``: what ``integers(length, 0, ...)`` takes, or "same" or "valid".
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from glassnet.errors import ShapeError
from glassnet.nn.module import Module

Shape = tuple[int, ...]
StateSpec = dict[str, tuple[Shape, str]]  # tensor name -> (shape, "float" | "int64")
# export(builder, layer, value, shape, name) -> (value, shape): ``value`` names the tensor
# flowing through the ONNX graph, ``shape`` is one sample's shape (the batch axis is left out);
# ``builder`` is glassnet.onnx's GraphBuilder (node, constant, cast, reduce_mean, opset).
Export = Callable[[Any, Any, str, Shape, str], tuple[str, Shape]]

FEATURE_AXES = (None, "last", "channels")
SETTING_KINDS = (
    "count", "integer", "flag", "axis", "number", "choice", "shape", "integers", "padding",
)


class _Required:
    """The default of a Setting that every file must give."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()


@dataclass(frozen=True)
class Setting:
    """The values one constructor argument may take in a model file.

    ``kind``: "count" (an integer >= 1), "integer" (an integer from ``low`` to ``high``),
    "flag" (true or false), "axis" (an integer axis, negative from the end), "number" (a
    finite number from ``low`` to ``high``, or null when ``optional``), "choice" (one of
    ``options``), "shape" (a list of counts), "integers" (an integer or a list of ``length``
    integers, each from ``low`` to ``high``, or null when ``optional``), "padding" (what
    "integers" takes, or one of ``options``: "same", "valid").

    ``default``: the value of a setting a file leaves out (one written before the layer had the
    argument); REQUIRED, the default, makes a file without it invalid.
    """

    kind: str
    low: float = -math.inf
    high: float = math.inf
    optional: bool = False
    options: tuple[str, ...] = ()
    length: int = 1
    default: Any = REQUIRED


COUNT = Setting("count")
FLAG = Setting("flag")
AXIS = Setting("axis")
SHAPE = Setting("shape")


def integer(low: int, high: int) -> Setting:
    """An integer from ``low`` to ``high`` (both included), e.g. a padding of 0 or more."""
    return Setting("integer", low=low, high=high)


def number(low: float = -math.inf, high: float = math.inf, *, optional: bool = False) -> Setting:
    """A finite number from ``low`` to ``high``; ``optional``: null (None) is allowed too."""
    return Setting("number", low=low, high=high, optional=optional)


def choice(*options: str) -> Setting:
    """One of the strings ``options``."""
    return Setting("choice", options=options)


def integers(
    length: int, low: float, high: float = math.inf, *, optional: bool = False
) -> Setting:
    """An integer, or ``length`` integers, each from ``low`` to ``high`` (both included; the file
    format caps both at ±(2³¹ − 1)); ``optional``: null (None) is allowed too.

    PyTorch's ``int | tuple`` arguments: ``integers(2, 1)`` takes ``kernel_size=3`` and
    ``kernel_size=(3, 5)`` (a list in the file; the layer gets a tuple); a pooling layer's
    ``stride=None`` is ``integers(2, 1, optional=True)``.
    """
    return Setting("integers", low=low, high=high, optional=optional, length=length)


def padding(length: int, high: float = math.inf) -> Setting:
    """A convolution's padding: ``integers(length, 0, high)``, or "same", or "valid"."""
    return Setting("padding", low=0, high=high, length=length, options=("same", "valid"))


@dataclass(frozen=True)
class LayerType:
    """How one layer class is described in a file, sized, rebuilt and exported.

    ``config(layer)`` returns the settings' values; ``state(config)`` every tensor's name, shape
    and kind, from the (checked) settings alone; ``export`` the ONNX nodes (None: the layer has
    no ONNX form); ``input_shape(layer)`` the sample shape the layer takes (None: it cannot
    tell); ``keeps_shape``: the layer returns samples of its input's shape.

    What its input's axes hold, for ``gn.diagnose``: ``feature_axis`` is "channels" when the
    layer's features (channels, units) are axis 1 of its input and output, (N, C, L…), as in a
    convolution, "last" when they are the last axis, (N, …, features), as in Linear, and None
    when the layer does not decide it (an activation keeps what it is given);
    ``takes_indices``: its input holds indices, not measurements (an embedding).
    """

    name: str
    layer: type[Module]
    settings: Mapping[str, Setting]
    config: Callable[[Any], dict[str, Any]]
    state: Callable[[dict[str, Any]], StateSpec]
    export: Export | None
    input_shape: Callable[[Any], Shape | None] | None
    keeps_shape: bool
    feature_axis: str | None = None
    takes_indices: bool = False


_BY_NAME: dict[str, LayerType] = {}
_BY_CLASS: dict[type, LayerType] = {}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _no_tensors(config: dict[str, Any]) -> StateSpec:
    return {}


def _attributes_named(settings: Mapping[str, Setting]) -> Callable[[Any], dict[str, Any]]:
    """The default ``config``: the layer's attributes named as its settings."""

    def config(layer: Any) -> dict[str, Any]:
        missing = [name for name in settings if not hasattr(layer, name)]
        if missing:
            raise TypeError(f"cannot describe this {type(layer).__name__}: it has no attribute "
                            f"{missing[0]!r} to read the setting of that name from; register "
                            "the layer with config=, a function returning its settings.")
        return {name: getattr(layer, name) for name in settings}

    return config


def register_layer(
    layer: type[Module],
    *,
    settings: Mapping[str, Setting] | None = None,
    config: Callable[[Any], dict[str, Any]] | None = None,
    state: Callable[[dict[str, Any]], StateSpec] | None = None,
    export: Export | None = None,
    input_shape: Callable[[Any], Shape | None] | None = None,
    keeps_shape: bool = False,
    feature_axis: str | None = None,
    takes_indices: bool = False,
    name: str | None = None,
) -> LayerType:
    """Make ``layer`` savable with ``gn.save`` (and exportable to ONNX, given ``export``).

    ``settings``: constructor argument -> Setting, the arguments that rebuild the layer.
    ``config``: the settings' values of a layer (default: its attributes of those names).
    ``state``: config -> {tensor name: (shape, "float" | "int64")} (default: no tensors).
    ``feature_axis`` and ``takes_indices``: what the input's axes hold (see LayerType).
    ``name``: the type name files store (default: the class's name). TypeError or ValueError,
    before anything is registered, for a registration that could not work.
    """
    if not (isinstance(layer, type) and issubclass(layer, Module)):
        raise TypeError(f"register_layer expects a Module subclass; got {layer!r:.60}.")
    name = layer.__name__ if name is None else name
    settings = dict(settings or {})
    if not (isinstance(name, str) and _NAME.fullmatch(name)) or name == "Sequential":
        raise ValueError(f"register_layer: the type name must be letters, digits and '_' (and "
                         f"not 'Sequential'); got {name!r:.60}.")
    if name in _BY_NAME or layer in _BY_CLASS:
        taken = _BY_NAME.get(name) or _BY_CLASS[layer]
        raise ValueError(f"register_layer: {taken.layer.__qualname__} is already registered as "
                         f"{taken.name!r}; call unregister_layer({taken.layer.__name__}) first.")
    for setting_name, setting in settings.items():
        if not isinstance(setting, Setting) or setting.kind not in SETTING_KINDS:
            raise TypeError(f"register_layer({name}): setting {setting_name!r} must be a Setting "
                            "(COUNT, FLAG, AXIS, SHAPE, integer(), number(), choice(), "
                            f"integers(), padding()); got {setting!r:.60}.")
    if feature_axis not in FEATURE_AXES:
        raise ValueError(f"register_layer({name}): feature_axis must be one of {FEATURE_AXES}; "
                         f"got {feature_axis!r:.60}.")
    parameters = inspect.signature(layer).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    unknown = [s for s in settings if s not in parameters and not takes_any]
    if unknown:
        raise ValueError(f"register_layer({name}): {unknown} are not arguments of "
                         f"{layer.__qualname__}(); settings rebuild the layer from its "
                         f"constructor's arguments {list(parameters)}.")
    entry = LayerType(
        name=name, layer=layer, settings=settings,
        config=config or _attributes_named(settings),
        state=state or _no_tensors, export=export, input_shape=input_shape,
        keeps_shape=keeps_shape, feature_axis=feature_axis, takes_indices=takes_indices,
    )
    _BY_NAME[name] = entry
    _BY_CLASS[layer] = entry
    return entry


def unregister_layer(layer: type[Module]) -> None:
    """Forget ``layer``'s registration (KeyError if it has none)."""
    entry = _BY_CLASS.pop(layer)
    del _BY_NAME[entry.name]


def layer_type(name: str) -> LayerType | None:
    """The registration stored under the type name ``name`` in files, or None."""
    return _BY_NAME.get(name)


def layer_type_of(layer: type) -> LayerType | None:
    """The registration of exactly this class (not of a parent class), or None."""
    return _BY_CLASS.get(layer)


def layer_types() -> list[LayerType]:
    """Every registration, sorted by type name."""
    return [_BY_NAME[name] for name in sorted(_BY_NAME)]


# -- helpers for export functions ---------------------------------------------------------------
def elementwise(op_type: str, **attributes: Any) -> Export:
    """The export of a layer that is one ONNX operator applied element-wise (same shape)."""

    def export(builder: Any, layer: Any, x: str, shape: Shape, name: str) -> tuple[str, Shape]:
        return builder.node(op_type, [x], f"{name}_{op_type}", **attributes), shape

    return export


def sample_axis(dim: int, shape: Shape, name: str, who: str) -> int:
    """``dim`` as an axis from 0 of the batch (batch, *shape); ShapeError if there is none."""
    rank = len(shape) + 1
    if not -rank <= dim < rank:
        raise ShapeError(f"{name} ({who}) has dim={dim}, but its input has {rank} axes "
                         f"(batch, {', '.join(map(str, shape))}).")
    return dim % rank
