"""A saved model together with its preprocessing: raw feature rows in, labels or values out.

    tabular_model = TabularModel.load("iris.safetensors")      # written by `glassnet train`
    tabular_model.predict([[5.1, 3.5, 1.4, 0.2]])               # array(['setosa'], ...)
    tabular_model.predict(data_frame)                           # columns found by name

An array's columns are the features in ``preprocessing.feature_names``' order; a DataFrame's are
found by name, as `glassnet predict` finds a CSV file's: a missing one is refused, naming it,
and columns the model does not use (an id, the target) are ignored.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import numpy as np

from glassnet.io import SavedModel, load_bundle
from glassnet.nn import Module
from glassnet.tabular.metadata import CLASSIFY
from glassnet.tabular.preprocess import Preprocessing, Where
from glassnet.tabular.table import DataError, Table, quote_list
from glassnet.training import predict as predict_outputs
from glassnet.training.argument_checks import check_X, expected_input_features, model_dtype


class TabularModel:
    """``model`` (standardised features -> logits or a scaled value) and its ``preprocessing``."""

    def __init__(
        self, model: Module, preprocessing: Preprocessing, bundle: SavedModel | None = None
    ) -> None:
        self.model = model
        self.preprocessing = preprocessing
        self.bundle = bundle

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TabularModel:
        """A model file written by ``glassnet train``; ModelFormatError for a file that is not a
        glassnet model, DataError for one saved without the table's metadata."""
        return cls.from_bundle(load_bundle(path), source=os.fspath(path))

    @classmethod
    def from_bundle(cls, bundle: SavedModel, *, source: str) -> TabularModel:
        """The model and table metadata of a loaded file (``source`` names it in messages)."""
        preprocessing = Preprocessing.from_metadata(bundle.metadata, source=source)
        _check_fits(bundle.model, preprocessing, source)
        return cls(bundle.model, preprocessing, bundle)

    @property
    def task(self) -> str:
        return self.preprocessing.task

    def outputs(self, features: Any, *, where: Where | None = None) -> np.ndarray:
        """The network's raw outputs for raw feature rows: (N, F) -> (N, C) logits or (N, 1).

        An array's columns are in ``preprocessing.feature_names``' order, a DataFrame's are found
        by name; NaN, inf, text and values too far out to standardise are refused (``where(row,
        feature)`` names a row's place in messages).
        """
        raw = check_X(self._by_name(features), dtype=np.float64,
                      expected_features=len(self.preprocessing.feature_names))
        largest = float(np.finfo(model_dtype(self.model)).max)
        return predict_outputs(
            self.model, self.preprocessing.standardize(raw, largest=largest, where=where))

    def _by_name(self, features: Any) -> Any:
        """A DataFrame's feature columns in the model's order; anything else as it is."""
        columns = getattr(features, "columns", None)
        if columns is None or isinstance(features, np.ndarray):
            return features
        labels = list(columns)
        names = Counter(str(label) for label in labels)
        needed = self.preprocessing.feature_names
        absent = [name for name in needed if name not in names]
        if absent:
            raise DataError(
                f"the DataFrame lacks the model's feature column{'s' if len(absent) > 1 else ''} "
                f"{quote_list(absent)}; its columns are {quote_list(list(names))}. Columns are "
                "found by name; pass an array to give the features by position."
            )
        repeated = [name for name in needed if names[name] > 1]
        if repeated:
            raise DataError(f"the DataFrame has more than one column named {quote_list(repeated)}.")
        label_of = {str(label): label for label in labels}
        return features[[label_of[name] for name in needed]]

    def predict(self, features: Any) -> np.ndarray:
        """Labels (classification) or values in the target's units (regression): (N, F) -> (N,).
        A DataFrame's columns are found by name; an array's are taken in the model's order."""
        return self.preprocessing.labels(self.outputs(features))

    def predict_proba(self, features: Any) -> np.ndarray:
        """Each class's probability, columns in ``preprocessing.classes``' order: (N, F) -> (N, C).
        """
        if self.task != CLASSIFY:
            raise ValueError("predict_proba needs a classification model; this one regresses.")
        return self.preprocessing.probabilities(self.outputs(features))

    def onnx_parts(self) -> dict[str, Any]:
        """What ``gn.onnx.export`` writes: raw rows (N, F) -> (x − feature_mean) / feature_std ->
        the network -> labels and probabilities, or values in the target's units (N,)."""
        prep = self.preprocessing
        parts: dict[str, Any] = {
            "network": self.model,
            "n_features": len(prep.feature_names),
            "input_mean": prep.feature_mean,
            "input_std": prep.feature_std,
            "name": "glassnet_tabular",
            "description": (f"glassnet tabular model ({prep.task}, target {prep.target!r}; "
                            f"features {', '.join(prep.feature_names)}), preprocessing "
                            f"included:\n{self.model!r}"),
        }
        if self.task == CLASSIFY:
            parts["classes"] = prep.classes
        else:
            parts.update(output_mean=prep.target_mean, output_std=prep.target_std,
                         flat_output=True)
        return parts

    def features(self, table: Table) -> np.ndarray:
        """The model's feature columns of ``table`` (matched by name) as raw numbers (N, F)."""
        return self.preprocessing.features(table)


def _check_fits(model: Module, preprocessing: Preprocessing, source: str) -> None:
    """The metadata describes this network: as many inputs as features, outputs as classes."""
    inputs = expected_input_features(model)
    features = len(preprocessing.feature_names)
    if inputs is not None and inputs != features:
        raise DataError(
            f"{source}: the network takes {inputs} inputs but its metadata names {features} "
            "features."
        )
    last_width = None
    for module in model.modules():
        last_width = getattr(module, "out_features", last_width)
    if last_width is not None and last_width != preprocessing.n_outputs:
        raise DataError(
            f"{source}: the network has {last_width} outputs but its metadata needs "
            f"{preprocessing.n_outputs} ({preprocessing.task})."
        )
