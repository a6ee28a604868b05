"""Conv1d and Conv2d: PyTorch's layout, init, arguments and numbers; gradients; input checks."""

import itertools
import math

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import nn

# (spatial axes, stride, padding, dilation, groups): a grid over every argument, "same" included
GRID = [
    (spatial, stride, padding, dilation, groups)
    for spatial, stride, padding, dilation, groups in itertools.product(
        (1, 2), (1, 2), (0, 1, "same", "valid"), (1, 2), (1, 2))
    if not (padding == "same" and stride != 1)
]
GRID_IDS = [f"{s}d-stride{st}-pad{p}-dil{d}-groups{g}" for s, st, p, d, g in GRID]


def random_case(spatial, groups, rng, kernel=None, dtype=np.float64):
    """x: (3, 4, *size), weight: (12, 4/groups, *kernel), bias: (12,)."""
    size = (11,) if spatial == 1 else (7, 8)
    kernel = kernel or ((3,) if spatial == 1 else (3, 2))  # an even side: "same" pads unevenly
    x = rng.normal(size=(3, 4, *size)).astype(dtype)
    weight = rng.normal(size=(12, 4 // groups, *kernel)).astype(dtype)
    bias = rng.normal(size=12).astype(dtype)
    return x, weight, bias


def glassnet_and_torch(spatial, x, weight, bias, rng, **arguments):
    """The output and the three gradients (for a random ∂L/∂y), from glassnet and PyTorch."""
    torch = pytest.importorskip("torch")
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    torch_conv = torch.nn.functional.conv1d if spatial == 1 else torch.nn.functional.conv2d
    expected = torch_conv(*theirs, **arguments)
    grad = rng.normal(size=tuple(expected.shape)).astype(x.dtype)
    expected.backward(torch.tensor(grad))
    ours = [gn.tensor(a, requires_grad=True, dtype=a.dtype) for a in (x, weight, bias)]
    out = (F.conv1d if spatial == 1 else F.conv2d)(*ours, **arguments)
    out.backward(gn.tensor(grad, dtype=grad.dtype))
    return ([out.data, *(t.grad for t in ours)],
            [expected.detach().numpy(), *(t.grad.numpy() for t in theirs)])


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note on even kernels
@pytest.mark.parametrize(("spatial", "stride", "padding", "dilation", "groups"), GRID, ids=GRID_IDS)
def test_forward_and_gradients_equal_pytorch_in_float64(spatial, stride, padding, dilation,
                                                        groups, rng):
    x, weight, bias = random_case(spatial, groups, rng)
    arguments = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    ours, theirs = glassnet_and_torch(spatial, x, weight, bias, rng, **arguments)
    for name, mine, reference in zip(("y", "∂x", "∂W", "∂b"), ours, theirs, strict=True):
        assert mine.shape == reference.shape, name
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-10, err_msg=name)


@pytest.mark.parametrize(("spatial", "groups"), [(1, 1), (2, 2), (2, 4)])
def test_float32_equals_pytorch_within_its_rounding(spatial, groups, rng):
    x, weight, bias = random_case(spatial, groups, rng, dtype=np.float32)
    ours, theirs = glassnet_and_torch(spatial, x, weight, bias, rng, padding=1, groups=groups)
    for name, mine, reference in zip(("y", "∂x", "∂W", "∂b"), ours, theirs, strict=True):
        assert mine.dtype == np.float32, name
        scale = np.abs(reference).max()
        np.testing.assert_allclose(mine, reference, rtol=0, atol=1e-6 * scale, err_msg=name)


@pytest.mark.parametrize("layer", [
    pytest.param(lambda: nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2), id="conv1d"),
    pytest.param(lambda: nn.Conv1d(4, 4, 2, padding="same", groups=4, bias=False),
                 id="conv1d-depthwise-same"),
    pytest.param(lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), groups=2),
                 id="conv2d-grouped"),
    pytest.param(lambda: nn.Conv2d(4, 2, 2, dilation=(1, 2), padding="same"), id="conv2d-same"),
])
def test_gradients_match_finite_differences(float64_default, check_gradients, rng, layer):
    module = layer()
    size = (9,) if isinstance(module, nn.Conv1d) else (6, 7)
    x = gn.tensor(rng.normal(size=(2, 4, *size)), requires_grad=True)
    assert check_gradients(module, x)


