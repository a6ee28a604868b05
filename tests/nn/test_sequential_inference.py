"""Sequential under no_grad passes bare arrays between layers (forward_array): the same numbers as
the Tensor path, and the Tensor path wherever a layer needs it (hooks, subclasses, other layers)."""

import contextlib

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn

DTYPES = [np.float32, np.float64]


def _every_array_layer() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(6, 8), nn.ReLU(), nn.Identity(), nn.Linear(8, 8), nn.LeakyReLU(0.2),
        nn.Linear(8, 8, bias=False), nn.Sigmoid(), nn.Linear(8, 8), nn.Tanh(),
        nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 8), nn.GELU(approximate="tanh"),
        nn.Linear(8, 8), nn.Softplus(), nn.Dropout(0.3), nn.Linear(8, 5), nn.Softmax(dim=-1),
        nn.Linear(5, 4), nn.LogSoftmax(dim=1),
    )  # fmt: skip


def _with_graph(model: nn.Module, x: gn.Tensor) -> gn.Tensor:
    """The Tensor path: with grad enabled, every layer's forward runs on Tensors."""
    return model(x)


@pytest.mark.parametrize("rows", [1, 64])
@pytest.mark.parametrize("dtype", DTYPES)
def test_arrays_and_tensors_give_identical_outputs(dtype, rows):
    gn.set_default_dtype(dtype)
    try:
        gn.manual_seed(0)
        model = _every_array_layer().eval()
    finally:
        gn.set_default_dtype(np.float32)
    x = gn.tensor(np.random.default_rng(1).normal(size=(rows, 6)) * 3, dtype=dtype)
    expected = _with_graph(model, x)
    with gn.no_grad():
        out = model(x)
    assert out.dtype == dtype
    assert out.grad_fn is None and not out.requires_grad
    np.testing.assert_array_equal(out.data, expected.data)


def test_dropout_in_training_mode_draws_the_same_mask():
    model = nn.Sequential(nn.Linear(4, 50), nn.Dropout(0.5), nn.Linear(50, 3))
    x = gn.tensor(np.ones((2, 4)))
    gn.manual_seed(7)
    expected = _with_graph(model, x)
    gn.manual_seed(7)
    with gn.no_grad():
        out = model(x)
    np.testing.assert_array_equal(out.data, expected.data)


def test_a_forward_hook_inside_still_runs_and_can_replace_the_output():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    seen = []

    def double(module, inputs, output):
        seen.append(type(inputs[0]))
        return output * 2

    model[1].register_forward_hook(double)
    x = gn.tensor(np.ones((1, 3)))
    expected = _with_graph(model, x)
    with gn.no_grad():
        out = model(x)
    assert seen == [gn.Tensor, gn.Tensor]
    np.testing.assert_array_equal(out.data, expected.data)


def test_a_subclass_that_changes_forward_is_called():
    class Shifted(nn.Linear):
        def forward(self, x):
            return super().forward(x) + 100.0

    model = nn.Sequential(nn.Linear(3, 4), Shifted(4, 2), nn.ReLU())
    with gn.no_grad():
        out = model(gn.tensor(np.ones((1, 3))))
    assert np.all(out.data >= 90)


def test_layers_without_forward_array_run_on_tensors_in_between():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Flatten()).eval()
    x = gn.tensor(np.random.default_rng(0).normal(size=(5, 3)))
    expected = _with_graph(model, x)
    with gn.no_grad():
        out = model(x)
    np.testing.assert_array_equal(out.data, expected.data)


def test_nested_sequentials_and_numpy_inputs():
    model = nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.ReLU()), nn.Linear(4, 1))
    x = np.random.default_rng(0).normal(size=(2, 3))
    expected = _with_graph(model, gn.tensor(x))
    with gn.no_grad():
        from_array = model(x)
        from_tensor = model(gn.tensor(x))
    np.testing.assert_array_equal(from_array.data, expected.data)
    np.testing.assert_array_equal(from_tensor.data, expected.data)


