"""Max, average and adaptive average pooling: equal to PyTorch over grids of kernel, stride,
padding, dilation and ceil_mode (values and gradients, ties and NaN included); gradchecked;
savable, refused when a file's settings are hostile; exported to ONNX; shown and explained."""

import itertools
import json

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import nn
from glassnet.functional import pooling_ops as P
from glassnet.io import architecture
from glassnet.io.format import encode_file

torch = pytest.importorskip("torch")
TF = torch.nn.functional


# float32 gradients summed over overlapping windows cancel: compared against their scale (~1)
PRECISIONS = [(np.float64, 1e-10, 1e-12), (np.float32, 1e-6, 1e-6)]


def _grid(max_pool: bool):
    """(kernel, stride, padding, dilation, ceil_mode) that PyTorch accepts."""
    for kernel, stride, padding, dilation, ceil_mode in itertools.product(
        [2, 3, (2, 3)], [1, 2, (3, 1)], [0, 1], [1, 2] if max_pool else [1], [False, True]
    ):
        kernels = kernel if isinstance(kernel, tuple) else (kernel, kernel)
        if all(2 * padding <= dilation * (k - 1) + 1 for k in kernels):
            yield kernel, stride, padding, dilation, ceil_mode


def _compare(ours, theirs, x, rtol, atol, seed=0):
    """Outputs and input gradients (for a random output weighting) of ours and theirs on x."""
    ours_x = gn.tensor(x, requires_grad=True, dtype=x.dtype)
    theirs_x = torch.tensor(x, requires_grad=True)
    ours_y, theirs_y = ours(ours_x), theirs(theirs_x)
    assert ours_y.shape == tuple(theirs_y.shape)
    np.testing.assert_allclose(ours_y.data, theirs_y.detach().numpy(), rtol=rtol, atol=atol)
    weights = np.random.default_rng(seed).normal(size=ours_y.shape).astype(x.dtype)
    (ours_y * gn.tensor(weights, dtype=x.dtype)).sum().backward()
    theirs_y.backward(torch.tensor(weights))
    np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype, rtol, atol", PRECISIONS)
def test_max_pool2d_matches_torch_over_the_grid(dtype, rtol, atol):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 7, 8)).astype(dtype)
    x[0, 0, :2, :2] = 1.5  # a tie inside one window: the gradient goes to the first
    for kernel, stride, padding, dilation, ceil_mode in _grid(max_pool=True):
        settings = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation,
                        ceil_mode=ceil_mode)
        _compare(lambda t, s=settings: F.max_pool2d(t, **s),
                 lambda t, s=settings: TF.max_pool2d(t, **s), x, rtol, atol)


@pytest.mark.parametrize("dtype, rtol, atol", PRECISIONS)
def test_avg_pool2d_matches_torch_over_the_grid(dtype, rtol, atol):
    x = np.random.default_rng(1).normal(size=(2, 3, 7, 8)).astype(dtype)
    for kernel, stride, padding, _, ceil_mode in _grid(max_pool=False):
        overrides = [None, 5] if ceil_mode else [None]
        for count_include_pad, divisor_override in itertools.product([True, False], overrides):
            settings = dict(kernel_size=kernel, stride=stride, padding=padding,
                            ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                            divisor_override=divisor_override)
            _compare(lambda t, s=settings: F.avg_pool2d(t, **s),
                     lambda t, s=settings: TF.avg_pool2d(t, **s), x, rtol, atol)


@pytest.mark.parametrize("kernel, stride, padding, ceil_mode", [
    (2, None, 0, False), (3, 2, 1, True), (4, 3, 2, True), (5, 1, 2, False), (2, 2, 1, True),
])
def test_one_dimensional_pooling_matches_torch(kernel, stride, padding, ceil_mode):
    x = np.random.default_rng(2).normal(size=(3, 2, 11))
    _compare(lambda t: F.max_pool1d(t, kernel, stride, padding, ceil_mode=ceil_mode),
             lambda t: TF.max_pool1d(t, kernel, stride, padding, ceil_mode=ceil_mode),
             x, 1e-10, 1e-12)
    for include in (True, False):
        _compare(lambda t, i=include: F.avg_pool1d(t, kernel, stride, padding, ceil_mode, i),
                 lambda t, i=include: TF.avg_pool1d(t, kernel, stride, padding, ceil_mode, i),
                 x, 1e-10, 1e-12)


