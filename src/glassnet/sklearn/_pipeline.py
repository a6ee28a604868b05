"""A fitted scikit-learn ``Pipeline`` of scalers ending in a glassnet estimator, in a model file.

``gn.save(make_pipeline(StandardScaler(), NeuralNetClassifier()).fit(X, y), path)`` writes the
network's weights as tensors, and each scaler as JSON: its class name, its hyperparameters and
its fitted numbers (``mean_``, ``scale_``, ...) with their dtypes, so that ``gn.load`` rebuilds a
Pipeline whose ``predict`` gives the very same numbers. A file names a scaler by a key of the
fixed table ``SCALERS`` below and can never name a class to import; every number is checked
(type, finiteness, sign, length) before a scaler is built. Other steps cannot be saved this way
(``gn.onnx.export`` writes such pipelines as ONNX), nor are the Pipeline's own settings (memory,
verbose): the loaded one has the defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler
from sklearn.utils.validation import check_is_fitted

from glassnet.errors import ModelFormatError
from glassnet.io import Adapter, SavedModel, register_adapter
from glassnet.io.architecture import MAX_FEATURES
from glassnet.sklearn import _file_values as v
from glassnet.sklearn._estimators import NeuralNetClassifier, NeuralNetRegressor
from glassnet.sklearn._persistence import METADATA_KEY, from_bundle, to_bundle

PIPELINE_KEY = "sklearn_pipeline"
MAX_STEPS = 32
_ARRAY_DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64}
_PIPELINE_PARAMETERS = {"steps", "memory", "verbose", "transform_input"}  # not step names
_PASSTHROUGH = (None, "passthrough")


@dataclass(frozen=True)
class ScalerSpec:
    """A scaler glassnet files can hold: its hyperparameters' checks, its fitted attributes'
    checks (each given the value and n_features_in; a None value passes only if optional), and
    which flag makes transform use which optional attribute."""

    scaler: type
    params: dict[str, v.Check]
    fitted: dict[str, Callable[[Any, str, int], Any]]
    used_when: dict[str, str]


def _per_feature(*, positive: bool = False, non_negative: bool = False,
                 optional: bool = False) -> Callable[[Any, str, int], Any]:
    """A 1-D float array of n_features finite values (> 0 or >= 0 if asked)."""

    def check(value: Any, field: str, n_features: int) -> np.ndarray | None:
        if value is None and optional:
            return None
        array = _array(value, field, ("float32", "float64"))
        if array.shape != (n_features,):
            raise ModelFormatError(f"{field} must hold {n_features} values (one per feature); "
                                   f"it has shape {array.shape}.")
        if positive and not np.all(array > 0):
            raise ModelFormatError(f"{field} must be positive; it holds {array.min()}.")
        if non_negative and not np.all(array >= 0):
            raise ModelFormatError(f"{field} must not be negative; it holds {array.min()}.")
        return array

    return check


def _samples_seen(value: Any, field: str, n_features: int) -> Any:
    """A count: an int, a NumPy scalar, or one count per feature (StandardScaler with NaNs)."""
    if v.is_integer(value):
        return v.integer(0)(value, field)
    array = _array(value, field, ("float64", "int64"))
    if array.shape not in ((), (n_features,)) or not np.all(array >= 0):
        raise ModelFormatError(f"{field} must be a count or one count per feature; got "
                               f"shape {array.shape}, smallest {array.min()}.")
    return array[()] if array.ndim == 0 else array


def _increasing_pair(low: float, high: float) -> v.Check:
    """[a, b] with low <= a < b <= high, as the tuple the scaler was given (ints stay ints)."""

    def check(value: Any, field: str) -> tuple[Any, Any]:
        first, second = v.list_of(v.number(low, high), length=2)(value, field)
        if not first < second:
            raise v.refuse(field, "[low, high] with low < high", value)
        return (value[0], value[1])

    return check


SCALERS: dict[str, ScalerSpec] = {
    "StandardScaler": ScalerSpec(
        StandardScaler, {"copy": v.flag, "with_mean": v.flag, "with_std": v.flag},
        {"mean_": _per_feature(optional=True), "var_": _per_feature(non_negative=True,
                                                                     optional=True),
         "scale_": _per_feature(positive=True, optional=True), "n_samples_seen_": _samples_seen},
        {"with_mean": "mean_", "with_std": "scale_"},
    ),
    "MinMaxScaler": ScalerSpec(
        MinMaxScaler, {"feature_range": _increasing_pair(-np.inf, np.inf), "copy": v.flag,
                       "clip": v.flag},
        {"scale_": _per_feature(positive=True), "min_": _per_feature(),
         "data_min_": _per_feature(), "data_max_": _per_feature(),
         "data_range_": _per_feature(non_negative=True), "n_samples_seen_": _samples_seen},
        {},
    ),
    "MaxAbsScaler": ScalerSpec(
        MaxAbsScaler, {"copy": v.flag, "clip": v.flag},
        {"max_abs_": _per_feature(non_negative=True), "scale_": _per_feature(positive=True),
         "n_samples_seen_": _samples_seen},
        {},
    ),
    "RobustScaler": ScalerSpec(
        RobustScaler, {"with_centering": v.flag, "with_scaling": v.flag,
                       "quantile_range": _increasing_pair(0.0, 100.0), "copy": v.flag,
                       "unit_variance": v.flag},
        {"center_": _per_feature(optional=True),
         "scale_": _per_feature(positive=True, optional=True)},
        {"with_centering": "center_", "with_scaling": "scale_"},
    ),
}


# -- numbers as JSON, dtype kept ------------------------------------------------------------------
def _json_value(value: Any) -> Any:
    """A fitted attribute as JSON: arrays and NumPy scalars as {"dtype", "values"}."""
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        name = str(array.dtype)
        if name not in _ARRAY_DTYPES or array.ndim > 1:
            raise TypeError(f"cannot save a fitted array of dtype {array.dtype} and shape "
                            f"{array.shape}.")
        return {"dtype": name, "values": array.tolist()}
    return value


def _array(value: Any, field: str, dtypes: tuple[str, ...]) -> np.ndarray:
    if not (isinstance(value, dict) and set(value) == {"dtype", "values"}
            and value["dtype"] in dtypes):
        raise v.refuse(field, f'{{"dtype": one of {list(dtypes)}, "values": numbers}}', value)
    dtype, values = value["dtype"], value["values"]
    if dtype == "int64":
        check = v.integer()
    else:
        limit = float(np.finfo(_ARRAY_DTYPES[dtype]).max)
        check = v.number(-limit, limit)
    if isinstance(values, list):
        values = v.list_of(check, length=None)(values, f"{field}.values")
        if len(values) > MAX_FEATURES:
            raise ModelFormatError(f"{field} holds more than {MAX_FEATURES} values.")
    else:
        values = check(values, f"{field}.values")
    return np.asarray(values, dtype=_ARRAY_DTYPES[dtype])


# -- saving --------------------------------------------------------------------------------------
def owns(obj: Any) -> bool:
    return isinstance(obj, Pipeline)


def _unsupported(name: str, step: Any) -> TypeError:
    return TypeError(
        f"cannot save this Pipeline in a glassnet model file: step {name!r} is a "
        f"{type(step).__name__}. Model files (and gn.onnx.export) hold only the scalers "
        f"{', '.join(SCALERS)} and 'passthrough' steps, before a glassnet NeuralNetClassifier "
        "or NeuralNetRegressor. Save the estimator alone with gn.save(pipeline[-1], path), and "
        "the other steps with their own library's tools."
    )


def pipeline_to_bundle(pipeline: Pipeline) -> tuple[Any, dict[str, Any]]:
    """(network, metadata) of a fitted Pipeline of scalers ending in a glassnet estimator."""
    if not pipeline.steps:
        raise TypeError("cannot save an empty Pipeline.")
    *preprocessing, (final_name, final) = pipeline.steps
    if type(final) not in (NeuralNetClassifier, NeuralNetRegressor):
        raise _unsupported(final_name, final)
    steps: list[dict[str, Any]] = []
    for name, step in preprocessing:
        kind = type(step).__name__
        if step not in _PASSTHROUGH and (kind not in SCALERS
                                         or type(step) is not SCALERS[kind].scaler):
            raise _unsupported(name, step)  # subclasses too: their code is not in the file
    if len(pipeline.steps) > MAX_STEPS:
        raise TypeError(f"cannot save a Pipeline of more than {MAX_STEPS} steps.")
    model, estimator_metadata = to_bundle(final)  # NotFittedError if unfitted
    for name, step in preprocessing:
        if step in _PASSTHROUGH:
            steps.append({"name": name, "type": "passthrough"})
            continue
        check_is_fitted(step)
        spec = SCALERS[type(step).__name__]
        params = step.get_params()
        params = {key: list(value) if isinstance(value, tuple) else value
                  for key, value in params.items()}
        fitted = {attribute: _json_value(getattr(step, attribute, None))
                  for attribute in spec.fitted}
        fitted["n_features_in_"] = int(step.n_features_in_)
        if hasattr(step, "feature_names_in_"):
            fitted["feature_names_in_"] = [str(feature) for feature in step.feature_names_in_]
        steps.append({"name": name, "type": type(step).__name__, "params": params,
                      "fitted": fitted})
    document = {"steps": steps, "estimator_name": final_name,
                "estimator": estimator_metadata[METADATA_KEY]}
    return model, {PIPELINE_KEY: document}


# -- loading ---------------------------------------------------------------------------------------
def _step_name(value: Any, field: str) -> str:
    name = v.text(value, field)
    if not 1 <= len(name) <= 200 or "__" in name or name in _PIPELINE_PARAMETERS:
        raise v.refuse(field, "a step name of 1 to 200 characters without '__'", value)
    return name


def _scaler(record: Any, where: str, n_features: int) -> tuple[str, Any]:
    if isinstance(record, dict) and set(record) == {"name", "type"} and (
            record["type"] == "passthrough"):
        return _step_name(record["name"], f"{where}.name"), "passthrough"
    if not isinstance(record, dict) or set(record) != {"name", "type", "params", "fitted"}:
        raise v.refuse(where, "an object with name, type, params and fitted", record)
    name = _step_name(record["name"], f"{where}.name")
    kind = record["type"]
    if not isinstance(kind, str) or kind not in SCALERS:
        raise v.refuse(f"{where}.type", f"one of {', '.join(SCALERS)}", kind)
    spec = SCALERS[kind]
    known = set(spec.scaler().get_params())
    params = v.fields(record["params"], f"{where}.params", {},
                      {key: check for key, check in spec.params.items() if key in known})
    fitted = record["fitted"]
    if not isinstance(fitted, dict):
        raise v.refuse(f"{where}.fitted", "an object", fitted)
    extra = set(fitted) - set(spec.fitted) - {"n_features_in_", "feature_names_in_"}
    if extra:
        raise ModelFormatError(f"{where}.fitted holds unknown fields {sorted(extra)[:5]}.")
    features = v.integer(1, MAX_FEATURES)(fitted.get("n_features_in_"),
                                          f"{where}.fitted.n_features_in_")
    if features != n_features:
        raise ModelFormatError(f"{where} takes {features} features; the estimator takes "
                               f"{n_features}.")
    scaler = spec.scaler(**params)
    for attribute, check in spec.fitted.items():
        value = check(fitted.get(attribute), f"{where}.fitted.{attribute}", n_features)
        if value is not None:
            setattr(scaler, attribute, value)
    for flag, attribute in spec.used_when.items():
        if getattr(scaler, flag) and getattr(scaler, attribute, None) is None:
            raise ModelFormatError(f"{where}.fitted.{attribute} is missing, and {flag} is true.")
    scaler.n_features_in_ = n_features
    if "feature_names_in_" in fitted:
        names = v.list_of(v.text, length=n_features)(fitted["feature_names_in_"],
                                                     f"{where}.fitted.feature_names_in_")
        scaler.feature_names_in_ = np.asarray(names, dtype=object)
    return name, scaler


def pipeline_from_bundle(bundle: SavedModel) -> Pipeline:
    """The Pipeline stored in a bundle read by ``glassnet.io.load_bundle``."""
    document = bundle.metadata.get(PIPELINE_KEY)
    if not isinstance(document, dict) or set(document) != {"steps", "estimator_name",
                                                            "estimator"}:
        raise ModelFormatError("the saved Pipeline must have steps, estimator_name and "
                               "estimator.")
    estimator = from_bundle(SavedModel(bundle.model, {METADATA_KEY: document["estimator"]},
                                       bundle.architecture, bundle.format_version,
                                       bundle.glassnet_version))
    records = document["steps"]
    if not isinstance(records, list) or len(records) >= MAX_STEPS:
        raise v.refuse("the Pipeline's steps", f"a list of at most {MAX_STEPS - 1} scalers",
                       records)
    steps = [_scaler(record, f"step {i}", estimator.n_features_in_)
             for i, record in enumerate(records)]
    final_name = _step_name(document["estimator_name"], "estimator_name")
    names = [name for name, _ in steps] + [final_name]
    if len(set(names)) != len(names):
        raise ModelFormatError(f"the Pipeline's step names must be distinct; got {names}.")
    return Pipeline([*steps, (final_name, estimator)])


register_adapter(Adapter(PIPELINE_KEY, owns=owns, to_bundle=pipeline_to_bundle,
                         from_bundle=pipeline_from_bundle))
