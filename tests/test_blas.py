"""glassnet/_blas.py: each function computes its NumPy expression (the same bits, or within the
documented bound), whether BLAS runs it or NumPy does, as on a NumPy without a bundled OpenBLAS."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import _blas, nn, optim

DTYPES = [np.float32, np.float64]


def _spy(monkeypatch, name):
    """Record each call of _blas.<name> (the kernels' wrappers), passing it through."""
    calls = []
    original = getattr(_blas, name)

    def spy(*arguments):
        calls.append(arguments)
        return original(*arguments)

    monkeypatch.setattr(_blas, name, spy)
    return calls


def test_the_kernels_are_found_in_numpys_own_openblas():
    blas = np.__config__.CONFIG["Build Dependencies"]["blas"]["name"]
    if blas != "scipy-openblas":
        pytest.skip(f"this NumPy is built with {blas}, not the scipy-openblas of NumPy's wheels")
    dtypes = {np.dtype(np.float32), np.dtype(np.float64)}
    assert set(_blas._load_kernels()) == {(r, d) for r in ("axpy", "ger") for d in dtypes}


def test_a_library_without_the_symbols_gives_no_kernels(monkeypatch, tmp_path):
    monkeypatch.setattr(_blas, "_numpy_blas_files", lambda: [tmp_path / "libopenblas-missing.so"])
    assert _blas._load_kernels() == {}


@pytest.mark.parametrize("routine", ["axpy", "ger"])
def test_a_kernel_that_disagrees_with_numpy_is_refused(routine):
    kernels = dict(_blas._load_kernels())
    if not kernels:
        pytest.skip("no BLAS kernels in this NumPy")
    assert _blas._agrees_with_numpy(kernels)
    kernels[routine, np.dtype(np.float64)] = lambda *arguments: None  # computes nothing
    assert not _blas._agrees_with_numpy(kernels)


def _axpy_operands(dtype, shape=(96, 97)):
    rng = np.random.default_rng(0)
    return rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype)


@pytest.mark.parametrize("kernels", ["loaded", "none"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_axpy_is_y_plus_alpha_x_within_one_rounding(dtype, kernels, monkeypatch):
    if kernels == "none":
        monkeypatch.setattr(_blas, "_KERNELS", {})
    x, y = _axpy_operands(dtype)
    step = dtype(0.1) * x
    expected = y - step
    _blas.axpy(-0.1, x, y)
    # one rounding (BLAS may fuse the multiply-add) or two (NumPy): an ulp of the operands apart
    bound = np.finfo(dtype).eps * (np.abs(expected) + np.abs(step))
    assert np.all(np.abs(y - expected) <= bound)
    if kernels == "none":
        np.testing.assert_array_equal(y, expected)  # NumPy's own two passes: the same bits


def test_axpy_takes_the_kernel_for_a_large_array(monkeypatch):
    if _blas._kernel("axpy", np.dtype(np.float64)) is None:
        pytest.skip("no BLAS axpy in this NumPy")
    calls = []
    monkeypatch.setattr(_blas, "_address", lambda array: calls.append(array) or array.ctypes.data)
    x, y = _axpy_operands(np.float64)
    _blas.axpy(-0.5, x, y)
    assert len(calls) == 2  # both operands handed to the kernel


@pytest.mark.parametrize(
    "x, y",
    [
        pytest.param(np.ones(10), np.ones(10), id="too-small"),
        pytest.param(np.full(8192, 2, np.float32), np.ones(8192), id="mixed-dtypes"),
        pytest.param(np.full((128, 128), 2.0).T, np.ones((128, 128)), id="transposed"),
        pytest.param(np.full(128, 2.0), np.ones((64, 128)), id="broadcast"),
        pytest.param(np.full(8192, 2, np.int64), np.ones(8192, np.int64), id="integers"),
        pytest.param(np.full(8192, 2, np.float16), np.ones(8192, np.float16), id="float16"),
    ],
)
def test_axpy_computes_with_numpy_what_blas_cannot_take(x, y, monkeypatch):
    monkeypatch.setattr(_blas, "_address", lambda array: pytest.fail("a kernel was called"))
    expected = y + 3 * x
    _blas.axpy(3, x, y)
    np.testing.assert_array_equal(y, expected)
    assert y.dtype == expected.dtype


def test_axpy_of_overlapping_arrays_is_numpys_answer():
    y = np.arange(10000.0)
    expected = y[:-1] + -0.5 * y[1:]
    _blas.axpy(-0.5, y[1:], y[:-1])
    np.testing.assert_array_equal(y[:-1], expected)


def test_axpy_with_a_small_y_keeps_numpys_dtype_rules():
    # alpha is converted as NumPy converts a Python float for x: float32 for float32 x, float64
    # for float64 x, whatever y is
    for x_dtype, y_dtype in [(np.float32, np.float64), (np.float64, np.float32),
                             (np.float16, np.float16), (np.float32, np.float32)]:  # fmt: skip
        x = np.linspace(-1, 1, 7).astype(x_dtype)
        y = np.linspace(3, 2, 7).astype(y_dtype)
        expected = y.copy()
        expected += -0.3 * x
        _blas.axpy(-0.3, x, y)
        np.testing.assert_array_equal(y, expected)


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
    _blas.axpy(-0.5, x, y)
    assert np.all(y == 0.0)


def _misaligned(count, dtype):
    """A contiguous array of ``count`` ones whose data starts one byte off its dtype's alignment."""
    raw = np.zeros(count * np.dtype(dtype).itemsize + 1, dtype=np.uint8)
    array = raw[1:].view(dtype)
    array[...] = 1
    assert not array.flags.aligned
    return array


def test_misaligned_arrays_are_left_to_numpy(monkeypatch):
    monkeypatch.setattr(_blas, "_address", lambda array: pytest.fail("a kernel was called"))
    out = _misaligned(512 * 512, np.float64).reshape(512, 512)
    _blas.add_to_rows(out, np.ones(512))
    assert np.all(out == 2)
    y = _misaligned(8192, np.float64)
    _blas.axpy(-0.5, np.ones(8192), y)
    assert np.all(y == 0.5)


@pytest.mark.parametrize("kernels", ["loaded", "none"])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(512, 512), (4096, 40), (40, 4096), (140000, 1), (1, 140000),
                                   (64, 64)])  # fmt: skip