@pytest.mark.parametrize(("layer", "torch_layer"), [
    ("Conv1d", dict(in_channels=4, out_channels=6, kernel_size=3)),
    ("Conv2d", dict(in_channels=4, out_channels=6, kernel_size=(3, 2), groups=2, bias=False)),
])
def test_parameters_and_state_dict_keys_are_pytorch_s(layer, torch_layer):
    torch = pytest.importorskip("torch")
    ours = getattr(nn, layer)(**torch_layer)
    theirs = getattr(torch.nn, layer)(**torch_layer)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert ours.state_dict()[key].shape == tuple(value.shape), key
    assert ours.kernel_size == theirs.kernel_size and ours.stride == theirs.stride
    assert ours.padding == theirs.padding and ours.dilation == theirs.dilation


def test_a_model_loads_pytorch_s_state_dict_and_computes_the_same(rng):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding="same"), torch.nn.ReLU(),
                                 torch.nn.Conv2d(8, 4, 3, stride=2, groups=4), torch.nn.Flatten(),
                                 torch.nn.Linear(4 * 3 * 3, 2))
    ours = nn.Sequential(nn.Conv2d(3, 8, 3, padding="same"), nn.ReLU(),
                         nn.Conv2d(8, 4, 3, stride=2, groups=4), nn.Flatten(),
                         nn.Linear(4 * 3 * 3, 2))
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    x = rng.normal(size=(5, 3, 8, 8)).astype(np.float32)
    expected = theirs(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours(x).data, expected, rtol=0, atol=1e-6 * np.abs(expected).max())


@pytest.mark.parametrize("layer", [
    pytest.param(lambda: nn.Conv1d(40, 30, 5), id="conv1d"),
    pytest.param(lambda: nn.Conv2d(16, 32, (3, 5), groups=4), id="conv2d-grouped"),
])
def test_default_init_is_uniform_within_one_over_sqrt_fan_in(layer):
    gn.manual_seed(0)
    module = layer()
    fan_in = math.prod(module.weight.shape[1:])  # in_channels/groups · Π kernel_size
    bound = 1 / math.sqrt(fan_in)
    for values in (module.weight.data, module.bias.data):
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.8 * bound  # fills the interval, not a narrower one
    assert module.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert module.weight.dtype == np.float32


def test_unbatched_input_is_one_sample(rng):
    layer = nn.Conv2d(2, 3, 3, padding=1)
    x = rng.normal(size=(2, 5, 4)).astype(np.float32)
    out = layer(x)
    assert out.shape == (3, 5, 4)
    np.testing.assert_array_equal(out.data, layer(x[None]).data[0])


