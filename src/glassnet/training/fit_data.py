"""What ``fit`` trains and validates on: X, y and the row weights, split into training and
validation rows, every piece checked before training begins."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.training.argument_checks import model_dtype, probe_output_shape
from glassnet.training.inference import prepare_xy
from glassnet.training.losses import ResolvedLoss
from glassnet.training.weights import (
    PerSampleLoss,
    check_not_all_zero,
    check_sample_weight,
    class_weight_table,
    classes_of_rows,
    per_sample_loss,
)


@dataclass
class FitData:
    """Training and validation rows (validation ones None without validation); the weights
    are None when no row is weighted, and ``per_row`` the loss per row that weights need."""

    X: np.ndarray
    y: np.ndarray
    kind: str
    weights: np.ndarray | None = None
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    weights_val: np.ndarray | None = None
    per_row: PerSampleLoss | None = None


def check_validation_data(validation_data: Any) -> None:
    """None, or a tuple (X_val, y_val) or (X_val, y_val, sample_weight_val)."""
    if validation_data is None:
        return
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        received = (f"a {type(validation_data).__name__} of {len(validation_data)}"
                    if isinstance(validation_data, (tuple, list))
                    else type(validation_data).__name__)
        raise TypeError("validation_data must be a tuple (X_val, y_val) or (X_val, y_val, "
                        f"sample_weight_val); got {received}.")


def prepare_fit_data(
    model: Any,
    X: Any,
    y: Any,
    loss: ResolvedLoss,
    *,
    validation_data: Any,
    validation_split: float,
    sample_weight: Any,
    class_weight: Any,
) -> FitData:
    """Check and type X and y (and the validation rows), hold out ``validation_split`` of the
    rows when no validation_data is given, and weigh the rows: see ``training.weights``."""
    X, y, kind = prepare_xy(model, X, y, loss)
    weights = None if sample_weight is None else check_sample_weight(sample_weight, len(X),
                                                                     "sample_weight")
    data = FitData(X, y, kind, weights)
    if validation_data is not None:
        data.X_val, data.y_val, _ = prepare_xy(model, *validation_data[:2], loss,
                                               names=("X_val", "y_val"))
        if len(validation_data) == 3 and validation_data[2] is not None:
            data.weights_val = check_sample_weight(validation_data[2], len(data.X_val),
                                                   "sample_weight_val")
    elif validation_split > 0:
        split_at = int(math.floor(len(X) * (1.0 - validation_split)))
        if split_at in (0, len(X)):
            raise ValueError(
                f"Training data contains {len(X)} samples, which is not sufficient to split it "
                f"into a validation and training set as specified by validation_split="
                f"{validation_split}. Either provide more data, or a different value for "
                "validation_split."
            )
        data.X, data.X_val = X[:split_at], X[split_at:]
        data.y, data.y_val = y[:split_at], y[split_at:]
        if weights is not None:
            data.weights, data.weights_val = weights[:split_at], weights[split_at:]
    if class_weight is not None:
        _apply_class_weight(model, data, loss, class_weight)
    if data.weights is None and data.weights_val is None:
        return data  # nothing weighted: fit's loop stays as it is
    data.per_row = per_sample_loss(loss)  # TypeError now, before training, if it cannot be
    dtype = model_dtype(model)
    if data.weights is not None:
        check_not_all_zero(data.weights, "sample_weight")
        data.weights = data.weights.astype(dtype)
    if data.weights_val is not None:
        check_not_all_zero(data.weights_val, "the validation rows' weights")
        data.weights_val = data.weights_val.astype(dtype)
    return data


def _apply_class_weight(model: Any, data: FitData, loss: ResolvedLoss, class_weight: Any) -> None:
    """Multiply each row's weight by its class's (training rows and validation rows); a
    "balanced" weight is computed on the training rows only."""
    train_classes = classes_of_rows(data.y, data.kind, loss, "y")
    n_classes = probe_output_shape(model, data.X)[0] if loss.task == "classification" else 2
    table = class_weight_table(class_weight, train_classes, n_classes)
    data.weights = _times(data.weights, table[train_classes])
    if data.y_val is None:
        return
    val_classes = classes_of_rows(data.y_val, data.kind, loss, "y_val")
    row_weights = table[val_classes]
    if np.isnan(row_weights).any():  # "balanced" knows only the classes it was computed on
        absent = sorted(set(val_classes[np.isnan(row_weights)].tolist()))
        raise ValueError(f"class_weight='balanced' has no weight for classes {absent}: they are "
                         "in the validation rows but not in the training rows it is computed "
                         "on. Give class_weight as a dict, or put rows of every class in both.")
    data.weights_val = _times(data.weights_val, row_weights)


def _times(weights: np.ndarray | None, factor: np.ndarray) -> np.ndarray:
    return factor if weights is None else weights * factor