@pytest.mark.parametrize("length, output_size", [(10, 1), (10, 5), (7, 3), (5, 4), (3, 5)])
def test_adaptive_pooling_uses_torch_windows(length, output_size):
    x = np.random.default_rng(3).normal(size=(2, 3, length, length + 2))
    _compare(lambda t: F.adaptive_avg_pool1d(t[:, :, 0], output_size),
             lambda t: TF.adaptive_avg_pool1d(t[:, :, 0], output_size), x, 1e-10, 1e-12)
    sizes = (output_size, output_size + 1)
    _compare(lambda t: F.adaptive_avg_pool2d(t, sizes),
             lambda t: TF.adaptive_avg_pool2d(t, sizes), x, 1e-10, 1e-12)
    x32 = x.astype(np.float32)
    _compare(lambda t: F.adaptive_avg_pool2d(t, sizes),
             lambda t: TF.adaptive_avg_pool2d(t, sizes), x32, 1e-6, 1e-6)


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # the loss sums a NaN
def test_nan_and_minus_infinity_route_gradients_as_torch():
    nan, inf = np.nan, np.inf
    # NaN is the maximum and its last occurrence takes the gradient
    x = np.array([[[1.0, nan, nan, 0.0, 2.0, 3.0, 3.0, -1.0]]])
    _compare(lambda t: F.max_pool1d(t, 4), lambda t: TF.max_pool1d(t, 4), x, 1e-12, 0)
    # a window of −∞ (padding included) sends its gradient to its first input value
    x = np.array([[[-inf, -inf, -inf, 1.0, -inf]]])
    _compare(lambda t: F.max_pool1d(t, 2, 2, 1, ceil_mode=True),
             lambda t: TF.max_pool1d(t, 2, 2, 1, ceil_mode=True), x, 1e-12, 0)


@pytest.mark.parametrize("make", [
    lambda: nn.MaxPool2d(3, 2, 1, ceil_mode=True), lambda: nn.MaxPool1d(2, 1, dilation=2),
    lambda: nn.AvgPool2d((2, 3), (1, 2), (1, 0), ceil_mode=True),
    lambda: nn.AvgPool1d(3, 2, 1, count_include_pad=False),
    lambda: nn.AdaptiveAvgPool2d((2, 3)), lambda: nn.AdaptiveAvgPool1d(4),
])
def test_gradients_match_finite_differences(float64_default, make):
    layer = make()
    shape = (2, 2, 5, 7) if layer.spatial == 2 else (2, 2, 9)
    # distinct values: at a tie the maximum has no derivative to compare with
    x = np.random.default_rng(4).permutation(np.prod(shape)).reshape(shape) / 7.0
    assert gn.gradcheck(layer, [gn.tensor(x, requires_grad=True)])


def test_the_loop_runs_over_kernel_offsets_only(monkeypatch):
    counted = []
    maximum = np.maximum
    monkeypatch.setattr(np, "maximum", lambda *a, **k: counted.append(1) or maximum(*a, **k))
    F.max_pool2d(np.zeros((16, 8, 30, 30), np.float32), 3)
    assert len(counted) == 3 * 3 - 1  # one pass per kernel offset, whatever N, C, H, W


def test_single_samples_and_integer_inputs():
    x = np.arange(2 * 6 * 6).reshape(2, 6, 6)
    out = nn.MaxPool2d(2)(x)
    assert out.shape == (2, 3, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out.data, nn.MaxPool2d(2)(x[None].astype(float)).data[0])
    assert nn.AdaptiveAvgPool1d(2)(np.ones((3, 4))).shape == (3, 2)


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.MaxPool2d(2, padding=2), ValueError, "padding should be at most half"),
    (lambda: nn.MaxPool2d(0), ValueError, "kernel_size must be >= 1"),
    (lambda: nn.MaxPool2d((2, 2, 2)), TypeError, "kernel_size must be an int or a tuple of 2"),
    (lambda: nn.MaxPool1d(2.5), TypeError, "kernel_size must be an int"),
    (lambda: nn.MaxPool1d(2, return_indices=True), ValueError, "return_indices"),
    (lambda: nn.AvgPool2d(2, divisor_override=(3,)), TypeError, "divisor_override"),
    (lambda: nn.AdaptiveAvgPool2d((2, None)), TypeError, "output_size"),
    (lambda: nn.MaxPool1d(5)(np.zeros((1, 1, 3))), gn.ShapeError, "smaller than one window"),
    (lambda: nn.MaxPool2d(2)(np.zeros((4, 4))), gn.ShapeError,
     r"expects input of shape \(N, C, H, W\) or \(C, H, W\); got \(4, 4\)"),
])
def test_bad_arguments_are_refused_with_a_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