@pytest.mark.parametrize("dtype", DTYPES)
def test_add_to_rows_is_numpys_broadcast_add_bit_for_bit(dtype, shape, order, kernels,
                                                         monkeypatch):  # fmt: skip
    if kernels == "none":
        monkeypatch.setattr(_blas, "_KERNELS", {})
    rng = np.random.default_rng(0)
    # magnitudes over six decades, so that the sums round
    out = rng.normal(size=shape) * 10.0 ** rng.uniform(-3, 3, size=shape)
    out = np.asarray(out, dtype=dtype, order=order)
    row = (rng.normal(size=shape[1]) * 10.0 ** rng.uniform(-3, 3, size=shape[1])).astype(dtype)
    expected = out + row
    _blas.add_to_rows(out, row)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(
    "out, row",
    [
        pytest.param(np.ones((512, 512), np.int64), np.ones(512, np.int64), id="integers"),
        pytest.param(np.ones((512, 512), np.float32), np.ones(512), id="mixed-dtypes"),
        pytest.param(np.ones((512, 1024))[:, ::2], np.ones(512), id="strided-out"),
        pytest.param(np.ones(262144), np.ones(262144), id="one-dimensional-out"),
        pytest.param(np.ones((2, 512, 512)), np.ones(512), id="three-dimensional-out"),
        pytest.param(np.ones((512, 512)), np.ones(1024)[::2], id="strided-row"),
    ],
)
def test_add_to_rows_leaves_to_numpy_what_ger_cannot_take(out, row, monkeypatch):
    monkeypatch.setattr(_blas, "_ger", lambda *arguments: pytest.fail("ger was called"))
    assert out.size >= _blas.ADD_TO_ROWS_MIN_SIZE  # large enough: refused for its own reason
    expected = out + row
    _blas.add_to_rows(out, row)
    np.testing.assert_array_equal(out, expected)


def test_add_to_rows_refuses_what_numpy_refuses():
    out = np.ones((512, 512))
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _blas.add_to_rows(out, np.ones(512))
    with pytest.raises(ValueError, match="broadcast"):
        _blas.add_to_rows(np.ones((512, 512)), np.ones(511))


@pytest.mark.parametrize(
    "out, row",
    [
        pytest.param(np.array([[1.5, -2.0, 1e-8]]), np.array([1e8, 3.0, 1.0]), id="one-row"),
        pytest.param(np.array([[1.5, -2.0]], np.float32), np.array([0.1, 1e-9]), id="mixed"),
        pytest.param(np.array([[1.5, -2.0]]), np.array([[0.25, 4.0]]), id="row-as-matrix"),
        pytest.param(np.array([[1.5, -2.0]]), np.array([0.25]), id="one-number-row"),
        pytest.param(np.array([[1.5]]), np.array([0.25]), id="one-by-one"),
    ],
)
def test_add_to_rows_on_one_sample_is_numpys_broadcast_add_bit_for_bit(out, row):
    expected = out.copy()
    expected += row
    _blas.add_to_rows(out, row)
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == expected.dtype


