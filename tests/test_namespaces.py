"""Every public namespace of glassnet is an importable module: wherever ``glassnet.x.Y`` works,
``from glassnet.x import Y`` and ``importlib.import_module("glassnet.x")`` give the same object."""

from __future__ import annotations

import importlib
import pkgutil
import types

import glassnet


def public_names(module: types.ModuleType) -> set[str]:
    """A package's public attributes (its submodules among them); a module's ``__all__``, since
    its other module attributes are what it imported (``np``, ``F``) rather than namespaces."""
    listed = set(getattr(module, "__all__", ()))
    if hasattr(module, "__path__"):
        listed |= {name for name in dir(module) if not name.startswith("_")}
    return listed


def public_namespaces() -> dict[str, types.ModuleType]:
    """Dotted name -> module, for every glassnet module reachable by public attributes from
    ``glassnet`` (the subpackages it loads only on demand included)."""
    for info in pkgutil.iter_modules(glassnet.__path__, "glassnet."):
        if info.ispkg:
            importlib.import_module(info.name)
    found: dict[str, types.ModuleType] = {}
    pending = [("glassnet", glassnet)]
    while pending:
        dotted, module = pending.pop()
        for name in sorted(public_names(module)):
            value = getattr(module, name, None)
            if isinstance(value, types.ModuleType) and value.__name__.startswith("glassnet"):
                path = f"{dotted}.{name}"
                if path not in found:
                    found[path] = value
                    pending.append((path, value))
    return found


def test_every_public_namespace_imports_as_the_same_module():
    namespaces = public_namespaces()
    expected = {"glassnet.callbacks", "glassnet.optim.lr_scheduler", "glassnet.nn.init",
                "glassnet.nn.utils", "glassnet.functional", "glassnet.io", "glassnet.onnx",
                "glassnet.training.callbacks", "glassnet.training.metrics"}
    assert expected <= set(namespaces)  # the walk reaches them
    mismatched = {}
    for path, module in namespaces.items():
        try:
            imported = importlib.import_module(path)
        except ImportError as error:
            mismatched[path] = f"cannot be imported: {error}"
            continue
        if imported is not module:
            mismatched[path] = f"imports {imported.__name__}, the attribute is {module.__name__}"
    assert mismatched == {}


def test_callbacks_import_from_glassnet_callbacks():
    from glassnet.callbacks import EarlyStopping, ModelCheckpoint

    assert glassnet.callbacks.EarlyStopping is EarlyStopping
    assert glassnet.training.callbacks.ModelCheckpoint is ModelCheckpoint
    assert set(glassnet.callbacks.__all__) == set(glassnet.training.callbacks.__all__)
