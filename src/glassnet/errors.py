"""glassnet's error types and the input checks shared by every layer of the library.

Each error subclasses the built-in exception users already catch: a shape or value problem is a
``ValueError``, a wrong type a ``TypeError``. Messages say what was expected and what arrived.
"""

from __future__ import annotations

import numpy as np


class GlassnetError(Exception):
    """Base class of glassnet's own errors."""


class ShapeError(GlassnetError, ValueError):
    """Arrays whose shapes do not fit together."""


class DTypeError(GlassnetError, TypeError):
    """Data of a type glassnet cannot compute with (strings, objects, complex numbers)."""


class GradcheckError(GlassnetError, AssertionError):
    """An analytic gradient that disagrees with finite differences."""


class GraphFreedError(GlassnetError, RuntimeError):
    """backward() through a graph whose saved values were already released."""


class ModelFormatError(GlassnetError, ValueError):
    """A model or checkpoint file that is not a valid glassnet file."""


class FolderInUseError(GlassnetError, RuntimeError):
    """A folder locked by another training run (another process, or another thread)."""


class TrainingDiverged(GlassnetError, FloatingPointError):
    """The training loss became NaN or infinite."""


def describe_dtype(array: np.ndarray) -> str:
    """The dtype as a user would name it: 'float32', 'str', 'object'."""
    kind = array.dtype.kind
    if kind in "US":
        return "str"
    return str(array.dtype)


def check_numeric(array: np.ndarray, *, who: str) -> None:
    """Raise DTypeError unless array holds real numbers (bool, int or float)."""
    if array.dtype.kind in "biuf":
        return
    if array.dtype.kind == "c":
        raise DTypeError(f"{who} expects real numbers; got complex data ({array.dtype}).")
    raise DTypeError(
        f"{who} expects numeric data (bool, int or float); got dtype {describe_dtype(array)}."
    )
