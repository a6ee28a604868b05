"""Loss modules: each equals its functional form, against NumPy, with gradients checked."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import nn


def _log_softmax(x):
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _regression(rng):
    return rng.normal(size=(4, 3)), rng.normal(size=(4, 3))


def _probabilities(rng):
    return rng.uniform(0.05, 0.95, size=(4, 3)), rng.integers(0, 2, size=(4, 3)).astype(float)


def _logits_and_bits(rng):
    return rng.normal(scale=3.0, size=(4, 3)), rng.integers(0, 2, size=(4, 3)).astype(float)


def _logits_and_classes(rng):
    return rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)


def _log_probs_and_classes(rng):
    logits, classes = _logits_and_classes(rng)
    return _log_softmax(logits), classes


def _huber(d, delta):
    return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


def _smoothed_cross_entropy(x, t, smoothing):
    q = np.full(x.shape, smoothing / x.shape[1])
    q[np.arange(len(t)), t] += 1 - smoothing
    return -(q * _log_softmax(x)).sum(axis=1)


LOSSES = [
    pytest.param(nn.MSELoss, {}, _regression, lambda x, y: (x - y) ** 2, id="MSELoss"),
    pytest.param(nn.L1Loss, {}, _regression, lambda x, y: np.abs(x - y), id="L1Loss"),
    pytest.param(nn.HuberLoss, {"delta": 0.5}, _regression, lambda x, y: _huber(x - y, 0.5),
                 id="HuberLoss"),
    pytest.param(nn.BCELoss, {}, _probabilities,
                 lambda p, y: -(y * np.log(p) + (1 - y) * np.log(1 - p)), id="BCELoss"),
    pytest.param(nn.BCEWithLogitsLoss, {}, _logits_and_bits,
                 lambda x, y: -(y * np.log(1 / (1 + np.exp(-x)))
                                + (1 - y) * np.log(1 - 1 / (1 + np.exp(-x)))),
                 id="BCEWithLogitsLoss"),
    pytest.param(nn.CrossEntropyLoss, {}, _logits_and_classes,
                 lambda x, t: -_log_softmax(x)[np.arange(len(t)), t], id="CrossEntropyLoss"),
    pytest.param(nn.CrossEntropyLoss, {"label_smoothing": 0.1}, _logits_and_classes,
                 lambda x, t: _smoothed_cross_entropy(x, t, 0.1), id="CrossEntropyLoss-smooth"),
    pytest.param(nn.NLLLoss, {}, _log_probs_and_classes,
                 lambda lp, t: -lp[np.arange(len(t)), t], id="NLLLoss"),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss_class, settings, make_data, per_element", LOSSES)
def test_values_match_numpy(loss_class, settings, make_data, per_element, reduction, rng):
    input, target = make_data(rng)
    expected = per_element(input, target)
    expected = {"mean": expected.mean(), "sum": expected.sum(), "none": expected}[reduction]
    loss = loss_class(reduction=reduction, **settings)(gn.tensor(input, dtype=np.float64), target)
    np.testing.assert_allclose(loss.data, expected, rtol=1e-10)


@pytest.mark.parametrize("loss_class, settings, make_data, per_element", LOSSES)
def test_gradients_match_finite_differences(
    loss_class, settings, make_data, per_element, float64_default, check_gradients, rng
):
    input, target = make_data(rng)
    x = gn.tensor(input, requires_grad=True)
    assert check_gradients(loss_class(**settings), x, gn.tensor(target))


def test_regression_losses_differentiate_the_target_too(float64_default, check_gradients, rng):
    input, target = _regression(rng)
    x, y = gn.tensor(input, requires_grad=True), gn.tensor(target, requires_grad=True)
    for loss_class in (nn.MSELoss, nn.L1Loss, nn.HuberLoss):
        assert check_gradients(loss_class(), x, y)


def test_module_and_functional_agree_in_float32(rng):
    logits, classes = _logits_and_classes(rng)
    module_loss = nn.CrossEntropyLoss(label_smoothing=0.2)(logits, classes)
    functional_loss = F.cross_entropy(logits, classes, label_smoothing=0.2)
    assert module_loss.dtype == np.float32
    np.testing.assert_array_equal(module_loss.data, functional_loss.data)


def test_settings_are_validated_and_keyword_only():
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="average")
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="delta must be positive"):
        nn.HuberLoss(delta=0.0)
    with pytest.raises(TypeError):
        nn.HuberLoss(0.5)


def test_a_loss_has_no_parameters():
    assert list(nn.CrossEntropyLoss().parameters()) == []
    assert nn.MSELoss().state_dict() == {}
