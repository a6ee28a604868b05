"""``glassnet diagnose`` and the Diagnosis section at the end of ``glassnet train``."""

from __future__ import annotations

import pytest

import glassnet as gn
from glassnet.cli import main
from glassnet.io import load_bundle

SKIPPED = "The learning-rate checks need the optimizer, which the model file does not keep"


def section(stdout: str, start: str, end: str) -> str:
    assert start in stdout and end in stdout, stdout
    return stdout.split(start, 1)[1].split(end, 1)[0]


def test_train_ends_with_a_diagnosis_of_the_weights_kept(trained_classifier):
    _, result = trained_classifier
    assert result.returncode == 0, result.stderr
    # after the final scores, before saving; this healthy run has nothing to report
    after_scores = section(result.stdout, "Final scores", "Saved the model")
    assert "\nDiagnosis: nothing to report.\n" in after_scores


def test_train_says_what_it_found(tmp_path, iris_csv, capsys):
    # SGD at lr 2 on standardised iris: a few epochs without blowing up, but steps so large
    # that they push most of the second layer's ReLU units below zero for good
    status = main(["train", str(iris_csv), "--target", "species", "--out",
                   str(tmp_path / "m.safetensors"), "--epochs", "3", "--verbose", "0",
                   "--optimizer", "sgd", "--lr", "2", "--val-split", "0"])
    out = capsys.readouterr().out
    assert status == 0
    report = section(out, "Final scores", "Saved the model")
    assert "\nDiagnosis:\n[" in report
    assert "\n[warning] dead_relu: " in report


def test_a_healthy_model_gets_the_all_clear(trained_classifier, iris_csv, capsys):
    model, _ = trained_classifier
    assert main(["diagnose", str(model), str(iris_csv)]) == 0
    out = capsys.readouterr().out
    assert f"{model} on {iris_csv}: 150 rows, target 'species', loss cross_entropy; checked on " \
           "150 rows." in out
    assert SKIPPED in out
    assert out.rstrip().endswith("Diagnosis: nothing to report.")


def test_a_regressor_is_diagnosed_on_its_scaled_target(trained_regressor, houses_csv, capsys):
    model, _ = trained_regressor
    assert main(["diagnose", str(model), str(houses_csv)]) == 0
    out = capsys.readouterr().out
    assert "target 'price', loss mse; checked on 240 rows." in out
    assert "Diagnosis" in out


def test_a_model_with_dead_units_is_reported_and_exits_0(trained_classifier, iris_csv, tmp_path,
                                                         capsys):
    model_path, _ = trained_classifier
    bundle = load_bundle(model_path)
    first = next(module for module in bundle.model.modules() if isinstance(module, gn.nn.Linear))
    first.bias.data[:] = -1e3  # every unit of the first ReLU layer below 0 on every row
    dead = tmp_path / "dead.safetensors"
    gn.save(bundle.model, dead, metadata=bundle.metadata)
    assert main(["diagnose", str(dead), str(iris_csv)]) == 0
    out = capsys.readouterr().out
    report = out.split("Diagnosis:\n", 1)[1]
    paragraphs = report.strip().split("\n\n")
    assert paragraphs[0].startswith("[error] ")
    assert any(p.startswith("[error] dead_relu: ") for p in paragraphs)
    assert any(p.startswith("[error] constant_predictions: ") for p in paragraphs)


@pytest.mark.parametrize("arguments, message", [
    pytest.param(["--target", "nope"], "nope", id="absent-target"),
    pytest.param(["--sep", ";"], "", id="wrong-separator"),
])
def test_bad_input_exits_2(trained_classifier, iris_csv, capsys, arguments, message):
    model, _ = trained_classifier
    assert main(["diagnose", str(model), str(iris_csv), *arguments]) == 2
    error = capsys.readouterr().err
    assert error.startswith("glassnet diagnose: ") and message in error


def test_a_file_that_is_not_a_model_exits_2(iris_csv, capsys):
    assert main(["diagnose", str(iris_csv), str(iris_csv)]) == 2
    assert "glassnet diagnose: " in capsys.readouterr().err

