"""glassnet.plot.history: one titled panel per metric, training and validation, epoch on x."""

import subprocess
import sys

import numpy as np
import pytest

from glassnet.plot import history


def texts(ax):
    return ax.get_title(), ax.get_xlabel(), ax.get_ylabel()


def legend_labels(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_keras_style_dict_gives_a_panel_per_metric_loss_first():
    curves = {
        "accuracy": [0.5, 0.7, 0.8],
        "loss": [1.0, 0.6, 0.4],
        "val_loss": [1.1, 0.8, 0.7],
        "val_accuracy": [0.4, 0.6, 0.7],
    }
    figure = history(curves, title="run 1")
    loss_ax, accuracy_ax = figure.axes
    assert texts(loss_ax) == ("Loss per epoch", "epoch", "loss")
    assert texts(accuracy_ax) == ("Accuracy per epoch", "epoch", "accuracy")
    assert legend_labels(loss_ax) == ["training", "validation"]
    training, validation = loss_ax.get_lines()
    assert training.get_xdata().tolist() == [1, 2, 3]  # epochs counted from 1, as Keras does
    assert validation.get_ydata().tolist() == [1.1, 0.8, 0.7]
    assert figure.get_suptitle() == "run 1"


def test_history_objects_and_epoch_pairs_are_accepted():
    class History:
        history = {"loss": [3.0, 2.0], "epoch": [0, 5]}

    [ax] = history(History()).axes
    assert ax.get_lines()[0].get_xdata().tolist() == [0, 5]
    [ax] = history([(0, 0.3), (10, 0.2), (20, 0.1)]).axes
    assert ax.get_lines()[0].get_xdata().tolist() == [0, 10, 20]
    assert legend_labels(ax) == ["training"]


def test_log_scale_applies_to_the_loss(tmp_path):
    path = tmp_path / "curve.png"
    figure = history({"loss": [1.0, 0.1, 0.01]}, path, log_scale=True)
    [ax] = figure.axes
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "loss (log scale)"
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_bad_input_is_explained():
    with pytest.raises(TypeError, match=r"dict of per-epoch lists.*got int"):
        history(3)
    with pytest.raises(ValueError, match="no values to draw"):
        history({"loss": []})


def test_missing_matplotlib_is_an_import_error_with_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[plot\]'"):
        history({"loss": np.ones(3).tolist()})


def test_importing_glassnet_plot_does_not_import_matplotlib():
    code = "import glassnet.plot, sys; print('matplotlib' in sys.modules)"
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