LAYERS = [
    (lambda m: m.MaxPool1d(3, 2, 1, ceil_mode=True), (2, 9)),
    (lambda m: m.MaxPool2d((2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2)), (2, 6, 7)),
    (lambda m: m.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 6, 7)),
    (lambda m: m.AvgPool1d(4, 3, 2, ceil_mode=True), (2, 9)),
    (lambda m: m.AvgPool2d(3, 2, 1, ceil_mode=True), (2, 6, 7)),
    (lambda m: m.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 6, 7)),
    (lambda m: m.AvgPool2d(2, 1, 1, divisor_override=3), (2, 6, 7)),
    (lambda m: m.AdaptiveAvgPool1d(4), (2, 9)),
    (lambda m: m.AdaptiveAvgPool2d(1), (2, 6, 7)),
    (lambda m: m.AdaptiveAvgPool2d((3, 7)), (2, 6, 7)),
    (lambda m: m.AdaptiveAvgPool2d((4, 3)), (2, 6, 7)),
]


@pytest.mark.parametrize("make, shape", LAYERS)
def test_layers_match_torch_repr_and_output(make, shape):
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(5).normal(size=(3, *shape))
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).numpy(), rtol=1e-6,
                               atol=1e-6)


@pytest.mark.parametrize("make, shape", LAYERS)
def test_save_load_round_trip_and_onnx_export(make, shape, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    model = nn.Sequential(make(nn), nn.Flatten())
    x = np.random.default_rng(6).normal(size=(4, *shape)).astype(np.float32)
    gn.save(model, tmp_path / "pool.safetensors")
    loaded = gn.load(tmp_path / "pool.safetensors")
    assert repr(loaded) == repr(model)
    np.testing.assert_array_equal(gn.predict(loaded, x), gn.predict(model, x))
    exported = gn.onnx.export(model, None, n_features=shape)
    session = onnxruntime.InferenceSession(exported.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    (onnx_out,) = session.run(None, {"input": x})
    np.testing.assert_allclose(onnx_out, gn.predict(model, x), rtol=1e-5, atol=1e-5)


def _file_with(layer_config, tmp_path):
    document = {"format": "glassnet.model", "format_version": 1, "glassnet_version": "0",
                "architecture": {"type": "Sequential", "layers": [layer_config]},
                "metadata": {}}
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(encode_file({}, document))
    return path


@pytest.mark.parametrize("config", [
    {"type": "MaxPool2d", "kernel_size": 0, "stride": 1, "padding": 0, "dilation": 1,
     "ceil_mode": False},
    {"type": "MaxPool2d", "kernel_size": 2, "stride": 2, "padding": 2, "dilation": 1,
     "ceil_mode": False},  # more than half the kernel: the constructor refuses it
    {"type": "MaxPool2d", "kernel_size": [2, 2, 2], "stride": 2, "padding": 0, "dilation": 1,
     "ceil_mode": False},
    {"type": "MaxPool1d", "kernel_size": 2**40, "stride": 1, "padding": 0, "dilation": 1,
     "ceil_mode": False},
    {"type": "MaxPool2d", "kernel_size": 4000, "stride": 1, "padding": 2000, "dilation": 1,
     "ceil_mode": False},  # a 1×1 input would make a canvas of 4001² per channel
    {"type": "AvgPool2d", "kernel_size": 2, "stride": True, "padding": 0, "ceil_mode": False,
     "count_include_pad": True, "divisor_override": None},
    {"type": "AvgPool2d", "kernel_size": 2, "stride": 2, "padding": 0, "ceil_mode": False,
     "count_include_pad": True, "divisor_override": [3]},
    {"type": "AdaptiveAvgPool2d", "output_size": [5000, 5000]},
    {"type": "AdaptiveAvgPool1d", "output_size": "big"},
])
def test_hostile_settings_in_a_file_are_refused(config, tmp_path):
    with pytest.raises(gn.ModelFormatError):
        gn.load(_file_with(config, tmp_path))


def test_a_written_file_holds_the_settings_as_given(tmp_path):
    model = nn.Sequential(nn.MaxPool2d((2, 3), stride=1), nn.AvgPool1d(2))
    config = architecture.describe(model)
    assert json.loads(json.dumps(config))["layers"][0]["kernel_size"] == [2, 3]
    assert config["layers"][1]["kernel_size"] == [2]


def test_summary_shows_output_shapes():
    model = nn.Sequential(nn.MaxPool2d(2), nn.AvgPool2d(3, 1, 1), nn.AdaptiveAvgPool2d((2, 1)),
                          nn.Flatten(), nn.Linear(8, 2))
    rows = {row.type_name: row.output_shape for row in model.summary((4, 10, 12)).rows}
    assert rows == {"MaxPool2d": "(N, 4, 5, 6)", "AvgPool2d": "(N, 4, 5, 6)",
                    "AdaptiveAvgPool2d": "(N, 4, 2, 1)", "Flatten": "(N, 8)",
                    "Linear": "(N, 2)"}


def test_explain_follows_the_gradient_through_pooling():
    gn.manual_seed(0)
    model = nn.Sequential(nn.MaxPool1d(2), nn.AvgPool1d(2), nn.AdaptiveAvgPool1d(2),
                          nn.Flatten(), nn.Linear(4, 3))
    x = gn.tensor(np.random.default_rng(7).normal(size=(5, 2, 12)), requires_grad=True)
    loss = nn.CrossEntropyLoss()(model(x), np.array([0, 1, 2, 0, 1]))
    summary = gn.explain(loss, x)
    element = gn.explain(loss, x, (0, 1, 3))
    loss.backward()
    assert summary.gradient.rms == pytest.approx(np.sqrt(np.mean(x.grad**2)), rel=1e-6)
    assert summary.gradient.max_abs == pytest.approx(np.abs(x.grad).max(), rel=1e-6)
    assert element.value == pytest.approx(x.grad[0, 1, 3], rel=1e-6)
    assert "max_pool" in str(element) and "5×2×12" in str(summary)


# -- memory layout: outputs and gradients in the input's memory order ----------------------------
def _batch_last_view(x):
    """x (N, C, H, W) as the view a convolution returns: strided over a (C, H, W, N) array."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def _strides_order(array):
    return sorted(range(array.ndim), key=lambda axis: -array.strides[axis])


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("op", [
    P.MaxPool((2, 2), (2, 2), (0, 0), (1, 1), False),
    P.MaxPool((3, 3), (2, 2), (1, 1), (1, 1), False),
    P.AvgPool((2, 2), (2, 2), (0, 0), False, True),
    P.AvgPool((3, 3), (2, 2), (1, 1), True, True)])
def test_pooling_keeps_the_memory_order_of_a_convolution_output(op, fast):
    # a C-order copy of the (C, H, W, N) layout transposes, and leaves the ReLU before the pool
    # multiplying its mask by a gradient in another layout: both several times slower
    x = gn.tensor(_batch_last_view(np.random.default_rng(0).normal(size=(8, 3, 9, 9))),
                  requires_grad=True)
    previous = gn.fast_paths.enabled()
    gn.fast_paths.set_enabled(fast)
    try:
        y = op.apply(x)
        (grad_x,) = y._ctx.backward(np.ones(y.shape))  # a C-order gradient, as Flatten's
    finally:
        gn.fast_paths.set_enabled(previous)
    assert _strides_order(y.data) == [1, 2, 3, 0]
    assert _strides_order(grad_x) == [1, 2, 3, 0]


def _routed_gradient(x, grad, fast, **geometry):
    previous = gn.fast_paths.enabled()
    gn.fast_paths.set_enabled(fast)
    try:
        tensor = gn.tensor(x, requires_grad=True, dtype=x.dtype)
        F.max_pool2d(tensor, **geometry).backward(grad)
    finally:
        gn.fast_paths.set_enabled(previous)
    return tensor.grad


@pytest.mark.parametrize("geometry", [
    {"kernel_size": 2}, {"kernel_size": 2, "padding": 1}, {"kernel_size": (2, 3)},
    {"kernel_size": 3, "stride": 2}])
@pytest.mark.parametrize("case", ["ties", "nan input", "infinite gradient"])
def test_max_pool_fast_path_routes_the_gradient_as_the_reference_does(geometry, case):
    # windows of equal values (ReLU zeros) give their gradient to the first only, a NaN window
    # to its last NaN, and a non-finite gradient stays in its window's maximum alone
    rng = np.random.default_rng(1)
    x = np.maximum(rng.normal(size=(4, 3, 6, 6)), 0).round(1)
    if case == "nan input":
        x[0, 1, 2, 3] = x[1, 0, 0, 0] = np.nan
    out_shape = F.max_pool2d(gn.tensor(x), **geometry).shape
    grad = rng.normal(size=out_shape)
    if case == "infinite gradient":
        grad[0, 0, 0, 0], grad[1, 2, 1, 1] = np.inf, np.nan
    x = _batch_last_view(x)
    fast = _routed_gradient(x, grad, True, **geometry)
    reference = _routed_gradient(x, grad, False, **geometry)
    np.testing.assert_array_equal(fast, reference)  # NaN where NaN, else the same bits
    if case == "ties":
        window = x[:, :, :2, :2].reshape(4, 3, -1)
        assert (window == window.max(axis=2, keepdims=True)).sum(axis=2).max() > 1  # ties met
    theirs = torch.tensor(x, requires_grad=True)
    TF.max_pool2d(theirs, **geometry).backward(torch.tensor(grad))
    np.testing.assert_array_equal(fast, theirs.grad.numpy())
