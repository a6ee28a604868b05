"""Checks of the data and the model's output: unscaled_inputs, label_mismatch,
probabilities_as_logits, constant_predictions."""

from __future__ import annotations

import math

import numpy as np

from glassnet.diagnosis.findings import Finding
from glassnet.diagnosis.probe import Probe
from glassnet.diagnosis.wording import DiagnosisWords as Words
from glassnet.training.losses import ResolvedLoss

# A feature's scale is its root mean square over the sample, sqrt(mean(x²)): unit-scaled inputs
# (standardised, or in [0, 1]) have scales near 1, far from these bounds.
SCALE_HIGH = 10.0
SCALE_LOW = 0.01
# Outputs whose spread over the sample is below this fraction of their size are "the same".
CONSTANT_SPREAD = 1e-3
# A row of outputs "sums to 1" within this much.
ROW_SUM_TOLERANCE = 1e-4
LOGIT_LOSSES = {"cross_entropy", "CrossEntropyLoss", "bce_with_logits", "BCEWithLogitsLoss"}


def check_input_scale(X: np.ndarray, feature_axis: int = -1) -> list[Finding]:
    """unscaled_inputs: a feature's RMS over the sample above SCALE_HIGH or, for a feature that
    varies, below SCALE_LOW. ``feature_axis`` holds the features (the last for a table or a
    sequence, 1 for a convolution's channels); the RMS runs over every other axis."""
    if X.ndim < 2 or X.dtype.kind != "f":
        return []
    X = np.moveaxis(X, feature_axis, -1).reshape(-1, X.shape[feature_axis])
    scale = np.sqrt(np.mean(np.square(X, dtype=np.float64), axis=0))
    varies = X.max(axis=0) > X.min(axis=0)
    off = (scale > SCALE_HIGH) | (varies & (scale < SCALE_LOW))
    if not off.any():
        return []
    largest, smallest = int(np.argmax(scale)), int(np.argmin(np.where(varies, scale, np.inf)))
    evidence = {
        "features_off_scale": int(off.sum()), "n_features": X.shape[1],
        "largest_feature": largest, "largest_scale": float(scale[largest]),
        "smallest_feature": smallest, "smallest_scale": float(scale[smallest]),
        "largest_abs_input": float(np.abs(X).max()),
        "scale_high": SCALE_HIGH, "scale_low": SCALE_LOW,
    }
    message = Words("unscaled_inputs", off=evidence["features_off_scale"], features=X.shape[1],
                    low=f"{SCALE_LOW:g}", high=f"{SCALE_HIGH:g}", largest=largest,
                    largest_scale=f"{scale[largest]:.4g}", smallest=smallest,
                    smallest_scale=f"{scale[smallest]:.4g}",
                    reach=f"{evidence['largest_abs_input']:.4g}")
    return [Finding("unscaled_inputs", "warning", message, evidence)]


def check_labels(y: np.ndarray, loss: ResolvedLoss, output_shape: tuple[int, ...]) -> list[Finding]:
    """label_mismatch: targets the loss cannot pair with the model's output (class indices out
    of range, continuous values for a classification loss, class labels for a regression head
    with several outputs, binary targets outside [0, 1], a softmax over one output)."""
    n_outputs = output_shape[0] if len(output_shape) == 1 else None
    found = np.unique(y) if y.ndim == 1 else np.array([])
    evidence: dict = {"n_outputs": n_outputs, "loss": loss.name,
                      "target_min": float(np.min(y)), "target_max": float(np.max(y))}
    problem, advice = None, ""
    integer_valued = bool(np.all(np.isfinite(y)) and np.array_equal(y, np.round(y)))
    if loss.task == "classification" and y.ndim == 1 and n_outputs is not None:
        evidence["labels"] = found[:20].tolist()
        if not integer_valued:
            problem = Words("targets_continuous", low=f"{evidence['target_min']:.4g}",
                            high=f"{evidence['target_max']:.4g}", loss=loss.name)
            advice = Words("use_regression_loss")
        elif n_outputs == 1:
            problem = Words("one_output_softmax", loss=loss.name)
            advice = Words("one_output_per_class")
        elif evidence["target_min"] < 0 or evidence["target_max"] >= n_outputs:
            outside = [int(label) for label in found if label < 0 or label >= n_outputs]
            evidence["labels_out_of_range"] = outside
            problem = Words("classes_without_output", found=_listed(found), outputs=n_outputs,
                            last=n_outputs - 1, outside=_listed(outside))
            advice = Words("more_outputs", needed=int(evidence["target_max"]) + 1)
    elif loss.task == "binary" and (evidence["target_min"] < 0 or evidence["target_max"] > 1):
        problem = Words("binary_range", loss=loss.name, low=f"{evidence['target_min']:.4g}",
                        high=f"{evidence['target_max']:.4g}")
        advice = Words("encode_binary")
    elif (loss.task == "regression" and y.ndim == 1 and (n_outputs or 0) > 1 and integer_valued):
        problem = Words("labels_for_regression", found=_listed(found), loss=loss.name,
                        outputs=n_outputs)
        advice = Words("use_cross_entropy")
    if problem is None:
        return []
    return [Finding("label_mismatch", "error", Words("label_problem", problem=problem,
                                                     advice=advice), evidence)]


