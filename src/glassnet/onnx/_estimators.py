"""Predictors that are more than a network, as ONNX: raw rows in, labels or values out.

Two kinds reach this module, and neither is imported here (onnx is an adapter: it needs only
the core):
- an object offering ``onnx_parts()`` (``glassnet.tabular.TabularModel`` does), which returns a
  dict of plain values: ``network`` (an ``nn.Module``, (batch, n_features) -> (batch,
  n_outputs)) and ``n_features``, and optionally ``input_mean`` / ``input_std`` (the network
  sees (x − input_mean) / input_std), ``classes`` (a classifier: softmax probabilities and
  ``classes[argmax]`` labels), ``output_mean`` / ``output_std`` (a regressor's value is
  output · output_std + output_mean), ``flat_output`` (predictions (batch,) rather than
  (batch, n_outputs)), ``name``, ``description`` and ``columns`` (raw table columns, one
  graph input each, encoded inside the graph into the network input: see
  ``glassnet.onnx._columns``; they replace ``input``, ``input_mean`` and ``input_std``,
  except for numbers without missing values offered with ``input_mean`` / ``input_std`` too,
  the same numbers: those keep the single standardised ``input``);
- a fitted estimator of ``glassnet.sklearn``, alone or at the end of a Pipeline of scalers:
  its own ``onnx_parts()``, with the Pipeline's scalers before the network and the estimator's
  class named in the model's properties.

The classifier's graph ends in Softmax ("probabilities") and ArgMax → Gather into a constant
holding the classes ("label"), so the labels come out as they went in: strings as an ONNX
string tensor, numbers as int64 / float / bool. Scalers become one or two element-wise nodes.
With ``columns`` (either input form), a row whose scores are NaN (a NaN in a numeric column
that had no missing values at training) has no label: its index is pushed out of the classes'
range, so the Gather fails and onnxruntime raises, rather than answer ``classes[0]``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import onnx.helper

from glassnet import nn
from glassnet.errors import ShapeError
from glassnet.onnx._columns import NumericColumn, columns_to_input, parse_columns
from glassnet.onnx._graph import GraphBuilder, float_input, tensor_output
from glassnet.onnx._layers import convert_module

_SCALERS = ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler")


@dataclass(frozen=True)
class ExportParts:
    """A predictor as its graph: input → [scalers] → (x − input_mean) / input_std (or: one
    input per raw column → their encoding, given ``columns``) → network → softmax and labels
    (``classes`` given) or output · output_std + output_mean."""

    network: nn.Module
    n_features: int
    input_mean: Any = None
    input_std: Any = None
    classes: Any = None
    output_mean: float | None = None
    output_std: float | None = None
    flat_output: bool = False
    name: str = "glassnet_predictor"
    description: str = ""
    columns: Any = None


def offered_parts(obj: Any) -> ExportParts:
    """The parts an object describes itself by (its ``onnx_parts()``), checked."""
    offered = obj.onnx_parts()
    kind = type(obj).__name__
    known = {part.name for part in fields(ExportParts)}
    if not isinstance(offered, dict) or not {"network", "n_features"} <= set(offered) <= known:
        got = sorted(offered) if isinstance(offered, dict) else type(offered).__name__
        raise TypeError(f"{kind}.onnx_parts() must return a dict with 'network' and "
                        f"'n_features' and any of {sorted(known)}; got {got}.")
    if not isinstance(offered["network"], nn.Module):
        raise TypeError(f"{kind}.onnx_parts()['network'] must be a glassnet Module; got "
                        f"{type(offered['network']).__name__}.")
    return ExportParts(**offered)


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
    b: GraphBuilder, logits: str, n_classes: int, classes: Any, nan_has_no_label: bool = False
) -> list[onnx.ValueInfoProto]:
    """"label" = classes[argmax(logits)] (batch,) and "probabilities" = softmax (batch, C).

    ``nan_has_no_label``: a row with a NaN logit gets the index C, out of range, so the
    Gather fails instead of labelling it with whatever ArgMax returns for NaN.
    """
    probabilities = b.rename_output(
        b.node("Softmax", [logits], "probabilities_Softmax", axis=1), "probabilities")
    index = b.node("ArgMax", [logits], "label_ArgMax", axis=1, keepdims=0)
    gather = "label_Gather"
    if nan_has_no_label:
        axes = b.constant("label.axes", [1], dtype=np.int64)
        total = b.node("ReduceSum", [logits, axes], "label_ReduceSum", keepdims=0)
        unanswerable = b.node("IsNaN", [total], "label_IsNaN")
        out_of_range = b.constant("label.no_class", n_classes, dtype=np.int64)
        index = b.node("Where", [unanswerable, out_of_range, index], "label_Where")
        gather = "label_Gather_of_NaN_scores_has_no_label"  # onnxruntime's error names the node
    labels, label_type = _label_constant(b, np.asarray(classes))
    label = b.rename_output(b.node("Gather", [labels, index], gather, axis=0), "label")
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


def _check_features(parts: ExportParts, n_features: Any, what: str) -> None:
    if n_features is not None and n_features not in (parts.n_features, (parts.n_features,)):
        raise ValueError(f"n_features={n_features!r}, but the {what} was fitted on "
                         f"{parts.n_features} features.")


def parts_to_onnx(
    parts: ExportParts, opset: int, scalers: list[tuple[str, Any]] | None = None
) -> onnx.ModelProto:
    """The graph of ``parts``, after the Pipeline ``scalers`` (name, fitted scaler) if any."""
    features = parts.n_features
    b = GraphBuilder(opset)
    properties: dict[str, str] = {}
    columns = None if parts.columns is None else _checked_columns(parts, scalers)
    if columns is not None and parts.input_mean is None and parts.input_std is None:
        for output_name in ("label", "probabilities", "predictions"):
            b.reserve(output_name)  # a column called "label" must not take the output's name
        inputs, x, properties = columns_to_input(b, columns)
    else:  # no columns, or numbers only offered as one standardised input (checked above)
        x = b.reserve("input")
        inputs = [float_input("input", (features,))]
    for name, step in scalers or []:
        x = _scaler(b, step, x, name)
    if parts.input_mean is not None:
        x = b.node("Sub", [x, b.constant("input_mean", parts.input_mean)], "standardize_Sub")
    if parts.input_std is not None:
        x = b.node("Div", [x, b.constant("input_std", parts.input_std)], "standardize_Div")
    values, (n_outputs,) = convert_module(b, parts.network, x, (features,), "model")
    if parts.classes is not None:
        outputs = _classifier_outputs(b, values, n_outputs, parts.classes,
                                      nan_has_no_label=parts.columns is not None)
    else:
        if parts.output_std is not None:
            values = b.node("Mul", [values, b.constant("output_std", parts.output_std)],
                            "target_Mul")
        if parts.output_mean is not None:
            values = b.node("Add", [values, b.constant("output_mean", parts.output_mean)],
                            "target_Add")
        outputs = _regressor_outputs(b, values, n_outputs, squeeze=parts.flat_output)
    model = b.model(inputs, outputs, parts.name, parts.description)
    if properties:
        onnx.helper.set_model_props(model, properties)
    return model


def _checked_columns(parts: ExportParts, scalers: list[tuple[str, Any]] | None) -> list[Any]:
    """``parts.columns`` parsed, with the parts around them consistent.

    ``input_mean`` and ``input_std`` may come with them only for numbers without missing
    values, as the same numbers: the graph then keeps today's single (batch, F) input.
    """
    columns = parse_columns(parts.columns)
    if scalers:
        raise ValueError("onnx_parts() gives 'columns' after Pipeline scalers; the columns "
                         "carry their own scaling, so nothing may scale the input before.")
    width = sum(column.width for column in columns)
    if width != parts.n_features:
        widths = ", ".join(f"{column.name!r} {column.width}" for column in columns)
        raise ShapeError(f"onnx_parts()['columns'] make a network input of {width} values "
                         f"({widths}), but n_features is {parts.n_features}.")
    if parts.input_mean is not None or parts.input_std is not None:
        _check_same_standardisation(parts, columns)
    return columns


def _check_same_standardisation(parts: ExportParts, columns: list[Any]) -> None:
    """``input_mean`` / ``input_std`` beside ``columns``: both, numbers only, the same numbers."""
    encoded = [column.name for column in columns
               if not isinstance(column, NumericColumn) or column.median is not None]
    if encoded:
        raise ValueError(
            f"onnx_parts() gives 'input_mean' / 'input_std' beside 'columns' that are not all "
            f"complete numbers ({', '.join(map(repr, encoded[:5]))} need encoding or "
            "imputation); the columns carry their own scaling: drop 'input_mean' / 'input_std'."
        )
    for field, values in (("input_mean", [column.mean for column in columns]),
                          ("input_std", [column.std for column in columns])):
        given = getattr(parts, field)
        try:
            same = given is not None and np.shape(given) in ((), (len(values),)) and \
                bool(np.allclose(np.asarray(given, dtype=np.float64), values, rtol=1e-12, atol=0))
        except (TypeError, ValueError):  # not numbers at all
            same = False
        if not same:
            raise ValueError(f"onnx_parts()[{field!r}] must be given and equal the columns' "
                             f"numbers {values!r:.200}; got {given!r:.200}.")


def offered_to_onnx(obj: Any, n_features: Any, opset: int) -> onnx.ModelProto:
    """The ONNX model of an object offering ``onnx_parts()`` (see the module's docstring)."""
    parts = offered_parts(obj)
    _check_features(parts, n_features, "model")
    return parts_to_onnx(parts, opset)


def _estimator_parts(estimator: Any, final: Any) -> ExportParts:
    """A fitted glassnet.sklearn estimator (``final``, alone or ending ``estimator``) as parts."""
    if not hasattr(final, "onnx_parts"):
        raise TypeError(
            f"cannot export {type(final).__name__} to ONNX: gn.onnx.export takes glassnet "
            "models, glassnet.sklearn estimators and Pipelines ending in one."
        )
    parts = offered_parts(final)
    return replace(
        parts,
        n_features=int(getattr(estimator, "n_features_in_", parts.n_features)),
        description=f"glassnet.sklearn {type(final).__name__}, exported:\n{estimator!r}",
    )


def estimator_to_onnx(estimator: Any, n_features: Any, opset: int) -> onnx.ModelProto:
    """The ONNX model of a fitted estimator or Pipeline (see ``glassnet.onnx.export``)."""
    from sklearn.utils.validation import check_is_fitted

    preprocessing, final = _split_pipeline(estimator)
    if hasattr(final, "fit"):  # an estimator: scikit-learn's own check names what is unfitted
        check_is_fitted(final)
    parts = _estimator_parts(estimator, final)
    for _, step in preprocessing:
        check_is_fitted(step)
    _check_features(parts, n_features, "estimator")
    model = parts_to_onnx(parts, opset, preprocessing)
    properties = {entry.key: entry.value for entry in model.metadata_props}
    onnx.helper.set_model_props(model, {**properties, "estimator": type(final).__name__})
    return model
