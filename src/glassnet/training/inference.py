"""``predict`` and ``evaluate``: the model run in eval mode without a graph, batch by batch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from glassnet.autograd import Tensor, no_grad
from glassnet.training.losses import ResolvedLoss, resolve_loss
from glassnet.training.metrics import (
    Metric,
    check_metric_targets,
    last_layer_is_sigmoid,
    resolve_metrics,
)
from glassnet.training.validation import (
    check_consistent_length,
    check_positive_int,
    check_target_array,
    check_X,
    expected_input_features,
    model_dtype,
    prepare_target,
    probe_output_shape,
    restore_modes,
    snapshot_modes,
)


def _data(output: Any) -> np.ndarray:
    return output.data if isinstance(output, Tensor) else np.asarray(output)


def forward_in_batches(model: Any, X: np.ndarray, batch_size: int) -> np.ndarray:
    """model(X) for validated X, in eval mode and without a graph; the modes are restored after."""
    modes = snapshot_modes(model)
    model.eval()
    try:
        with no_grad():
            outputs = [
                _data(model(Tensor(X[start : start + batch_size])))
                for start in range(0, len(X), batch_size)
            ]
    finally:
        restore_modes(modes)
    return outputs[0] if len(outputs) == 1 else np.concatenate(outputs)


def prepare_xy(
    model: Any, X: Any, y: Any, loss: ResolvedLoss | None, *, names: tuple[str, str] = ("X", "y")
) -> tuple[np.ndarray, np.ndarray, str]:
    """Validate X and y for ``model`` and type them for ``loss`` (see validation.py); also
    returns the target kind (CLASS_INDICES or VALUES)."""
    dtype = model_dtype(model)
    X = check_X(X, dtype=dtype, expected_features=expected_input_features(model), name=names[0])
    y_array = check_target_array(y, name=names[1])
    check_consistent_length(X, y_array)
    output_shape = probe_output_shape(model, X)
    task = loss.task if loss is not None else None
    y_prepared, kind = prepare_target(
        y_array, task=task, output_shape=output_shape, dtype=dtype, name=names[1]
    )
    return X, y_prepared, kind


def metrics_for(model: Any, metrics: Any, loss: ResolvedLoss | None) -> list[tuple[str, Metric]]:
    """Resolve metric names, telling accuracy whether one-column outputs are logits."""
    from_logits = loss.from_logits if loss is not None else None
    if from_logits is None and last_layer_is_sigmoid(model):
        from_logits = False
    return resolve_metrics(metrics, from_logits=from_logits)


def score(
    outputs: np.ndarray,
    y: np.ndarray,
    loss_function: Callable[..., Any] | None,
    metrics: Sequence[tuple[str, Metric]],
    prefix: str = "",
) -> dict[str, float]:
    """{prefix+"loss": loss(outputs, y), prefix+name: metric(y, outputs), ...}."""
    logs: dict[str, float] = {}
    if loss_function is not None:
        with no_grad():
            logs[prefix + "loss"] = float(_data(loss_function(Tensor(outputs), Tensor(y))))
    for name, metric in metrics:
        logs[prefix + name] = float(metric(y, outputs))
    return logs


def predict(model: Any, X: Any, batch_size: int = 1024) -> np.ndarray:
    """The model's outputs for every row of X: (N, features) -> (N, outputs), as a NumPy array.

    Runs in eval mode (dropout off, BatchNorm on its running statistics) without building a
    graph; the model's previous mode is restored afterwards.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    X = check_X(X, dtype=model_dtype(model), expected_features=expected_input_features(model))
    return forward_in_batches(model, X, batch_size)


def evaluate(
    model: Any,
    X: Any,
    y: Any,
    *,
    loss: Any = None,
    metrics: Any = (),
    batch_size: int = 1024,
) -> dict[str, float]:
    """{"loss": ..., "<metric>": ...} of the model on (X, y), in eval mode without a graph.

    ``loss`` is a name ("cross_entropy", "mse", ...) or a callable loss(output, target);
    ``metrics`` names ("accuracy", "mae", "mse") or callables metric(y_true, y_pred) -> float.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    resolved = resolve_loss(loss) if loss is not None else None
    metric_list = metrics_for(model, metrics, resolved)
    if resolved is None and not metric_list:
        raise ValueError("evaluate needs a loss or at least one metric to compute.")
    X, y, kind = prepare_xy(model, X, y, resolved)
    check_metric_targets(metric_list, kind)
    outputs = forward_in_batches(model, X, batch_size)
    return score(outputs, y, resolved.function if resolved else None, metric_list)
