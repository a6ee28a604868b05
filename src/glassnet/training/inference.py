"""``predict`` and ``evaluate``: the model run in eval mode without a graph, batch by batch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from glassnet import fast_paths
from glassnet.autograd import Tensor, detached, no_grad
from glassnet.nn import Linear, Sequential
from glassnet.training.argument_checks import (
    check_consistent_length,
    check_finite,
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
from glassnet.training.losses import ResolvedLoss, resolve_loss
from glassnet.training.metrics import (
    Metric,
    check_metric_targets,
    last_layer_is_sigmoid,
    resolve_metrics,
)
from glassnet.training.weights import weighted_mean


def _data(output: Any) -> np.ndarray:
    return output.data if isinstance(output, Tensor) else np.asarray(output)


def forward_in_batches(
    model: Any, X: np.ndarray, batch_size: int, *, refuse_non_finite: bool = False
) -> np.ndarray:
    """model(X) for validated X, in eval mode and without a graph; the modes are restored after.

    ``refuse_non_finite``: raise check_X's ValueError for NaN or inf in X, found on the way
    (see ``_finite_checking``) instead of in a pass of its own.
    """
    run = _finite_checking(model) if refuse_non_finite else model
    modes = snapshot_modes(model)
    model.eval()
    try:
        with no_grad():
            outputs = [
                _data(run(detached(X[start : start + batch_size])))
                for start in range(0, len(X), batch_size)
            ]
    finally:
        restore_modes(modes)
    joined = outputs[0] if len(outputs) == 1 else np.concatenate(outputs)
    # row-major, as callers of a predict expect, whatever the model's last layer returned (a
    # transposed view, say); copied only if it is not
    return np.ascontiguousarray(joined)


def _finite_checking(model: Any) -> Callable[[Tensor], Any]:
    """model's forward on a batch, refusing NaN and inf in the batch.

    A plain Sequential that starts with a plain Linear (the usual MLP) is checked after that
    layer, on one column of its output, h = x·Wᵀ + b. A NaN or inf anywhere in row i of x makes
    every h[i, k] NaN or inf (±inf·w is ±inf, or NaN for w = 0; no sum brings it back), as long
    as the BLAS multiplies every term: some skip terms whose weight is 0, so the column is one
    whose row of W has no zeros. Reading 1 value per row instead of all of x is a fast path:
    a pass over x costs a noticeable share of a forward pass (bench/mlp.py's predict). Only
    when the column is not finite is x itself inspected, for the error (if x is finite, the
    model overflowed: its output is returned as it is). The reference, and any other model:
    x is checked first, then the model runs.
    """
    first = model[0] if type(model) is Sequential and len(model) else None
    column = None
    if (
        fast_paths.enabled()
        and type(first) is Linear
        and not (model.has_forward_hooks() or first.has_forward_hooks())
    ):
        column = _column_without_zero_weights(first)
    if column is None:

        def checked(x: Tensor) -> Any:
            check_finite(x.data, "X")
            return model(x)

        return checked

    def checked_after_first_layer(x: Tensor) -> np.ndarray:
        with np.errstate(invalid="ignore", over="ignore"):  # warned below if x is fine
            hidden = first.forward_array(x.data, temporary=False)
        if not np.isfinite(hidden[..., column]).all():
            check_finite(x.data, "X")
            # x is fine, so the model overflowed: again, with the warnings model(x) would give
            hidden = first.forward_array(x.data, temporary=False)
        return model.forward_array(hidden, temporary=True, start=1)

    return checked_after_first_layer


def _column_without_zero_weights(linear: Linear, tries: int = 8) -> int | None:
    """The first of ``tries`` output units whose weights are all nonzero, or None."""
    weight = linear.weight.data
    for unit in range(min(tries, weight.shape[0])):
        if weight[unit].all():
            return unit
    return None


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
    *,
    weights: np.ndarray | None = None,
    per_row: Callable[..., Any] | None = None,
) -> dict[str, float]:
    """{prefix+"loss": loss(outputs, y), prefix+name: metric(y, outputs), ...}; with row
    ``weights`` (and ``per_row``, the loss per row), the loss is Σwℓ / Σw. Metrics are
    unweighted."""
    logs: dict[str, float] = {}
    if loss_function is not None:
        with no_grad():
            if weights is None:
                loss = loss_function(detached(outputs), detached(y))
            else:
                loss = weighted_mean(per_row(detached(outputs), detached(y)), weights,
                                     float(np.add.reduce(weights)))
            logs[prefix + "loss"] = float(_data(loss))
    for name, metric in metrics:
        logs[prefix + name] = float(metric(y, outputs))
    return logs


def predict(model: Any, X: Any, batch_size: int = 1024) -> np.ndarray:
    """The model's outputs for every row of X: (N, features) -> (N, outputs), as a NumPy array.

    Runs in eval mode (dropout off, BatchNorm on its running statistics) without building a
    graph; the model's previous mode is restored afterwards.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    dtype, features = model_dtype(model), expected_input_features(model)
    X = check_X(X, dtype=dtype, expected_features=features, finite=False)
    return forward_in_batches(model, X, batch_size, refuse_non_finite=True)


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
