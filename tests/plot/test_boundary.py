"""glassnet.plot.decision_boundary: the plane shaded by predicted class, the data on top."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.plot import decision_boundary


def fixed_linear(weight, bias) -> nn.Linear:
    layer = nn.Linear(len(weight[0]), len(weight))
    layer.weight.data = np.asarray(weight, dtype=np.float32)
    layer.bias.data = np.asarray(bias, dtype=np.float32)
    return layer


def points():
    X = np.random.default_rng(0).normal(size=(40, 2))
    return X, (X[:, 0] > 0).astype(np.int64)


def region_image(figure) -> np.ndarray:
    return np.asarray(figure.axes[0].images[0].get_array())


def test_regions_follow_the_model_and_the_figure_is_labelled(tmp_path):
    X, y = points()
    model = nn.Sequential(fixed_linear([[-1.0, 0.0], [1.0, 0.0]], [0.0, 0.0]))  # class = x0 > 0
    path = tmp_path / "regions.png"
    figure = decision_boundary(model, X, y, path, class_names=["left", "right"],
                               feature_names=["width", "height"], resolution=50)
    [ax] = figure.axes
    assert ax.get_xlabel() == "width" and ax.get_ylabel() == "height"
    assert ax.get_title() == "Decision regions: shading = predicted class, dots = data (100% right)"
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "class"
    assert [text.get_text() for text in legend.get_texts()] == ["left", "right"]
    image = region_image(figure)
    assert image.shape == (50, 50)
    grid_x = np.linspace(*ax.images[0].get_extent()[:2], 50)
    np.testing.assert_array_equal(image, np.tile(grid_x > 0, (50, 1)).astype(int))
    assert len(ax.collections) >= 2  # the dots of each class (plus the boundary line)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("ends_with_sigmoid", [True, False], ids=["probability", "logit"])
def test_a_single_output_is_a_binary_score(ends_with_sigmoid):
    X, y = points()
    layers = [fixed_linear([[0.0, 1.0]], [0.0])]  # class 1 where x1 > 0
    if ends_with_sigmoid:
        layers.append(nn.Sigmoid())
    figure = decision_boundary(nn.Sequential(*layers), X, y, resolution=30)
    image = region_image(figure)
    grid_y = np.linspace(*figure.axes[0].images[0].get_extent()[2:], 30)
    np.testing.assert_array_equal(image, np.tile((grid_y > 0)[:, None], (1, 30)).astype(int))
    # the model ignores x0 while y follows it: about half the points are misclassified
    right = np.mean((X[:, 1] > 0) == y)
    assert figure.axes[0].get_title().endswith(f"dots = data ({right:.0%} right)")


def test_a_trained_model_separates_its_data():
    gn.manual_seed(0)
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(-2, 0.5, (30, 2)), rng.normal(2, 0.5, (30, 2))])
    y = np.repeat([0, 1], 30)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    gn.fit(model, X.astype(np.float32), y, loss="cross_entropy",
           optimizer=gn.optim.Adam(model.parameters(), lr=0.05), epochs=30, verbose=0)
    image = region_image(decision_boundary(model, X, y, resolution=40))
    assert image[0, 0] == 0 and image[-1, -1] == 1  # the corners by each cluster


def test_bad_inputs_are_explained():
    X, y = points()
    with pytest.raises(gn.ShapeError, match="2 inputs; this one takes 3"):
        decision_boundary(nn.Sequential(nn.Linear(3, 2)), np.zeros((4, 3)), [0, 1, 0, 1])
    with pytest.raises(gn.ShapeError, match="40 rows but y has 3"):
        decision_boundary(nn.Sequential(nn.Linear(2, 2)), X, [0, 1, 0])
    with pytest.raises(ValueError, match="class indices"):
        decision_boundary(nn.Sequential(nn.Linear(2, 2)), X, y + 0.5)
    with pytest.raises(ValueError, match="class_names has 1 names but there are 2 classes"):
        decision_boundary(nn.Sequential(nn.Linear(2, 2)), X, y, class_names=["only"])


def test_missing_matplotlib_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    X, y = points()
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[plot\]'"):
        decision_boundary(nn.Sequential(nn.Linear(2, 2)), X, y)
