"""What cannot be exported says so, naming the layer; onnx is needed only when exporting."""

import os
import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
import glassnet.onnx
from glassnet import nn
from glassnet.autograd import Tensor


class Doubler(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x * 2


class ResidualSequential(nn.Sequential):
    def forward(self, x: Tensor) -> Tensor:
        return x + super().forward(x)


def test_a_custom_layer_is_named_with_its_position():
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), Doubler())
    with pytest.raises(TypeError, match=r"model\.2.*Doubler.*Linear"):
        gn.onnx.export(model, None)


def test_a_custom_layer_in_a_nested_sequential_is_named_by_its_path():
    model = nn.Sequential({"encoder": nn.Sequential(nn.Linear(4, 4), Doubler())})
    with pytest.raises(TypeError, match=r"model\.encoder\.1 .*Doubler"):
        gn.onnx.export(model, None)


def test_a_sequential_subclass_with_its_own_forward_is_refused():
    with pytest.raises(TypeError, match="ResidualSequential"):
        gn.onnx.export(ResidualSequential(nn.Linear(4, 4)), None)


def test_a_layer_with_extra_submodules_is_refused():
    layer = nn.Linear(4, 4)
    layer.extra = nn.ReLU()
    with pytest.raises(TypeError, match="sub-modules"):
        gn.onnx.export(nn.Sequential(layer), None)


def test_nothing_is_written_when_export_fails(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"previous")
    with pytest.raises(TypeError):
        gn.onnx.export(nn.Sequential(Doubler()), path, n_features=4)
    assert path.read_bytes() == b"previous"


def test_a_model_without_a_sized_first_layer_needs_n_features(run_onnx):
    model = nn.Sequential(nn.ReLU())
    with pytest.raises(gn.ShapeError, match="n_features="):
        gn.onnx.export(model, None)
    X = np.array([[-1.0, 2.0, -3.0]], dtype=np.float32)
    np.testing.assert_array_equal(run_onnx(gn.onnx.export(model, None, 3), X)["output"],
                                  [[0.0, 2.0, 0.0]])


def test_n_features_that_do_not_fit_the_layers_are_a_shape_error():
    with pytest.raises(gn.ShapeError, match=r"model\.0 \(Linear\) expects 4 input features"):
        gn.onnx.export(nn.Sequential(nn.Linear(4, 2)), None, n_features=5)
    with pytest.raises(gn.ShapeError, match="LayerNorm"):
        gn.onnx.export(nn.Sequential(nn.Linear(4, 3), nn.LayerNorm(4)), None)
    with pytest.raises(gn.ShapeError, match="Softmax"):
        gn.onnx.export(nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=2)), None)


@pytest.mark.parametrize("n_features", [0, -1, (), (3, 0), 2.5, True])
def test_invalid_n_features_are_refused(n_features):
    with pytest.raises(ValueError, match="n_features"):
        gn.onnx.export(nn.Sequential(nn.ReLU()), None, n_features=n_features)


@pytest.mark.parametrize("opset", [16, 22, "17"])
def test_unsupported_opsets_are_refused(opset):
    with pytest.raises(ValueError, match="opset must be one of 17, 18, 19, 20, 21"):
        gn.onnx.export(nn.Sequential(nn.Linear(2, 2)), None, opset=opset)


@pytest.mark.parametrize("opset", [17, 18, 19, 20, 21])
def test_every_offered_opset_runs(opset, run_onnx):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, track_running_stats=False),
                          nn.GELU(), nn.LayerNorm(4), nn.Linear(4, 2))
    X = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    actual = run_onnx(gn.onnx.export(model, None, opset=opset), X)["output"]
    np.testing.assert_allclose(actual, gn.predict(model, X), rtol=0, atol=1e-5)


def test_other_objects_are_refused():
    with pytest.raises(TypeError, match="expects a glassnet Module.*got dict"):
        gn.onnx.export({"weights": 1}, None)


def test_missing_onnx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` raise ImportError
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[onnx\]'"):
        gn.onnx.export(nn.Sequential(nn.Linear(2, 2)), None)


def test_importing_glassnet_and_its_onnx_module_imports_no_optional_package():
    code = ("import sys, glassnet, glassnet.onnx, glassnet.cli; glassnet.cli.build_parser(); "
            "print(sorted(m for m in ('onnx', 'onnxruntime', 'sklearn') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert result.stdout.strip() == "[]"


def test_numbers_beyond_float32_are_refused_not_exported_as_inf(tmp_path):
    model = nn.Sequential(nn.Linear(2, 1))
    model[0].weight.data = np.array([[1e300, 1.0]])
    with pytest.raises(ValueError, match=r"magnitude 1e\+300, beyond what float32 can represent"):
        gn.onnx.export(model, tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()
