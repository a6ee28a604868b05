"""Every public namespace of glassnet is an importable module: wherever ``glassnet.x.Y`` works,
``from glassnet.x import Y`` and ``importlib.import_module("glassnet.x")`` give the same object;
and every module file imports as itself, never shadowed by a name its package exports."""

from __future__ import annotations

import importlib
import pkgutil
import types
from pathlib import Path

import pytest

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
    # plus the one callback defined above training, on the diagnosis layer
    assert glassnet.callbacks.Diagnostics is glassnet.diagnosis.callback.Diagnostics
    assert set(glassnet.callbacks.__all__) == {*glassnet.training.callbacks.__all__,
                                               "Diagnostics"}


def module_names() -> list[str]:
    """The dotted name of every module file under src/glassnet (packages included), except
    ``__main__``, which runs the command line when imported."""
    root = Path(glassnet.__file__).parent
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def test_the_walk_finds_the_modules_of_every_layer():
    names = set(module_names())
    assert {"glassnet", "glassnet.autograd", "glassnet.autograd.engine", "glassnet.nn.linear",
            "glassnet.training.loop"} <= names
    assert "glassnet.__main__" not in names


@pytest.mark.parametrize("dotted", module_names())
def test_every_module_imports_as_the_module_its_package_names(dotted):
    """``import glassnet.x.y as m`` gives the module y, never a function of x named y: no
    package exports a name that shadows one of its modules."""
    module = importlib.import_module(dotted)
    assert isinstance(module, types.ModuleType)
    parent, _, name = dotted.rpartition(".")
    if parent:
        attribute = getattr(importlib.import_module(parent), name, module)
        assert attribute is module, f"{parent}.{name} is {attribute!r}, not the module {dotted}"
