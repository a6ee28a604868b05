"""Every deliberately broken training raises its code; healthy ones raise no warning or error."""

import numpy as np
import pytest
from cases import BROKEN, HEALTHY, inputs_times_1000

import glassnet as gn


@pytest.mark.parametrize("case", list(BROKEN), ids=lambda case: case.__name__)
def test_a_broken_training_is_named(case):
    diagnosis = gn.diagnose(**case())
    assert BROKEN[case] <= set(diagnosis.codes), str(diagnosis)


@pytest.mark.parametrize("case", HEALTHY, ids=lambda case: case.__name__)
def test_a_healthy_training_gets_the_all_clear(case):
    diagnosis = gn.diagnose(**case())
    assert diagnosis.ok, str(diagnosis)
    assert diagnosis.findings == []
    assert str(diagnosis).count("\n") == 0 and "No problems found" in str(diagnosis)


def test_the_report_puts_errors_first_and_ends_each_paragraph_with_what_to_try():
    from cases import relu_negative_bias

    diagnosis = gn.diagnose(**relu_negative_bias())
    severities = [finding.severity for finding in diagnosis.findings]
    assert severities == sorted(severities, key=gn.diagnosis.SEVERITIES.index)
    assert severities[0] == "error" and "warning" in severities
    paragraphs = str(diagnosis).split("\n\n")
    assert len(paragraphs) == len(diagnosis.findings)
    for paragraph, finding in zip(paragraphs, diagnosis.findings, strict=True):
        assert paragraph.startswith(f"[{finding.severity}] {finding.code}: ")
        assert "Try: " in paragraph and paragraph.endswith(".")


def test_confirm_measures_the_suggested_change_on_copies():
    from cases import inputs_times_1000, lr_ten_on_blobs

    finding = gn.diagnose(**lr_ten_on_blobs(), confirm=True).by_code("learning_rate_too_high")[0]
    measured = finding.evidence["confirm"]
    assert measured["change"] == "lr ÷ 10" and measured["steps"] == 50
    assert measured["improved"]
    assert f"{measured['changed_losses'][1]:.6g}" in finding.message
    scaling = gn.diagnose(**inputs_times_1000(), confirm=True).by_code("unscaled_inputs")[0]
    assert scaling.evidence["confirm"]["change"] == "standardised inputs"
    assert scaling.evidence["confirm"]["improved"]


def test_confirm_is_deterministic():
    from cases import lr_tiny

    first = gn.diagnose(**lr_tiny(), confirm=True).findings
    second = gn.diagnose(**lr_tiny(), confirm=True).findings
    assert [f.evidence for f in first] == [f.evidence for f in second]
    assert first[0].evidence["confirm"]["change"] == "lr × 10"


def test_an_optimizer_of_another_model_is_named_and_its_learning_rate_not_judged():
    import numpy as np

    import glassnet as gn
    from glassnet import nn, optim

    gn.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(64, 3))
    y = (X[:, 0] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    other = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    diagnosis = gn.diagnose(model, X, y, loss="cross_entropy",
                            optimizer=optim.SGD(other.parameters(), lr=0.1))
    assert "learning_rate_too_low" not in diagnosis.codes
    [finding] = diagnosis.by_code("parameters_not_training")
    assert "the optimizer does not hold them, so no step changes them" in finding.message


def test_huge_float32_outputs_are_diagnosed_without_overflow_warnings():
    import warnings

    import numpy as np

    import glassnet as gn
    from glassnet import nn

    gn.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    model[1].weight.data *= np.float32(1e36)  # outputs near float32's largest
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        diagnosis = gn.diagnose(model, X, np.zeros(32, dtype=np.int64), loss="cross_entropy")
    assert "constant_predictions" not in diagnosis.codes


def test_a_converged_loss_that_jitters_is_not_an_overshooting_learning_rate():
    from glassnet.diagnosis.checks_optimisation import history_trend

    converged = [1.0, 0.1, 0.02, 0.011, 0.012, 0.010, 0.0115, 0.0102, 0.0111, 0.0101]
    assert history_trend(converged)["history_sign_change_fraction"] > 0.5
    assert not history_trend(converged)["history_oscillating"]
    bouncing = [1.0, 0.7, 1.1, 0.8, 1.2, 0.9, 1.15, 0.85]
    assert history_trend(bouncing)["history_oscillating"]


def test_scaling_is_tried_on_the_same_weights_and_on_a_layer_computing_the_same_function():
    import copy

    from glassnet.diagnosis.confirm import first_linear, fold_scaling

    previous = gn.get_default_dtype()
    gn.set_default_dtype(np.float64)  # the identity holds to rounding: float64 shows it exactly
    try:
        case = inputs_times_1000()
    finally:
        gn.set_default_dtype(previous)
    X = case["X"]
    mean, std = X.mean(axis=0), X.std(axis=0)
    model = copy.deepcopy(case["model"])
    before = model(gn.tensor(X, dtype=np.float64)).data
    fold_scaling(first_linear(model, X.shape[1]), mean, std)
    after = model(gn.tensor((X - mean) / std, dtype=np.float64)).data
    np.testing.assert_allclose(after, before, rtol=1e-9, atol=1e-9)

    measured = gn.diagnose(**case, confirm=True).by_code("unscaled_inputs")[0].evidence["confirm"]
    # the folded copy starts from the loss the model has now; the same weights do not
    assert measured["same_function_losses"][0] == pytest.approx(measured["unchanged_losses"][0],
                                                                rel=1e-5)
    assert measured["same_weights_losses"][0] != pytest.approx(measured["unchanged_losses"][0])
    assert measured["improved"]