def test_add_to_rows_on_one_sample_refuses_what_numpy_refuses():
    with pytest.raises(ValueError, match="broadcast"):
        _blas.add_to_rows(np.ones((1, 3)), np.ones(2))
    read_only = np.ones((1, 3))
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _blas.add_to_rows(read_only, np.ones(3))


def test_add_to_rows_with_a_row_inside_out_is_numpys_answer():
    out = np.arange(512.0 * 512).reshape(512, 512)
    expected = out + out[3]
    _blas.add_to_rows(out, out[3])
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(
    "a_shape, b_shape",
    [
        pytest.param((5, 3), (3, 4), id="small"),
        pytest.param((1, 784), (784, 256), id="one-row"),
        pytest.param((128, 784), (784, 256), id="large"),
        pytest.param((256, 128), (128, 784), id="large-weight-gradient"),
        pytest.param((300, 1), (1, 600), id="outer-product"),
        pytest.param((2, 5, 3), (3, 4), id="batched"),
        pytest.param((3,), (3, 4), id="vector"),
    ],
)
@pytest.mark.parametrize("dtype", DTYPES)
def test_matmul_is_the_at_operator_bit_for_bit(a_shape, b_shape, dtype):
    rng = np.random.default_rng(1)
    a = rng.normal(size=a_shape).astype(dtype)
    b = rng.normal(size=b_shape[::-1]).astype(dtype).T  # a transposed view, as linear passes Wᵀ
    product = _blas.matmul(a, b)
    np.testing.assert_array_equal(product, a @ b)
    assert product.dtype == dtype


@pytest.mark.parametrize("rows", [1, 2, 300])
@pytest.mark.parametrize("dtype", DTYPES)
def test_sum_rows_is_the_sum_within_the_documented_bound(rows, dtype):
    rng = np.random.default_rng(2)
    matrix = (rng.normal(size=(rows, 50)) * 10.0 ** rng.uniform(-3, 3, size=(rows, 50)))
    matrix = matrix.astype(dtype)
    exact = matrix.astype(np.float64).sum(axis=0)
    bound = rows * np.finfo(dtype).eps * np.abs(matrix.astype(np.float64)).sum(axis=0)
    total = _blas.sum_rows(matrix)
    assert total.shape == (50,) and total.dtype == dtype
    assert np.all(np.abs(total - exact) <= bound)
    assert np.all(np.abs(matrix.sum(axis=0) - exact) <= bound)  # the reference's, just as close


def test_sum_rows_of_integers_is_numpys_sum():
    matrix = np.arange(12, dtype=np.int64).reshape(4, 3)
    np.testing.assert_array_equal(_blas.sum_rows(matrix), matrix.sum(axis=0))


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
def test_training_with_blas_without_it_and_without_fast_paths_agrees(dtype, momentum,
                                                                     monkeypatch):  # fmt: skip
    axpy_calls = _spy(monkeypatch, "axpy")
    losses, weights = _train(dtype, momentum)
    assert axpy_calls  # the fast path ran
    monkeypatch.setattr(_blas, "_KERNELS", {})  # the fallback, as without a bundled OpenBLAS
    fallback_losses, fallback_weights = _train(dtype, momentum)
    axpy_calls.clear()
    with gn.fast_paths.disabled():
        reference_losses, reference_weights = _train(dtype, momentum)
    assert not axpy_calls  # the reference code never calls _blas
    # every product is the same bits; the updates and the bias gradients round differently
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    for other_losses, other_weights in [(fallback_losses, fallback_weights),
                                        (reference_losses, reference_weights)]:  # fmt: skip
        np.testing.assert_allclose(losses, other_losses, rtol=tolerance)
        for weight, other in zip(weights, other_weights, strict=True):
            np.testing.assert_allclose(weight, other, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, outputs", [pytest.param(512, 384, id="wide"),
                                           pytest.param(1536, 100, id="tall")])  # fmt: skip
def test_linear_adds_a_large_bias_through_ger_with_numpys_bits(dtype, rows, outputs, monkeypatch):
    if _blas._kernel("ger", np.dtype(dtype)) is None:
        pytest.skip("no BLAS ger in this NumPy")
    ger_calls = _spy(monkeypatch, "_ger")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(rows, 300)).astype(dtype)
    weight = rng.normal(size=(outputs, 300)).astype(dtype)
    bias = rng.normal(size=outputs).astype(dtype)

    def forward():
        return F.linear(gn.tensor(x), gn.tensor(weight), gn.tensor(bias)).data

    through_ger = forward()
    assert len(ger_calls) == 1
    monkeypatch.setattr(_blas, "_KERNELS", {})
    without_kernels = forward()
    with gn.fast_paths.disabled():
        reference = forward()
    assert len(ger_calls) == 1
    np.testing.assert_array_equal(through_ger, without_kernels)
    np.testing.assert_array_equal(through_ger, reference)
