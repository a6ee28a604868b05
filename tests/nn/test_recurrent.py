"""RNN, GRU and LSTM: PyTorch's outputs and gradients, finite differences, shapes and errors."""

import contextlib

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.errors import ShapeError

KINDS = ["RNN", "GRU", "LSTM"]
CONFIGS = {
    "one-layer": {},
    "two-layers": {"num_layers": 2},
    "bidirectional": {"bidirectional": True},
    "batch-first-two-layers-bidirectional": {"batch_first": True, "num_layers": 2,
                                             "bidirectional": True},
    "no-bias": {"bias": False},
}
INPUT, HIDDEN, LENGTH, BATCH = 3, 4, 5, 2


def make(kind, **settings):
    return getattr(nn, kind)(INPUT, HIDDEN, **settings)


def rows_of_state(layer):
    return layer.directions * layer.num_layers


def sequence(layer, rng, batch=BATCH, dtype=np.float64):
    shape = (batch, LENGTH, INPUT) if layer.batch_first else (LENGTH, batch, INPUT)
    return rng.normal(size=shape).astype(dtype)


def initial_state(layer, rng, dtype=np.float64):
    shape = (rows_of_state(layer), BATCH, HIDDEN)
    if isinstance(layer, nn.LSTM):
        return tuple(rng.normal(size=shape).astype(dtype) for _ in range(2))
    return rng.normal(size=shape).astype(dtype)


def flat(outputs):
    """(output, h_n) or (output, (h_n, c_n)) as a list of tensors."""
    output, state = outputs
    return [output, *(state if isinstance(state, tuple) else (state,))]


# -- PyTorch parity --------------------------------------------------------------------------------
torch_only = pytest.mark.filterwarnings("ignore::UserWarning")


def torch_twin(torch, layer, dtype):
    kind = type(layer).__name__
    settings = dict(num_layers=layer.num_layers, bias=layer.bias, batch_first=layer.batch_first,
                    bidirectional=layer.bidirectional)
    if kind == "RNN":
        settings["nonlinearity"] = layer.nonlinearity
    twin = getattr(torch.nn, kind)(INPUT, HIDDEN, **settings).to(dtype)
    twin.load_state_dict({key: torch.from_numpy(value) for key, value in
                          layer.state_dict().items()})
    return twin


