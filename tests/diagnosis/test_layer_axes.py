"""gn.diagnose reads what the axes of X hold from the layer registry, never from class names."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.nn.registry import layer_type_of, register_layer, unregister_layer


class Scale(nn.Module):
    """y = 2·x, elementwise: a layer of the user's own, first in the model."""

    def forward(self, x):
        return x * 2.0


def per_channel_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2, 8))
    X[:, 1] *= 1000.0  # channel 1 in the thousands; every position alike
    return X, rng.integers(0, 2, 64)


def scaled_model(first: nn.Module) -> nn.Module:
    gn.manual_seed(0)
    return nn.Sequential(first, nn.Flatten(), nn.Linear(16, 2))


def test_a_registration_says_where_the_features_are_and_a_wrong_axis_is_refused():
    assert layer_type_of(nn.Conv2d).feature_axis == "channels"
    assert layer_type_of(nn.Linear).feature_axis == "last"
    assert layer_type_of(nn.ReLU).feature_axis is None
    assert layer_type_of(nn.Embedding).takes_indices
    with pytest.raises(ValueError, match="feature_axis must be one of"):
        register_layer(Scale, feature_axis="first")
    assert layer_type_of(Scale) is None  # nothing registered


@pytest.mark.parametrize("feature_axis, features", [("channels", 2), (None, 8)])
def test_the_first_layers_registration_decides_which_axis_of_X_is_scaled(feature_axis, features):
    X, y = per_channel_data()
    register_layer(Scale, feature_axis=feature_axis)
    try:
        diagnosis = gn.diagnose(scaled_model(Scale()), X, y, loss="cross_entropy")
    finally:
        unregister_layer(Scale)
    [finding] = diagnosis.by_code("unscaled_inputs")
    assert finding.evidence["n_features"] == features


def test_batch_norm_1d_first_reads_channels_of_a_sequence():
    X, y = per_channel_data()
    [finding] = gn.diagnose(scaled_model(nn.BatchNorm1d(2)), X, y,
                            loss="cross_entropy").by_code("unscaled_inputs")
    assert finding.evidence["n_features"] == 2 and finding.evidence["largest_feature"] == 1
