"""Fitted ``glassnet.sklearn`` estimators, alone or at the end of a Pipeline of scalers, as ONNX.

The classifier's graph ends in Softmax ("probabilities") and ArgMax → Gather into a constant
holding ``classes_`` ("label"), so the labels come out as they went in: strings as an ONNX
string tensor, numbers as int64 / float / bool. Scalers become one or two element-wise nodes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx.helper

from glassnet.onnx._graph import GraphBuilder, float_input, tensor_output
from glassnet.onnx._layers import convert_module

_SCALERS = ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler")


def _label_constant(b: GraphBuilder, classes: np.ndarray) -> tuple[str, int]:
    """``classes_`` as an initializer, and the ONNX element type of the labels."""
    kind = classes.dtype.kind
    if kind == "O" and all(isinstance(label, str) for label in classes.tolist()):
        kind = "U"
    if kind in "US":
        return b.constant("classes", classes.astype(str).astype(object), dtype=object), \
            onnx.TensorProto.STRING
    if kind in "iu" or (kind == "O" and all(isinstance(c, int) for c in classes.tolist())):
        return b.constant("classes", classes, dtype=np.int64), onnx.TensorProto.INT64
    if kind == "b":
        return b.constant("classes", classes, dtype=np.bool_), onnx.TensorProto.BOOL
    if kind == "f":
        return b.constant("classes", classes, dtype=np.float64), onnx.TensorProto.DOUBLE
    raise TypeError(f"cannot export class labels of dtype {classes.dtype} to ONNX; labels must "
                    "be strings, integers, floats or booleans.")


def _scaler(b: GraphBuilder, step: Any, x: str, name: str) -> str:
    """x → the scaler's transform, element-wise with its fitted constants."""
    kind = type(step).__name__
    if kind in ("StandardScaler", "RobustScaler"):
        standard = kind == "StandardScaler"
        # the flags decide, as in transform: mean_ is fitted even when with_mean=False
        if step.with_mean if standard else step.with_centering:
            center = step.mean_ if standard else step.center_
            x = b.node("Sub", [x, b.constant(f"{name}.center", center)], f"{name}_Sub")
        if step.with_std if standard else step.with_scaling:
            x = b.node("Div", [x, b.constant(f"{name}.scale", step.scale_)], f"{name}_Div")
        return x
    if kind == "MaxAbsScaler":
        return b.node("Div", [x, b.constant(f"{name}.scale", step.scale_)], f"{name}_Div")
    # MinMaxScaler: x·scale_ + min_, clipped to feature_range when clip=True
    x = b.node("Mul", [x, b.constant(f"{name}.scale", step.scale_)], f"{name}_Mul")
    x = b.node("Add", [x, b.constant(f"{name}.min", step.min_)], f"{name}_Add")
    if getattr(step, "clip", False):
        low, high = step.feature_range
        x = b.node("Clip", [x, b.constant(f"{name}.low", low), b.constant(f"{name}.high", high)],
                   f"{name}_Clip")
    return x


def _split_pipeline(estimator: Any) -> tuple[list[tuple[str, Any]], Any]:
    """(preprocessing steps, final glassnet estimator)."""
    if type(estimator).__name__ != "Pipeline":
        return [], estimator
    steps = [(name, step) for name, step in estimator.steps if step not in (None, "passthrough")]
    if not steps:
        raise TypeError("cannot export an empty Pipeline to ONNX.")
    *preprocessing, (_, final) = steps
    for name, step in preprocessing:
        if type(step).__name__ not in _SCALERS:
            raise TypeError(
                f"cannot export Pipeline step {name!r} ({type(step).__name__}) to ONNX; the steps "
                f"before the glassnet estimator may be {', '.join(_SCALERS)} or 'passthrough'."
            )
    return preprocessing, final


def _classifier_outputs(
    b: GraphBuilder, logits: str, n_classes: int, classes: Any
) -> list[onnx.ValueInfoProto]:
    """"label" = classes[argmax(logits)] (batch,) and "probabilities" = softmax (batch, C)."""
    probabilities = b.rename_output(
        b.node("Softmax", [logits], "probabilities_Softmax", axis=1), "probabilities")
    index = b.node("ArgMax", [logits], "label_ArgMax", axis=1, keepdims=0)
    labels, label_type = _label_constant(b, np.asarray(classes))
    label = b.rename_output(b.node("Gather", [labels, index], "label_Gather", axis=0), "label")
    return [tensor_output(label, label_type, []),
            tensor_output(probabilities, onnx.TensorProto.FLOAT, [n_classes])]


