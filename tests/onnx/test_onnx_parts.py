"""Objects that describe themselves by ``onnx_parts()`` export without onnx knowing their class."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.onnx
from glassnet import nn

TOLERANCE = 1e-5


class Thermometer:
    """A predictor glassnet has never heard of: standardised readings -> network -> degrees."""

    def __init__(self, classes=None):
        gn.manual_seed(0)
        self.network = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, len(classes or [0])))
        self.mean = np.array([10.0, -4.0, 300.0])
        self.std = np.array([2.0, 0.5, 40.0])
        self.classes = classes

    def outputs(self, X):
        return gn.predict(self.network, (X - self.mean) / self.std)

    def onnx_parts(self):
        parts = {"network": self.network, "n_features": 3, "input_mean": self.mean,
                 "input_std": self.std}
        if self.classes is not None:
            return {**parts, "classes": self.classes}
        return {**parts, "output_mean": 20.0, "output_std": 5.0, "flat_output": True}


@pytest.fixture
def readings():
    return np.random.default_rng(0).normal(size=(9, 3)) * [2.0, 0.5, 40.0] + [10.0, -4.0, 300.0]


def test_a_regressor_offering_its_parts_exports_its_preprocessing(readings, run_onnx):
    thermometer = Thermometer()
    predictions = run_onnx(gn.onnx.export(thermometer, None), readings)["predictions"]
    expected = thermometer.outputs(readings).ravel() * 5.0 + 20.0
    assert predictions.shape == (9,)
    np.testing.assert_allclose(predictions, expected, rtol=TOLERANCE, atol=0)


def test_a_classifier_offering_its_parts_gives_labels_and_probabilities(readings, run_onnx):
    thermometer = Thermometer(classes=["cold", "mild", "hot"])
    outputs = run_onnx(gn.onnx.export(thermometer, None), readings)
    logits = thermometer.outputs(readings)
    np.testing.assert_array_equal(outputs["label"], np.array(thermometer.classes)[logits.argmax(1)])
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    np.testing.assert_allclose(outputs["probabilities"], probabilities, rtol=0, atol=TOLERANCE)


def test_n_features_must_match_the_offered_parts():
    with pytest.raises(ValueError, match="fitted on 3 features"):
        gn.onnx.export(Thermometer(), None, n_features=4)


@pytest.mark.parametrize(("parts", "message"), [
    pytest.param(lambda t: [t.network], "got list", id="not-a-dict"),
    pytest.param(lambda t: {"network": t.network}, "'n_features'", id="missing-key"),
    pytest.param(lambda t: {"network": t.network, "n_features": 3, "scale": 2.0},
                 "'scale'", id="unknown-key"),
    pytest.param(lambda t: {"network": t.network.state_dict(), "n_features": 3},
                 "must be a glassnet Module; got dict", id="not-a-module"),
])
def test_malformed_parts_are_refused_by_name(parts, message):
    thermometer = Thermometer()
    thermometer.onnx_parts = lambda: parts(thermometer)
    with pytest.raises(TypeError, match=message):
        gn.onnx.export(thermometer, None)
