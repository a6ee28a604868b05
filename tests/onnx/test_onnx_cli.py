"""``glassnet export MODEL --onnx OUT``: model files of every kind become runnable ONNX files."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

import glassnet as gn
from glassnet import nn
from glassnet.cli import main
from glassnet.sklearn import NeuralNetClassifier, save_estimator
from glassnet.tabular import CLASSIFY, Preprocessing

X = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)


@pytest.fixture
def model_file(tmp_path):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.GELU(), nn.LayerNorm(6), nn.Linear(6, 3))
    path = tmp_path / "model.safetensors"
    gn.save(model, path)
    return model, str(path)


def export(capsys, *argv):
    code = main(["export", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_export_writes_a_file_that_matches_predict(model_file, tmp_path, capsys, run_onnx):
    model, path = model_file
    out = tmp_path / "model.onnx"
    code, stdout, _ = export(capsys, path, "--onnx", out)
    assert code == 0
    assert "inputs:  input (batch, 4)" in stdout and "outputs: output (batch, 3)" in stdout
    np.testing.assert_allclose(run_onnx(str(out), X)["output"], gn.predict(model, X),
                               rtol=0, atol=1e-5)


def test_verify_runs_onnxruntime_and_reports_agreement(model_file, tmp_path, capsys):
    _, path = model_file
    code, stdout, _ = export(capsys, path, "--onnx", tmp_path / "m.onnx", "--verify",
                             "--opset", "20")
    assert code == 0
    assert "opset 20" in stdout
    assert "largest difference" in stdout and "(OK)" in stdout


def test_an_estimator_file_exports_labels_and_probabilities(tmp_path, capsys, run_onnx):
    features, y = make_blobs(60, n_features=4, random_state=0)
    labels = np.array(["ant", "bee", "cow"])[y]
    estimator = NeuralNetClassifier(hidden_layer_sizes=(8,), epochs=3, random_state=0)
    with pytest.warns(ConvergenceWarning):  # 3 epochs are not enough, and that is fine here
        estimator.fit(features, labels)
    saved, out = tmp_path / "estimator.safetensors", tmp_path / "estimator.onnx"
    save_estimator(estimator, saved)
    code, stdout, _ = export(capsys, saved, "--onnx", out, "--verify")
    assert code == 0 and "NeuralNetClassifier" in stdout and "(OK)" in stdout
    np.testing.assert_array_equal(run_onnx(str(out), X)["label"], estimator.predict(X))


def test_a_trained_table_model_keeps_its_preprocessing(tmp_path, capsys, run_onnx):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    preprocessing = Preprocessing(["a", "b", "c", "d"], np.array([1.0, 2.0, 3.0, 4.0]),
                                  np.array([0.5, 2.0, 4.0, 8.0]), CLASSIFY, "kind",
                                  ["no", "yes"])
    saved = tmp_path / "table.safetensors"
    gn.save(model, saved, metadata=preprocessing.to_metadata())

    code, stdout, _ = export(capsys, saved, "--onnx", tmp_path / "full.onnx", "--verify")
    assert code == 0 and "outputs: label (batch), probabilities (batch, 2)" in stdout
    expected = np.array(["no", "yes"])[gn.predict(model, preprocessing.standardize(X)).argmax(1)]
    np.testing.assert_array_equal(run_onnx(str(tmp_path / "full.onnx"), X)["label"], expected)

    code, stdout, _ = export(capsys, saved, "--onnx", tmp_path / "net.onnx", "--network-only")
    assert code == 0 and "outputs: output (batch, 2)" in stdout


def test_a_model_that_needs_n_features(tmp_path, capsys, run_onnx):
    saved = tmp_path / "relu.safetensors"
    gn.save(nn.Sequential(nn.ReLU()), saved)
    code, _, stderr = export(capsys, saved, "--onnx", tmp_path / "relu.onnx")
    assert code == 2 and "--n-features" not in stderr and "n_features=" in stderr
    code, _, _ = export(capsys, saved, "--onnx", tmp_path / "relu.onnx", "--n-features", "2,3")
    assert code == 0
    assert run_onnx(str(tmp_path / "relu.onnx"), np.ones((1, 2, 3)))["output"].shape == (1, 2, 3)


@pytest.mark.parametrize("argv, status, message", [
    (["missing.safetensors", "--onnx", "out.onnx"], 2, "No such file"),
    (["model", "--onnx", "out.onnx", "--opset", "16"], 2, "opset must be one of"),
    (["model", "--onnx", "out.onnx", "--n-features", "0"], 2, "expected sizes >= 1"),
    (["model"], 2, "--onnx"),
])
def test_bad_requests_fail_with_a_message(argv, status, message, model_file, tmp_path, capsys):
    _, path = model_file
    argv = [path if a == "model" else str(tmp_path / a) if a.endswith(".onnx") else a
            for a in argv]
    code, _, stderr = export(capsys, *argv)
    assert code == status
    assert message in stderr


def test_a_file_that_is_not_a_model_is_refused(tmp_path, capsys):
    bogus = tmp_path / "notes.safetensors"
    bogus.write_bytes(b"not a model")
    code, _, stderr = export(capsys, bogus, "--onnx", tmp_path / "out.onnx")
    assert code == 2 and stderr.startswith("glassnet export: error:") and stderr.count("\n") == 1
    assert not (tmp_path / "out.onnx").exists()


def test_missing_onnx_names_the_extra(model_file, tmp_path, capsys, monkeypatch):
    _, path = model_file
    monkeypatch.setitem(sys.modules, "onnx", None)
    code, _, stderr = export(capsys, path, "--onnx", tmp_path / "out.onnx")
    assert code == 2
    assert "pip install 'glassnet[onnx]'" in stderr


def test_the_installed_command_runs(model_file, tmp_path):
    _, path = model_file
    out = tmp_path / "model.onnx"
    result = subprocess.run([sys.executable, "-m", "glassnet", "export", path, "--onnx", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0
