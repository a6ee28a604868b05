"""float32 stays float32: no silent promotion to float64 in forward, backward or the optimizer."""

import contextlib

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import nn, optim

OPTIMIZERS = [
    pytest.param(lambda p: optim.SGD(p, lr=0.1), id="sgd"),
    pytest.param(lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), id="sgd-nesterov"),
    pytest.param(lambda p: optim.Adam(p, lr=1e-3, weight_decay=1e-4, amsgrad=True), id="adam"),
    pytest.param(lambda p: optim.AdamW(p), id="adamw"),
    pytest.param(lambda p: optim.RMSprop(p, momentum=0.5, centered=True), id="rmsprop"),
    pytest.param(lambda p: optim.Adagrad(p), id="adagrad"),
]


@pytest.mark.parametrize("fast", [True, False], ids=["fast-paths", "reference"])
@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_a_training_step_keeps_every_array_float32(make_optimizer, fast):
    gn.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.1),
        nn.Linear(8, 8), nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 3),
    )  # fmt: skip
    optimizer = make_optimizer(list(model.parameters()))
    X = np.random.default_rng(0).normal(size=(16, 6))  # float64 data, as users often have it
    activations = []
    for layer in model:
        layer.register_forward_hook(lambda module, inputs, out: activations.append(out.dtype))
    with contextlib.nullcontext() if fast else gn.fast_paths.disabled():
        for _ in range(2):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(gn.tensor(X)), np.arange(16) % 3)
            loss.backward()
            optimizer.step()
    assert loss.dtype == np.float32
    assert set(activations) == {np.dtype(np.float32)}
    for name, parameter in model.named_parameters():
        assert parameter.dtype == np.float32, name
        assert parameter.grad.dtype == np.float32, name
    for name, buffer in model.named_buffers():
        assert buffer.dtype.kind != "f" or buffer.dtype == np.float32, name
    for state in optimizer.state_dict()["state"].values():
        for key, value in state.items():
            if isinstance(value, np.ndarray) and value.ndim:
                assert value.dtype == np.float32, key


def test_fit_keeps_float32_when_given_float64_data():
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    X = np.random.default_rng(1).normal(size=(32, 3))
    y = X.sum(axis=1)
    gn.fit(model, X, y, loss="mse", optimizer=optim.Adam(model.parameters()), epochs=2,
           verbose=0)
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert gn.predict(model, X).dtype == np.float32
