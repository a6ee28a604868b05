"""Each finding's numbers equal a direct computation from the model's weights and the data."""

import math

import numpy as np
import pytest
from cases import (
    blobs,
    deep_sigmoid,
    inputs_times_1000,
    lr_tiny,
    overfit_history,
    relu_half_dead,
    sigmoid_huge_inputs,
    softmax_before_cross_entropy,
)

import glassnet as gn
import glassnet.functional as F


def sigmoid(z):
    return 0.5 * np.tanh(0.5 * z) + 0.5


def test_dead_units_are_those_whose_pre_activation_is_never_positive():
    case = relu_half_dead()
    finding = gn.diagnose(**case).by_code("dead_relu")[0]
    first = case["model"][0]
    z = case["X"] @ first.weight.data.T + first.bias.data  # all 300 rows: no more than 256
    z = z[gn.diagnosis.probe.sample_rows(len(z))]
    dead = ~(z > 0).any(axis=0)
    assert finding.evidence["dead_units"] == dead.sum() == 8
    assert finding.evidence["dead_fraction"] == dead.mean()
    assert finding.evidence["dead_unit_indices"] == np.flatnonzero(dead).tolist()
    assert finding.evidence["largest_pre_activation_of_dead"] == pytest.approx(z[:, dead].max())
    assert finding.severity == "warning"


def test_saturation_is_sigma_prime_of_the_pre_activations():
    case = sigmoid_huge_inputs()
    finding = gn.diagnose(**case).by_code("saturated_activations")[0]
    first = case["model"][0]
    z = case["X"][gn.diagnosis.probe.sample_rows(len(case["X"]))] @ first.weight.data.T
    z = z + first.bias.data
    prime = sigmoid(z) * sigmoid(-z)  # σ′ = σ(z)(1 − σ(z)), without the rounding of 1 − σ
    stuck = (prime < 0.01).mean(axis=0) >= 0.9
    assert finding.evidence["stuck_units"] == stuck.sum()
    assert finding.evidence["mean_derivative_stuck"] == pytest.approx(prime[:, stuck].mean(),
                                                                      rel=1e-5)
    assert finding.evidence["mean_abs_pre_activation_stuck"] == pytest.approx(
        np.abs(z[:, stuck]).mean())
    assert f"{finding.evidence['mean_derivative_stuck']:.2g}" in finding.message


def test_input_scales_are_root_mean_squares_of_the_features():
    case = inputs_times_1000()
    finding = gn.diagnose(**case).by_code("unscaled_inputs")[0]
    X = case["X"][gn.diagnosis.probe.sample_rows(len(case["X"]))]
    scale = np.sqrt((X ** 2).mean(axis=0))
    assert finding.evidence["largest_scale"] == pytest.approx(scale.max())
    assert finding.evidence["largest_feature"] == scale.argmax()
    assert finding.evidence["features_off_scale"] == 4


def sample(case):
    """The rows diagnose uses, X in the model's dtype."""
    rows = gn.diagnosis.probe.sample_rows(len(case["X"]))
    dtype = next(case["model"].parameters()).dtype
    return gn.tensor(case["X"][rows].astype(dtype)), gn.tensor(case["y"][rows])


def backward_by_hand(case):
    """A fresh forward/backward of the model itself on the sample; returns (grads, acts)."""
    model, (X, y) = case["model"], sample(case)
    activations = []
    handles = [layer.register_forward_hook(lambda m, i, o: activations.append((i[0].data, o.data)))
               for layer in model if isinstance(layer, gn.nn.Sigmoid)]
    F.cross_entropy(model(X), y).backward()
    for handle in handles:
        handle.remove()
    grads = {name: p.grad.copy() for name, p in model.named_parameters()}
    model.zero_grad()
    return grads, activations


