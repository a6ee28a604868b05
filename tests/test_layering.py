"""Imports flow one way: every ``glassnet`` import in ``src/glassnet`` points down the layer table.

Every Import / ImportFrom node counts: at module level, inside functions (a lazy import is still a
dependency, paid later) and under ``if TYPE_CHECKING:`` (a type-only import is a dependency a
type checker and a reader follow; a type that must be named from below lives in the wrong layer).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import glassnet

SOURCE = Path(glassnet.__file__).parent

# The core, bottom-up: a unit may import its own package and units on lower layers only.
CORE_LAYERS: dict[str, int] = {
    "errors": 0, "random": 0, "fast_paths": 0, "_blas": 0, "_allocator": 0, "_version": 0,
    "autograd": 1,
    "functional": 2, "explanations": 2,
    "nn": 3, "optim": 3,
    "io": 4,
    "training": 5,
    "diagnosis": 6,
    "callbacks": 7,  # glassnet.callbacks re-exports training.callbacks and diagnosis.Diagnostics
    "glassnet": 8,  # the package's __init__: the public API, gathered
}
# Adapters sit at the edge: each may import the whole core, and no other adapter.
ADAPTERS = {"tabular", "sklearn", "onnx", "plot", "tutorial", "distributed"}
# The outermost adapters: the command line may use every other adapter.
ENTRY_POINTS = {"cli", "__main__", "playground"}



@dataclass(frozen=True)
class Edge:
    """One ``glassnet`` import: its file and line, the unit it sits in and the unit it names."""

    file: str
    line: int
    importer: str
    imported: str
    module: str

    def __str__(self) -> str:
        return (f"{self.file}:{self.line} imports {self.module}: {describe(self.importer)} -> "
                f"{describe(self.imported)}")


def describe(unit: str) -> str:
    if unit in CORE_LAYERS:
        return f"core layer {CORE_LAYERS[unit]} ({unit})"
    return f"entry point ({unit})" if unit in ENTRY_POINTS else f"adapter ({unit})"


def units(root: Path) -> set[str]:
    """The top-level packages and single-file modules of the glassnet package at ``root``."""
    found = {path.stem for path in root.glob("*.py") if path.stem != "__init__"}
    return found | {path.parent.name for path in root.glob("*/__init__.py")}


SOURCE_UNITS = units(SOURCE)


def unit_of(module: str) -> str:
    """``glassnet.io.serialize`` -> ``io``; ``glassnet.__version__`` -> ``glassnet``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in SOURCE_UNITS else "glassnet"


def module_name(path: Path, root: Path) -> tuple[str, bool]:
    """(dotted name, is a package's __init__) of a source file under ``root`` (the glassnet dir)."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def imported_modules(node: ast.Import | ast.ImportFrom, name: str, is_package: bool) -> list[str]:
    """The absolute module names an import node loads (``from glassnet import nn`` loads
    ``glassnet.nn``; ``from .format import x`` inside glassnet.io loads ``glassnet.io.format``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = name.split(".") if is_package else name.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1])
        source = f"{base}.{node.module}" if node.module else base
    else:
        source = node.module or ""
    if source == "glassnet" or not node.module:
        return [f"{source}.{alias.name}" for alias in node.names]
    return [source]


def edges(root: Path) -> list[Edge]:
    found = []
    for path in sorted(root.rglob("*.py")):
        name, is_package = module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for module in imported_modules(node, name, is_package):
                if module.split(".")[0] == "glassnet":
                    relative = path.relative_to(root.parent).as_posix()
                    found.append(Edge(relative, node.lineno, unit_of(name), unit_of(module),
                                      module))
    return found


def violation(edge: Edge) -> bool:
    """True when ``edge`` runs upward, sideways between two core units, or adapter to adapter."""
    importer, imported = edge.importer, edge.imported
    if importer == imported or importer in ENTRY_POINTS:
        return False
    if imported in ENTRY_POINTS:
        return True
    if importer in ADAPTERS:
        return imported in ADAPTERS
    return imported in ADAPTERS or CORE_LAYERS[imported] >= CORE_LAYERS[importer]