def _listed(values: object) -> str:
    numbers = [f"{value:g}" for value in np.asarray(values).ravel()[:10]]
    more = ", …" if np.asarray(values).size > 10 else ""
    return ", ".join(numbers) + more


def check_output_kind(probe: Probe, loss: ResolvedLoss) -> list[Finding]:
    """probabilities_as_logits: the model's last layer is a Softmax or Sigmoid (or its rows are
    probabilities summing to 1) and the loss applies its own softmax / sigmoid."""
    if loss.name not in LOGIT_LOSSES or probe.output.ndim != 2:
        return []
    output = probe.output
    last = probe.records[-1] if probe.output_module else None
    row_error = float(np.abs(output.sum(axis=1) - 1.0).max())
    in_unit = bool(output.min() >= 0 and output.max() <= 1)
    softmax_rows = in_unit and output.shape[1] > 1 and row_error <= ROW_SUM_TOLERANCE
    by_layer = last is not None and last.kind in ("Softmax", "Sigmoid")
    if not (by_layer or softmax_rows):
        return []
    n_outputs = output.shape[1]
    binary = loss.name in ("bce_with_logits", "BCEWithLogitsLoss")
    # The best a model can do when its "logits" are probabilities: the right output 1, the rest 0.
    floor = math.log1p(math.exp(-1.0)) if binary else math.log1p((n_outputs - 1) / math.e)
    evidence = {
        "layer": last.name if by_layer else None, "layer_kind": last.kind if by_layer else None,
        "output_min": float(output.min()), "output_max": float(output.max()),
        "row_sum_max_error": row_error, "loss_floor": floor, "n_outputs": n_outputs,
    }
    where = (Words("ends_with", kind=last.kind, layer=last.name) if by_layer
             else Words("rows_sum_to_one", error=f"{row_error:.1g}"))
    squash = "sigmoid" if binary else "softmax"
    message = Words("probabilities_as_logits", where=where, low=f"{evidence['output_min']:.3g}",
                    high=f"{evidence['output_max']:.3g}", loss=loss.name, squash=squash,
                    floor=f"{floor:.3f}", final=last.kind if by_layer else "softmax")
    return [Finding("probabilities_as_logits", "error", message, evidence)]


def check_constant_output(probe: Probe, X: np.ndarray) -> list[Finding]:
    """constant_predictions: over a sample of different inputs, the largest standard deviation
    of an output column is below CONSTANT_SPREAD × max(1, mean |output|)."""
    # in float64: float32 outputs near their limit would overflow when squared
    output = probe.output.reshape(len(probe.output), -1).astype(np.float64)
    if len(output) < 2 or not (X.reshape(len(X), -1).astype(np.float64).std(axis=0) > 0).any():
        return []
    spread = float(output.std(axis=0).max())
    size = float(np.abs(output).mean())
    if not np.isfinite(spread) or spread > CONSTANT_SPREAD * max(1.0, size):
        return []
    evidence = {"output_spread": spread, "output_mean_abs": size, "rows": len(output),
                "tolerance": CONSTANT_SPREAD * max(1.0, size),
                "output_row": output[0].tolist()[:10]}
    message = Words("constant_predictions", rows=len(output), spread=f"{spread:.3g}",
                    size=f"{size:.3g}", answer=_listed(output[0]))
    return [Finding("constant_predictions", "error", message, evidence)]
