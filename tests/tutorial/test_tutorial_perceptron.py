"""The perceptron: the hiking example's decisions, Rosenblatt's rule, separable data vs XOR."""

import itertools

import numpy as np
import pytest

from glassnet.tutorial import (
    HIKING_INPUT_NAMES,
    PAST_WEEKENDS,
    Perceptron,
    hiking_decision,
    hiking_perceptron,
    past_weekends,
    xor_data,
)

ALL_WEEKENDS = list(itertools.product([0, 1], repeat=3))


@pytest.mark.parametrize("free_of_overtime, good_weather, convenient_trip", ALL_WEEKENDS)
def test_hiking_decision_follows_the_weighted_vote(free_of_overtime, good_weather, convenient_trip):
    # the text's weights: (1) overtime 8, (2) weather 10, (3) convenience 1; threshold 5
    vote = 8 * free_of_overtime + 10 * good_weather + 1 * convenient_trip
    expected = int(vote > 5)
    inputs = [free_of_overtime, good_weather, convenient_trip]
    assert hiking_perceptron().predict(inputs) == expected
    named = dict(zip(HIKING_INPUT_NAMES, map(bool, inputs), strict=True))
    assert hiking_decision(**named) == expected
    # what those numbers mean: a free weekend or good weather is enough, convenience never is
    assert expected == int(free_of_overtime or good_weather)


def test_predict_many_rows_at_once():
    decisions = hiking_perceptron().predict(np.array(ALL_WEEKENDS))
    assert decisions.shape == (8,)
    assert decisions.tolist() == [hiking_perceptron().predict(row) for row in ALL_WEEKENDS]


def test_output_is_one_only_when_the_sum_is_strictly_above_the_threshold():
    perceptron = Perceptron([1.0, 1.0], threshold=1.0)
    assert perceptron.predict([1, 0]) == 0  # sum equal to the threshold is not enough
    assert perceptron.predict([1, 1]) == 1


def test_one_rosenblatt_update_by_hand():
    learner = Perceptron.zeros(3).fit([[1.0, 0.0, 1.0]], [1], epochs=1, learn_rate=0.5)
    # predicted 0 for a 1: w += 0.5 * (1 - 0) * x, threshold -= 0.5 * (1 - 0)
    assert learner.weights.tolist() == [0.5, 0.0, 0.5]
    assert learner.threshold == -0.5
    assert learner.errors_per_epoch_ == [1]
    assert learner.converged_ is False
    learner.fit([[1.0, 0.0, 1.0]], [1], epochs=5)
    assert learner.errors_per_epoch_ == [0] and learner.converged_


def test_past_weekends_are_the_tutorial_hiker_s_decisions():
    X, y = past_weekends()
    assert X.shape == (len(PAST_WEEKENDS), 3)
    assert set(map(tuple, X.astype(int).tolist())) == set(ALL_WEEKENDS)
    np.testing.assert_array_equal(hiking_perceptron().predict(X), y)


def test_perceptron_learns_the_hiker_from_past_weekends():
    X, y = past_weekends()
    learner = Perceptron.zeros(3).fit(X, y, epochs=100)
    assert learner.converged_
    assert learner.errors_per_epoch_[-1] == 0
    assert all(errors > 0 for errors in learner.errors_per_epoch_[:-1])
    every_weekend = np.array(ALL_WEEKENDS)
    np.testing.assert_array_equal(
        learner.predict(every_weekend), hiking_perceptron().predict(every_weekend)
    )


@pytest.mark.parametrize("seed", range(5))
def test_perceptron_converges_on_random_linearly_separable_data(seed):
    rng = np.random.default_rng(seed)
    true_weights, true_threshold = rng.normal(size=4), rng.normal()
    X = rng.normal(size=(200, 4))
    margin = X @ true_weights - true_threshold
    X, margin = X[np.abs(margin) > 0.1], margin[np.abs(margin) > 0.1]
    y = (margin > 0).astype(int)
    learner = Perceptron.zeros(4).fit(X, y, epochs=1000, learn_rate=0.1)
    assert learner.converged_
    np.testing.assert_array_equal(learner.predict(X), y)


@pytest.mark.parametrize("learn_rate", [0.01, 0.1, 1.0])
def test_perceptron_cannot_learn_xor(learn_rate):
    X, y = xor_data()
    learner = Perceptron.zeros(2).fit(X, y, epochs=500, learn_rate=learn_rate)
    assert len(learner.errors_per_epoch_) == 500
    assert min(learner.errors_per_epoch_) >= 1
    assert not learner.converged_
    assert not np.array_equal(learner.predict(X), y)


def test_fit_refuses_labels_other_than_zero_and_one():
    with pytest.raises(ValueError, match=r"labels 0 or 1; got the values \[-1.0, 1.0\]"):
        Perceptron.zeros(2).fit([[0, 1], [1, 0]], [-1, 1])


def test_shapes_are_checked():
    with pytest.raises(ValueError, match=r"rows of shape \(N, 3\); got \(1, 2\)"):
        hiking_perceptron().predict([1, 0])
    with pytest.raises(ValueError, match=r"one target per input row, shape \(2,\); got \(3,\)"):
        Perceptron.zeros(2).fit([[0, 1], [1, 0]], [0, 1, 1])
    with pytest.raises(ValueError, match="n_inputs >= 1"):
        Perceptron.zeros(0)
