"""A saved model together with its preprocessing: raw feature rows in, labels or values out.

    tabular_model = TabularModel.load("iris.safetensors")      # written by `glassnet train`
    tabular_model.predict([[5.1, 3.5, 1.4, 0.2]])               # array(['setosa'], ...)
    tabular_model.predict(data_frame)                           # columns found by name
    tabular_model.predict("new_rows.csv")                       # a CSV file, read_csv's way

A DataFrame's columns (a Table's, a CSV file's) are found by name: a missing one is refused,
naming it, and columns the model does not use (an id, the target) are ignored. An array's
columns are the features in ``preprocessing.feature_names``' order, for a model whose features
are all numbers; a model with text columns needs the names.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from glassnet.errors import ModelFormatError
from glassnet.io import SavedModel, load_bundle
from glassnet.nn import Module
from glassnet.tabular.inputs import Where
from glassnet.tabular.metadata import CLASSIFY
from glassnet.tabular.preprocess import Preprocessing
from glassnet.tabular.reading import read_csv
from glassnet.tabular.table import DataError, Table
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
        """The network's raw outputs for raw feature rows: (N, ...) -> (N, C) logits or (N, 1).

        ``features``: a pandas DataFrame or a Table (columns found by name), a CSV file's path,
        or an array (N, F) in ``preprocessing.feature_names``' order (a model of numbers only;
        NaN is a missing cell). Text in a number column, a missing cell the model cannot fill,
        values too far out to standardise are refused (``where(row, feature)`` names a row's
        place in messages); text the model never saw is no category, with one
        UnseenCategoryWarning.
        """
        if isinstance(features, (str, os.PathLike)):
            features = read_csv(features)
        prep = self.preprocessing
        if not isinstance(features, Table) and not hasattr(features, "columns"):
            features = self._checked_array(features)
        largest = float(np.finfo(model_dtype(self.model)).max)
        return predict_outputs(self.model, prep.transform(features, largest=largest, where=where))

    def _checked_array(self, features: Any) -> np.ndarray:
        """An array of numbers (N, F) as float64; NaN (a missing cell) is left to ``transform``
        for a model that imputes, refused for one of numbers only, as inf always is."""
        prep = self.preprocessing
        if prep.numbers_only:
            return check_X(features, dtype=np.float64, expected_features=len(prep.feature_names))
        prep.refuse_arrays()
        array = np.asarray(features)
        if array.dtype.kind in "biuf":  # already float64: check_X leaves its NaN alone
            array = np.ascontiguousarray(array, dtype=np.float64)
        return check_X(array, dtype=np.float64, expected_features=len(prep.feature_names),
                       finite=False)

    def predict(self, features: Any) -> np.ndarray:
        """Labels (classification) or values in the target's units (regression): (N, ...) ->
        (N,). A DataFrame's, Table's or CSV file's columns are found by name; an array's are
        taken in the model's order."""
        return self.preprocessing.labels(self.outputs(features))

    def predict_proba(self, features: Any) -> np.ndarray:
        """Each class's probability, columns in ``preprocessing.classes``' order: (N, F) -> (N, C).
        """
        if self.task != CLASSIFY:
            raise ValueError("predict_proba needs a classification model; this one regresses.")
        return self.preprocessing.probabilities(self.outputs(features))

    def onnx_parts(self) -> dict[str, Any]:
        """What ``gn.onnx.export`` writes: raw rows -> the network's inputs -> the network ->
        labels and probabilities, or values in the target's units (N,). A model of numbers only
        (``numbers_only``) takes one input (N, F), standardised by ``input_mean`` /
        ``input_std``; any other takes one input per column, encoded as ``columns``
        (``Preprocessing.columns``) describes."""
        prep = self.preprocessing
        parts: dict[str, Any] = {
            "network": self.model,
            "n_features": prep.input_width,  # the network's inputs (with columns: encoded)
            "name": "glassnet_tabular",
            "description": (f"glassnet tabular model ({prep.task}, target {prep.target!r}; "
                            f"features {', '.join(prep.feature_names)}), preprocessing "
                            f"included:\n{self.model!r}"),
        }
        if prep.numbers_only:
            parts.update(input_mean=prep.feature_mean, input_std=prep.feature_std)
        else:
            parts["columns"] = prep.columns
        if self.task == CLASSIFY:
            parts["classes"] = prep.classes
        else:
            parts.update(output_mean=prep.target_mean, output_std=prep.target_std,
                         flat_output=True)
        return parts

    def features(self, table: Table) -> Any:
        """The model's feature columns of ``table`` (matched by name), for ``outputs``: raw
        numbers (N, F) for a model of numbers only, else a DataFrame (``Preprocessing.features``).
        """
        return self.preprocessing.features(table)


def _check_fits(model: Module, preprocessing: Preprocessing, source: str) -> None:
    """The metadata describes this network: as many inputs as its columns make, outputs as
    classes. ModelFormatError naming the field that disagrees."""
    inputs = expected_input_features(model)
    width = preprocessing.input_width
    if inputs is not None and inputs != width:
        field = "feature_names" if preprocessing.numbers_only else "columns"
        raise ModelFormatError(
            f"{source}: the table metadata's {field} describe {width} network inputs, but the "
            f"network takes {inputs}."
        )
    last_width = None
    for module in model.modules():
        last_width = getattr(module, "out_features", last_width)
    if last_width is not None and last_width != preprocessing.n_outputs:
        raise DataError(
            f"{source}: the network has {last_width} outputs but its metadata needs "
            f"{preprocessing.n_outputs} ({preprocessing.task})."
        )
