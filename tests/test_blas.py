"""glassnet/_blas.py: the one-pass BLAS update computes what the two NumPy passes compute, and the
BLAS bias add exactly what NumPy's broadcast add computes."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import _blas, nn, optim

DTYPES = [np.float32, np.float64]


def test_the_kernels_are_found_in_numpys_own_openblas():
    blas = np.__config__.CONFIG["Build Dependencies"]["blas"]["name"]
    if blas != "scipy-openblas":
        pytest.skip(f"this NumPy is built with {blas}, not the scipy-openblas of NumPy's wheels")
    dtypes = {np.dtype(np.float32), np.dtype(np.float64)}
    assert set(_blas._load_kernels()) == {(r, d) for r in ("axpy", "ger") for d in dtypes}


@pytest.mark.parametrize("dtype", DTYPES)
def test_axpy_matches_numpy(dtype):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 97)).astype(dtype)
    y = rng.normal(size=(96, 97)).astype(dtype)
    step = dtype(0.1) * x
    expected = y - step
    # one rounding (fused multiply-add) or two: an ulp of the operands apart at most
    bound = np.finfo(dtype).eps * (np.abs(y) + np.abs(step))
    if not _blas.axpy(-0.1, x, y):
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
    assert _blas.axpy(-0.5, x, y) is False
    np.testing.assert_array_equal(y, before)


def test_addresses_of_writable_and_read_only_arrays():
    writable = np.arange(8192.0)
    read_only = np.arange(8192.0)
    read_only.flags.writeable = False  # the buffer route refuses it; ctypes.data takes it
    for array in (writable, read_only, writable[4096:]):
        assert _blas._address(array) == array.ctypes.data


def test_axpy_reads_a_read_only_x():
    x = np.full(8192, 2.0)
    x.flags.writeable = False
    y = np.ones(8192)
    if not _blas.axpy(-0.5, x, y):
        pytest.skip("no BLAS axpy in this NumPy")
    assert np.all(y == 0.0)


def test_axpy_declines_when_x_and_y_overlap():
    y = np.ones(10000)
    assert _blas.axpy(-0.5, y[1:], y[:-1]) is False
    assert np.all(y == 1)


def test_a_library_without_the_symbols_gives_no_kernels(monkeypatch, tmp_path):
    monkeypatch.setattr(_blas, "_numpy_blas_files", lambda: [tmp_path / "libopenblas-missing.so"])
    assert _blas._load_kernels() == {}


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
    monkeypatch.setattr(_blas, "_KERNELS", {})  # the NumPy fallback, as without BLAS
    plain_losses, plain_weights = _train(dtype, momentum)
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(losses, plain_losses, rtol=tolerance)
    for weight, plain in zip(weights, plain_weights, strict=True):
        np.testing.assert_allclose(weight, plain, rtol=tolerance, atol=tolerance)


def _ger_available():
    return _blas._kernel("ger", np.dtype(np.float64)) is not None


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(512, 512), (4096, 40), (40, 4096), (140000, 1), (1, 140000)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_add_to_rows_matches_numpys_broadcast_add_bit_for_bit(dtype, shape, order):
    if not _ger_available():
        pytest.skip("no BLAS ger in this NumPy")
    rng = np.random.default_rng(0)
    # magnitudes over six decades, so that the sums round
    out = rng.normal(size=shape) * 10.0 ** rng.uniform(-3, 3, size=shape)
    out = np.asarray(out, dtype=dtype, order=order)
    row = (rng.normal(size=shape[1]) * 10.0 ** rng.uniform(-3, 3, size=shape[1])).astype(dtype)
    expected = out + row
    assert _blas.add_to_rows(out, row) is True
    np.testing.assert_array_equal(out, expected)


_BIG = np.ones((512, 512))


@pytest.mark.parametrize(
    "out, row",
    [
        pytest.param(np.ones((64, 64)), np.ones(64), id="too-small"),
        pytest.param(np.ones((512, 512), np.int64), np.ones(512, np.int64), id="integers"),
        pytest.param(np.ones((512, 512), np.float32), np.ones(512), id="mixed-dtypes"),
        pytest.param(np.ones((512, 1024))[:, ::2], np.ones(512), id="strided-out"),
        pytest.param(np.ones(262144), np.ones(262144), id="one-dimensional-out"),
        pytest.param(np.ones((2, 512, 512)), np.ones(512), id="three-dimensional-out"),
        pytest.param(np.ones((512, 512)), np.ones(511), id="row-too-short"),
        pytest.param(np.ones((512, 512)), np.ones(1024)[::2], id="strided-row"),
        pytest.param(_BIG, _BIG[3], id="row-inside-out"),
    ],
)
def test_add_to_rows_declines_what_it_cannot_do_and_leaves_out_alone(out, row):
    # each case but the first is large enough, so it is declined for its own reason
    assert out.size >= _blas.ADD_TO_ROWS_MIN_SIZE or out.size == 64 * 64
    before = out.copy()
    assert _blas.add_to_rows(out, row) is False
    np.testing.assert_array_equal(out, before)


def test_add_to_rows_declines_a_read_only_out():
    out = np.ones((512, 512))
    out.flags.writeable = False
    assert _blas.add_to_rows(out, np.ones(512)) is False


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "rows, outputs",
    [pytest.param(384, 384, id="feature-major"), pytest.param(1536, 100, id="row-major")],
)
def test_linear_adds_its_bias_through_blas_exactly_as_numpy_does(dtype, rows, outputs, monkeypatch):
    if not _ger_available():
        pytest.skip("no BLAS ger in this NumPy")
    from glassnet.functional import layers

    taken = []

    def spy(out, row):
        taken.append(_blas.add_to_rows(out, row))
        return taken[-1]

    monkeypatch.setattr(layers, "add_to_rows", spy)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(rows, 300)).astype(dtype)
    weight = rng.normal(size=(outputs, 300)).astype(dtype)
    bias = rng.normal(size=outputs).astype(dtype)
    through_blas = F.linear(gn.tensor(x, dtype=dtype), gn.tensor(weight, dtype=dtype),
                            gn.tensor(bias, dtype=dtype)).data  # fmt: skip
    assert taken == [True]
    monkeypatch.setattr(_blas, "_KERNELS", {})
    plain = F.linear(gn.tensor(x, dtype=dtype), gn.tensor(weight, dtype=dtype),
                     gn.tensor(bias, dtype=dtype)).data  # fmt: skip
    assert taken == [True, False]
    assert through_blas.flags.f_contiguous == (rows <= outputs)
    np.testing.assert_array_equal(through_blas, plain)


@pytest.mark.parametrize("routine", ["axpy", "ger"])
def test_a_kernel_that_disagrees_with_numpy_is_refused(routine):
    kernels = dict(_blas._load_kernels())
    if not kernels:
        pytest.skip("no BLAS kernels in this NumPy")
    assert _blas._agrees_with_numpy(kernels)
    kernels[routine, np.dtype(np.float64)] = lambda *arguments: None  # computes nothing
    assert not _blas._agrees_with_numpy(kernels)


def _misaligned(count, dtype):
    """A contiguous array of ``count`` ones whose data starts one byte off its dtype's alignment."""
    raw = np.zeros(count * np.dtype(dtype).itemsize + 1, dtype=np.uint8)
    array = raw[1:].view(dtype)
    array[...] = 1
    assert not array.flags.aligned
    return array


def test_both_decline_misaligned_arrays():
    out = _misaligned(512 * 512, np.float64).reshape(512, 512)
    assert _blas.add_to_rows(out, np.ones(512)) is False
    assert _blas.add_to_rows(np.ones((512, 512)), _misaligned(512, np.float64)) is False
    assert _blas.axpy(-0.5, _misaligned(8192, np.float64), np.ones(8192)) is False
    assert _blas.axpy(-0.5, np.ones(8192), _misaligned(8192, np.float64)) is False
    assert np.all(out == 1)