def test_vanishing_gradient_rms_and_its_chain_rule_factors():
    case = deep_sigmoid()
    finding = gn.diagnose(**case).by_code("vanishing_gradients")[0]
    grads, activations = backward_by_hand(case)
    rms = {name: np.sqrt((g ** 2).mean()) for name, g in grads.items() if g.ndim == 2}
    assert finding.evidence["parameter"] == "0.weight"
    assert finding.evidence["gradient_rms"] == pytest.approx(rms["0.weight"], rel=1e-9)
    assert finding.evidence["largest_gradient_rms"] == pytest.approx(max(rms.values()), rel=1e-9)
    assert finding.evidence["relative_to_largest"] < 1e-4
    # the factors on the way back are gn.explain's, on the same sample ...
    model, (X, y) = case["model"], sample(case)
    summary = gn.explain(F.cross_entropy(model(X), y), model[0].weight)
    chain = finding.evidence["chain"]
    assert [f["layer"] for f in chain] == [record.number for record in summary.layers]
    for factor, record in zip(chain, summary.layers, strict=True):
        assert factor["activation_gain"] == record.activation_gain
        assert factor["weight_gain"] == record.weight_gain
    # ... and the mean σ′ = σ(z)(1 − σ(z)) of each sigmoid layer, computed directly
    means = [float((sigmoid(z) * sigmoid(-z)).mean()) for z, _ in activations]
    assert [f["mean_slope"] for f in chain[1:]] == pytest.approx(means[::-1], rel=1e-6)
    product = math.prod(gain for _, gain in finding.evidence["path_gains"])
    assert finding.evidence["path_gain_product"] == pytest.approx(product, rel=1e-12)
    assert f"together × {product:.2g}" in finding.message
    assert f"{finding.evidence['gradient_rms']:.2g}" in finding.message


def test_a_single_shrinking_factor_is_named_with_its_units_and_their_z():
    import glassnet.nn as nn

    gn.manual_seed(0)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 4))
    y = rng.integers(0, 3, 200)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.Sigmoid(),
                          nn.Linear(8, 3))
    model[2].bias.data[:] = 12.0  # every sigmoid unit sits near σ′(12) ≈ 6e-6
    diagnosis = gn.diagnose(model, X, y, loss="cross_entropy")
    [finding] = [f for f in diagnosis.by_code("vanishing_gradients")
                 if f.evidence["parameter"] == "0.weight"]
    weakest = finding.evidence["weakest_factor"]
    assert weakest["module"] == "2" and weakest["units_small"] == 8
    assert weakest["small_units"] == list(range(8))
    rows = X[gn.diagnosis.probe.sample_rows(len(X))].astype(np.float32)
    z = np.maximum(rows @ model[0].weight.data.T + model[0].bias.data, 0)
    z = z @ model[2].weight.data.T + model[2].bias.data
    assert weakest["small_units_mean_abs_z"] == pytest.approx(np.abs(z).mean(), rel=1e-6)
    # σ′ in float64 from the float32 z: σ(−z) = 1 − σ(z) near 1e-5 keeps no digits in float32
    wide = z.astype(np.float64)
    assert weakest["mean_slope"] == pytest.approx((sigmoid(wide) * sigmoid(-wide)).mean(),
                                                  rel=1e-5)
    assert "below 0.001 at 8 of 8 units" in finding.message
    assert f"|z| ≈ {weakest['small_units_mean_abs_z']:.2g}" in finding.message


def test_exploding_gradient_ratio_is_rms_of_gradient_over_rms_of_weight():
    case = inputs_times_1000()
    finding = gn.diagnose(**case).by_code("exploding_gradients")[0]
    model = case["model"]
    X, y = sample(case)
    F.cross_entropy(model(X), y).backward()
    parameter = dict(model.named_parameters())[finding.evidence["parameter"]]
    ratio = np.sqrt((parameter.grad ** 2).mean()) / np.sqrt((parameter.data ** 2).mean())
    model.zero_grad()
    assert finding.evidence["gradient_to_weight"] == pytest.approx(ratio, rel=1e-9)
    assert ratio > 100
    # the factors on the path are gn.explain's, on the same sample
    summary = gn.explain(F.cross_entropy(model(X), y), parameter)
    assert [(f["layer"], f["activation_gain"], f["weight_gain"])
            for f in finding.evidence["chain"]] == [
        (record.number, record.activation_gain, record.weight_gain) for record in summary.layers]


