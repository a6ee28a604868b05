"""A model file's table metadata, checked field by field: each problem names its field."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glassnet.errors import ModelFormatError
from glassnet.tabular import CLASSIFY, REGRESS, DataError, Preprocessing

CLASSIFIER = Preprocessing(["a", "b"], np.array([0.0, 1.0]), np.array([1.0, 2.0]), CLASSIFY,
                           "kind", ["x", "y"]).to_metadata()
REGRESSOR = Preprocessing(["a", "b"], np.array([0.0, 1.0]), np.array([1.0, 2.0]), REGRESS,
                          "price", target_mean=3.0, target_std=4.0).to_metadata()


@pytest.mark.parametrize("change, field", [
    ({"task": "cluster"}, "task"),
    ({"task": None}, "task"),
    ({"feature_names": "a,b"}, "feature_names"),
    ({"feature_names": []}, "feature_names"),
    ({"feature_names": ["a", "a"]}, r"feature_names\[1\]"),
    ({"feature_names": ["a", 2]}, r"feature_names\[1\]"),
    ({"feature_names": ["a", " "]}, r"feature_names\[1\]"),
    ({"feature_mean": [0.0, "abc"]}, r"feature_mean\[1\]"),
    ({"feature_mean": [0.0, math.inf]}, r"feature_mean\[1\]"),  # JSON 1e999 reads as inf
    ({"feature_mean": [0.0, True]}, r"feature_mean\[1\]"),
    ({"feature_mean": [0.0]}, "feature_mean"),
    ({"feature_mean": [[0.0], [1.0]]}, r"feature_mean\[0\]"),
    ({"feature_std": [1.0, 1e-320]}, r"feature_std\[1\]"),
    ({"feature_std": [1.0, -2.0]}, r"feature_std\[1\]"),
    ({"feature_std": [1.0, math.nan]}, r"feature_std\[1\]"),
    ({"target": 7}, "target"),
    ({"classes": [["x"], ["y"]]}, r"classes\[0\]"),
    ({"classes": ["x", "x"]}, r"classes\[1\]"),
    ({"classes": [1, 1.0]}, r"classes\[1\]"),
    ({"classes": ["x", 1]}, r"classes\[0\]"),
    ({"classes": [True, False]}, r"classes\[0\]"),
    ({"classes": [0.5, math.inf]}, r"classes\[1\]"),
    ({"classes": ["x\x00", "y"]}, r"classes\[0\]"),
    ({"classes": "xy"}, "classes"),
])
def test_each_bad_field_of_a_classifier_is_named(change, field):
    with pytest.raises(ModelFormatError, match=rf"^m\.st: the table metadata's {field} should "):
        Preprocessing.from_metadata({**CLASSIFIER, **change}, source="m.st")


@pytest.mark.parametrize("change, field", [
    ({"target_mean": math.inf}, "target_mean"),
    ({"target_mean": "0"}, "target_mean"),
    ({"target_std": 0.0}, "target_std"),
    ({"target_std": 1e-320}, "target_std"),
    ({"target_std": None}, "target_std"),
])
def test_each_bad_field_of_a_regressor_is_named(change, field):
    with pytest.raises(ModelFormatError, match=rf"^m\.st: the table metadata's {field} should "):
        Preprocessing.from_metadata({**REGRESSOR, **change}, source="m.st")


def test_good_metadata_round_trips():
    for metadata in (CLASSIFIER, REGRESSOR, {**CLASSIFIER, "classes": [0.5, 1.5, -2]},
                     {**CLASSIFIER, "target": None}):
        again = Preprocessing.from_metadata(metadata, source="m.st")
        assert again.to_metadata() == metadata


def test_metadata_of_another_kind_of_model_is_not_a_table_model():
    with pytest.raises(DataError, match="is a glassnet model but not one trained on a table"):
        Preprocessing.from_metadata({"sklearn_estimator": {}}, source="m.st")