def test_output_sizes_follow_pytorch_s_formula():
    x = np.zeros((2, 3, 20), np.float32)
    for stride, padding, dilation, kernel in itertools.product((1, 3), (0, 2), (1, 2), (1, 4)):
        out = nn.Conv1d(3, 1, kernel, stride, padding, dilation)(x)
        expected = (20 + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
        assert out.shape == (2, 1, expected)
    assert nn.Conv1d(3, 1, 4, padding="same", dilation=3)(x).shape == (2, 1, 20)
    assert nn.Conv2d(3, 1, (2, 5), padding="valid")(np.zeros((1, 3, 6, 6))).shape == (1, 1, 5, 2)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: nn.Conv1d(4, 6, 3, padding_mode="reflect"),
     "padding_mode 'reflect' is not supported; glassnet's convolutions pad with zeros only"),
    (lambda: nn.Conv1d(4, 6, 3, stride=2, padding="same"), "padding='same' needs stride 1"),
    (lambda: nn.Conv1d(4, 6, 3, padding="full"), "padding must be an integer, a tuple"),
    (lambda: nn.Conv1d(4, 6, 0), "kernel_size must be an integer >= 1"),
    (lambda: nn.Conv2d(4, 6, (3, 3, 3)), r"kernel_size must be an integer >= 1 or a tuple of 2"),
    (lambda: nn.Conv2d(4, 6, 3, padding=-1), "padding must be an integer >= 0"),
    (lambda: nn.Conv2d(4, 6, 3, stride=0), "stride must be an integer >= 1"),
    (lambda: nn.Conv2d(4, 6, 3, dilation=1.5), "dilation must be an integer >= 1"),
    (lambda: nn.Conv2d(4, 6, 3, groups=4), r"out_channels \(6\) must both be divisible by groups"),
    (lambda: nn.Conv2d(0, 6, 3), "in_channels must be a positive integer; got 0"),
    (lambda: nn.Conv2d(4, 6.0, 3), "out_channels must be a positive integer; got 6.0"),
])
def test_bad_arguments_are_refused_when_the_layer_is_made(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(("layer", "x", "message"), [
    (nn.Conv1d(4, 6, 3), np.zeros((2, 3, 10)), r"expects input with 4 channels; got 3 channels"),
    (nn.Conv1d(4, 6, 3), np.zeros((2, 4, 2)), r"shorter than the kernel \(3,\) spans"),
    (nn.Conv2d(4, 6, 3), np.zeros((2, 4, 10)), r"expects input with 4 channels; got 2 channels"),
    (nn.Conv2d(4, 6, 3), np.zeros((1, 2, 4, 10, 10)), r"expects input of shape \(N, C, H, W\)"),
])
def test_wrong_input_is_a_shape_error_naming_what_was_expected(layer, x, message):
    with pytest.raises(gn.ShapeError, match=message):
        layer(x)


def test_functional_checks_the_weight_and_bias_shapes():
    x = gn.tensor(np.zeros((1, 4, 8)))
    with pytest.raises(gn.ShapeError, match=r"weight of shape \(out_channels, in_channels/groups"):
        F.conv1d(x, gn.tensor(np.zeros((6, 4))))
    with pytest.raises(gn.ShapeError, match=r"bias must have shape \(6,\); got \(5,\)"):
        F.conv1d(x, gn.tensor(np.zeros((6, 4, 3))), gn.tensor(np.zeros(5)))
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        F.conv1d(x, gn.tensor(np.zeros((6, 4, 3))), groups=0)


def test_an_integer_batch_takes_the_weight_s_dtype():
    layer = nn.Conv1d(1, 2, 2)
    out = layer(np.arange(8).reshape(2, 1, 4))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, layer(np.arange(8.0).reshape(2, 1, 4)).data)


def test_repr_shows_pytorch_s_arguments():
    assert repr(nn.Conv2d(3, 8, 3, padding="same", groups=1, bias=False)) == (
        "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding='same', bias=False)")
    assert repr(nn.Conv1d(4, 8, 5, stride=2, padding=1, dilation=2, groups=4)) == (
        "Conv1d(4, 8, kernel_size=(5,), stride=(2,), padding=(1,), dilation=(2,), groups=4)")


def test_summary_shows_the_output_shapes():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 8, 3, stride=2),
                          nn.Flatten(), nn.Linear(8 * 3 * 3, 10))
    rows = {row.name: row for row in model.summary((1, 8, 8)).rows}
    assert rows["0"].output_shape == "(N, 4, 8, 8)" and rows["0"].num_parameters == 40
    assert rows["2"].output_shape == "(N, 8, 3, 3)" and rows["2"].num_parameters == 296
    assert rows["3"].output_shape == "(N, 72)"
    assert rows["4"].output_shape == "(N, 10)"


def test_flatten_keeps_pytorch_s_order_of_a_convolution_s_output(rng):
    conv = nn.Conv2d(2, 3, 3, padding=1)
    x = rng.normal(size=(4, 2, 5, 5)).astype(np.float32)
    out = conv(x)
    np.testing.assert_array_equal(nn.Flatten()(out).data, out.data.reshape(4, -1))


def test_fit_trains_a_small_cnn_well_beyond_chance():
    """Three classes of 1-D signals: a bump early, in the middle, or late, at a random height,
    in noise. Chance is 1/3."""
    rng = np.random.default_rng(0)
    samples, length = 384, 24
    y = rng.integers(0, 3, samples)
    X = rng.normal(0, 0.5, size=(samples, 1, length)).astype(np.float32)
    starts = 2 + 7 * y + rng.integers(0, 3, samples)
    for i, start in enumerate(starts):
        X[i, 0, start : start + 4] += rng.uniform(1.5, 3.0)
    gn.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(1, 8, 5, padding=2), nn.ReLU(), nn.Conv1d(8, 8, 5, stride=2),
                          nn.ReLU(), nn.Flatten(), nn.Linear(8 * 10, 3))
    gn.fit(model, X[:256], y[:256], loss="cross_entropy",
           optimizer=gn.optim.Adam(model.parameters(), lr=0.01), epochs=8, verbose=0)
    accuracy = (gn.predict(model, X[256:]).argmax(axis=1) == y[256:]).mean()
    assert accuracy > 0.9


