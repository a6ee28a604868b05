"""``gn.save`` / ``gn.load``: a model in one safetensors file, with nothing executable in it.

The tensors are the model's ``state_dict`` under its own names ("0.weight", "1.running_mean"),
so ``safetensors.numpy.load_file(path)`` (or ``safetensors.torch.load_file``) reads the weights
directly. The header's metadata holds a JSON document::

    {"format": "glassnet.model", "format_version": 1, "glassnet_version": "0.1.0",
     "architecture": {"type": "Sequential", "layers": [...]},
     "metadata": {... whatever the caller passed: feature names, means, class labels ...}}

plus a SHA-256 checksum of the document and the tensors (see ``glassnet.io.format``).
"""

from __future__ import annotations

import importlib
import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glassnet import nn
from glassnet._version import __version__
from glassnet.errors import ModelFormatError
from glassnet.io import architecture
from glassnet.io.atomic import atomic_write_bytes
from glassnet.io.format import decode, encode_file, first_non_finite
from glassnet.io.source import ByteSource, MemorySource, open_source

MODEL_FORMAT = "glassnet.model"
MODEL_FORMAT_VERSION = 1
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@dataclass(frozen=True)
class Adapter:
    """How an object that is not a Module (a fitted estimator, say) goes into a model file.

    ``to_bundle(obj) -> (module, metadata)`` and ``from_bundle(SavedModel) -> obj``; files it
    writes carry ``metadata[key]``, by which ``load`` recognises them.
    """

    key: str
    owns: Callable[[Any], bool]
    to_bundle: Callable[[Any], tuple[nn.Module, dict[str, Any]]]
    from_bundle: Callable[[SavedModel], Any]


_ADAPTERS: dict[str, Adapter] = {}
# glassnet's own adapters, imported on demand when a file needs one. The module names are fixed
# here: a file only ever selects among them, it can never name a module to import. A file holds
# one key; a pipeline's file describes its estimator inside its own entry.
_ADAPTER_MODULES = {
    "sklearn_pipeline": "glassnet.sklearn._pipeline",
    "sklearn_estimator": "glassnet.sklearn",
}
# Objects of these libraries are handled by the adapters above: the library is imported already,
# so importing the adapter is cheap.
_ADAPTED_LIBRARIES = {"sklearn": ("glassnet.sklearn", "glassnet.sklearn._pipeline")}


def register_adapter(adapter: Adapter) -> None:
    """Let ``save`` / ``load`` handle the adapter's objects (called by adapters on import)."""
    _ADAPTERS[adapter.key] = adapter


def _adapter_for(obj: Any) -> Adapter | None:
    """The registered adapter that owns ``obj``, importing glassnet's own for its library."""
    library = type(obj).__module__.partition(".")[0]
    if library in _ADAPTED_LIBRARIES and library in sys.modules:
        for module_name in _ADAPTED_LIBRARIES[library]:
            importlib.import_module(module_name)  # registers its adapters
    return next((adapter for adapter in _ADAPTERS.values() if adapter.owns(obj)), None)


@dataclass
class SavedModel:
    """What ``load_bundle`` returns: the model (in eval mode) and what was saved alongside it."""

    model: nn.Module
    metadata: dict[str, Any] = field(default_factory=dict)
    architecture: dict[str, Any] = field(default_factory=dict)
    format_version: int = MODEL_FORMAT_VERSION
    glassnet_version: str = ""


