"""Permutation importance of a table model's original columns, by scikit-learn's definition.

The importance of column j is how much the score drops when that column's cells are shuffled
among the rows, which breaks its link to the target and keeps everything else:

    importance_j = s − (1/K) Σₖ s_{k,j}

with s the score on the rows as they are and s_{k,j} the score with column j shuffled in repeat
k. The work is scikit-learn's ``sklearn.inspection.permutation_importance`` (the same shuffles
for the same seed), run on the raw table: a text column is shuffled as text, before the model's
one-hot encoding, so each original column gets one number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.tabular.metadata import CLASSIFY
from glassnet.tabular.reading import MissingExtra
from glassnet.tabular.table import Table

# The scores a user may rank columns by: scikit-learn's scorer names, higher is better.
SCORINGS = {
    CLASSIFY: ("accuracy", "balanced_accuracy", "f1_macro"),
    "regress": ("r2", "neg_mean_absolute_error", "neg_root_mean_squared_error"),
}


@dataclass
class Importance:
    """``columns`` ranked by ``mean`` (largest first), ``std`` over the repeats, ``baseline``
    the score with nothing shuffled."""

    columns: list[str]
    mean: np.ndarray  # (columns,)
    std: np.ndarray  # (columns,)
    baseline: float
    scoring: str
    repeats: int


def _require_sklearn() -> Any:
    try:
        import sklearn.inspection
    except ImportError as error:
        raise MissingExtra(
            "glassnet importance needs scikit-learn, which is not installed: "
            "pip install 'glassnet[sklearn]'"
        ) from error
    return sklearn.inspection


def permutation_importance(
    tabular_model: Any,
    table: Table,
    target: str | None = None,
    *,
    scoring: str | None = None,
    repeats: int = 5,
    seed: int = 0,
) -> Importance:
    """The permutation importance of each of ``tabular_model``'s feature columns on ``table``
    (a Table holding them and the ``target`` column, by default the one the model predicts),
    ``repeats`` shuffles each, seeded with ``seed``; ``scoring`` defaults to accuracy
    (classification) or R²."""
    inspection = _require_sklearn()
    import pandas

    preprocessing = tabular_model.preprocessing
    task = tabular_model.task
    scoring = scoring or SCORINGS[task][0]
    if scoring not in SCORINGS[task]:
        raise ValueError(f"scoring for a {task} model must be one of {SCORINGS[task]}; got "
                         f"{scoring!r}.")
    if not isinstance(repeats, int) or isinstance(repeats, bool) or repeats < 1:
        raise ValueError(f"repeats must be a whole number >= 1; got {repeats!r}.")
    if target is not None:
        preprocessing.target = target
    columns = list(preprocessing.feature_names)
    features = tabular_model.features(table)  # the model's columns, checked, as it reads them
    if not isinstance(features, pandas.DataFrame):
        features = pandas.DataFrame(features, columns=columns)
    encoded = preprocessing.encode_target(table)  # the truth, as the model answers it
    truth = (np.asarray(preprocessing.classes)[encoded] if task == CLASSIFY
             else preprocessing.target_values(encoded))
    estimator = _as_estimator(tabular_model)
    found = inspection.permutation_importance(
        estimator, features, truth, scoring=scoring, n_repeats=repeats, random_state=seed)
    baseline = float(_scorer(scoring)(estimator, features, truth))
    order = np.argsort(-found.importances_mean, kind="stable")
    return Importance([columns[i] for i in order], found.importances_mean[order],
                      found.importances_std[order], baseline, scoring, repeats)


def _scorer(scoring: str) -> Any:
    from sklearn.metrics import get_scorer

    return get_scorer(scoring)


def _as_estimator(tabular_model: Any) -> Any:
    """A fitted scikit-learn estimator whose predict is the table model's, on DataFrames."""
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

    mixin = ClassifierMixin if tabular_model.task == CLASSIFY else RegressorMixin

    class TableModelEstimator(mixin, BaseEstimator):
        def __init__(self, model: Any = None) -> None:
            self.model = model

        def fit(self, X: Any, y: Any) -> TableModelEstimator:  # already trained
            return self

        def predict(self, X: Any) -> np.ndarray:
            return self.model.predict(X)

        def __sklearn_is_fitted__(self) -> bool:
            return True

    estimator = TableModelEstimator(tabular_model)
    if tabular_model.task == CLASSIFY:
        estimator.classes_ = np.asarray(tabular_model.preprocessing.classes)
    return estimator
