"""``glassnet info / evaluate / predict`` on models trained by ``glassnet train``."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys

import numpy as np
import pytest
from cli_helpers import FEATURES, iris_rows, run_cli, write_csv

from glassnet.io import load_bundle
from glassnet.tabular import TabularModel, read_csv


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_info_shows_architecture_features_classes_parameters_version(trained_classifier):
    model_path, _ = trained_classifier
    result = run_cli("info", model_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    parameters = sum(p.size for p in load_bundle(model_path).model.parameters())
    assert f"{model_path}: a glassnet model (format version 1, saved by glassnet " in out
    assert f"Parameters: {parameters:,}" in out
    assert re.search(r"0 \(Linear\)\s+\(N, 128\)\s+640", out)  # the layer table, 4*128 + 128
    assert "Features (4): sepal_length, sepal_width, petal_length, petal_width" in out
    assert "Classes (3): setosa, versicolor, virginica" in out
    assert "Predicts: 'species' (classification)" in out


def test_info_on_a_model_saved_from_python(tmp_path):
    import glassnet as gn
    from glassnet import nn

    path = tmp_path / "plain.safetensors"
    gn.save(nn.Sequential(nn.Linear(3, 2)), path)
    result = run_cli("info", path)
    assert result.returncode == 0, result.stderr
    assert "Parameters: 8" in result.stdout
    assert "Not trained on a table" in result.stdout


def test_evaluate_classifier_accuracy_and_confusion_matrix(trained_classifier, iris_csv):
    model_path, _ = trained_classifier
    result = run_cli("evaluate", model_path, iris_csv, "--target", "species")
    assert result.returncode == 0, result.stderr
    tabular_model = TabularModel.load(model_path)
    table = read_csv(iris_csv)
    truth = np.array(table.text("species"))
    predicted = tabular_model.predict(tabular_model.features(table))
    right = int(np.sum(predicted == truth))
    assert f"accuracy: {right / 150:.4f} ({right} of 150 rows right)" in result.stdout
    matrix = result.stdout.split("columns: predicted class):\n", 1)[1].splitlines()
    assert matrix[0].split() == ["true", "\\", "predicted", "setosa", "versicolor", "virginica"]
    for line, name in zip(matrix[1:], ["setosa", "versicolor", "virginica"], strict=True):
        label, *counts = line.split()
        assert label == name
        expected = [int(np.sum((truth == name) & (predicted == other)))
                    for other in ["setosa", "versicolor", "virginica"]]
        assert list(map(int, counts)) == expected
    # the per-class report is scikit-learn's classification_report, number for number
    metrics = pytest.importorskip("sklearn.metrics")
    names = ["setosa", "versicolor", "virginica"]
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        truth, predicted, labels=names, zero_division=0)
    report = result.stdout.split("Per class", 1)[1].splitlines()[2:]
    for line, i in zip(report, range(3), strict=False):
        assert line.split() == [names[i], f"{precision[i]:.4f}", f"{recall[i]:.4f}",
                                f"{f1[i]:.4f}", str(support[i])]
    macro = metrics.f1_score(truth, predicted, average="macro")
    weighted = metrics.f1_score(truth, predicted, average="weighted")
    assert report[3].split()[:2] == ["macro", "mean"] and report[3].split()[4] == f"{macro:.4f}"
    assert report[4].split()[4] == f"{weighted:.4f}"


def test_evaluate_regressor_in_target_units(trained_regressor, houses_csv):
    model_path, _ = trained_regressor
    result = run_cli("evaluate", model_path, houses_csv)  # --target defaults to the model's
    assert result.returncode == 0, result.stderr
    tabular_model = TabularModel.load(model_path)
    table = read_csv(houses_csv)
    true = table.numbers(["price"])[:, 0]
    error = tabular_model.predict(tabular_model.features(table)) - true
    scores = dict(re.findall(r"^\s+(MAE|RMSE|R²)\s+(\S+)", result.stdout, re.MULTILINE))
    assert float(scores["MAE"]) == pytest.approx(np.mean(np.abs(error)), abs=1e-4)
    assert float(scores["RMSE"]) == pytest.approx(np.sqrt(np.mean(error**2)), abs=1e-4)
    r2 = 1 - np.sum(error**2) / np.sum((true - true.mean()) ** 2)
    assert float(scores["R²"]) == pytest.approx(r2, abs=1e-4)


def test_predict_to_stdout_in_label_names(trained_classifier, iris_csv):
    model_path, _ = trained_classifier
    result = run_cli("predict", model_path, iris_csv)
    assert result.returncode == 0, result.stderr
    rows = parse_csv(result.stdout)
    assert len(rows) == 150 and list(rows[0]) == ["prediction"]
    tabular_model = TabularModel.load(model_path)
    expected = tabular_model.predict(tabular_model.features(read_csv(iris_csv)))
    assert [row["prediction"] for row in rows] == expected.tolist()


@pytest.mark.parametrize("command", ["info", "predict", "evaluate"])
def test_a_reader_that_stops_early_is_not_an_error(command, trained_classifier, iris_csv):
    # `glassnet info model | head -1`: the pipe closes before the output is all written
    model_path, _ = trained_classifier
    arguments = [model_path] if command == "info" else [model_path, iris_csv]
    process = subprocess.Popen(
        [sys.executable, "-m", "glassnet", command, *map(str, arguments)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
    )  # fmt: skip
    assert process.stdout.read(1)  # then stop reading, as head does
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, stderr
    assert stderr == ""


def test_predict_proba_to_a_file_matches_columns_by_name(tmp_path, trained_classifier):
    model_path, _ = trained_classifier
    rows = iris_rows(seed=9, per_class=4)
    # columns shuffled, an id column added, no target: matched by name, extras ignored
    order = [3, 0, 2, 1]
    shuffled = [[f"row{i}", *(row[j] for j in order)] for i, row in enumerate(rows)]
    data = write_csv(tmp_path / "new.csv", ["id", *(FEATURES[j] for j in order)], shuffled)
    out = tmp_path / "predictions.csv"
    result = run_cli("predict", model_path, data, "--proba", "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Wrote 12 predictions to {out}"
    written = parse_csv(out.read_text())
    assert list(written[0]) == ["prediction", "probability_setosa", "probability_versicolor",
                                "probability_virginica"]
    probabilities = np.array([[float(row[k]) for k in list(row)[1:]] for row in written])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=3e-6)
    names = np.array(["setosa", "versicolor", "virginica"])
    assert [row["prediction"] for row in written] == names[probabilities.argmax(axis=1)].tolist()
    features = np.array([[float(v) for v in row[:4]] for row in rows])
    expected = TabularModel.load(model_path).predict_proba(features)
    np.testing.assert_allclose(probabilities, expected, atol=1e-6)


def test_predict_regression_values(trained_regressor, houses_csv):
    model_path, _ = trained_regressor
    result = run_cli("predict", model_path, houses_csv)
    assert result.returncode == 0, result.stderr
    values = np.array([float(row["prediction"]) for row in parse_csv(result.stdout)])
    tabular_model = TabularModel.load(model_path)
    expected = tabular_model.predict(tabular_model.features(read_csv(houses_csv)))
    np.testing.assert_allclose(values, expected, rtol=1e-6)


@pytest.mark.parametrize("command", ["evaluate", "predict", "info"])
def test_help_has_a_description_and_examples(command, capsys):
    from glassnet.cli import main

    assert main([command, "--help"]) == 0  # in-process: the same parser, a second faster
    out = capsys.readouterr().out
    assert "examples:" in out and f"glassnet {command} " in out


def test_evaluate_metrics_by_name_equal_scikit_learns(trained_classifier, iris_csv):
    metrics = pytest.importorskip("sklearn.metrics")
    model_path, _ = trained_classifier
    result = run_cli("evaluate", model_path, iris_csv, "--metrics", "f1,roc_auc,log_loss")
    assert result.returncode == 0, result.stderr
    tabular_model = TabularModel.load(model_path)
    table = read_csv(iris_csv)
    truth = np.array(table.text("species"))
    probabilities = tabular_model.predict_proba(table)
    predicted = tabular_model.predict(table)
    expected = {
        "f1": metrics.f1_score(truth, predicted, average="macro"),
        "roc_auc": metrics.roc_auc_score(truth, probabilities, multi_class="ovr"),
        "log_loss": metrics.log_loss(truth, probabilities),
    }
    for name, value in expected.items():
        assert f"{name}: {value:.4f}" in result.stdout
