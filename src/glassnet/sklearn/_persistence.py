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
    check_is_fitted(estimator)
    params = estimator.get_params()
    if not isinstance(params["random_state"], (int, type(None))):
        params["random_state"] = None  # a RandomState object has no JSON form
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


def _labels(values: Any, kind: Any) -> np.ndarray:
    base, _, container = str(kind).partition(":")
    if base not in _LABEL_KINDS or not isinstance(values, list):
        raise ModelFormatError(f"the saved classes have an unknown kind {kind!r:.40}.")
    if container == "object":
        labels = np.empty(len(values), dtype=object)
        labels[:] = values
        return labels
    return np.asarray(values, dtype=_LABEL_KINDS[base])


def from_bundle(bundle: SavedModel) -> Any:
    """The fitted estimator stored in a bundle read by ``glassnet.io.load_bundle``."""
    document = bundle.metadata.get(METADATA_KEY)
    types = _estimator_types()
    if not isinstance(document, dict) or document.get("type") not in types:
        raise ModelFormatError("this file holds no glassnet.sklearn estimator.")
    estimator_type = types[document["type"]]
    params, fitted = document.get("params"), document.get("fitted")
    if not isinstance(params, dict) or not isinstance(fitted, dict):
        raise ModelFormatError("the estimator's params or fitted attributes are missing.")
    known = set(estimator_type().get_params())
    if set(params) - known:
        raise ModelFormatError(f"unknown estimator parameters {sorted(set(params) - known)}.")
    if isinstance(params.get("hidden_layer_sizes"), list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    estimator = estimator_type(**params)
    try:
        estimator.model_ = bundle.model
        estimator.n_features_in_ = int(fitted["n_features_in"])
        estimator.n_outputs_ = int(fitted["n_outputs"])
        estimator.loss_curve_ = [float(value) for value in fitted["loss_curve"]]
        estimator.loss_ = estimator.loss_curve_[-1] if estimator.loss_curve_ else None
        estimator.n_iter_ = int(fitted["n_iter"])
        estimator.t_ = int(fitted["t"])
        best_loss = fitted["best_loss"]
        estimator.best_loss_ = None if best_loss is None else float(best_loss)
        estimator.validation_scores_ = fitted["validation_scores"]
        estimator.best_validation_score_ = fitted["best_validation_score"]
        if "feature_names_in" in fitted:
            estimator.feature_names_in_ = np.asarray(fitted["feature_names_in"], dtype=object)
        if "classes" in fitted:
            estimator.classes_ = _labels(fitted["classes"], fitted["classes_kind"])
        if "y_was_1d" in fitted:
            estimator._y_was_1d = bool(fitted["y_was_1d"])
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFormatError(f"the estimator's fitted attributes are malformed: {error}"
                               ) from None
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
