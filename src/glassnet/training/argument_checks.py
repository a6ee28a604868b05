"""Input checks for fit / predict / evaluate, in scikit-learn's words where it has some.

Everything here runs before any weight changes, so a refused call leaves the model as it was.
The CLI and the scikit-learn adapter reuse these checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from glassnet.autograd import Tensor, detached, get_default_dtype, no_grad
from glassnet.errors import DTypeError, ShapeError, describe_dtype
from glassnet.nn.registry import layer_type_of

# What a target means to the loss: class indices, or values shaped like the model's output.
CLASS_INDICES = "class_indices"
VALUES = "values"


def model_dtype(model: Any) -> np.dtype:
    """The dtype of the model's first parameter (the default dtype if it has none)."""
    for parameter in model.parameters():
        return parameter.dtype
    return np.dtype(get_default_dtype())


def expected_input_features(model: Any) -> int | None:
    """in_features of the layer that first reads the input (e.g. the first Linear), or None
    when that layer declares none (an Embedding, a convolution, a Flatten: X is then not a
    table of features, and the layer checks its own input).

    Layers are read in ``modules()`` order; a leaf registered as keeping its input's shape (an
    activation, Dropout, a normalisation) passes the input on unchanged and is skipped.
    """
    for module in model.modules():
        in_features = getattr(module, "in_features", None)
        if isinstance(in_features, (int, np.integer)):
            return int(in_features)
        if next(module.children(), None) is not None:
            continue  # a container: its children come next
        registered = layer_type_of(type(module))
        if registered is None or not registered.keeps_shape:
            return None
    return None


def _to_array(data: Any, name: str) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    try:
        array = np.asarray(data)
    except ValueError as error:  # ragged nested lists
        raise ShapeError(f"{name} must be a rectangular array; NumPy says: {error}") from None
    if array.dtype.kind == "O":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            sample = next((v for v in array.ravel() if not isinstance(v, (int, float))), None)
            raise DTypeError(
                f"{name} has dtype object with non-numeric entries (e.g. {sample!r}); glassnet "
                "needs real numbers (bool, int or float). Encode them first, e.g. with "
                "sklearn.preprocessing.OrdinalEncoder."
            ) from None
    if array.dtype.kind in "US":
        raise DTypeError(
            f"{name} has dtype str; glassnet needs real numbers (bool, int or float). Encode "
            "strings first, e.g. with sklearn.preprocessing.OrdinalEncoder (features) or "
            "LabelEncoder (class labels)."
        )
    if array.dtype.kind == "c":
        raise DTypeError(f"{name} has complex dtype {array.dtype}; complex data is not supported.")
    if array.dtype.kind not in "biuf":
        raise DTypeError(
            f"{name} has dtype {describe_dtype(array)}; glassnet needs real numbers "
            "(bool, int or float)."
        )
    return array


def probably_has_non_finite(array: np.ndarray) -> bool:
    """False when a floating array surely holds no NaN or inf; True means "look closer" (also
    when finite rows merely overflow in the sum). NaN and inf propagate into row sums, so one
    pass decides the common case; a matrix-vector product is that pass at BLAS speed (several
    times faster than .sum() or np.isfinite(array).all())."""
    if array.dtype.kind != "f" or array.size == 0:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        rows = array.reshape(len(array), -1) if array.ndim > 1 else array.reshape(1, -1)
        return not np.isfinite((rows @ np.ones(rows.shape[1], dtype=array.dtype)).sum())


def check_finite(array: np.ndarray, name: str, source: np.ndarray | None = None) -> None:
    """Refuse NaN and inf in ``array`` (``source``: the data before conversion to its dtype,
    which tells a value too large for the dtype from an infinity)."""
    if not probably_has_non_finite(array):
        return
    source = array if source is None else source
    if np.isnan(array).any():
        raise ValueError(f"Input {name} contains NaN.")
    if np.isinf(array).any():
        if source is not array and source.dtype.kind == "f" and not np.isinf(source).any():
            raise ValueError(
                f"Input {name} contains infinity or a value too large for {array.dtype} "
                f"(largest finite: {np.finfo(array.dtype).max:.3g})."
            )
        raise ValueError(f"Input {name} contains infinity.")


def check_X(
    X: Any,
    *,
    dtype: Any,
    expected_features: int | None = None,
    name: str = "X",
    finite: bool = True,
) -> np.ndarray:
    """X as a C-contiguous (N, features, ...) array of ``dtype``; refuses NaN, inf, text, 1-D.

    ``finite=False`` leaves NaN and inf to the caller (``check_finite``), but only in an X that
    is already of ``dtype``: a converted one is checked here, against the values it came from.
    """
    raw = _to_array(X, name)
    if raw.ndim == 0:
        raise ShapeError(
            f"Expected 2D array, got scalar array instead:\narray={raw}.\n"
            "Reshape your data either using array.reshape(-1, 1) if your data has a single "
            "feature or array.reshape(1, -1) if it contains a single sample."
        )
    if raw.ndim == 1:
        shown = np.array2string(raw, threshold=10, edgeitems=3)
        raise ShapeError(
            f"Expected 2D array, got 1D array instead:\narray={shown}.\n"
            "Reshape your data either using array.reshape(-1, 1) if your data has a single "
            "feature or array.reshape(1, -1) if it contains a single sample."
        )
    if raw.shape[0] == 0:
        raise ShapeError(
            f"Found array with 0 sample(s) (shape={raw.shape}) while a minimum of 1 is required."
        )
    if raw.shape[1] == 0:
        raise ShapeError(
            f"Found array with 0 feature(s) (shape={raw.shape}) while a minimum of 1 is required."
        )
    if expected_features is not None and raw.ndim == 2 and raw.shape[1] != expected_features:
        raise ShapeError(
            f"{name} has {raw.shape[1]} features, but the model is expecting "
            f"{expected_features} features as input."
        )
    with np.errstate(over="ignore"):
        array = np.ascontiguousarray(raw, dtype=dtype)
    if finite or array is not raw:
        check_finite(array, name, raw)
    return array


