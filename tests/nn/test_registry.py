"""The layer registry: what a registration must hold, refused before anything is registered;
lookups by exact class; every built-in layer registered once, savable and exportable."""

import inspect

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.io import architecture
from glassnet.nn import registry
from glassnet.nn.registry import COUNT, SETTING_KINDS, Setting, number

BUILT_IN = ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "BatchNorm1d",
            "BatchNorm2d", "Conv1d", "Conv2d", "Dropout", "Dropout2d", "Embedding", "Flatten",
            "GELU", "GRU", "Identity", "LSTM", "LastTimeStep", "LayerNorm", "LeakyReLU", "Linear",
            "LogSoftmax", "MaxPool1d", "MaxPool2d", "RNN", "ReLU", "Sigmoid", "Softmax",
            "Softplus", "Tanh"]


class Gain(nn.Module):
    def __init__(self, factor: float = 2.0) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


@pytest.fixture
def forget_gain():
    yield
    if registry.layer_type_of(Gain) is not None:
        nn.unregister_layer(Gain)


def test_every_built_in_layer_is_registered_exportable_and_found_by_its_name():
    entries = registry.layer_types()
    assert [entry.name for entry in entries] == BUILT_IN
    for entry in entries:
        assert entry.export is not None, entry.name
        assert registry.layer_type(entry.name) is entry
        assert registry.layer_type_of(entry.layer) is entry


def test_every_setting_of_a_built_in_layer_is_a_constructor_argument():
    for entry in registry.layer_types():
        parameters = inspect.signature(entry.layer).parameters
        assert set(entry.settings) <= set(parameters), entry.name


def test_every_kind_of_setting_has_a_check_in_the_file_format():
    assert set(architecture.CHECKS) == set(SETTING_KINDS)


def test_a_subclass_is_not_its_registered_parent():
    class LoudReLU(nn.ReLU):
        pass

    assert registry.layer_type_of(LoudReLU) is None
    with pytest.raises(TypeError, match="cannot save model: it is a .*LoudReLU"):
        architecture.describe(LoudReLU())


def test_a_registered_layer_is_described_and_rebuilt(forget_gain):
    entry = nn.register_layer(Gain, settings={"factor": number(0.0, 10.0)})
    assert entry.name == "Gain" and entry.state({"factor": 3.0}) == {}
    config = architecture.validate(architecture.describe(nn.Sequential(Gain(3.0))))
    assert config == {"type": "Sequential", "layers": [{"type": "Gain", "factor": 3.0}]}
    rebuilt = architecture.build(config)
    assert type(rebuilt[0]) is Gain and rebuilt[0].factor == 3.0
    np.testing.assert_array_equal(gn.predict(rebuilt, np.ones((2, 1), np.float32)), [[3], [3]])


@pytest.mark.parametrize("registration, error, message", [
    (lambda: nn.register_layer(np.ndarray), TypeError, "expects a Module subclass"),
    (lambda: nn.register_layer(Gain, settings={"scale": number()}), ValueError,
     r"\['scale'\] are not arguments of .*Gain\(\).*\['factor'\]"),
    (lambda: nn.register_layer(Gain, settings={"factor": float}), TypeError,
     "setting 'factor' must be a Setting"),
    (lambda: nn.register_layer(Gain, settings={"factor": Setting("real")}), TypeError,
     "setting 'factor' must be a Setting"),
    (lambda: nn.register_layer(Gain, name="Sequential"), ValueError, "not 'Sequential'"),
    (lambda: nn.register_layer(Gain, name="os.system"), ValueError, "letters, digits"),
    (lambda: nn.register_layer(Gain, name="Linear"), ValueError,
     r"Linear is already registered as 'Linear'; call unregister_layer\(Linear\) first"),
    (lambda: nn.register_layer(nn.ReLU, name="Rectifier"), ValueError,
     "ReLU is already registered as 'ReLU'"),
])
def test_a_registration_that_could_not_work_is_refused_and_nothing_changes(
        registration, error, message, forget_gain):
    before = registry.layer_types()
    with pytest.raises(error, match=message):
        registration()
    assert registry.layer_types() == before
    assert registry.layer_type_of(Gain) is None and registry.layer_type_of(nn.ReLU).name == "ReLU"


def test_unregistering_forgets_both_the_name_and_the_class(forget_gain):
    nn.register_layer(Gain, settings={"factor": number()}, name="Amplifier")
    assert registry.layer_type("Amplifier").layer is Gain
    nn.unregister_layer(Gain)
    assert registry.layer_type("Amplifier") is None and registry.layer_type_of(Gain) is None
    with pytest.raises(KeyError):
        nn.unregister_layer(Gain)


def test_the_state_declared_for_a_setting_sizes_the_tensors():
    linear = registry.layer_type("Linear")
    assert linear.settings["in_features"] is COUNT
    assert linear.state({"in_features": 3, "out_features": 2, "bias": False}) == {
        "weight": ((2, 3), "float")}


def test_a_setting_the_layer_does_not_keep_is_named_when_describing(forget_gain):
    nn.register_layer(Gain, settings={"factor": number()})
    layer = Gain()
    del layer.factor
    with pytest.raises(TypeError, match="no attribute 'factor'.*register the layer with config="):
        architecture.describe(layer)
