"""The one-pass BLAS update (optim/_axpy.py) computes what the two NumPy passes compute."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import nn, optim
from glassnet.optim import _axpy

DTYPES = [np.float32, np.float64]


def test_the_kernel_is_found_in_numpys_own_openblas():
    blas = np.__config__.CONFIG["Build Dependencies"]["blas"]["name"]
    if blas != "scipy-openblas":
        pytest.skip(f"this NumPy is built with {blas}, not the scipy-openblas of NumPy's wheels")
    assert set(_axpy._load_kernels()) == {np.dtype(np.float32), np.dtype(np.float64)}


@pytest.mark.parametrize("dtype", DTYPES)
def test_axpy_matches_numpy(dtype):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 97)).astype(dtype)
    y = rng.normal(size=(96, 97)).astype(dtype)
    step = dtype(0.1) * x
    expected = y - step
    # one rounding (fused multiply-add) or two: an ulp of the operands apart at most
    bound = np.finfo(dtype).eps * (np.abs(y) + np.abs(step))
    if not _axpy.axpy(-0.1, x, y):
        pytest.skip("no BLAS axpy in this NumPy")
    assert np.all(np.abs(y - expected) <= bound)


@pytest.mark.parametrize(
    "x, y",
    [
        pytest.param(np.ones(10), np.ones(10), id="too-small"),
        pytest.param(np.ones(8192, np.float32), np.ones(8192), id="mixed-dtypes"),
        pytest.param(np.ones((128, 128)).T, np.ones((128, 128)), id="transposed"),
        pytest.param(np.ones(8192), np.ones(8192).reshape(64, 128), id="other-shape"),
        pytest.param(np.ones(8192, np.int64), np.ones(8192, np.int64), id="integers"),
    ],
)
def test_axpy_declines_what_it_cannot_do_and_leaves_y_alone(x, y):
    before = y.copy()
    assert _axpy.axpy(-0.5, x, y) is False
    np.testing.assert_array_equal(y, before)


def test_addresses_of_writable_and_read_only_arrays():
    writable = np.arange(8192.0)
    read_only = np.arange(8192.0)
    read_only.flags.writeable = False  # the buffer route refuses it; ctypes.data takes it
    for array in (writable, read_only, writable[4096:]):
        assert _axpy._address(array) == array.ctypes.data


def test_axpy_reads_a_read_only_x():
    x = np.full(8192, 2.0)
    x.flags.writeable = False
    y = np.ones(8192)
    if not _axpy.axpy(-0.5, x, y):
        pytest.skip("no BLAS axpy in this NumPy")
    assert np.all(y == 0.0)


def test_axpy_declines_when_x_and_y_overlap():
    y = np.ones(10000)
    assert _axpy.axpy(-0.5, y[1:], y[:-1]) is False
    assert np.all(y == 1)


def test_a_library_without_the_symbols_gives_no_kernels(monkeypatch, tmp_path):
    monkeypatch.setattr(_axpy, "_numpy_blas_files", lambda: [tmp_path / "libopenblas-missing.so"])
    assert _axpy._load_kernels() == {}


def _train(dtype, momentum, steps=8):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(40, 128), nn.ReLU(), nn.Linear(128, 3))
    for parameter in model.parameters():
        parameter.data = parameter.data.astype(dtype)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=momentum, nesterov=momentum > 0)
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(64, 40)).astype(dtype), rng.integers(0, 3, 64)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, [p.data.copy() for p in model.parameters()]


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("dtype", DTYPES)
def test_sgd_trains_to_the_same_weights_with_and_without_blas(dtype, momentum, monkeypatch):
    losses, weights = _train(dtype, momentum)
    monkeypatch.setattr(_axpy, "_KERNELS", {})  # the NumPy fallback, as without a BLAS axpy
    plain_losses, plain_weights = _train(dtype, momentum)
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(losses, plain_losses, rtol=tolerance)
    for weight, plain in zip(weights, plain_weights, strict=True):
        np.testing.assert_allclose(weight, plain, rtol=tolerance, atol=tolerance)