def _regressor_outputs(
    b: GraphBuilder, values: str, n_outputs: int, squeeze: bool
) -> list[onnx.ValueInfoProto]:
    """"predictions": (batch,) when ``squeeze`` (a 1-D target), else (batch, n_outputs)."""
    if squeeze:
        axes = b.constant("squeeze_axes", [1], dtype=np.int64)
        values = b.node("Squeeze", [values, axes], "predictions_Squeeze")
    predictions = b.rename_output(values, "predictions")
    return [tensor_output(predictions, onnx.TensorProto.FLOAT, [] if squeeze else [n_outputs])]


def tabular_to_onnx(tabular_model: Any, n_features: Any, opset: int) -> onnx.ModelProto:
    """A model trained by ``glassnet train``, its preprocessing included: raw feature rows in,
    labels and probabilities (classification) or values in the target's units out."""
    from glassnet.tabular import CLASSIFY

    prep = tabular_model.preprocessing
    features = len(prep.feature_names)
    if n_features is not None and n_features not in (features, (features,)):
        raise ValueError(f"n_features={n_features!r}, but the model was trained on {features} "
                         "features.")
    b = GraphBuilder(opset)
    x = b.node("Sub", [b.reserve("input"), b.constant("feature_mean", prep.feature_mean)],
               "standardize_Sub")
    x = b.node("Div", [x, b.constant("feature_std", prep.feature_std)], "standardize_Div")
    outputs_value, (n_outputs,) = convert_module(b, tabular_model.model, x, (features,), "model")
    if prep.task == CLASSIFY:
        outputs = _classifier_outputs(b, outputs_value, n_outputs, prep.classes)
    else:
        scaled = b.node("Mul", [outputs_value, b.constant("target_std", prep.target_std)],
                        "target_Mul")
        values = b.node("Add", [scaled, b.constant("target_mean", prep.target_mean)],
                        "target_Add")
        outputs = _regressor_outputs(b, values, n_outputs, squeeze=True)
    doc = (f"glassnet tabular model ({prep.task}, target {prep.target!r}; features "
           f"{', '.join(prep.feature_names)}), preprocessing included:\n{tabular_model.model!r}")
    return b.model([float_input("input", (features,))], outputs, "glassnet_tabular", doc)


def estimator_to_onnx(estimator: Any, n_features: Any, opset: int) -> onnx.ModelProto:
    """The ONNX model of a fitted estimator or Pipeline (see ``glassnet.onnx.export``)."""
    from sklearn.utils.validation import check_is_fitted

    from glassnet.sklearn import NeuralNetClassifier, NeuralNetRegressor

    preprocessing, final = _split_pipeline(estimator)
    if not isinstance(final, (NeuralNetClassifier, NeuralNetRegressor)):
        raise TypeError(
            f"cannot export {type(final).__name__} to ONNX: gn.onnx.export takes glassnet "
            "models, glassnet.sklearn estimators and Pipelines ending in one."
        )
    check_is_fitted(final)
    for _, step in preprocessing:
        check_is_fitted(step)
    features = int(getattr(estimator, "n_features_in_", final.n_features_in_))
    if n_features is not None and n_features not in (features, (features,)):
        raise ValueError(f"n_features={n_features!r}, but the estimator was fitted on "
                         f"{features} features.")
    b = GraphBuilder(opset)
    x = b.reserve("input")
    for name, step in preprocessing:
        x = _scaler(b, step, x, name)
    logits, (n_outputs,) = convert_module(b, final.model_, x, (features,), "model_")
    if isinstance(final, NeuralNetClassifier):
        outputs = _classifier_outputs(b, logits, n_outputs, final.classes_)
    else:
        outputs = _regressor_outputs(b, logits, n_outputs, squeeze=final._y_was_1d)
    doc = f"glassnet.sklearn {type(final).__name__}, exported:\n{estimator!r}"
    model = b.model([float_input("input", (features,))], outputs, "glassnet_estimator", doc)
    onnx.helper.set_model_props(model, {"estimator": type(final).__name__})
    return model
