"""A saved model together with its preprocessing: raw feature rows in, labels or values out.

    tabular_model = TabularModel.load("iris.safetensors")      # written by `glassnet train`
    tabular_model.predict([[5.1, 3.5, 1.4, 0.2]])               # array(['setosa'], ...)
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from glassnet.io import SavedModel, load_bundle
from glassnet.nn import Module
from glassnet.tabular.preprocess import CLASSIFY, Preprocessing
from glassnet.tabular.table import DataError, Table
from glassnet.training import predict as predict_outputs
from glassnet.training.validation import check_X, expected_input_features


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
        bundle = load_bundle(path)
        source = os.fspath(path)
        preprocessing = Preprocessing.from_metadata(bundle.metadata, source=source)
        _check_fits(bundle.model, preprocessing, source)
        return cls(bundle.model, preprocessing, bundle)

    @property
    def task(self) -> str:
        return self.preprocessing.task

    def outputs(self, features: Any) -> np.ndarray:
        """The network's raw outputs for raw feature rows: (N, F) -> (N, C) logits or (N, 1).

        The columns are in ``preprocessing.feature_names``' order; NaN, inf and text are refused.
        """
        raw = check_X(features, dtype=np.float64,
                      expected_features=len(self.preprocessing.feature_names))
        return predict_outputs(self.model, self.preprocessing.standardize(raw))

    def predict(self, features: Any) -> np.ndarray:
        """Labels (classification) or values in the target's units (regression): (N, F) -> (N,)."""
        return self.preprocessing.labels(self.outputs(features))

    def predict_proba(self, features: Any) -> np.ndarray:
        """Each class's probability, columns in ``preprocessing.classes``' order: (N, F) -> (N, C).
        """
        if self.task != CLASSIFY:
            raise ValueError("predict_proba needs a classification model; this one regresses.")
        return self.preprocessing.probabilities(self.outputs(features))

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
