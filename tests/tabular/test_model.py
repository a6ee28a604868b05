"""TabularModel on new rows: a DataFrame's columns are found by name, an array's by position."""

from __future__ import annotations

import numpy as np
import pandas
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.tabular import CLASSIFY, DataError, Preprocessing, TabularModel

NAMES = ["mean radius", "mean texture", "mean area", "mean smoothness"]


@pytest.fixture
def tabular_model() -> TabularModel:
    gn.manual_seed(0)
    preprocessing = Preprocessing(NAMES, np.array([14.0, 19.0, 650.0, 0.1]),
                                  np.array([3.5, 4.3, 350.0, 0.014]), CLASSIFY, "diagnosis",
                                  ["benign", "malignant"])
    return TabularModel(nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)),
                        preprocessing)


@pytest.fixture
def rows() -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.normal([14.0, 19.0, 650.0, 0.1], [3.5, 4.3, 350.0, 0.014], size=(64, 4))


@pytest.mark.parametrize("order", [[3, 2, 1, 0], [2, 0, 3, 1]], ids=["reversed", "shuffled"])
def test_a_dataframe_is_matched_by_name(tabular_model, rows, order):
    expected = tabular_model.predict_proba(rows)
    assert len(set(tabular_model.predict(rows))) == 2  # the order of the columns matters
    frame = pandas.DataFrame(rows[:, order], columns=[NAMES[j] for j in order])
    np.testing.assert_array_equal(tabular_model.predict_proba(frame), expected)
    np.testing.assert_array_equal(tabular_model.predict(frame), tabular_model.predict(rows))


def test_other_columns_are_ignored(tabular_model, rows):
    frame = pandas.DataFrame(rows, columns=NAMES)
    frame.insert(0, "id", [f"p{i}" for i in range(len(rows))])
    frame["diagnosis"] = "benign"
    np.testing.assert_array_equal(tabular_model.predict(frame), tabular_model.predict(rows))


def test_a_missing_column_is_named(tabular_model, rows):
    frame = pandas.DataFrame(rows[:, :3], columns=NAMES[:3])
    with pytest.raises(DataError, match=r"^the DataFrame lacks the model's feature column "
                                        r"'mean smoothness'; its columns are 'mean radius', "):
        tabular_model.predict(frame)
    unnamed = pandas.DataFrame(rows)  # columns 0..3: an array gives positions
    with pytest.raises(DataError, match="pass an array to give the features by position"):
        tabular_model.predict(unnamed)


def test_a_repeated_column_is_refused(tabular_model, rows):
    frame = pandas.DataFrame(np.column_stack([rows, rows[:, :1]]), columns=[*NAMES, NAMES[0]])
    with pytest.raises(DataError, match="more than one column named 'mean radius'"):
        tabular_model.predict(frame)


def test_a_value_too_far_out_to_standardise_is_refused(tabular_model, rows):
    rows = rows.copy()
    rows[5, 2] = 1e300  # (1e300 - 650) / 350 is past float32, the network's dtype
    with pytest.raises(DataError, match=r"^row 6, feature 'mean area': 1e\+300 is too far"):
        tabular_model.predict(rows)
