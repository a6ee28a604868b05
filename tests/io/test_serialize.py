"""gn.save / gn.load: bit-identical round trips, safetensors-readable, refusals touch nothing."""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

import glassnet as gn
from glassnet import nn
from glassnet.random import get_rng_state


def _every_layer_type() -> nn.Module:
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(6, 8),
        nn.LayerNorm(8, eps=1e-3),
        nn.GELU(approximate="tanh"),
        nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8, momentum=None), nn.Tanh()),
        nn.LeakyReLU(0.2),
        nn.Dropout(0.1),
        nn.Identity(),
        nn.Linear(8, 5),
        nn.Sigmoid(),
        nn.Softplus(),
        nn.BatchNorm1d(5, affine=False),
        nn.LayerNorm([5], elementwise_affine=False),
        nn.ReLU(),
        nn.BatchNorm1d(5, track_running_stats=False),
        nn.LayerNorm(5, bias=False),
        nn.BatchNorm1d(5, bias=False),
        nn.LogSoftmax(dim=1),
        nn.Softmax(dim=-1),
    )


def _bit_identical(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_is_bit_identical(tmp_path, dtype):
    gn.set_default_dtype(dtype)
    gn.manual_seed(3)
    model = _every_layer_type()
    x = np.random.default_rng(4).normal(size=(16, 2, 3)).astype(dtype)
    model.train()
    for _ in range(3):  # move BatchNorm's running statistics and its counter
        model(x)
    model.eval()
    path = tmp_path / "model.safetensors"
    gn.save(model, path)
    loaded = gn.load(path)
    assert type(loaded) is nn.Sequential and not loaded.training
    original_state, loaded_state = model.state_dict(), loaded.state_dict()
    assert original_state.keys() == loaded_state.keys()
    for key in original_state:
        assert _bit_identical(original_state[key], loaded_state[key]), key
    assert int(loaded_state["4.1.num_batches_tracked"]) == 3
    assert _bit_identical(model(x).data, loaded(x).data)
    assert loaded(x).dtype == dtype


def test_safetensors_reads_the_weights_directly(model_file, small_model):
    tensors = safetensors.numpy.load_file(model_file)
    state = small_model.state_dict()
    assert sorted(tensors) == sorted(state) == [
        "0.bias", "0.weight", "1.bias", "1.num_batches_tracked", "1.running_mean",
        "1.running_var", "1.weight", "4.bias", "4.weight",
    ]
    for key, array in state.items():
        assert _bit_identical(tensors[key], array)


def test_metadata_and_architecture_come_back(tmp_path, small_model, inputs):
    path = tmp_path / "model.safetensors"
    mean = np.array([0.1, -2.5, 1e-300])
    metadata = {"feature_names": ("height", "weight", "age"), "feature_mean": mean,
                "feature_std": np.float32(0.3), "classes": ["no", "yes"], "task": "classify",
                "nested": {"missing": None, "ok": True}}
    gn.save(small_model, path, metadata=metadata)
    bundle = gn.io.load_bundle(path)
    assert bundle.metadata == {
        "feature_names": ["height", "weight", "age"], "feature_mean": [0.1, -2.5, 1e-300],
        "feature_std": float(np.float32(0.3)), "classes": ["no", "yes"], "task": "classify",
        "nested": {"missing": None, "ok": True},
    }
    assert np.array(bundle.metadata["feature_mean"]).tobytes() == mean.tobytes()
    assert bundle.format_version == gn.io.MODEL_FORMAT_VERSION == 1
    assert bundle.glassnet_version == gn.__version__
    assert bundle.architecture["layers"][0] == {
        "type": "Linear", "in_features": 3, "out_features": 5, "bias": True,
    }
    assert [layer["type"] for layer in bundle.architecture["layers"]] == [
        "Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear",
    ]
    assert _bit_identical(small_model(inputs).data, bundle.model(inputs).data)


def test_named_sequential_and_a_single_layer(tmp_path):
    named = nn.Sequential(OrderedDict(hidden=nn.Linear(2, 3), act=nn.ReLU(), out=nn.Linear(3, 1)))
    gn.save(named, tmp_path / "named.safetensors")
    loaded = gn.load(tmp_path / "named.safetensors")
    assert [name for name, _ in loaded.named_children()] == ["hidden", "act", "out"]
    assert sorted(loaded.state_dict()) == ["hidden.bias", "hidden.weight", "out.bias",
                                           "out.weight"]
    single = nn.Linear(4, 2)
    gn.save(single, tmp_path / "single.safetensors")
    assert type(gn.load(tmp_path / "single.safetensors")) is nn.Linear


def test_loaded_model_can_keep_training(model_file, inputs):
    model = gn.load(model_file).train()
    loss = model(inputs).sum()
    loss.backward()
    for parameter in model.parameters():
        assert parameter.requires_grad and parameter.grad is not None
        parameter.data -= 0.1 * parameter.grad  # in place: must be writable


def test_loading_does_not_move_the_random_generator(model_file):
    gn.manual_seed(11)
    before = get_rng_state()
    gn.load(model_file)
    assert get_rng_state() == before


class Doubler(nn.Module):
    def forward(self, x):
        return x * 2


class MyLinear(nn.Linear):
    """A subclass: same constructor, possibly different forward; must not be saved as Linear."""


@pytest.mark.parametrize(
    ("make_model", "message"),
    [
        (lambda: nn.Sequential(nn.Linear(3, 2), Doubler()),
         r"cannot save model\['1'\]: it is a Doubler, which glassnet cannot rebuild"),
        (lambda: Doubler(), "cannot save model: it is a Doubler"),
        (lambda: nn.Sequential(nn.Sequential(MyLinear(3, 2))), r"model\['0'\]\['0'\].*MyLinear"),
        (lambda: nn.ModuleList([nn.Linear(3, 2)]), "it is a ModuleList"),
    ],
)
def test_unsavable_model_is_refused_before_the_file_is_touched(model_file, make_model, message):
    before = Path(model_file).read_bytes()
    with pytest.raises(TypeError, match=message):
        gn.save(make_model(), model_file)
    assert Path(model_file).read_bytes() == before
    assert os.listdir(os.path.dirname(model_file)) == ["model.safetensors"]


def test_layer_with_an_extra_submodule_or_parameter_is_refused(model_file):
    before = Path(model_file).read_bytes()
    layer = nn.Linear(3, 2)
    layer.extra = nn.ReLU()
    with pytest.raises(TypeError, match="has sub-modules attached"):
        gn.save(layer, model_file)
    layer = nn.Linear(3, 2)
    layer.scale = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match=r"unexpected \['scale'\]"):
        gn.save(layer, model_file)
    assert Path(model_file).read_bytes() == before


@pytest.mark.parametrize(
    ("metadata", "error", "message"),
    [
        ({"mean": [1.0, float("nan")]}, ValueError, r"metadata\['mean'\]\[1\] is nan"),
        ({"when": object()}, TypeError, r"metadata\['when'\] is a object"),
        ({1: "one"}, TypeError, "must have string keys"),
    ],
)
def test_bad_metadata_is_refused_before_the_file_is_touched(model_file, small_model, metadata,
                                                            error, message):
    before = Path(model_file).read_bytes()
    with pytest.raises(error, match=message):
        gn.save(small_model, model_file, metadata=metadata)
    assert Path(model_file).read_bytes() == before


def test_non_module_is_refused(tmp_path):
    with pytest.raises(TypeError, match="expects a glassnet Module; got dict"):
        gn.save({"0.weight": np.ones(2)}, tmp_path / "m.safetensors")
    assert not os.listdir(tmp_path)


def test_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        gn.load(tmp_path / "absent.safetensors")
