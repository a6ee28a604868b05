"""BatchNorm2d: per-channel statistics over (N, H, W), equal to PyTorch through training steps
(outputs, gradients, running statistics) and in eval; torch's state_dict loads; saved, loaded,
exported to ONNX; bad input and hostile files refused."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.io.format import encode_file


def test_training_normalises_each_channel_over_batch_and_positions(float64_default, rng):
    norm = nn.BatchNorm2d(3)
    norm.weight.data[...] = [1.0, 2.0, -0.5]
    norm.bias.data[...] = [0.0, 1.0, 3.0]
    x = rng.normal(loc=2.0, scale=3.0, size=(4, 3, 5, 6))
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * norm.weight.data.reshape(1, 3, 1, 1) \
        + norm.bias.data.reshape(1, 3, 1, 1)
    np.testing.assert_allclose(norm(x).data, expected, rtol=1e-12, atol=1e-12)
    count = 4 * 5 * 6
    unbiased = var.ravel() * count / (count - 1)
    np.testing.assert_allclose(norm.running_var, 0.9 + 0.1 * unbiased, rtol=1e-12)
    np.testing.assert_allclose(norm.running_mean, 0.1 * mean.ravel(), rtol=1e-12)


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_gradients_match_finite_differences(float64_default, check_gradients, rng, mode):
    norm = nn.BatchNorm2d(2)
    norm.weight.data[...] = rng.normal(size=2)
    norm.running_mean[...] = [0.5, -1.0]
    norm.running_var[...] = [2.0, 0.5]
    norm.train(mode == "train")
    x = gn.tensor(rng.normal(size=(3, 2, 2, 3)), requires_grad=True)
    assert check_gradients(norm, x)


@pytest.mark.parametrize("settings", [
    {}, {"momentum": None}, {"affine": False}, {"track_running_stats": False},
    {"momentum": 0.3, "eps": 1e-3},
])
def test_training_steps_and_eval_match_torch(float64_default, settings):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.BatchNorm2d(3, **settings).double()
    ours = nn.BatchNorm2d(3, **settings)
    assert repr(ours) == repr(theirs)
    with torch.no_grad():
        for parameter in theirs.parameters():
            parameter.normal_()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.normal(loc=1.0, scale=2.0, size=(4, 3, 5, 2))
        ours_x, theirs_x = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ours_y, theirs_y = ours(ours_x), theirs(theirs_x)
        np.testing.assert_allclose(ours_y.data, theirs_y.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        weights = rng.normal(size=x.shape)
        (ours_y * gn.tensor(weights)).sum().backward()
        theirs_y.backward(torch.tensor(weights))
        np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=1e-9, atol=1e-12)
        for name, parameter in theirs.named_parameters():
            np.testing.assert_allclose(getattr(ours, name).grad, parameter.grad.numpy(),
                                       rtol=1e-9, atol=1e-12)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-12)
    x = rng.normal(size=(2, 3, 4, 4))
    np.testing.assert_allclose(ours.eval()(x).data, theirs.eval()(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


def test_float32_matches_torch_float32():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).normal(size=(8, 4, 6, 6)).astype(np.float32)
    ours, theirs = nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4)
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-6)


def test_bad_input_is_refused_before_the_statistics_move():
    norm = nn.BatchNorm2d(3)
    with pytest.raises(gn.ShapeError, match=r"BatchNorm2d\(3\) expects input of shape \(batch, "
                                            r"3, height, width\); got \(2, 3, 4\)"):
        norm(np.zeros((2, 3, 4)))
    with pytest.raises(gn.ShapeError, match="more than 1 value per channel"):
        norm(np.zeros((1, 3, 1, 1)))
    assert int(norm.num_batches_tracked) == 0
    assert norm.eval()(np.zeros((1, 3, 1, 1))).shape == (1, 3, 1, 1)


@pytest.mark.parametrize("settings", [{}, {"track_running_stats": False}, {"affine": False}])
def test_save_load_and_onnx_export(settings, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    gn.manual_seed(0)
    model = nn.Sequential(nn.BatchNorm2d(3, **settings), nn.MaxPool2d(2), nn.Flatten())
    rng = np.random.default_rng(2)
    for parameter in model.parameters():
        parameter.data[...] = rng.normal(1.0, 0.5, size=parameter.shape)
    model(rng.normal(size=(8, 3, 4, 6)))  # running statistics away from 0 and 1
    model.eval()
    x = rng.normal(loc=2.0, size=(5, 3, 4, 6)).astype(np.float32)
    gn.save(model, tmp_path / "norm.safetensors")
    loaded = gn.load(tmp_path / "norm.safetensors")
    np.testing.assert_array_equal(gn.predict(loaded, x), gn.predict(model, x))
    exported = gn.onnx.export(model, None, n_features=(3, 4, 6))
    session = onnxruntime.InferenceSession(exported.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"input": x})
    np.testing.assert_allclose(out, gn.predict(model, x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("change", [{"eps": -1.0}, {"num_features": 0}, {"momentum": "fast"}])
def test_hostile_settings_in_a_file_are_refused(change, tmp_path):
    layer = {"type": "BatchNorm2d", "num_features": 2, "eps": 1e-5, "momentum": 0.1,
             "affine": False, "track_running_stats": False, **change}
    document = {"format": "glassnet.model", "format_version": 1, "glassnet_version": "0",
                "architecture": {"type": "Sequential", "layers": [layer]}, "metadata": {}}
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(encode_file({}, document))
    with pytest.raises(gn.ModelFormatError):
        gn.load(path)


def test_explain_writes_a_scale_as_its_sum_over_the_elements_it_scales():
    import glassnet.functional as F

    gn.manual_seed(0)
    model = gn.nn.Sequential(gn.nn.Conv2d(1, 2, 3), gn.nn.BatchNorm2d(2), gn.nn.ReLU(),
                             gn.nn.Flatten(), gn.nn.Linear(72, 2))
    x = gn.tensor(np.random.default_rng(0).normal(size=(4, 1, 8, 8)))
    loss = F.cross_entropy(model(x), gn.tensor(np.array([0, 1, 0, 1])))
    scale = gn.explain(loss, model[1].weight, index=1)
    shift = gn.explain(loss, model[1].bias, index=0)
    loss.backward(retain_graph=True)
    assert scale.value == pytest.approx(float(model[1].weight.grad[1]), rel=1e-5)
    assert shift.value == pytest.approx(float(model[1].bias.grad[0]), rel=1e-5)
    [link] = scale.links
    assert link.count == 4 * 6 * 6  # γ[1] scales channel 1 of every sample at every position
    assert "∂L/∂y · x̂" in link.formula
    assert all(term.position[1] == 1 for term in link.largest)
