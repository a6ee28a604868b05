"""Fitted estimators in glassnet's model files: the network's weights as tensors, everything else
(hyperparameters, classes, records) as JSON metadata. Nothing is pickled or evaluated.

``save_estimator`` / ``load_estimator`` use ``gn.save`` and ``glassnet.io.load_bundle``;
``to_bundle`` / ``from_bundle`` are the two halves, for ``gn.save`` / ``gn.load`` to call.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from glassnet import nn
from glassnet.errors import ModelFormatError
from glassnet.io import SavedModel, load_bundle, save
from glassnet.io.architecture import MAX_FEATURES
from glassnet.sklearn import _file_values as v
from glassnet.sklearn._params import check_params

METADATA_KEY = "sklearn_estimator"
_LABEL_KINDS = {"int": np.int64, "float": np.float64, "bool": np.bool_, "str": np.str_}


def _estimator_types() -> dict[str, type]:
    from glassnet.sklearn._estimators import NeuralNetClassifier, NeuralNetRegressor

    return {"NeuralNetClassifier": NeuralNetClassifier, "NeuralNetRegressor": NeuralNetRegressor}


def _finite_or_none(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _label_kind(labels: np.ndarray) -> str:
    kinds = {"i": "int", "u": "int", "f": "float", "b": "bool", "U": "str", "S": "str"}
    if labels.dtype.kind in kinds:
        return kinds[labels.dtype.kind]
    for kind, python_type in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if all(isinstance(label, python_type) for label in labels.tolist()):
            return kind + ":object"  # labels held in an object array stay in one
    raise TypeError(f"cannot save class labels of types "
                    f"{sorted({type(label).__name__ for label in labels.tolist()})}; "
                    "glassnet files hold int, float, bool or str labels.")


def to_bundle(estimator: Any) -> tuple[nn.Module, dict[str, Any]]:
    """(network, metadata) describing a fitted estimator."""
    if type(estimator) not in _estimator_types().values():
        raise TypeError(f"cannot save a {type(estimator).__name__}: glassnet files hold a "
                        "NeuralNetClassifier or NeuralNetRegressor itself, not a subclass (a "
                        "file holds no code, so a subclass would load as its base class).")
    check_is_fitted(estimator)
    params = estimator.get_params()
    if not isinstance(params["random_state"], (int, type(None))):
        params["random_state"] = None  # a RandomState object has no JSON form
    if "class_weight" in params:
        params["class_weight"] = _class_weight_to_file(params["class_weight"])
    params["hidden_layer_sizes"] = list(estimator.hidden_layer_sizes) if not isinstance(
        estimator.hidden_layer_sizes, int) else estimator.hidden_layer_sizes
    fitted: dict[str, Any] = {
        "n_features_in": int(estimator.n_features_in_),
        "n_outputs": int(estimator.n_outputs_),
        "loss_curve": [float(value) for value in estimator.loss_curve_],
        "n_iter": int(estimator.n_iter_),
        "t": int(estimator.t_),
        "best_loss": _finite_or_none(estimator.best_loss_),
        "validation_scores": estimator.validation_scores_,
        "best_validation_score": _finite_or_none(estimator.best_validation_score_),
    }
    if hasattr(estimator, "feature_names_in_"):
        fitted["feature_names_in"] = [str(name) for name in estimator.feature_names_in_]
    if hasattr(estimator, "classes_"):
        fitted["classes"] = estimator.classes_.tolist()
        fitted["classes_kind"] = _label_kind(estimator.classes_)
    if hasattr(estimator, "_y_was_1d"):
        fitted["y_was_1d"] = bool(estimator._y_was_1d)
    document = {"type": type(estimator).__name__, "params": params, "fitted": fitted}
    return estimator.model_, {METADATA_KEY: document}


def _class_weight_to_file(class_weight: Any) -> Any:
    """None and "balanced" as they are; a dict {label: weight} as its labels (with their kind,
    as the classes are saved) and weights: JSON keys are strings, labels need not be."""
    if class_weight is None or isinstance(class_weight, str):
        return class_weight
    if not isinstance(class_weight, dict):
        raise TypeError(f"cannot save class_weight={class_weight!r:.80}: glassnet files hold "
                        "None, 'balanced' or a dict {label: weight}.")
    labels = np.empty(len(class_weight), dtype=object)
    labels[:] = list(class_weight)
    typed = np.asarray(labels.tolist()) if len(labels) else np.asarray([], dtype=np.int64)
    kind = _label_kind(typed if typed.dtype.kind in "iufbUS" else labels)
    return {"labels": typed.tolist() if typed.dtype.kind in "iufbUS" else labels.tolist(),
            "labels_kind": kind, "weights": [float(w) for w in class_weight.values()]}


# -- reading: every field checked before anything is built ---------------------------------------
_FINITE = v.number()
_COUNT = v.integer(0)


def _hidden_layer_sizes(value: Any, field: str) -> int | list[int]:
    width = v.integer(1, MAX_FEATURES)
    return v.list_of(width)(value, field) if isinstance(value, list) else width(value, field)


def _batch_size(value: Any, field: str) -> int | str:
    return value if value == "auto" else v.integer(1)(value, field)


def _bool_or_0_1(value: Any, field: str) -> bool | int:
    return value if isinstance(value, bool) else v.integer(0, 1)(value, field)


def _verbosity(value: Any, field: str) -> bool | int:
    return value if isinstance(value, bool) else v.integer()(value, field)


def _checked_later(value: Any, field: str) -> Any:
    return value  # needs another field to be checked first


def _class_weight(value: Any, field: str) -> Any:
    """None, "balanced", or {"labels", "labels_kind", "weights"} back into a dict."""
    if value is None or value == "balanced":
        return value
    if not isinstance(value, dict) or set(value) != {"labels", "labels_kind", "weights"}:
        raise ModelFormatError(f"{field} must be null, 'balanced' or an object with labels, "
                               f"labels_kind and weights; got {value!r:.80}.")
    labels_list = value["labels"]
    if not isinstance(labels_list, list):
        raise ModelFormatError(f"{field}.labels must be a list; got {labels_list!r:.80}.")
    labels = _labels(labels_list, value["labels_kind"], len(labels_list))
    weights = v.list_of(v.number(0.0), length=len(labels))(value["weights"], f"{field}.weights")
    return dict(zip(labels.tolist(), weights, strict=True))


_PARAMETER_CHECKS: dict[str, v.Check] = {
    "hidden_layer_sizes": _hidden_layer_sizes,
    "activation": v.text,
    "optimizer": v.text,
    "learning_rate": _FINITE,
    "batch_size": _batch_size,
    "epochs": v.integer(1),
    "alpha": _FINITE,
    "dropout": _FINITE,
    "early_stopping": _bool_or_0_1,
    "validation_fraction": _FINITE,
    "n_iter_no_change": v.integer(1),
    "tol": _FINITE,
    "random_state": v.optional(v.integer(0, 2**32 - 1)),  # what check_random_state accepts
    "verbose": _verbosity,
    "class_weight": _class_weight,
}


def _json_scalar(value: Any, field: str) -> Any:
    """A hyperparameter this version has no specific check for: a plain, finite JSON scalar."""
    if value is None or isinstance(value, (bool, str)):
        return value
    return v.integer()(value, field) if v.is_integer(value) else _FINITE(value, field)


def _checked_params(estimator_type: type, params: Any) -> dict[str, Any]:
    if not isinstance(params, dict):
        raise ModelFormatError("the estimator's params or fitted attributes are missing.")
    known = set(estimator_type().get_params())
    if set(params) - known:
        raise ModelFormatError(f"unknown estimator parameters {sorted(set(params) - known)}.")
    checked = {name: _PARAMETER_CHECKS.get(name, _json_scalar)(value, f"params.{name}")
               for name, value in params.items()}
    if isinstance(checked.get("hidden_layer_sizes"), list):
        checked["hidden_layer_sizes"] = tuple(checked["hidden_layer_sizes"])
    return checked


def _label_check(base: str) -> v.Check:
    if base == "int":
        return v.integer()
    if base == "float":
        return _FINITE
    return v.flag if base == "bool" else v.text


def _labels(values: Any, kind: Any, n_outputs: int) -> np.ndarray:
    base, _, container = kind.partition(":") if isinstance(kind, str) else ("", "", "")
    if base not in _LABEL_KINDS or container not in ("", "object"):
        raise ModelFormatError(f"the saved classes have an unknown kind {kind!r:.40}.")
    checked = v.list_of(_label_check(base), length=n_outputs)(values, "fitted.classes")
    if len(set(checked)) != len(checked):
        raise ModelFormatError(f"fitted.classes must be distinct; got {checked!r:.80}.")
    if container == "object":
        labels = np.empty(len(checked), dtype=object)
        labels[:] = checked
        return labels
    return np.asarray(checked, dtype=_LABEL_KINDS[base])


def _checked_fitted(fitted: Any, classifier: bool) -> dict[str, Any]:
    required = {"n_features_in": v.integer(1, MAX_FEATURES),
                "n_outputs": v.integer(1, MAX_FEATURES), "loss_curve": v.list_of(_FINITE),
                "n_iter": _COUNT, "t": _COUNT, "best_loss": v.optional(_FINITE),
                "validation_scores": v.optional(v.list_of(_FINITE)),
                "best_validation_score": v.optional(_FINITE)}
    if classifier:
        required.update(classes=_checked_later, classes_kind=_checked_later)
    else:
        required["y_was_1d"] = v.flag
    names = {"feature_names_in": v.list_of(v.text)}
    checked = v.fields(fitted, "fitted", required, names)
    if checked["n_iter"] != len(checked["loss_curve"]):
        raise ModelFormatError(f"fitted.n_iter is {checked['n_iter']} but fitted.loss_curve "
                               f"holds {len(checked['loss_curve'])} epochs.")
    scores = checked["validation_scores"]
    if scores is not None and len(scores) > checked["n_iter"]:
        raise ModelFormatError(f"fitted.validation_scores holds {len(scores)} epochs, more than "
                               f"the {checked['n_iter']} run.")
    names = checked.get("feature_names_in")
    if names is not None and len(names) != checked["n_features_in"]:
        raise ModelFormatError(f"fitted.feature_names_in holds {len(names)} names for "
                               f"{checked['n_features_in']} features.")
    if classifier:
        checked["classes"] = _labels(fitted["classes"], fitted["classes_kind"],
                                     checked["n_outputs"])
    elif checked["y_was_1d"] and checked["n_outputs"] != 1:
        raise ModelFormatError(f"fitted.y_was_1d is true but n_outputs is "
                               f"{checked['n_outputs']}.")
    return checked


def check_network(model: nn.Module, n_features: int, n_outputs: int) -> None:
    """ModelFormatError unless ``model`` maps (1, n_features) to (1, n_outputs)."""
    from glassnet.training import predict

    try:
        with np.errstate(all="ignore"):
            shape = predict(model, np.zeros((1, n_features))).shape
    except Exception as error:  # a shape the layers refuse
        raise ModelFormatError(f"the network does not take {n_features} features: "
                               f"{error}") from None
    if shape != (1, n_outputs):
        raise ModelFormatError(f"the network gives outputs of shape {shape[1:]} for one row; "
                               f"the estimator has {n_outputs} outputs.")


def from_bundle(bundle: SavedModel) -> Any:
    """The fitted estimator stored in a bundle read by ``glassnet.io.load_bundle``.

    Every hyperparameter and fitted attribute is checked (type, range, finiteness, length,
    agreement with the network) before the estimator is built: ModelFormatError naming the
    field otherwise.
    """
    document = bundle.metadata.get(METADATA_KEY)
    types = _estimator_types()
    if not isinstance(document, dict) or document.get("type") not in types:
        raise ModelFormatError("this file holds no glassnet.sklearn estimator.")
    if set(document) != {"type", "params", "fitted"}:
        raise ModelFormatError("the estimator's params or fitted attributes are missing.")
    estimator_type = types[document["type"]]
    try:
        params = _checked_params(estimator_type, document["params"])
        fitted = _checked_fitted(document["fitted"],
                                 classifier=estimator_type is types["NeuralNetClassifier"])
        check_network(bundle.model, fitted["n_features_in"], fitted["n_outputs"])
        estimator = estimator_type(**params)
        try:
            check_params(estimator)
        except (TypeError, ValueError) as error:  # sklearn's words for a hyperparameter
            raise ModelFormatError(str(error)) from None
    except ModelFormatError as error:
        raise ModelFormatError(f"the saved {document['type']} is malformed: {error}") from None
    estimator.model_ = bundle.model
    estimator.n_features_in_ = fitted["n_features_in"]
    estimator.n_outputs_ = fitted["n_outputs"]
    estimator.loss_curve_ = fitted["loss_curve"]
    estimator.loss_ = estimator.loss_curve_[-1] if estimator.loss_curve_ else None
    estimator.n_iter_ = fitted["n_iter"]
    estimator.t_ = fitted["t"]
    estimator.best_loss_ = fitted["best_loss"]
    estimator.validation_scores_ = fitted["validation_scores"]
    estimator.best_validation_score_ = fitted["best_validation_score"]
    if "feature_names_in" in fitted:
        estimator.feature_names_in_ = np.asarray(fitted["feature_names_in"], dtype=object)
    if "classes" in fitted:
        estimator.classes_ = fitted["classes"]
    if "y_was_1d" in fitted:
        estimator._y_was_1d = fitted["y_was_1d"]
    estimator._optimizer = None  # optimizer state is not saved: partial_fit starts a fresh one
    estimator._no_improvement_count = 0
    estimator._split_seed = 0
    estimator._rng_state = _fresh_rng_state(estimator.random_state)
    return estimator


def _fresh_rng_state(random_state: Any) -> dict[str, Any]:
    seed = random_state if isinstance(random_state, int) else None
    return np.random.default_rng(seed).bit_generator.state


def save_estimator(estimator: Any, path: str | os.PathLike[str]) -> None:
    """Write a fitted estimator to ``path`` as a glassnet model file (safetensors + JSON)."""
    model, metadata = to_bundle(estimator)
    save(model, path, metadata=metadata)


def load_estimator(path: str | os.PathLike[str]) -> Any:
    """The fitted estimator saved at ``path`` by ``save_estimator`` (or ``gn.save``)."""
    bundle = load_bundle(path)
    try:
        return from_bundle(bundle)
    except ModelFormatError as error:
        raise ModelFormatError(f"cannot load {os.fspath(path)!r}: {error}") from None