@pytest.mark.parametrize("shape", [(5, 2, 9, 8), (2, 9, 8)], ids=["batch", "one-sample"])
def test_inference_without_a_graph_computes_what_the_graph_does(shape, rng):
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding="same"), nn.ReLU(),
                          nn.Conv2d(4, 4, 2, stride=2, groups=2), nn.Flatten(0 if len(shape) == 3
                                                                              else 1))
    x = gn.tensor(rng.normal(size=shape).astype(np.float32))
    with gn.no_grad():
        without_graph = model(x).data  # Sequential hands bare arrays along (forward_array)
    with_graph = model(gn.tensor(x.data, requires_grad=True)).data
    np.testing.assert_array_equal(without_graph, with_graph)


def test_inference_without_a_graph_checks_the_input_too():
    model = nn.Sequential(nn.Conv1d(3, 2, 3), nn.ReLU())
    with gn.no_grad(), pytest.raises(gn.ShapeError, match="expects input with 3 channels"):
        model(gn.tensor(np.zeros((2, 4, 8))))


def test_the_gradient_of_a_convolution_s_output_reaches_its_product_without_a_copy(rng):
    """The op returns a view of its (O, *out, N) product; a gradient laid out like it (as
    element-wise ops keep it) is read by backward as the product's layout, not copied."""
    from glassnet.functional.convolution_ops import Convolution

    op = Convolution((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    out = op.forward(rng.normal(size=(4, 3, 6, 6)), rng.normal(size=(5, 3, 3, 3)))
    grad = np.maximum(out, 0.5)  # an element-wise result keeps the layout of its input
    assert np.shares_memory(op.grad_rows(grad), grad)


def test_an_empty_batch_gives_an_empty_output_and_gradients_as_pytorch_does():
    x = gn.tensor(np.zeros((0, 2, 5)), requires_grad=True, dtype=np.float64)
    layer = nn.Conv1d(2, 3, 3)
    out = layer(x)
    assert out.shape == (0, 3, 3)
    out.sum().backward()
    assert x.grad.shape == (0, 2, 5)
    np.testing.assert_array_equal(layer.weight.grad, np.zeros((3, 2, 3)))
    with gn.no_grad():
        assert nn.Sequential(layer)(gn.tensor(np.zeros((0, 2, 5)))).shape == (0, 3, 3)


def test_inputs_that_are_strided_views_give_the_numbers_of_their_copies(rng):
    x = rng.normal(size=(4, 2, 18))
    weight = gn.tensor(rng.normal(size=(3, 2, 3)), dtype=np.float64)
    for view in (x[..., ::-1], x[:, :, ::2], x.transpose(0, 1, 2)[:, ::-1]):
        np.testing.assert_array_equal(
            F.conv1d(gn.Tensor(view, dtype=np.float64), weight, stride=2, padding=1).data,
            F.conv1d(gn.tensor(view.copy(), dtype=np.float64), weight, stride=2, padding=1).data)


def test_training_keeps_the_padded_input_not_its_columns_k_times_larger(rng):
    # from forward to backward the op holds its inputs' size, not K = 9 times the input (the
    # columns, made again in backward): the 2-D CNN's training then adds less memory than
    # PyTorch's (bench/cnn.py)
    x = gn.tensor(rng.normal(size=(8, 4, 10, 10)), requires_grad=True, dtype=np.float32)
    layer = nn.Conv2d(4, 6, 3, padding=1)
    out = layer(x)
    saved = sum(value.nbytes for value in vars(out._ctx).values()
                if isinstance(value, np.ndarray))
    padded_input = 8 * 4 * 12 * 12 * 4
    assert saved <= padded_input + layer.weight.data.nbytes
    out.sum().backward()  # and the gradients still equal PyTorch's (the tests above)
    assert x.grad.shape == x.shape
