"""A malformed ``columns`` part is refused before any graph is built, naming the entry."""

import math

import numpy as np
import pytest

import glassnet as gn
import glassnet.onnx
from glassnet import nn

AGE = {"name": "age", "kind": "numeric", "median": 38.0, "mean": 40.5, "std": 12.0}
CITY = {"name": "city", "kind": "category", "categories": ["(missing)", "Oslo"],
        "missing_label": "(missing)"}


class Parts:
    def __init__(self, columns, n_features=4, **extra):
        gn.manual_seed(0)
        self.parts = {"network": nn.Sequential(nn.Linear(n_features, 1)),
                      "n_features": n_features, "columns": columns, **extra}

    def onnx_parts(self):
        return self.parts


def test_well_formed_parts_export():
    assert len(gn.onnx.export(Parts([AGE, CITY]), None).graph.input) == 2


@pytest.mark.parametrize(("columns", "message"), [
    pytest.param("age", "non-empty list of dicts", id="not-a-list"),
    pytest.param([], "non-empty list of dicts", id="empty"),
    pytest.param([AGE, ["city"]], r"\[1\] must be a dict with 'kind'", id="entry-not-a-dict"),
    pytest.param([{**AGE, "kind": "text"}, CITY], r"\[0\] must be a dict with 'kind'",
                 id="unknown-kind"),
    pytest.param([{**AGE, "kind": ["numeric"]}, CITY], "'kind'", id="unhashable-kind"),
    pytest.param([{k: v for k, v in AGE.items() if k != "median"}, CITY],
                 r"exactly the keys \['kind', 'mean', 'median', 'name', 'std'\]",
                 id="missing-key"),
    pytest.param([AGE, {**CITY, "categroies": []}], r"\[1\] \(category\) must have exactly",
                 id="misspelt-key"),
    pytest.param([{**AGE, "name": 3}, CITY], r"\['name'\] must be a string", id="name-not-str"),
    pytest.param([{**AGE, "mean": "40"}, CITY], r"\['mean'\] must be a number; got str",
                 id="mean-not-a-number"),
    pytest.param([{**AGE, "std": True}, CITY], r"\['std'\] must be a number; got bool",
                 id="std-bool"),
    pytest.param([AGE, {**CITY, "categories": ["Oslo", 7]}], "list of strings",
                 id="category-not-str"),
    pytest.param([AGE, {**CITY, "categories": "Oslo"}], "list of strings",
                 id="categories-a-string"),
])
def test_a_malformed_columns_part_is_a_type_error_naming_the_entry(columns, message):
    with pytest.raises(TypeError, match=message):
        gn.onnx.export(Parts(columns), None)


@pytest.mark.parametrize(("columns", "message"), [
    pytest.param([{**AGE, "std": 0.0}, CITY], r"\['std'\] must be positive", id="std-zero"),
    pytest.param([{**AGE, "std": -2.0}, CITY], r"\['std'\] must be positive", id="std-negative"),
    pytest.param([{**AGE, "std": 1e-60}, CITY], "float32's smallest", id="std-underflows"),
    pytest.param([{**AGE, "mean": math.nan}, CITY], r"\['mean'\] must be finite", id="mean-nan"),
    pytest.param([{**AGE, "median": np.inf}, CITY], r"\['median'\] must be finite",
                 id="median-inf"),
    pytest.param([AGE, {**CITY, "categories": ["Oslo", "Oslo"]}], r"\['Oslo'\] more than once",
                 id="duplicate-category"),
    pytest.param([AGE, {**CITY, "categories": ["", "Oslo"], "missing_label": None}],
                 "empty string", id="empty-string-category"),
    pytest.param([AGE, {**CITY, "missing_label": "(none)"}], "one of the categories",
                 id="missing-label-not-a-category"),
    pytest.param([AGE, {**CITY, "categories": []}], "is empty", id="no-categories"),
    pytest.param([AGE, {**CITY, "name": "age"}], r"names \['age'\] more than once",
                 id="duplicate-column"),
])
def test_impossible_column_values_are_a_value_error_naming_the_field(columns, message):
    with pytest.raises(ValueError, match=message):
        gn.onnx.export(Parts(columns), None)


def test_a_column_width_that_differs_from_n_features_is_a_shape_error():
    with pytest.raises(gn.ShapeError, match=r"4 values \('age' 2, 'city' 2\).*n_features is 5"):
        gn.onnx.export(Parts([AGE, CITY], n_features=5), None)


@pytest.mark.parametrize(("extra", "message"), [
    pytest.param({"input_mean": np.zeros(4), "input_std": np.ones(4)}, r"'age', 'city' need",
                 id="columns-to-encode"),
])
def test_columns_to_encode_refuse_a_second_standardisation(extra, message):
    with pytest.raises(ValueError, match=message):
        gn.onnx.export(Parts([AGE, CITY], **extra), None)


NUMBERS = [{**AGE, "median": None}, {**AGE, "name": "height", "median": None, "mean": 1.7,
                                     "std": 0.1}]


@pytest.mark.parametrize(("extra", "message"), [
    pytest.param({"input_mean": [40.5, 1.7]}, r"\['input_std'\] must be given", id="no-std"),
    pytest.param({"input_mean": [40.5, 1.8], "input_std": [12.0, 0.1]},
                 r"\['input_mean'\] must .* equal the columns' numbers \[40.5, 1.7\]",
                 id="other-mean"),
    pytest.param({"input_mean": [40.5, 1.7, 0.0], "input_std": [12.0, 0.1]},
                 r"\['input_mean'\] must", id="longer-mean"),
    pytest.param({"input_mean": [40.5, 1.7], "input_std": ["12", "x"]},
                 r"\['input_std'\] must", id="std-not-numbers"),
])
def test_numbers_with_a_standardisation_must_give_the_same_numbers(extra, message):
    with pytest.raises(ValueError, match=message):
        gn.onnx.export(Parts(NUMBERS, n_features=2, **extra), None)


def test_a_failed_export_writes_nothing(tmp_path):
    path = tmp_path / "model.onnx"
    with pytest.raises(ValueError):
        gn.onnx.export(Parts([{**AGE, "std": 0.0}, CITY]), path)
    assert not path.exists()