def violations(root: Path) -> list[str]:
    return [str(edge) for edge in edges(root) if violation(edge)]


def test_every_package_and_module_has_a_place_in_the_table():
    placed = set(CORE_LAYERS) | ADAPTERS | ENTRY_POINTS
    assert units(SOURCE) - placed == set(), "place each new package in CORE_LAYERS or ADAPTERS"
    assert placed - units(SOURCE) == {"glassnet"}, "the table names a unit that no longer exists"


def test_imports_flow_one_way():
    found = violations(SOURCE)
    assert not found, "imports that run against the layer table:\n" + "\n".join(found)


def test_the_version_lives_on_the_bottom_layer():
    from glassnet._version import __version__

    assert glassnet.__version__ == __version__  # model files record it from below the package


def test_the_package_reaches_every_adapter_through_its_one_table():
    assert set(glassnet.ADAPTERS) == ADAPTERS
    for name, module in glassnet.ADAPTERS.items():
        assert getattr(glassnet, name) is sys.modules[module]


def test_importing_glassnet_loads_no_adapter():
    code = ("import sys, glassnet; print(sorted(m for m in sys.modules if m.split('.')[:2] in "
            + repr([["glassnet", a] for a in sorted(ADAPTERS | ENTRY_POINTS)]) + "))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"


def plant(tmp_path: Path, file: str, line: str) -> Path:
    """A copy of the source tree with ``line`` appended to ``file``."""
    root = tmp_path / "glassnet"
    shutil.copytree(SOURCE, root, ignore=shutil.ignore_patterns("__pycache__"))
    with open(root / file, "a", encoding="utf-8") as handle:
        handle.write(f"\n\ndef planted():\n    {line}\n")
    return root


@pytest.mark.parametrize(("file", "line", "expected"), [
    pytest.param("autograd/__init__.py", "from glassnet import nn",
                 "imports glassnet.nn: core layer 1 (autograd) -> core layer 3 (nn)", id="upward"),
    pytest.param("io/format.py", "from glassnet.training import fit",
                 "core layer 4 (io) -> core layer 5 (training)", id="io-to-training"),
    pytest.param("nn/linear.py", "from glassnet.optim import SGD",
                 "core layer 3 (nn) -> core layer 3 (optim)", id="sideways"),
    pytest.param("training/loop.py", "import glassnet.plot",
                 "core layer 5 (training) -> adapter (plot)", id="core-to-adapter"),
    pytest.param("onnx/_models.py", "from glassnet.sklearn import NeuralNetClassifier",
                 "adapter (onnx) -> adapter (sklearn)", id="adapter-to-adapter"),
    pytest.param("nn/module.py", "from glassnet import __version__",
                 "core layer 3 (nn) -> core layer 8 (glassnet)", id="top-level-package"),
    pytest.param("io/serialize.py", "from .. import training",
                 "core layer 4 (io) -> core layer 5 (training)", id="relative"),
])
def test_a_planted_import_is_named_with_its_file_line_and_layers(tmp_path, file, line, expected):
    root = plant(tmp_path, file, line)
    found = violations(root)
    assert len(found) == 1
    assert found[0].startswith(f"glassnet/{file}:")
    assert expected in found[0]


def test_imports_under_type_checking_count(tmp_path):
    root = plant(tmp_path, "functional/layers.py", "from typing import TYPE_CHECKING\n"
                 "    if TYPE_CHECKING:\n        from glassnet.nn import Module")
    assert [v.split(" imports ")[1] for v in violations(root)] == [
        "glassnet.nn: core layer 2 (functional) -> core layer 3 (nn)"]


def test_downward_and_entry_point_imports_pass(tmp_path):
    root = plant(tmp_path, "cli/info.py", "import glassnet.onnx, glassnet.sklearn")
    assert violations(root) == violations(SOURCE)
