"""``glassnet train``: reads the CSV, guesses and announces the task, trains, scores, saves."""

from __future__ import annotations

import re

import numpy as np
import pytest
from cli_helpers import FAST, FEATURES, REGRESSION_FEATURES, run_cli, write_csv

from glassnet.io import load_bundle
from glassnet.tabular import TabularModel, read_csv


def final_scores(stdout: str) -> dict[str, list[float]]:
    """{"accuracy": [training, validation], ...} from the table after "Final scores"."""
    table = stdout.split("Final scores", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    scores = {}
    for line in table:
        name, *values = re.split(r"\s{2,}", line.strip())
        scores[name] = [float(value.replace(",", "")) for value in values]
    return scores


def test_classifier_from_string_labels(trained_classifier, iris_csv):
    model_path, result = trained_classifier
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"Read {iris_csv}: 150 rows, 4 features (sepal_length, sepal_width, petal_length, " \
           "petal_width), target 'species'." in out
    assert "Task: classify, guessed because 'species' holds text such as 'setosa'" in out
    assert "3 classes: setosa (50), versicolor (50), virginica (50)." in out
    assert "Epoch 1/40" in result.stderr and "Epoch 40/40" in result.stderr  # the progress bar
    scores = final_scores(out)
    assert scores["rows"] == [120, 30]
    assert scores["accuracy"][0] > 0.85 and scores["accuracy"][1] > 0.8
    assert f"Saved the model to {model_path}" in out

    bundle = load_bundle(model_path)
    metadata = bundle.metadata
    assert metadata["task"] == "classify" and metadata["target"] == "species"
    assert metadata["feature_names"] == FEATURES
    assert metadata["classes"] == ["setosa", "versicolor", "virginica"]
    assert metadata["training"]["rows"] == 120 and metadata["training"]["epochs"] == 40
    # the statistics are the training rows': close to, but not exactly, the whole file's
    raw = read_csv(iris_csv).numbers(FEATURES)
    np.testing.assert_allclose(metadata["feature_mean"], raw.mean(axis=0), rtol=0.05)
    np.testing.assert_allclose(metadata["feature_std"], raw.std(axis=0), rtol=0.15)
    assert not np.allclose(metadata["feature_mean"], raw.mean(axis=0), rtol=1e-9)


def test_reported_scores_are_the_saved_models(trained_classifier, iris_csv):
    model_path, result = trained_classifier
    tabular_model = TabularModel.load(model_path)
    table = read_csv(iris_csv)
    predicted = tabular_model.predict(tabular_model.features(table))
    accuracy_everywhere = np.mean(predicted == np.array(table.text("species")))
    training, validation = final_scores(result.stdout)["accuracy"]
    assert accuracy_everywhere == pytest.approx((120 * training + 30 * validation) / 150, abs=1e-3)


def test_regressor_standardises_and_scores_in_target_units(trained_regressor, houses_csv):
    model_path, result = trained_regressor
    assert result.returncode == 0, result.stderr
    assert "Task: regress, guessed because 'price' holds numbers with fractions" in result.stdout
    scores = final_scores(result.stdout)
    assert set(scores) == {"MAE", "RMSE", "R²", "rows"}
    assert scores["R²"][1] > 0.9
    assert scores["MAE"][1] < 25  # prices span ~100..600, noise sd 5
    metadata = load_bundle(model_path).metadata
    assert metadata["feature_names"] == REGRESSION_FEATURES
    assert metadata["feature_std"][3] == 1.0  # the constant column is left unscaled
    prices = np.array([float(v) for v in read_csv(houses_csv).text("price")])
    assert metadata["target_mean"] == pytest.approx(prices.mean(), rel=0.05)
    assert metadata["target_std"] == pytest.approx(prices.std(), rel=0.15)


def test_whole_numbers_are_guessed_as_classes_and_task_overrides(tmp_path):
    rng = np.random.default_rng(1)
    points = rng.normal(size=(60, 2))
    rows = [[f"{a:.3f}", f"{b:.3f}", int(a > 0) + int(b > 0)] for a, b in points]
    data = write_csv(tmp_path / "grades.csv", ["a", "b", "grade"], rows)
    guessed = run_cli("train", data, "--target", "grade", "--out", tmp_path / "c.st", *FAST)
    assert guessed.returncode == 0, guessed.stderr
    assert "guessed because 'grade' holds whole numbers with only 3 distinct values" in \
        guessed.stdout
    assert load_bundle(tmp_path / "c.st").metadata["classes"] == [0, 1, 2]
    chosen = run_cli("train", data, "--target", "grade", "--task", "regress",
                     "--out", tmp_path / "r.st", *FAST)
    assert chosen.returncode == 0, chosen.stderr
    assert "Task: regress." in chosen.stdout and "guessed because" not in chosen.stdout
    assert load_bundle(tmp_path / "r.st").metadata["task"] == "regress"


def test_options_shape_the_network_and_the_same_seed_repeats(tmp_path, iris_csv):
    args = ["train", iris_csv, "--target", "species", "--hidden", "8", "--activation", "tanh",
            "--optimizer", "rmsprop", "--lr", "0.01", "--val-split", "0", "--seed", "5",
            "--early-stopping", "3", *FAST]
    first = run_cli(*args, "--out", tmp_path / "a.st")
    second = run_cli(*args, "--out", tmp_path / "b.st")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "Network: 4 -> 8 -> 3 (tanh), 67 parameters; rmsprop lr 0.01" in first.stdout
    assert "Training on 150 rows, no validation rows (seed 5)." in first.stdout
    # no validation rows: the lowest training loss picks the epoch kept
    assert re.search(r"Kept the weights of epoch \d+ of \d+: its training loss, [\d.]+, was "
                     r"the lowest\.", first.stdout)
    model = load_bundle(tmp_path / "a.st").model
    assert [type(layer).__name__ for layer in model] == ["Linear", "Tanh", "Linear"]
    again = load_bundle(tmp_path / "b.st").model
    for (name, value), (_, other) in zip(model.state_dict().items(),
                                         again.state_dict().items(), strict=True):
        np.testing.assert_array_equal(value, other, err_msg=name)


def test_plot_writes_the_training_curves(tmp_path, iris_csv):
    import matplotlib.image

    plot = tmp_path / "curves.png"
    result = run_cli("train", iris_csv, "--target", "species", "--out", tmp_path / "m.st",
                     "--plot", plot, *FAST)
    assert result.returncode == 0, result.stderr
    assert f"Training curves written to {plot}" in result.stdout
    pixels = matplotlib.image.imread(plot)
    assert pixels.shape[0] > 300 and pixels.shape[1] > 800  # two panels side by side
    assert np.ptp(pixels[..., :3]) > 0.5


def test_divergence_is_one_line_exit_1_and_no_model(tmp_path, houses_csv):
    out = tmp_path / "m.st"
    result = run_cli("train", houses_csv, "--target", "price", "--out", out,
                     "--optimizer", "sgd", "--lr", "1e6", *FAST)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("glassnet train: error: training diverged")
    assert "Try a lower --lr (it was 1e+06). No model was saved." in line
    assert not out.exists()


def test_help_describes_the_options_with_examples():
    result = run_cli("train", "--help")
    assert result.returncode == 0
    for text in ("--target COLUMN", "--hidden 128,64", "--early-stopping PATIENCE",
                 "examples:", "glassnet train iris.csv --target species"):
        assert text in result.stdout
    listing = run_cli("--help").stdout
    for command in ("train", "evaluate", "predict", "info"):
        assert f"    {command} " in listing


def train_in_process(capsys, *argv) -> None:
    from glassnet.cli import main

    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    assert code == 0 and captured.err == "", captured.err  # no traceback, no warning


def test_feature_cells_of_plus_minus_1e308_train_and_save(tmp_path, capsys):
    # their standard deviation passed float64, and saving refused the infinite statistic
    x = np.random.default_rng(0).normal(size=60)
    rows = [[f"{value:.4f}", "1e308" if value > 0 else "-1e308", "a" if value > 0 else "b"]
            for value in x]
    data = write_csv(tmp_path / "extreme.csv", ["x", "huge", "kind"], rows)
    train_in_process(capsys, "train", data, "--target", "kind", "--out", tmp_path / "m.st",
                     *FAST)
    metadata = load_bundle(tmp_path / "m.st").metadata
    assert 0.9e308 < metadata["feature_std"][1] <= 1e308  # ±1e308 around a mean near 0
    assert abs(metadata["feature_mean"][1]) < 1e308


def test_a_regression_target_near_1e300_trains_saves_and_predicts(tmp_path, capsys):
    # its standard deviation passed float64, so training saw zeros and saving failed
    x = np.random.default_rng(0).normal(size=60)
    rows = [[f"{value:.4f}", f"{(3 + value) * 1e300:.6g}"] for value in x]
    data = write_csv(tmp_path / "far.csv", ["x", "far"], rows)
    train_in_process(capsys, "train", data, "--target", "far", "--out", tmp_path / "m.st",
                     "--task", "regress", *FAST)
    metadata = load_bundle(tmp_path / "m.st").metadata
    assert 2e300 < metadata["target_mean"] < 4e300 and 0.5e300 < metadata["target_std"] < 2e300
    predicted = TabularModel.load(tmp_path / "m.st").predict(x[:, None])
    assert np.isfinite(predicted).all() and np.abs(predicted).max() < 1e302