def check_consistent_length(*arrays: Any) -> None:
    """All arrays have the same number of rows."""
    lengths = [len(a) for a in arrays if a is not None]
    if len(set(lengths)) > 1:
        raise ShapeError(
            f"Found input variables with inconsistent numbers of samples: {lengths}"
        )


def check_target_array(y: Any, *, name: str = "y") -> np.ndarray:
    """y as a numeric array of at least one dimension (not yet typed for the loss)."""
    array = _to_array(y, name)
    if array.ndim == 0:
        raise ShapeError(f"{name} must be an array with one entry per sample; got a scalar.")
    return array


def _class_indices(y: np.ndarray, n_outputs: int, name: str) -> np.ndarray:
    if y.dtype.kind == "f":
        check_finite(y, name)
        if not np.array_equal(y, np.round(y)):
            raise ValueError(
                f"Unknown label type: continuous. The loss expects class indices 0..C-1 in "
                f"{name}, but {name} has non-integer values; for a regression target use a "
                "regression loss such as 'mse'."
            )
    # the range is checked in y's own dtype, before the cast: 1e20 or 2**63 as int64 would wrap
    # round to a negative number (with NumPy's "invalid value" warning) and be reported as one
    low, high = y.min(), y.max()
    bad = high if high >= n_outputs else low if low < 0 else None
    if bad is not None:
        shown = f"{bad:.17g}" if y.dtype.kind == "f" else str(int(bad))
        raise ValueError(
            f"{name} contains class {shown}, but the model has {n_outputs} outputs "
            f"(classes 0..{n_outputs - 1})."
        )
    return np.ascontiguousarray(y.astype(np.int64, copy=False))


def prepare_target(
    y: np.ndarray,
    *,
    task: str | None,
    output_shape: tuple[int, ...],
    dtype: Any,
    name: str = "y",
) -> tuple[np.ndarray, str]:
    """Type ``y`` for the loss: int64 class indices (N,) or float values shaped like the output.

    ``task`` comes from the loss: "classification", "binary", "regression" or None (unknown:
    a 1-D y for a model with several outputs is taken as class indices).
    Returns the target and its kind (CLASS_INDICES or VALUES).
    """
    n_outputs = output_shape[0] if len(output_shape) == 1 else None
    if task is None:  # a 1-D y for several outputs can only be class indices
        task = "classification" if y.ndim == 1 and (n_outputs or 0) > 1 else "values"
    if task == "classification":
        if y.ndim == 2 and y.shape[1] == 1 and n_outputs != 1:
            y = y.reshape(-1)  # a column of labels
        if y.ndim == 1:
            if n_outputs is None:
                raise ShapeError(
                    f"class indices in {name} need a model output of shape (N, C); the model "
                    f"outputs (N, {', '.join(map(str, output_shape))})."
                )
            return _class_indices(y, n_outputs, name), CLASS_INDICES
    if y.ndim == 1 and output_shape == (1,):
        y = y.reshape(-1, 1)  # one value per sample, one model output
    if y.shape[1:] != tuple(output_shape):
        expected = ", ".join(["N", *map(str, output_shape)])
        raise ShapeError(
            f"{name} has shape {y.shape}, but the model outputs shape ({expected}); the loss "
            f"needs them to match."
        )
    with np.errstate(over="ignore"):
        values = np.ascontiguousarray(y, dtype=dtype)
    check_finite(values, name, y)
    if task == "binary" and (values.min() < 0 or values.max() > 1):
        raise ValueError(
            f"binary cross-entropy needs targets in [0, 1]; {name} has values from "
            f"{values.min():g} to {values.max():g}."
        )
    return values, VALUES


def probe_output_shape(model: Any, X: np.ndarray) -> tuple[int, ...]:
    """The model's output shape per sample, from the first rows of X run in eval mode without a
    graph: two of them (one if X has one), so that a layer that normalises over the batch even
    in eval mode (BatchNorm without running statistics) has more than one value per feature."""
    modes = snapshot_modes(model)
    model.eval()
    try:
        with no_grad():
            output = model(detached(X[:2]))
    finally:
        restore_modes(modes)
    return tuple(np.shape(output.data if isinstance(output, Tensor) else output)[1:])


def snapshot_modes(model: Any) -> list[tuple[Any, bool]]:
    """Each submodule with its training flag, to put back with ``restore_modes``."""
    return [(module, module.training) for module in model.modules()]


def restore_modes(modes: Sequence[tuple[Any, bool]]) -> None:
    for module, training in modes:
        object.__setattr__(module, "training", training)


def check_fraction(value: Any, name: str) -> float:
    """A real number in [0, 1), such as validation_split (NaN is not in it)."""
    real = isinstance(value, (int, float, np.integer, np.floating))
    if isinstance(value, (bool, np.bool_)) or not real:
        raise TypeError(f"{name} must be a float in [0, 1); got {value!r} "
                        f"({type(value).__name__}).")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1); got {value}.")
    return float(value)


def check_flag(value: Any, name: str) -> bool:
    """True or False, not a truthy stand-in such as "False" (a non-empty string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r} ({type(value).__name__}).")
    return bool(value)


def check_positive_int(value: Any, name: str, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {value!r}.")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else ">= 1"
        raise ValueError(f"{name} must be {bound}; got {value}.")
    return int(value)
