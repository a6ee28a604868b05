"""The ReLU-then-softmax illustration lands on the text's (0.98, 0.02)."""

import numpy as np
import pytest

from glassnet.tutorial import EXAMPLE_INPUT, EXAMPLE_TARGET, TwoByTwoNetwork, mse_loss


def test_example_output_rounds_to_the_text_s_numbers():
    probabilities = TwoByTwoNetwork().feedforward(EXAMPLE_INPUT)
    assert np.round(probabilities, 2).tolist() == [0.98, 0.02]
    assert np.argmax(probabilities) == np.argmax(EXAMPLE_TARGET)
    assert mse_loss(EXAMPLE_TARGET, probabilities) < 1e-3


def test_trace_shows_relu_cutting_a_negative_sum():
    trace = TwoByTwoNetwork().trace(EXAMPLE_INPUT)
    assert trace.hidden_sums.tolist() == [5.0, -1.0]
    assert trace.hidden.tolist() == [5.0, 0.0]
    assert trace.output_sums.tolist() == [5.0, 1.0]
    assert trace.probabilities[0] == pytest.approx(1 / (1 + np.exp(-4.0)), rel=1e-15)


def test_probabilities_are_positive_and_sum_to_one_for_any_weights():
    rng = np.random.default_rng(3)
    network = TwoByTwoNetwork(
        rng.normal(size=(2, 2)),
        rng.normal(size=2),
        rng.normal(size=(2, 2)) * 50,
        rng.normal(size=2),
    )
    for x in rng.normal(size=(20, 2)) * 10:
        probabilities = network.feedforward(x)
        assert np.all(probabilities >= 0)
        assert probabilities.sum() == pytest.approx(1.0, abs=1e-15)


def test_wrong_weight_shape_is_refused():
    with pytest.raises(ValueError, match=r"hidden_weights of shape \(2, 2\); got \(3,\)"):
        TwoByTwoNetwork(hidden_weights=[1.0, 2.0, 3.0])