def _json_metadata(value: Any, where: str = "metadata") -> Any:
    """``value`` as JSON data: numpy arrays become (nested) lists, numpy scalars Python numbers."""
    if isinstance(value, (np.ndarray, np.generic)):
        return _json_metadata(value.tolist(), where)
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} is {value}; model metadata must hold finite numbers.")
        return value
    if isinstance(value, (list, tuple)):
        return [_json_metadata(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError(f"{where} must have string keys; got {list(value)[:5]!r}.")
        return {key: _json_metadata(item, f"{where}[{key!r}]") for key, item in value.items()}
    raise TypeError(
        f"{where} is a {type(value).__name__}; model metadata may hold dicts, lists, str, "
        "int, float, bool, None and numpy arrays."
    )


def _check_tensors(
    tensors: Mapping[str, np.ndarray], expected: architecture.StateSpec
) -> str | None:
    """What is wrong between the tensors and the architecture's expectation, or None."""
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        return (f"the tensors do not match the architecture: missing {missing[:5]}, "
                f"unexpected {unexpected[:5]}")
    for name, (shape, kind) in expected.items():
        array = tensors[name]
        if array.shape != shape:
            return (f"tensor {name!r} has shape {array.shape} but the architecture needs "
                    f"{shape}")
        if kind == "float" and array.dtype not in _FLOAT_DTYPES:
            return f"tensor {name!r} has dtype {array.dtype}; the architecture needs float32/64"
        if kind == "int64" and array.dtype != np.int64:
            return f"tensor {name!r} has dtype {array.dtype}; the architecture needs int64"
    return None


def save(
    model: nn.Module,
    path: str | os.PathLike[str],
    *,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Write ``model`` to ``path`` as one safetensors file, atomically.

    Parameters
    ----------
    model : a glassnet layer or a ``Sequential`` of them (nested at most 16 deep, 10,000
        modules in all); or a fitted ``glassnet.sklearn`` estimator, or a scikit-learn
        Pipeline of scalers ending in one.
    path : the file to write (conventionally ``*.safetensors``); its folder must exist.
    metadata : JSON-able data stored with the model and returned by ``load_bundle``: e.g.
        ``{"feature_names": [...], "feature_mean": array, "feature_std": array,
        "classes": ["cat", "dog"], "task": "classify"}``. NumPy arrays become lists.

    Every check runs before the file is touched: a model with a layer glassnet cannot rebuild
    (TypeError), weights that are NaN or infinite (ValueError: a model that diverged is never
    saved) or metadata that is not JSON-able (TypeError/ValueError) leaves any existing file at
    ``path`` byte for byte as it was; so does a failed or interrupted write. Temporary files
    that writers killed earlier left next to ``path`` are removed.
    """
    if not isinstance(model, nn.Module):
        adapter = _adapter_for(model)
        if adapter is None:
            raise TypeError(f"gn.save expects a glassnet Module; got {type(model).__name__}.")
        model, extra = adapter.to_bundle(model)
        metadata = {**(metadata or {}), **extra}
    architecture.check_model_size(model)
    config = architecture.describe(model)
    try:
        config = architecture.validate(config)
    except ModelFormatError as error:
        raise ValueError(f"cannot save this model: {error}") from None
    tensors = model.state_dict()
    problem = _check_tensors(tensors, architecture.expected_state(config))
    if problem:
        raise ValueError(f"cannot save this model: {problem}.")
    problem = first_non_finite(tensors)
    if problem:
        raise ValueError(f"cannot save this model: {problem}; a model that diverged is never "
                         "saved.")
    document = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "glassnet_version": __version__,
        "architecture": config,
        "metadata": _json_metadata(dict(metadata or {})),
    }
    atomic_write_bytes(path, encode_file(tensors, document))


def read_bundle(data: bytes) -> SavedModel:
    """Like ``load_bundle``, from the file's bytes."""
    return _read_bundle(MemorySource(data))


def _read_bundle(source: ByteSource) -> SavedModel:
    document, tensors = decode(
        source, expected_format=MODEL_FORMAT, supported_version=MODEL_FORMAT_VERSION
    )
    config = architecture.validate(document.get("architecture"))
    problem = _check_tensors(tensors, architecture.expected_state(config))
    if problem:
        raise ModelFormatError(problem + ".")
    problem = first_non_finite(tensors)
    if problem:
        raise ModelFormatError(f"{problem}: the model diverged before it was saved, and would "
                               "answer nonsense.")
    metadata = document.get("metadata", {})
    if not isinstance(metadata, dict):
        raise ModelFormatError("the model's metadata is not a JSON object.")
    try:
        model = architecture.build(config)
    except Exception as error:  # validated values a constructor still refuses
        raise ModelFormatError(f"the architecture could not be built: {error}") from None
    targets = {}
    for prefix, module in model.named_modules():
        for registry in (module._parameters, module._buffers):
            for name, value in registry.items():
                if value is not None:
                    targets[f"{prefix}.{name}" if prefix else name] = (module, name)
    if set(targets) != set(tensors):
        raise ModelFormatError("the rebuilt model's tensors differ from the file's; this glassnet "
                               "version builds these layers differently.")
    for key, (module, name) in targets.items():
        if name in module._parameters:
            # The saved array itself (its dtype included): load_state_dict would cast it.
            module._parameters[name].data = tensors[key]
        else:
            module.register_buffer(name, tensors[key])
    version = document.get("glassnet_version", "")
    return SavedModel(model.eval(), metadata, config, document["format_version"],
                      version if isinstance(version, str) else "")


def load_bundle(path: str | os.PathLike[str]) -> SavedModel:
    """Read a file written by ``gn.save``: the model, its metadata, architecture and versions.

    Raises ``ModelFormatError`` (a ValueError) naming the problem for any file that is not an
    intact glassnet model (a device or a FIFO included: only regular files are read);
    ``FileNotFoundError`` etc. when it cannot be read at all. Reads the header first and then
    only the tensors it declares.
    """
    try:
        with open_source(path) as source:
            return _read_bundle(source)
    except ModelFormatError as error:
        raise ModelFormatError(f"cannot load {os.fspath(path)!r}: {error}") from None


def load(path: str | os.PathLike[str]) -> Any:
    """The model saved at ``path`` by ``gn.save``, in eval mode, with bit-identical weights.

    A file holding a fitted ``glassnet.sklearn`` estimator gives back the estimator; one
    holding a Pipeline of scalers ending in one gives back the Pipeline.

    For the metadata saved with it, use ``glassnet.io.load_bundle(path).metadata``.
    """
    bundle = load_bundle(path)
    for key, module_name in _ADAPTER_MODULES.items():
        if key in bundle.metadata:
            if key not in _ADAPTERS:
                importlib.import_module(module_name)  # registers it; a missing extra says which
            return _ADAPTERS[key].from_bundle(bundle)
    return bundle.model
