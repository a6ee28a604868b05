"""Convolution models saved by gn.save and loaded back, and exported to ONNX for onnxruntime."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn

MODELS = {
    "conv1d": (lambda: nn.Sequential(nn.Conv1d(2, 5, 3, stride=2, padding=1), nn.ReLU(),
                                     nn.Conv1d(5, 5, 5, padding="same", groups=5), nn.Flatten(),
                                     nn.Linear(5 * 8, 3)), (2, 16)),
    "conv1d-dilated-valid": (lambda: nn.Sequential(nn.Conv1d(3, 4, 2, dilation=3,
                                                             padding="valid", bias=False)),
                             (3, 10)),
    "conv2d": (lambda: nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Tanh(),
                                     nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(0, 1),
                                               groups=2),
                                     nn.Flatten(), nn.Linear(6 * 3 * 8, 2)), (1, 8, 7)),
    # "same" with an even kernel: one more zero after than before, explicit in the ONNX pads
    "conv2d-same-even-kernel": (lambda: nn.Sequential(nn.Conv2d(2, 3, (2, 4), padding="same",
                                                                dilation=(1, 3))), (2, 6, 9)),
}


def build(case):
    gn.manual_seed(0)
    factory, shape = MODELS[case]
    return factory(), shape


@pytest.mark.parametrize("case", list(MODELS))
def test_save_and_load_rebuild_the_same_model(case, tmp_path):
    model, shape = build(case)
    path = tmp_path / "model.gnm"
    gn.save(model, path)
    loaded = gn.load(path)
    assert repr(loaded) == repr(model)
    x = np.random.default_rng(1).normal(size=(4, *shape)).astype(np.float32)
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    for layer, original in zip(loaded.modules(), model.modules(), strict=True):
        for name in ("kernel_size", "stride", "padding", "dilation", "groups", "padding_mode"):
            assert getattr(layer, name, None) == getattr(original, name, None), name


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # onnx's helper on some versions
@pytest.mark.parametrize("case", list(MODELS))
def test_onnxruntime_reproduces_the_model(case, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model, shape = build(case)
    proto = gn.onnx.export(model, None, n_features=shape)
    assert [node.op_type for node in proto.graph.node].count("Conv") == sum(
        isinstance(layer, (nn.Conv1d, nn.Conv2d)) for layer in model.modules())
    session = onnxruntime.InferenceSession(proto.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    for batch in (1, 5):
        x = np.random.default_rng(batch).normal(size=(batch, *shape)).astype(np.float32)
        [actual] = session.run(None, {"input": x})
        expected = gn.predict(model, x)
        assert actual.shape == expected.shape
        np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-5)


def test_export_refuses_samples_the_first_convolution_cannot_take():
    pytest.importorskip("onnx")
    model, _ = build("conv2d")
    with pytest.raises(gn.ShapeError, match=r"Conv2d expects samples of shape \(1, H, W\); got "
                                            r"\(3, 8, 7\)"):
        gn.onnx.export(model, None, n_features=(3, 8, 7))
    with pytest.raises(gn.ShapeError, match=r"shorter than its kernel \(3, 3\) spans"):
        gn.onnx.export(nn.Conv2d(1, 2, 3), None, n_features=(1, 2, 9))
