"""A layer defined here and registered once, here, saves, loads and exports to ONNX: glassnet.io
and glassnet.onnx name no layer classes, so a new layer (the convolutions next) needs its
module, its op, its tests and one ``register_layer`` call."""

import json

import numpy as np
import onnx.checker
import pytest
import safetensors.numpy

import glassnet as gn
from glassnet import nn
from glassnet.io.format import DOCUMENT_KEY, encode_file
from glassnet.io.serialize import read_bundle
from glassnet.nn.registry import COUNT, Shape, integer, number


class ScaleShift(nn.Module):
    """y = x·weight + shift·repeats, per feature.  x: (N, num_features) -> (N, num_features)."""

    def __init__(self, num_features: int, shift: float = 0.0, repeats: int = 1) -> None:
        super().__init__()
        self.num_features, self.shift, self.repeats = num_features, shift, repeats
        self.weight = nn.Parameter(np.linspace(0.5, 2.0, num_features, dtype=np.float32))

    def forward(self, x):
        return x * self.weight + self.shift * self.repeats


def export_scale_shift(builder, layer, x, shape: Shape, name: str):
    scaled = builder.node("Mul", [x, builder.constant(f"{name}.weight", layer.weight.data)],
                          f"{name}_Mul")
    offset = builder.constant(f"{name}.offset", layer.shift * layer.repeats)
    return builder.node("Add", [scaled, offset], f"{name}_Add"), shape


@pytest.fixture
def registered():
    """ScaleShift registered for one test, forgotten after it."""
    nn.register_layer(
        ScaleShift,
        settings={"num_features": COUNT, "shift": number(), "repeats": integer(0, 4)},
        state=lambda config: {"weight": ((config["num_features"],), "float")},
        export=export_scale_shift,
        input_shape=lambda layer: (layer.num_features,),
    )
    yield ScaleShift
    nn.unregister_layer(ScaleShift)


def model_with_toy_layer():
    gn.manual_seed(0)
    toy = ScaleShift(4, shift=0.25, repeats=3)
    toy.weight.data[...] = [0.5, -1.0, 2.0, 3.0]  # not the initial values: the file keeps these
    return nn.Sequential(toy, nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))


def test_save_and_load_rebuild_the_registered_layer(registered, tmp_path):
    model = model_with_toy_layer()
    path = tmp_path / "toy.safetensors"
    gn.save(model, path)
    loaded = gn.load(path)
    toy = loaded[0]
    assert type(toy) is ScaleShift and (toy.num_features, toy.shift, toy.repeats) == (4, 0.25, 3)
    np.testing.assert_array_equal(toy.weight.data, [0.5, -1.0, 2.0, 3.0])
    X = np.random.default_rng(1).normal(size=(6, 4)).astype(np.float32)
    np.testing.assert_array_equal(gn.predict(loaded, X), gn.predict(model, X))


def test_export_runs_in_onnxruntime_as_predict_computes(registered, run_onnx):
    model = model_with_toy_layer()
    proto = gn.onnx.export(model, None)  # the input shape comes from the toy layer's declaration
    onnx.checker.check_model(proto, full_check=True)
    X = np.random.default_rng(2).normal(size=(7, 4)).astype(np.float32)
    np.testing.assert_allclose(run_onnx(proto, X)["output"], gn.predict(model, X), atol=1e-5)


def test_a_file_value_outside_the_setting_is_refused_before_building(registered, tmp_path):
    path = tmp_path / "toy.safetensors"
    gn.save(model_with_toy_layer(), path)
    data = path.read_bytes()
    header_length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_length])
    document = json.loads(header["__metadata__"][DOCUMENT_KEY])
    document["architecture"]["layers"][0]["repeats"] = 5  # the setting is integer(0, 4)
    edited = encode_file(safetensors.numpy.load(data), document)
    with pytest.raises(gn.ModelFormatError, match=r"\['0'\]\.repeats must be an integer from 0 "
                                                  r"to 4; got 5"):
        read_bundle(edited)


def test_once_unregistered_it_can_be_neither_saved_nor_exported(tmp_path):
    model = model_with_toy_layer()
    with pytest.raises(TypeError, match=r"cannot save model\['0'\]: it is a ScaleShift"):
        gn.save(model, tmp_path / "toy.safetensors")
    with pytest.raises(TypeError, match=r"cannot export model\.0 to ONNX: it is a ScaleShift"):
        gn.onnx.export(model, None, n_features=4)
