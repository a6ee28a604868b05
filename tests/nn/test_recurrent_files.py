"""Recurrent layers in files and in ONNX: gn.save / gn.load, hostile settings, onnxruntime."""

import json

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.errors import ShapeError
from glassnet.io.format import DOCUMENT_KEY, encode_file
from glassnet.io.serialize import MODEL_FORMAT, read_bundle


def classifier(kind, **settings):
    layer = getattr(nn, kind)(3, 4, batch_first=True, **settings)
    features = 4 * layer.directions
    return nn.Sequential(layer, nn.LastTimeStep(), nn.Linear(features, 2))


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_save_and_load_give_the_same_predictions(kind, tmp_path, rng):
    settings = {"nonlinearity": "relu"} if kind == "RNN" else {}
    model = classifier(kind, num_layers=2, bidirectional=True, dropout=0.25, **settings)
    path = tmp_path / "model.safetensors"
    gn.save(model, path)
    loaded = gn.load(path)
    assert repr(loaded) == repr(model)
    x = rng.normal(size=(5, 7, 3)).astype(np.float32)
    np.testing.assert_array_equal(gn.predict(loaded, x), gn.predict(model, x))


def _document_and_tensors(model):
    tensors = model.state_dict()
    document = {"format": MODEL_FORMAT, "format_version": 1, "glassnet_version": "0",
                "architecture": gn.io.architecture.describe(model), "metadata": {}}
    return document, tensors


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("num_layers", 10**9, "num_layers must be an integer from 1 to 1024"),
    ("hidden_size", -4, "hidden_size must be a positive integer"),
    ("dropout", 2.0, "dropout must be a finite number between 0.0 and 1.0"),
    ("bidirectional", 1, "bidirectional must be true or false"),
    ("nonlinearity", "sigmoid", "nonlinearity must be one of tanh, relu"),
    ("proj_size", 2, "unexpected \\['proj_size'\\]"),
])
def test_hostile_settings_are_refused_before_anything_is_built(setting, value, message,
                                                               monkeypatch):
    model = nn.Sequential(nn.RNN(3, 4))
    document, tensors = _document_and_tensors(model)
    document["architecture"]["layers"][0][setting] = value
    data = encode_file(tensors, document)
    built = []
    monkeypatch.setattr(nn.RNN, "__init__", lambda *a, **k: built.append(a))
    with pytest.raises(gn.ModelFormatError, match=message):
        read_bundle(data)
    assert not built


def test_tensors_that_do_not_fit_the_settings_are_refused():
    model = nn.Sequential(nn.GRU(3, 4, num_layers=2))
    document, tensors = _document_and_tensors(model)
    document["architecture"]["layers"][0]["num_layers"] = 3  # but it holds two layers' weights
    with pytest.raises(gn.ModelFormatError, match="weight_ih_l2"):
        read_bundle(encode_file(tensors, document))


def test_the_file_holds_pytorchs_names(tmp_path):
    path = tmp_path / "model.safetensors"
    gn.save(nn.Sequential(nn.LSTM(3, 4, bidirectional=True)), path)
    import safetensors.numpy

    names = set(safetensors.numpy.load_file(path))
    assert {"0.weight_ih_l0", "0.weight_hh_l0_reverse", "0.bias_hh_l0_reverse"} <= names
    header = json.loads(safetensors.safe_open(path, "np").metadata()[DOCUMENT_KEY])
    assert header["architecture"]["layers"][0] == {
        "type": "LSTM", "input_size": 3, "hidden_size": 4, "num_layers": 1, "bias": True,
        "batch_first": False, "dropout": 0.0, "bidirectional": True}


# -- ONNX -----------------------------------------------------------------------------------------
ONNX_CASES = {
    "one-layer": {},
    "two-layers": {"num_layers": 2},
    "bidirectional": {"bidirectional": True},
    "two-layers-bidirectional-no-bias": {"num_layers": 2, "bidirectional": True, "bias": False},
}


@pytest.mark.parametrize("case", list(ONNX_CASES))
@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM", "RNN-relu"])
def test_onnxruntime_reproduces_predictions(kind, case, rng):
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    settings = dict(ONNX_CASES[case])
    if kind == "RNN-relu":
        kind, settings["nonlinearity"] = "RNN", "relu"
    model = classifier(kind, **settings)
    whole = gn.onnx.export(model, None, n_features=(7, 3))
    layer_alone = gn.onnx.export(nn.Sequential(model[0]), None, n_features=(7, 3))
    x = rng.normal(size=(6, 7, 3)).astype(np.float32)
    with gn.no_grad():
        sequence = model[0](x)[0].data
    for proto, expected in ((whole, gn.predict(model, x)), (layer_alone, sequence)):
        session = onnxruntime.InferenceSession(proto.SerializeToString(),
                                               providers=["CPUExecutionProvider"])
        [actual] = session.run(None, {"input": x})
        assert actual.shape == expected.shape
        np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-5)


def test_time_first_layers_are_not_exported():
    pytest.importorskip("onnx")
    with pytest.raises(ShapeError, match="batch_first=True"):
        gn.onnx.export(nn.Sequential(nn.GRU(3, 4), nn.LastTimeStep()), None, n_features=(7, 3))


def test_the_sequence_length_must_be_given():
    pytest.importorskip("onnx")
    with pytest.raises(ShapeError, match="n_features"):
        gn.onnx.export(classifier("GRU"), None)
    with pytest.raises(ShapeError, match="sequence_length, 3"):
        gn.onnx.export(classifier("GRU"), None, n_features=(3,))


def test_last_time_step_exports_only_after_a_recurrent_layer():
    pytest.importorskip("onnx")
    with pytest.raises(TypeError, match="right after an RNN, GRU or LSTM"):
        gn.onnx.export(nn.Sequential(nn.Linear(3, 3), nn.LastTimeStep()), None,
                       n_features=(7, 3))
