"""The trainable 2-2-1 network: its hand-derived partials, and training on the tutorial's data."""

import numpy as np
import pytest

from glassnet.tutorial import (
    PARAMETER_NAMES,
    TrainableNetwork,
    gender_data,
    mse_loss,
    prediction_data,
    sigmoid,
)

SEEDS = range(5)


def sample_loss(network, x, y_true):
    return mse_loss([y_true], [network.feedforward(x)])


def central_difference(network, name, x, y_true, step=1e-6):
    original = network.parameters()[name]
    network.set_parameters({name: original + step})
    loss_up = sample_loss(network, x, y_true)
    network.set_parameters({name: original - step})
    loss_down = sample_loss(network, x, y_true)
    network.set_parameters({name: original})
    return (loss_up - loss_down) / (2 * step)


def test_parameters_are_drawn_from_default_rng_in_order():
    draws = np.random.default_rng(7).normal(size=9)
    assert TrainableNetwork(seed=7).parameters() == dict(zip(PARAMETER_NAMES, draws, strict=True))


def test_feedforward_is_the_written_formula():
    network = TrainableNetwork(seed=1)
    p = network.parameters()
    x1, x2 = 0.3, -1.2
    h1 = sigmoid(p["w1"] * x1 + p["w2"] * x2 + p["b1"])
    h2 = sigmoid(p["w3"] * x1 + p["w4"] * x2 + p["b2"])
    o1 = sigmoid(p["w5"] * h1 + p["w6"] * h2 + p["b3"])
    assert network.feedforward([x1, x2]) == pytest.approx(float(o1), rel=1e-15)


def test_predict_is_feedforward_per_row():
    network = TrainableNetwork(seed=2)
    X, _, _ = gender_data()
    assert network.predict(X).tolist() == [network.feedforward(row) for row in X]


@pytest.mark.parametrize("seed", SEEDS)
def test_hand_gradients_match_central_finite_differences(seed):
    network = TrainableNetwork(seed=seed)
    rng = np.random.default_rng(100 + seed)
    X, y, _ = gender_data()
    samples = [*zip(X / 10, y, strict=True), (rng.normal(size=2), rng.uniform())]
    for x, y_true in samples:
        partials = network.gradients(x, y_true)
        assert list(partials) == list(PARAMETER_NAMES)
        for name, partial in partials.items():
            assert type(partial) is float
            numeric = central_difference(network, name, x, y_true)
            assert partial == pytest.approx(numeric, rel=1e-6, abs=1e-9), name


def test_hand_gradients_on_the_raw_tutorial_data_match_finite_differences():
    network = TrainableNetwork(seed=0)
    X, y, _ = gender_data()
    for x, y_true in zip(X, y, strict=True):
        for name, partial in network.gradients(x, y_true).items():
            numeric = central_difference(network, name, x, y_true)
            assert partial == pytest.approx(numeric, rel=1e-6, abs=1e-9), name


def test_output_partial_is_minus_two_times_the_error_times_the_slope():
    network = TrainableNetwork(seed=3)
    x, y_true = np.array([1.0, -2.0]), 1.0
    steps = network.forward_pass(x)
    expected = -2 * (y_true - steps.o1) * steps.o1 * (1 - steps.o1)
    assert network.gradients(x, y_true)["b3"] == pytest.approx(expected, rel=1e-14)


def test_one_epoch_is_per_sample_gradient_descent():
    X, y, _ = gender_data()
    network, reference = TrainableNetwork(seed=4), TrainableNetwork(seed=4)
    history = network.train(X, y, learn_rate=0.1, epochs=1)
    for x, y_true in zip(X, y, strict=True):
        partials = reference.gradients(x, y_true)
        reference.set_parameters(
            {name: value - 0.1 * partials[name] for name, value in reference.parameters().items()}
        )
    assert network.parameters() == reference.parameters()
    assert history == [(0, mse_loss(y, reference.predict(X)))]


@pytest.mark.parametrize("seed", SEEDS)
def test_training_separates_emily_and_frank(seed):
    X, y, _ = gender_data()
    network = TrainableNetwork(seed=seed)
    history = network.train(X, y, learn_rate=0.1, epochs=1000)
    assert [epoch for epoch, _ in history] == list(range(0, 1000, 10))
    first_loss, last_loss = history[0][1], history[-1][1]
    assert last_loss < first_loss
    assert last_loss < 0.01
    emily, frank = network.predict(prediction_data()[0])
    assert emily > 0.9
    assert frank < 0.1


def test_verbose_prints_the_tutorial_s_lines_and_callback_sees_every_record(capsys):
    X, y, _ = gender_data()
    seen = []
    history = TrainableNetwork(seed=0).train(
        X, y, epochs=25, verbose=True, callback=lambda epoch, loss: seen.append((epoch, loss))
    )
    assert seen == history and [epoch for epoch, _ in seen] == [0, 10, 20]
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"Epoch {epoch} loss: {loss:.3f}" for epoch, loss in history]


def test_training_is_silent_by_default(capsys):
    X, y, _ = gender_data()
    TrainableNetwork(seed=0).train(X, y, epochs=20)
    assert capsys.readouterr().out == ""


def test_errors_say_what_was_expected():
    network = TrainableNetwork(seed=0)
    with pytest.raises(ValueError, match=r"one sample of shape \(2,\); got \(2, 2\).*predict"):
        network.feedforward([[1, 2], [3, 4]])
    with pytest.raises(ValueError, match=r"rows of shape \(N, 2\); got \(2,\).*reshape"):
        network.predict([1, 2])
    with pytest.raises(ValueError, match=r"one target per input row, shape \(4,\); got \(3,\)"):
        network.train(gender_data()[0], [1, 0, 0])
    with pytest.raises(ValueError, match=r"unknown \['w7'\]"):
        network.set_parameters({"w7": 1.0})