@pytest.mark.parametrize("with_state", [False, True], ids=["zeros", "initial-state"])
@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_outputs_and_gradients_equal_pytorchs(kind, config, with_state, precision, rng):
    torch = pytest.importorskip("torch")
    dtype = np.dtype(precision)
    gn.set_default_dtype(dtype)
    layer = make(kind, **CONFIGS[config])
    twin = torch_twin(torch, layer, getattr(torch, precision))
    x = sequence(layer, rng, dtype=dtype)
    state = initial_state(layer, rng, dtype) if with_state else None
    states = state if isinstance(state, tuple) else (state,) if state is not None else ()
    gn_inputs = [gn.tensor(x, requires_grad=True)] + [gn.tensor(s, requires_grad=True)
                                                     for s in states]
    torch_inputs = [torch.tensor(x, requires_grad=True)] + [torch.tensor(s, requires_grad=True)
                                                          for s in states]

    def run(module, inputs):
        if not with_state:
            return flat(module(inputs[0]))
        hx = tuple(inputs[1:]) if kind == "LSTM" else inputs[1]
        return flat(module(inputs[0], hx))

    gn_outputs, torch_outputs = run(layer, gn_inputs), run(twin, torch_inputs)
    weights = [rng.normal(size=out.shape).astype(dtype) for out in gn_outputs]
    sum(((out * gn.tensor(w)).sum() for out, w in zip(gn_outputs, weights, strict=True)),
        start=gn.tensor(0.0, dtype=dtype)).backward()
    sum((out * torch.tensor(w)).sum()
        for out, w in zip(torch_outputs, weights, strict=True)).backward()
    rtol, atol = (1e-10, 1e-12) if precision == "float64" else (2e-6, 1e-6)
    for mine, theirs in zip(gn_outputs, torch_outputs, strict=True):
        assert mine.dtype == dtype
        np.testing.assert_allclose(mine.data, theirs.detach().numpy(), rtol=rtol, atol=atol)
    for mine, theirs in zip(gn_inputs, torch_inputs, strict=True):
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=rtol, atol=atol)
    torch_parameters = dict(twin.named_parameters())
    for name, parameter in layer.named_parameters():
        np.testing.assert_allclose(parameter.grad, torch_parameters[name].grad.numpy(),
                                   rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
def test_unbatched_sequence_equals_pytorchs(kind, rng, float64_default):
    torch = pytest.importorskip("torch")
    layer = make(kind, num_layers=2, bidirectional=True)
    twin = torch_twin(torch, layer, torch.float64)
    x = rng.normal(size=(LENGTH, INPUT))
    mine, theirs = flat(layer(x)), flat(twin(torch.tensor(x)))
    for a, b in zip(mine, theirs, strict=True):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_relu_rnn_equals_pytorchs(rng, float64_default):
    torch = pytest.importorskip("torch")
    layer = nn.RNN(INPUT, HIDDEN, num_layers=2, nonlinearity="relu")
    twin = torch_twin(torch, layer, torch.float64)
    x = rng.normal(size=(LENGTH, BATCH, INPUT))
    np.testing.assert_allclose(layer(x)[0].data, twin(torch.tensor(x))[0].detach().numpy(),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_parameter_names_shapes_and_order_are_pytorchs(kind):
    torch = pytest.importorskip("torch")
    layer = make(kind, num_layers=2, bidirectional=True)
    twin = getattr(torch.nn, kind)(INPUT, HIDDEN, num_layers=2, bidirectional=True)
    assert [(name, p.shape) for name, p in layer.named_parameters()] == [
        (name, tuple(p.shape)) for name, p in twin.named_parameters()]


@pytest.mark.parametrize("kind", KINDS)
def test_pytorch_weights_load_and_glassnet_weights_load_into_pytorch(kind, rng):
    torch = pytest.importorskip("torch")
    twin = getattr(torch.nn, kind)(INPUT, HIDDEN, num_layers=2, batch_first=True)
    layer = make(kind, num_layers=2, batch_first=True)
    layer.load_state_dict({key: value.numpy() for key, value in twin.state_dict().items()})
    x = sequence(layer, rng, dtype=np.float32)
    np.testing.assert_allclose(layer(x)[0].data, twin(torch.from_numpy(x))[0].detach().numpy(),
                               rtol=2e-6, atol=1e-6)
    other = make(kind, num_layers=2, batch_first=True)
    twin.load_state_dict({key: torch.from_numpy(value) for key, value in
                          other.state_dict().items()})
    np.testing.assert_allclose(other(x)[0].data, twin(torch.from_numpy(x))[0].detach().numpy(),
                               rtol=2e-6, atol=1e-6)


# -- finite differences ---------------------------------------------------------------------------
@pytest.mark.parametrize("config", ["two-layers", "batch-first-two-layers-bidirectional",
                                    "no-bias"])
@pytest.mark.parametrize("kind", KINDS)
def test_gradients_match_finite_differences(kind, config, rng, float64_default,
                                            check_gradients):
    layer = getattr(nn, kind)(2, 2, **CONFIGS[config])  # small: every weight is perturbed
    length, batch = 3, 2
    x = rng.normal(size=(batch, length, 2) if layer.batch_first else (length, batch, 2))
    x = gn.tensor(x, requires_grad=True)
    shape = (rows_of_state(layer), batch, 2)
    h0 = gn.tensor(rng.normal(size=shape), requires_grad=True)
    if kind == "LSTM":
        c0 = gn.tensor(rng.normal(size=shape), requires_grad=True)
        module = _Joined(layer, lambda x, h, c: layer(x, (h, c)))
        assert check_gradients(module, x, h0, c0)
    else:
        assert check_gradients(_Joined(layer, lambda x, h: layer(x, h)), x, h0)


class _Joined(nn.Module):
    """Every output of a recurrent layer flattened and joined, so gradcheck sees them all."""

    def __init__(self, layer, call):
        super().__init__()
        self.layer, self.call = layer, call

    def forward(self, *inputs):
        return gn.concatenate([t.reshape(-1) for t in flat(self.call(*inputs))])


# -- the graph ------------------------------------------------------------------------------------
def graph_labels(tensor):
    seen, pending, labels = set(), [tensor._ctx], []
    while pending:
        node = pending.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        labels.append(node.label)
        pending.extend(t._ctx for t in node.inputs)
    return labels


@pytest.mark.parametrize("kind", KINDS)
def test_one_op_per_layer_and_direction_whatever_the_length(kind, rng):
    layer = make(kind, num_layers=2, bidirectional=True)
    for length in (3, 30):
        x = rng.normal(size=(length, BATCH, INPUT)).astype(np.float32)
        output, _ = layer(x)
        assert graph_labels(output).count(kind.lower()) == 4


# -- shapes, dtypes, modes ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_output_shapes(kind, rng):
    layer = make(kind, num_layers=3, bidirectional=True, batch_first=True)
    outputs = flat(layer(rng.normal(size=(BATCH, LENGTH, INPUT))))
    assert outputs[0].shape == (BATCH, LENGTH, 2 * HIDDEN)
    assert all(state.shape == (6, BATCH, HIDDEN) for state in outputs[1:])
    unbatched = flat(layer(rng.normal(size=(LENGTH, INPUT))))
    assert unbatched[0].shape == (LENGTH, 2 * HIDDEN)
    assert all(state.shape == (6, HIDDEN) for state in unbatched[1:])


def test_last_state_is_the_output_at_the_last_step_and_the_reverse_at_the_first(rng):
    layer = nn.GRU(INPUT, HIDDEN, bidirectional=True, batch_first=True)
    output, h_n = layer(rng.normal(size=(BATCH, LENGTH, INPUT)))
    np.testing.assert_array_equal(h_n.data[0], output.data[:, -1, :HIDDEN])
    np.testing.assert_array_equal(h_n.data[1], output.data[:, 0, HIDDEN:])


def test_integer_input_takes_the_parameters_dtype():
    layer = nn.GRU(1, 2)
    output, h_n = layer(np.arange(6).reshape(3, 2, 1))
    assert output.dtype == np.float32 and h_n.dtype == np.float32


def test_float64_input_meets_float32_weights_in_float64(rng):
    layer = nn.LSTM(INPUT, HIDDEN)
    x = gn.tensor(rng.normal(size=(LENGTH, BATCH, INPUT)), dtype=np.float64)
    h0 = np.zeros((1, BATCH, HIDDEN), np.float32)
    output, (h_n, c_n) = layer(x, (h0, h0))
    assert output.dtype == h_n.dtype == c_n.dtype == np.float64
    output.sum().backward()
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())


def test_default_init_is_uniform_within_one_over_sqrt_hidden_size():
    gn.manual_seed(0)
    layer = nn.LSTM(10, 25, num_layers=2)
    for name, parameter in layer.named_parameters():
        assert parameter.dtype == np.float32
        assert np.abs(parameter.data).max() <= 1 / 5, name
        assert np.abs(parameter.data).max() > 0.19, name  # the whole range is used


def test_dropout_acts_between_layers_in_training_only(rng):
    gn.manual_seed(0)
    layer = nn.GRU(INPUT, HIDDEN, num_layers=2, dropout=0.5)
    x = rng.normal(size=(LENGTH, BATCH, INPUT)).astype(np.float32)
    layer.eval()
    evaluated = layer(x)[0].data
    np.testing.assert_array_equal(layer(x)[0].data, evaluated)
    layer.train()
    gn.manual_seed(1)
    first = layer(x)[0].data
    gn.manual_seed(1)
    np.testing.assert_array_equal(layer(x)[0].data, first)  # glassnet's generator draws it
    assert not np.allclose(first, evaluated)
    single = nn.GRU(INPUT, HIDDEN)
    single.load_state_dict({k: v for k, v in layer.state_dict().items() if "l0" in k})
    # the first layer's output is not dropped: only what enters the second layer is
    np.testing.assert_array_equal(single(x)[1].data[0], layer(x)[1].data[0])


def test_dropout_with_one_layer_warns_that_it_does_nothing():
    with pytest.warns(UserWarning, match="between stacked layers"):
        nn.LSTM(2, 3, dropout=0.2)


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("arguments", "message"), [
    ({"hidden_size": 0}, "hidden_size must be an integer >= 1"),
    ({"num_layers": 0}, "num_layers must be an integer >= 1"),
    ({"input_size": 2.5}, "input_size must be an integer"),
    ({"dropout": 1.5}, "dropout must be a probability"),
    ({"bidirectional": "yes"}, "bidirectional must be True or False"),
])
def test_bad_constructor_arguments_are_refused(arguments, message):
    settings = {"input_size": 2, "hidden_size": 3, **arguments}
    with pytest.raises((ValueError, TypeError), match=message):
        nn.GRU(**settings)


