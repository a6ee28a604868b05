"""The same models in PyTorch and glassnet agree. Skipped when torch is not installed (CI)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn

torch = pytest.importorskip("torch")


def _pair():
    gn_model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.GELU(), nn.Linear(6, 3),
                             nn.LayerNorm(3))
    torch_model = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.GELU(), torch.nn.Linear(6, 3),
        torch.nn.LayerNorm(3),
    ).double()
    with torch.no_grad():
        for parameter in torch_model.parameters():
            parameter.normal_()  # move the norm layers' γ, β away from 1, 0
    gn_model.load_state_dict({k: v.numpy() for k, v in torch_model.state_dict().items()})
    return gn_model, torch_model


def test_state_dict_keys_and_shapes_match():
    gn_model, torch_model = _pair()
    torch_state = torch_model.state_dict()
    assert list(gn_model.state_dict()) == list(torch_state)
    for key, value in gn_model.state_dict().items():
        assert value.shape == tuple(torch_state[key].shape)


def test_training_steps_outputs_gradients_and_running_stats_match(float64_default):
    gn_model, torch_model = _pair()
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.normal(loc=1.0, scale=2.0, size=(8, 4))
        gn_x = gn.tensor(x, requires_grad=True)
        torch_x = torch.tensor(x, requires_grad=True)
        gn_out, torch_out = gn_model(gn_x), torch_model(torch_x)
        np.testing.assert_allclose(gn_out.data, torch_out.detach().numpy(), rtol=1e-10, atol=1e-12)
        weights = rng.normal(size=(8, 3))
        (gn_out * gn.tensor(weights)).sum().backward()
        (torch_out * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(gn_x.grad, torch_x.grad.numpy(), rtol=1e-9, atol=1e-12)
        torch_grads = dict(torch_model.named_parameters())
        for name, parameter in gn_model.named_parameters():
            np.testing.assert_allclose(parameter.grad, torch_grads[name].grad.numpy(),
                                       rtol=1e-9, atol=1e-12, err_msg=name)
    torch_state = torch_model.state_dict()
    for key, value in gn_model.state_dict().items():
        np.testing.assert_allclose(value, torch_state[key].numpy(), rtol=1e-12, err_msg=key)
    gn_model.eval()
    torch_model.eval()
    x = rng.normal(size=(5, 4))
    np.testing.assert_allclose(gn_model(x).data, torch_model(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda m: m.Linear(2, 3), lambda m: m.Linear(2, 3, bias=False), lambda m: m.ReLU(),
    lambda m: m.LeakyReLU(), lambda m: m.GELU(approximate="tanh"), lambda m: m.Softmax(dim=-1),
    lambda m: m.Flatten(), lambda m: m.BatchNorm1d(4, momentum=None), lambda m: m.LayerNorm(4),
    lambda m: m.LayerNorm((2, 3), elementwise_affine=False), lambda m: m.LayerNorm(3, bias=False),
    lambda m: m.BatchNorm1d(2, bias=False), lambda m: m.BatchNorm1d(2, affine=False),
    lambda m: m.Identity(),
    lambda m: m.Sequential(m.Linear(2, 3), m.Sequential(m.Tanh(), m.Sigmoid())),
])
def test_repr_matches(make):
    assert repr(make(nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("name, param", [("tanh", None), ("relu", None), ("leaky_relu", None),
                                         ("leaky_relu", 0.3), ("selu", None), ("linear", None)])
def test_calculate_gain_matches(name, param):
    assert nn.init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-15)


def test_linear_default_init_has_torch_distribution():
    gn_weights = np.concatenate([nn.Linear(50, 40).weight.data.ravel() for _ in range(20)])
    torch_weights = np.concatenate(
        [torch.nn.Linear(50, 40).weight.detach().numpy().ravel() for _ in range(20)])
    bound = 1 / np.sqrt(50)
    assert max(np.abs(gn_weights).max(), np.abs(torch_weights).max()) <= bound
    assert gn_weights.std() == pytest.approx(torch_weights.std(), rel=0.02)


@pytest.mark.parametrize("name, settings, make_target", [
    ("MSELoss", {}, lambda rng: rng.normal(size=(4, 3))),
    ("HuberLoss", {"delta": 0.7}, lambda rng: rng.normal(size=(4, 3))),
    ("BCEWithLogitsLoss", {}, lambda rng: rng.integers(0, 2, size=(4, 3)).astype(float)),
    ("CrossEntropyLoss", {"label_smoothing": 0.1}, lambda rng: rng.integers(0, 3, size=4)),
])
def test_loss_values_match(name, settings, make_target):
    rng = np.random.default_rng(1)
    logits, target = rng.normal(size=(4, 3)), make_target(rng)
    ours = getattr(nn, name)(**settings)(gn.tensor(logits, dtype=np.float64), target)
    theirs = getattr(torch.nn, name)(**settings)(torch.tensor(logits), torch.tensor(target))
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
