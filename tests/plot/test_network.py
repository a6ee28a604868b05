"""glassnet.plot.diagram: layers as columns of neurons, weights as coloured lines."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from matplotlib.collections import LineCollection

from glassnet import nn
from glassnet.plot import network
from glassnet.plot.diagram import shown_neurons


def texts(ax) -> list[str]:
    return [text.get_text() for text in ax.texts]


def test_small_network_draws_every_neuron_and_weight(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    path = tmp_path / "network.png"
    figure = network(model, path, input_names=["x", "y"], output_names=["no", "yes"])
    ax, colourbar_ax = figure.axes
    assert ax.get_title() == "Network 2 → 3 → 2: weights as lines, biases as neuron fill"
    assert colourbar_ax.get_ylabel() == "weight or bias (red < 0 < blue)"
    [lines] = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines.get_segments()) == 2 * 3 + 3 * 2
    neurons = [c for c in ax.collections if not isinstance(c, LineCollection)]
    assert [len(c.get_offsets()) for c in neurons] == [2, 3, 2]
    shown = texts(ax)
    for expected in ("x", "y", "no", "yes", "input\n2 neurons", "Linear 2→3 + ReLU\n3 neurons",
                     "Linear 3→2\n2 neurons"):
        assert expected in shown
    assert ax.get_legend().get_title().get_text() == "line width"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_colour_shows_the_sign_and_width_the_size():
    layer = nn.Linear(2, 1)
    layer.weight.data = np.array([[-2.0, 0.5]], dtype=np.float32)
    layer.bias.data = np.array([0.0], dtype=np.float32)
    figure = network(nn.Sequential(layer))
    [lines] = [c for c in figure.axes[0].collections if isinstance(c, LineCollection)]
    segments, colours = lines.get_segments(), lines.get_colors()
    widths = lines.get_linewidths()
    # drawn weakest first: 0.5 (input 1) then -2.0 (input 0)
    by_input = {round(float(segment[0][1]), 3): i for i, segment in enumerate(segments)}
    negative, positive = by_input[0.5], by_input[-0.5]  # input 0 sits above input 1
    assert colours[negative][0] > colours[negative][2]  # red
    assert colours[positive][2] > colours[positive][0]  # blue
    assert widths[negative] > widths[positive]


def test_wide_layers_show_twelve_neurons_and_an_ellipsis():
    model = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 3))
    figure = network(model)
    ax = figure.axes[0]
    neurons = [c for c in ax.collections if not isinstance(c, LineCollection)]
    assert [len(c.get_offsets()) for c in neurons] == [4, 11, 3]
    assert texts(ax).count("⋮") == 1
    assert "Linear 4→64 + ReLU, Dropout(0.2)\n64 neurons (11 shown)" in texts(ax)
    [lines] = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines.get_segments()) == 4 * 11 + 11 * 3


def test_shown_neurons_keeps_the_first_and_last():
    assert shown_neurons(5, 12) == [0, 1, 2, 3, 4]
    assert shown_neurons(64, 12) == [0, 1, 2, 3, 4, 5, None, 59, 60, 61, 62, 63]
    assert shown_neurons(13, 4) == [0, 1, None, 12]


def test_models_without_linear_layers_are_refused():
    with pytest.raises(ValueError, match="built from Linear layers; Sequential has none"):
        network(nn.Sequential(nn.ReLU()))


def test_missing_matplotlib_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[plot\]'"):
        network(nn.Sequential(nn.Linear(2, 2)))