def test_a_wrong_input_width_is_refused_as_on_the_tensor_path():
    model = nn.Sequential(nn.Linear(3, 4))
    with gn.no_grad(), pytest.raises(gn.ShapeError, match=r"Linear expects input of shape"):
        model(gn.tensor(np.ones((1, 5))))


def test_inputs_and_parameters_are_never_overwritten():
    model = nn.Sequential(
        nn.ReLU(), nn.Tanh(), nn.Linear(4, 4), nn.Identity(), nn.ReLU(),
        nn.Dropout(0.5), nn.Tanh(), nn.Linear(4, 2), nn.ReLU(),
    ).eval()  # fmt: skip
    x = gn.tensor(np.random.default_rng(0).normal(size=(3, 4)))
    before = x.data.copy()
    weights = [p.data.copy() for p in model.parameters()]
    expected = _with_graph(model, x)
    with gn.no_grad():
        out = model(x)
    np.testing.assert_array_equal(x.data, before)
    for parameter, weight in zip(model.parameters(), weights, strict=True):
        np.testing.assert_array_equal(parameter.data, weight)
    np.testing.assert_array_equal(out.data, expected.data)


def test_a_nested_sequential_runs_on_arrays_and_hands_them_on():
    inner = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Tanh()))
    model = nn.Sequential(inner, nn.Linear(4, 2), nn.ReLU())
    x = gn.tensor(np.random.default_rng(0).normal(size=(5, 3)))
    before = x.data.copy()
    expected = _with_graph(model, x)
    with gn.no_grad():
        out = model(x)
    np.testing.assert_array_equal(out.data, expected.data)
    np.testing.assert_array_equal(x.data, before)
    np.testing.assert_array_equal(inner.forward_array(x.data, False), inner(x).data)


def test_sequential_forward_array_overwrites_only_a_temporary():
    model = nn.Sequential(nn.ReLU())
    values = np.array([[-1.0, 2.0]])
    kept = values.copy()
    np.testing.assert_array_equal(model.forward_array(kept, temporary=False), [[0.0, 2.0]])
    np.testing.assert_array_equal(kept, values)
    assert model.forward_array(kept, temporary=True) is kept  # in place, as allowed
    assert nn.Sequential().forward_array(values, temporary=False) is values


def test_sequential_forward_array_needs_a_tensor_from_its_last_layer():
    class Pair(nn.Module):
        def forward(self, x):
            return x, x

    message = "needs a Tensor from its last layer; got tuple"
    with gn.no_grad(), pytest.raises(TypeError, match=message):
        nn.Sequential(nn.Linear(2, 2), Pair()).forward_array(np.ones((1, 2)), False)


def test_a_layer_with_its_own_call_is_called_through_it_with_and_without_a_graph():
    """Sequential runs a hook-free layer's forward directly; a layer whose class defines
    __call__ itself must still be called through it."""

    class Logged(nn.ReLU):
        calls = 0

        def __call__(self, x):
            Logged.calls += 1
            return super().__call__(x)

    model = nn.Sequential(nn.Linear(3, 4), Logged(), nn.Linear(4, 2))
    x = gn.tensor(np.ones((2, 3)))
    model(x).sum().backward()
    assert Logged.calls == 1
    with gn.no_grad():
        model(x)
    assert Logged.calls == 2


def test_predict_refuses_nan_on_either_path_and_the_reference_checks_x_first(monkeypatch):
    # the fast path reads one column of the first layer's output; the reference checks all of x
    from glassnet.training import inference

    checked = []
    original = inference.check_finite

    def spy(values, name):
        checked.append(values.shape)
        return original(values, name)

    monkeypatch.setattr(inference, "check_finite", spy)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2))
    X = np.random.default_rng(0).normal(size=(30, 6)).astype(np.float32)
    fast = gn.predict(model, X)
    assert checked == []
    with gn.fast_paths.disabled():
        reference = gn.predict(model, X)
    assert checked == [(30, 6)]
    np.testing.assert_array_equal(fast, reference)
    X[7, 3] = np.nan
    for switch in (contextlib.nullcontext(), gn.fast_paths.disabled()):
        with switch, pytest.raises(ValueError, match="Input X contains NaN"):
            gn.predict(model, X)
