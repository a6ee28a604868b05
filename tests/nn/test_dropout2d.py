"""Dropout2d: whole channels zeroed, the rest scaled by 1/(1 − p), masks from glassnet's
generator; the identity in eval; saved, loaded and exported as the identity."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn


@pytest.mark.parametrize("shape", [(6, 5, 3, 4), (6, 5, 7)])
def test_zeros_whole_channels_and_scales_the_rest(shape):
    gn.manual_seed(0)
    x = np.random.default_rng(0).uniform(1.0, 2.0, size=shape).astype(np.float32)
    out = nn.Dropout2d(0.4)(x).data
    per_channel = out.reshape(*shape[:2], -1)
    dropped = (per_channel == 0).all(axis=2)
    kept = np.isclose(per_channel, x.reshape(*shape[:2], -1) / 0.6, rtol=1e-6).all(axis=2)
    assert (dropped | kept).all() and dropped.any() and kept.any()


def test_masks_come_from_glassnets_generator_and_gradients_follow_them(float64_default):
    x = gn.tensor(np.ones((4, 8, 2, 2)), requires_grad=True)
    gn.manual_seed(3)
    first = nn.Dropout2d(0.5)(x)
    gn.manual_seed(3)
    again = nn.Dropout2d(0.5)(x)
    np.testing.assert_array_equal(first.data, again.data)
    first.sum().backward()
    np.testing.assert_array_equal(x.grad, first.data)  # ∂y/∂x is the scaled mask itself
    assert set(np.unique(x.grad)) <= {0.0, 2.0}


def test_keeps_the_expected_fraction_of_channels():
    gn.manual_seed(1)
    out = nn.Dropout2d(0.25)(np.ones((100, 40, 1, 1), np.float32)).data
    assert (out != 0).mean() == pytest.approx(0.75, abs=0.02)


def test_eval_and_p_zero_are_the_identity_and_bad_input_is_refused():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 4)).astype(np.float32)
    np.testing.assert_array_equal(nn.Dropout2d(0.5).eval()(x).data, x)
    np.testing.assert_array_equal(nn.Dropout2d(0.0)(x).data, x)
    np.testing.assert_array_equal(nn.Dropout2d(1.0)(x).data, 0)
    with pytest.raises(gn.ShapeError, match=r"\(N, C, H, W\) or \(N, C, L\); got \(2, 3\)"):
        nn.Dropout2d()(x[:, :, 0, 0])
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(1.5)


def test_saved_loaded_and_exported_as_the_identity(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    model = nn.Sequential(nn.Dropout2d(0.3), nn.AvgPool2d(2), nn.Flatten())
    x = np.random.default_rng(1).normal(size=(3, 2, 4, 4)).astype(np.float32)
    gn.save(model, tmp_path / "dropout.safetensors")
    loaded = gn.load(tmp_path / "dropout.safetensors")
    assert repr(loaded) == repr(model) and loaded[0].p == 0.3
    exported = gn.onnx.export(model, None, n_features=(2, 4, 4))
    session = onnxruntime.InferenceSession(exported.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"input": x})
    np.testing.assert_allclose(out, gn.predict(model, x), rtol=1e-6)
