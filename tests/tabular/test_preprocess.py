"""Task guessing, labels, the split, standardisation, the saved metadata, and the scores."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from glassnet.errors import ModelFormatError
from glassnet.tabular import (
    CLASSIFY,
    REGRESS,
    DataError,
    Preprocessing,
    class_labels,
    classification_scores,
    guess_task,
    read_csv,
    regression_scores,
    split_rows,
)


def table_of(tmp_path, target_cells):
    lines = ["x,y"] + [f"{i},{cell}" for i, cell in enumerate(target_cells)]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    return read_csv(path)


@pytest.mark.parametrize("cells, task, why", [
    (["cat", "dog", "cat"], CLASSIFY, "'y' holds text such as 'cat'"),
    (["1", "2", "cat"], CLASSIFY, "'y' holds text such as 'cat'"),
    (["0", "1", "1.0", "2"], CLASSIFY, "whole numbers with only 3 distinct values"),
    ([str(i) for i in range(10)], CLASSIFY, "only 10 distinct values"),
    ([str(i) for i in range(11)], REGRESS, "11 distinct values (more than 10)"),
    (["0.5", "1", "2"], REGRESS, "'y' holds numbers with fractions"),
])
def test_guess_task(tmp_path, cells, task, why):
    guessed, reason = guess_task(table_of(tmp_path, cells), "y")
    assert guessed == task and why in reason


def test_a_missing_target_is_named(tmp_path):
    with pytest.raises(DataError, match=r"target column 'y' has 2 missing values \(lines 3, 4\)"):
        guess_task(table_of(tmp_path, ["a", "", "NA", "b"]), "y")


def test_class_labels_sort_numbers_as_numbers_and_text_as_text():
    labels, indices = class_labels(["10", "9", "9.0", "1"])
    assert labels == [1, 9, 10] and indices.tolist() == [2, 1, 1, 0]
    labels, indices = class_labels(["b", "a", "10", "9"])
    assert labels == ["10", "9", "a", "b"] and indices.tolist() == [3, 2, 0, 1]
    labels, _ = class_labels(["0.5", "1.5"])
    assert labels == [0.5, 1.5]


def test_split_is_seeded_disjoint_and_stratified():
    labels = np.repeat([0, 1, 2], [50, 30, 20])
    train, validation = split_rows(100, 0.2, seed=3, labels=labels)
    assert sorted(np.concatenate([train, validation]).tolist()) == list(range(100))
    assert np.bincount(labels[validation]).tolist() == [10, 6, 4]
    again = split_rows(100, 0.2, seed=3, labels=labels)
    np.testing.assert_array_equal(again[1], validation)
    assert not np.array_equal(split_rows(100, 0.2, seed=4, labels=labels)[1], validation)
    # a class of one row stays in training
    train, validation = split_rows(5, 0.5, seed=0, labels=np.array([0, 0, 0, 0, 1]))
    assert 4 in train.tolist() and len(validation) == 2
    assert len(split_rows(10, 0.0, seed=0)[1]) == 0
    assert len(split_rows(10, 0.25, seed=0)[1]) == 2  # round(2.5) = 2


def test_standardisation_uses_the_given_rows_and_leaves_constants_alone():
    features = np.array([[1.0, 5.0, 1e9], [3.0, 5.0, 1e9 + 2], [5.0, 5.0, 1e9 + 4]])
    preprocessing = Preprocessing.fit(["a", "b", "c"], features, task=REGRESS, target="t",
                                      target_values=np.array([10.0, 20.0, 30.0]))
    expected_std = [np.std([1, 3, 5]), 1.0, np.std([0, 2, 4])]
    np.testing.assert_allclose(preprocessing.feature_std, expected_std)
    scaled = preprocessing.standardize(features)
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(scaled[:, 0].std(), 1)
    assert np.all(scaled[:, 1] == 0)  # constant: only centred
    assert preprocessing.target_values(np.array([[0.0], [1.0]])).tolist() == pytest.approx(
        [20.0, 20.0 + np.std([10, 20, 30])])


def test_metadata_round_trips_and_bad_metadata_is_explained():
    preprocessing = Preprocessing.fit(["a", "b"], np.array([[0.0, 1.0], [2.0, 3.0]]),
                                      task=CLASSIFY, target="kind", classes=["x", "y", "z"])
    metadata = preprocessing.to_metadata()
    again = Preprocessing.from_metadata(metadata, source="m.st")
    assert again.classes == ["x", "y", "z"] and again.feature_names == ["a", "b"]
    np.testing.assert_array_equal(again.feature_std, preprocessing.feature_std)
    outputs = np.array([[0.0, 3.0, 1.0], [1000.0, -1000.0, 0.0]])
    assert preprocessing.labels(outputs).tolist() == ["y", "x"]
    probabilities = preprocessing.probabilities(outputs)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1)
    with pytest.raises(DataError, match="not one trained on a table"):
        Preprocessing.from_metadata({}, source="m.st")
    for broken, problem in [
        ({**metadata, "feature_std": [1.0]}, "feature_std should be a list of 2 finite"),
        ({**metadata, "feature_std": [1.0, 0.0]}, r"feature_std\[1\] should be a list of 2"),
        ({**metadata, "task": "cluster"}, "task should be one of .*; it is 'cluster'"),
        ({**metadata, "classes": ["only"]}, "classes should be a flat list of at least two"),
    ]:
        with pytest.raises(ModelFormatError, match=problem):
            Preprocessing.from_metadata(broken, source="m.st")


def test_scores_match_scikit_learn():
    from sklearn import metrics

    rng = np.random.default_rng(0)
    true, predicted = rng.integers(0, 3, 50), rng.integers(0, 3, 50)
    found = classification_scores(true, predicted, 3)
    assert found["accuracy"] == metrics.accuracy_score(true, predicted)
    np.testing.assert_array_equal(found["confusion"], metrics.confusion_matrix(true, predicted))
    values, guesses = rng.normal(size=40), rng.normal(size=40)
    found = regression_scores(values, guesses)
    assert found["mae"] == pytest.approx(metrics.mean_absolute_error(values, guesses))
    assert found["rmse"] == pytest.approx(math.sqrt(metrics.mean_squared_error(values, guesses)))
    assert found["r2"] == pytest.approx(metrics.r2_score(values, guesses))
    assert math.isnan(regression_scores(np.ones(3), np.zeros(3))["r2"])


@pytest.mark.parametrize("column", [
    [1e308, -1e308, 1.0, 0.0],  # a sum past float64
    [1e200, 0.0, 1.0, 2.0],  # squares past float64
    [1e-200, 2e-200, 3e-200, 4e-200],  # squares below it
    [1e-13, 2e-13, 3e-13, 4e-13],
])
def test_statistics_of_extreme_columns_are_exact(column):
    features = np.column_stack([[1.0, 2.0, 3.0, 4.0], column])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way: one line on stderr
        preprocessing = Preprocessing.fit(["a", "b"], features, task=CLASSIFY,
                                          classes=["x", "y"])
        scaled = preprocessing.standardize(features)[:, 1]
    exact = [float(value) for value in column]
    mean = math.fsum(exact) / 4  # exact sums, then one rounding
    std = math.sqrt(math.fsum(((value - mean) / exact[0]) ** 2 for value in exact) / 4)
    assert preprocessing.feature_mean[1] == pytest.approx(mean, rel=1e-12)
    assert preprocessing.feature_std[1] == pytest.approx(abs(exact[0]) * std, rel=1e-12)
    np.testing.assert_allclose(scaled.mean(), 0, atol=1e-12)
    np.testing.assert_allclose(scaled.std(), 1, rtol=1e-12)


def test_a_spread_below_float64s_normal_numbers_is_refused_before_training():
    features = np.array([[0.0], [1e-320], [0.0]])
    with pytest.raises(DataError, match=r"^data.csv: the feature column 'b' varies by only "
                                        r"4.7\de-321, below float64's smallest normal number"):
        Preprocessing.fit(["b"], features, task=CLASSIFY, classes=["x", "y"],
                          source="data.csv")


def test_a_regression_target_near_1e300_is_scaled_and_scored():
    values = np.array([1e300, 5e300, 9e300])
    preprocessing = Preprocessing.fit(["a"], np.arange(3.0)[:, None], task=REGRESS,
                                      target="price", target_values=values)
    assert preprocessing.target_std == pytest.approx(np.std(values / 1e300) * 1e300)
    back = preprocessing.target_values((values - preprocessing.target_mean)
                                       / preprocessing.target_std)
    np.testing.assert_allclose(back, values, rtol=1e-15)
    found = regression_scores(values, values * 1.01)
    in_1e300 = np.array([1.0, 5.0, 9.0])  # errors 0.01, 0.05, 0.09; mean 5
    assert found["rmse"] == pytest.approx(np.sqrt(np.mean((0.01 * in_1e300) ** 2)) * 1e300)
    assert found["r2"] == pytest.approx(1 - np.sum((0.01 * in_1e300) ** 2) / 32)


def test_values_too_far_out_to_standardise_are_named():
    preprocessing = Preprocessing(["a", "b"], np.array([0.0, 0.0]), np.array([1.0, 1e-300]),
                                  REGRESS)
    fine = preprocessing.standardize(np.array([[1.0, 1e-300]]))
    np.testing.assert_array_equal(fine, [[1.0, 1.0]])
    with pytest.raises(DataError, match=r"^row 2, feature 'b': 1e-260 is too far from the "
                                        r"training rows' values .* exceeds 3.4e\+38"):
        preprocessing.standardize(np.array([[1.0, 0.0], [1.0, 1e-260]]),
                                  largest=float(np.finfo(np.float32).max))
    with pytest.raises(DataError, match=r"^row 1, feature 'a': 1e\+308 is too far"):
        Preprocessing(["a"], np.array([-1e308]), np.array([1.0]), REGRESS).standardize(
            np.array([[1e308]]))


def test_labels_and_task_from_a_column_pandas_read_as_numbers(tmp_path):
    table = table_of(tmp_path, ["3", "-0", "2.0", "3"])
    assert table.numeric_column("y") is not None
    assert guess_task(table, "y") == (CLASSIFY, "'y' holds whole numbers with only 3 distinct "
                                                "values")
    labels, indices = class_labels(table.numeric_column("y"))
    assert labels == [0, 2, 3] and indices.tolist() == [2, 0, 1, 2]


def test_a_target_too_far_out_to_scale_is_named():
    preprocessing = Preprocessing(["a"], np.zeros(1), np.ones(1), REGRESS, "price",
                                  target_mean=-1e308, target_std=1.0)
    np.testing.assert_array_equal(preprocessing.scale_target(np.array([-1e308])), [0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError, match=r"^row 2, target 'price': 1e\+308 is too far from "
                                            r"the training rows' targets"):
            preprocessing.scale_target(np.array([-1e308, 1e308]))