def test_relu_or_tanh_only_and_no_projection():
    with pytest.raises(ValueError, match="'tanh' or 'relu'"):
        nn.RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="proj_size"):
        nn.LSTM(2, 3, proj_size=2)


def test_wrong_feature_count_names_the_expected_shape(rng):
    with pytest.raises(ShapeError, match=r"\(N, L, 3\) or \(L, 3\).*got \(2, 5, 4\)"):
        nn.GRU(3, 4, batch_first=True)(rng.normal(size=(2, 5, 4)))
    with pytest.raises(ShapeError, match="got \\(5,\\)"):
        nn.GRU(3, 4)(rng.normal(size=5))


def test_empty_sequence_is_refused(rng):
    with pytest.raises(ShapeError, match="at least one step"):
        nn.RNN(3, 4)(np.zeros((0, 2, 3)))


@pytest.mark.parametrize(("shape", "batched"), [((1, 2, 4), True), ((2, 3, 4), True),
                                                 ((2, 4), True), ((2, 2, 4), False)])
def test_initial_state_of_the_wrong_shape_is_refused(shape, batched, rng):
    layer = nn.GRU(3, 4, num_layers=2)
    x = rng.normal(size=(5, 2, 3) if batched else (5, 3))
    with pytest.raises(ShapeError, match="h_0 must have shape"):
        layer(x, np.zeros(shape))


def test_lstm_state_must_be_a_pair(rng):
    layer = nn.LSTM(3, 4)
    with pytest.raises(TypeError, match="pair"):
        layer(rng.normal(size=(5, 2, 3)), np.zeros((1, 2, 4)))
    with pytest.raises(ShapeError, match="c_0 must have shape"):
        layer(rng.normal(size=(5, 2, 3)), (np.zeros((1, 2, 4)), np.zeros((1, 3, 4))))


@pytest.mark.parametrize("kind", KINDS)
def test_reference_and_fast_paths_compute_the_same(kind, rng):
    layer = make(kind, num_layers=2, bidirectional=True)
    x = rng.normal(size=(LENGTH, BATCH, INPUT)).astype(np.float32)
    results = []
    for fast in (True, False):
        layer.zero_grad()
        with contextlib.nullcontext() if fast else gn.fast_paths.disabled():
            output = flat(layer(x))[0]
            (output * output).sum().backward()
        results.append([output.data] + [p.grad for p in layer.parameters()])
    for fast, reference in zip(*results, strict=True):
        # the same products; the biases' gradients are sums taken in another order
        np.testing.assert_allclose(fast, reference, rtol=1e-5, atol=1e-6)