def test_the_loss_floor_is_what_cross_entropy_gives_perfect_probabilities():
    case = softmax_before_cross_entropy()
    finding = gn.diagnose(**case).by_code("probabilities_as_logits")[0]
    output = case["model"](sample(case)[0]).data
    assert finding.evidence["row_sum_max_error"] == np.abs(output.sum(axis=1) - 1).max()
    assert finding.evidence["output_min"] == output.min()
    perfect = gn.tensor(np.eye(3), dtype=np.float64)  # the right class has probability 1
    floor = float(F.cross_entropy(perfect, gn.tensor(np.arange(3))).data)
    assert finding.evidence["loss_floor"] == pytest.approx(floor, rel=1e-12)
    assert f"{floor:.3f}" in finding.message


def test_the_update_ratio_of_sgd_is_lr_times_gradient_over_weight():
    previous = gn.get_default_dtype()
    gn.set_default_dtype(np.float64)  # in float32 a step of 1e-9 × W is mostly rounding
    try:
        case = lr_tiny()
    finally:
        gn.set_default_dtype(previous)
    finding = gn.diagnose(**case).by_code("learning_rate_too_low")[0]
    model = case["model"]
    X, y = sample(case)
    F.cross_entropy(model(X), y).backward()
    for name, parameter in model.named_parameters():
        if parameter.ndim == 2:
            by_hand = 1e-7 * np.sqrt((parameter.grad ** 2).mean()) / np.sqrt(
                (parameter.data ** 2).mean())
            assert finding.evidence["update_ratios"][name] == pytest.approx(by_hand, rel=1e-6)
    model.zero_grad()


def test_overfitting_numbers_come_from_the_history():
    case = overfit_history()
    finding = gn.diagnose(**case).by_code("overfitting")[0]
    validation = case["history"]["val_loss"]
    assert finding.evidence["best_epoch"] == int(np.argmin(validation)) == 3
    assert finding.evidence["last_val_loss"] == validation[-1]


def test_the_sample_is_the_same_rows_on_every_call_and_at_most_256():
    rows = gn.diagnosis.probe.sample_rows(1000)
    assert len(rows) == 256 and len(set(rows.tolist())) == 256
    assert np.array_equal(rows, gn.diagnosis.probe.sample_rows(1000))
    X, y = blobs(1000, seed=3)
    X[:, 0] *= 100
    first = gn.diagnose(gn.nn.mlp([4, 3]), X, y, loss="cross_entropy")
    assert first.sample_size == 256
    assert first.findings[0].evidence["largest_scale"] == pytest.approx(
        np.sqrt((X[rows, 0] ** 2).mean()))


def test_a_layer_saturated_on_most_pairs_but_no_unit_on_most_rows_is_reported():
    import numpy as np

    import glassnet as gn
    from glassnet import nn

    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    model = nn.Sequential(nn.Linear(4, 16), nn.Sigmoid(), nn.Linear(16, 3))
    model[0].weight.data *= 30  # large |z| on most rows, but each unit is small on some
    diagnosis = gn.diagnose(model, X, rng.integers(0, 3, 200), loss="cross_entropy")
    [finding] = diagnosis.by_code("saturated_activations")
    z = X.astype(np.float32) @ model[0].weight.data.T + model[0].bias.data
    slope = np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))) ** 2
    saturated = slope < 0.01
    assert (saturated.mean(axis=0) >= 0.9).mean() < 0.25  # the per-unit rule alone: silent
    np.testing.assert_allclose(finding.evidence["saturated_pair_fraction"], saturated.mean(),
                               rtol=1e-6)
    assert f"saturated on {saturated.mean():.0%} of their (row, unit) pairs" in finding.message
