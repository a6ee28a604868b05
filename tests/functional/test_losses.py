"""Losses: values against independent float64 references written from PyTorch's documented
formulas, every reduction, and gradients against finite differences."""

import numpy as np
import pytest
import scipy.special

import glassnet as gn
import glassnet.functional as F

REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(7)
N, C = 5, 4
PREDICTIONS = rng.normal(size=(N, C))
TARGETS = rng.normal(size=(N, C))
PROBABILITIES = rng.uniform(0.05, 0.95, size=(N, C))
BINARY_TARGETS = rng.uniform(size=(N, C))
LABELS = np.array([0, 3, 1, 1, 2])
SOFT_LABELS = rng.dirichlet(np.ones(C), size=N)


def reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    return {"mean": np.mean, "sum": np.sum, "none": np.asarray}[reduction](losses)


def huber_reference(x, y, delta):
    d = np.abs(x - y)
    return np.where(d < delta, 0.5 * d**2, delta * (d - 0.5 * delta))


def bce_reference(p, y):
    return -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100))


def bce_with_logits_reference(x, y):
    return -(y * scipy.special.log_expit(x) + (1 - y) * scipy.special.log_expit(-x))


def cross_entropy_reference(x, target, label_smoothing=0.0):
    """PyTorch: q = (1 − ε)·target + ε/C (one-hot for class indices); ℓ = −Σ q·log_softmax."""
    log_p = scipy.special.log_softmax(x, axis=1)
    q = np.eye(x.shape[1])[target] if target.ndim == 1 else target
    q = (1 - label_smoothing) * q + label_smoothing / x.shape[1]
    return -(q * log_p).sum(axis=1)


REGRESSION = [
    pytest.param(F.mse_loss, lambda x, y: (x - y) ** 2, id="mse"),
    pytest.param(F.l1_loss, lambda x, y: np.abs(x - y), id="l1"),
    pytest.param(F.huber_loss, lambda x, y: huber_reference(x, y, 1.0), id="huber"),
    pytest.param(
        lambda x, y, reduction="mean": F.huber_loss(x, y, reduction=reduction, delta=0.5),
        lambda x, y: huber_reference(x, y, 0.5),
        id="huber-delta-0.5",
    ),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("loss, reference", REGRESSION)
def test_regression_losses(loss, reference, reduction):
    x = gn.tensor(PREDICTIONS, requires_grad=True, dtype=np.float64)
    y = gn.tensor(TARGETS, requires_grad=True, dtype=np.float64)
    out = loss(x, y, reduction=reduction)
    expected = reduce(reference(PREDICTIONS, TARGETS), reduction)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert gn.gradcheck(lambda p, q: loss(p, q, reduction=reduction), [x, y])


def test_huber_is_quadratic_inside_delta_and_linear_outside():
    x = gn.tensor([0.5, 3.0], dtype=np.float64)
    out = F.huber_loss(x, np.zeros(2), reduction="none", delta=1.0)
    np.testing.assert_allclose(out.data, [0.125, 2.5])


def test_regression_loss_rejects_mismatched_shapes():
    with pytest.raises(gn.ShapeError, match=r"\(4, 1\).*\(4,\).*reshape"):
        F.mse_loss(gn.tensor(np.ones((4, 1))), gn.tensor(np.ones(4)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    p = gn.tensor(PROBABILITIES, requires_grad=True, dtype=np.float64)
    out = F.binary_cross_entropy(p, BINARY_TARGETS, reduction=reduction)
    expected = reduce(bce_reference(PROBABILITIES, BINARY_TARGETS), reduction)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert gn.gradcheck(
        lambda t: F.binary_cross_entropy(t, BINARY_TARGETS, reduction=reduction), [p]
    )


def test_binary_cross_entropy_clamps_the_log_at_minus_100():
    p = gn.tensor([0.0, 1.0, 0.0], requires_grad=True, dtype=np.float64)
    out = F.binary_cross_entropy(p, np.array([1.0, 0.0, 0.0]), reduction="none")
    np.testing.assert_array_equal(out.data, [100.0, 100.0, 0.0])
    out.sum().backward()
    assert np.all(np.isfinite(p.grad))


def test_binary_cross_entropy_refuses_values_outside_0_1():
    with pytest.raises(ValueError, match="with_logits"):
        F.binary_cross_entropy(gn.tensor([1.5, 0.5]), np.array([1.0, 0.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction):
    x = gn.tensor(PREDICTIONS * 3, requires_grad=True, dtype=np.float64)
    out = F.binary_cross_entropy_with_logits(x, BINARY_TARGETS, reduction=reduction)
    expected = reduce(bce_with_logits_reference(PREDICTIONS * 3, BINARY_TARGETS), reduction)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert gn.gradcheck(
        lambda t: F.binary_cross_entropy_with_logits(t, BINARY_TARGETS, reduction=reduction), [x]
    )


def test_bce_with_logits_equals_bce_of_the_sigmoid():
    x = gn.tensor(PREDICTIONS, dtype=np.float64)
    with_logits = F.binary_cross_entropy_with_logits(x, BINARY_TARGETS)
    plain = F.binary_cross_entropy(F.sigmoid(x), BINARY_TARGETS)
    np.testing.assert_allclose(with_logits.data, plain.data, rtol=1e-12)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 1.0], ids=["eps0", "eps0.1", "eps1"])
@pytest.mark.parametrize(
    "target",
    [pytest.param(LABELS, id="class-indices"), pytest.param(SOFT_LABELS, id="probabilities")],
)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy(reduction, target, label_smoothing):
    x = gn.tensor(PREDICTIONS * 2, requires_grad=True, dtype=np.float64)
    out = F.cross_entropy(x, target, reduction=reduction, label_smoothing=label_smoothing)
    expected = reduce(cross_entropy_reference(PREDICTIONS * 2, target, label_smoothing), reduction)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert gn.gradcheck(
        lambda t: F.cross_entropy(t, target, reduction=reduction, label_smoothing=label_smoothing),
        [x],
    )


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    x = gn.tensor(PREDICTIONS, requires_grad=True, dtype=np.float64)
    F.cross_entropy(x, LABELS, reduction="sum").backward()
    expected = scipy.special.softmax(PREDICTIONS, axis=1) - np.eye(C)[LABELS]
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12, atol=1e-15)


def test_cross_entropy_of_one_sample():
    logits = np.array([1.0, 2.0, 0.5])
    out = F.cross_entropy(gn.tensor(logits, dtype=np.float64), 1)
    assert out.shape == ()
    np.testing.assert_allclose(out.item(), -scipy.special.log_softmax(logits)[1], rtol=1e-14)


def test_cross_entropy_accepts_integral_float_labels():
    x = gn.tensor(PREDICTIONS, dtype=np.float64)
    by_float = F.cross_entropy(x, LABELS.astype(np.float64))
    np.testing.assert_allclose(by_float.data, F.cross_entropy(x, LABELS).data)


@pytest.mark.parametrize(
    "target, error, match",
    [
        pytest.param(np.array([0, 1, 2, 3, 4]), ValueError, r"\[0, 4\)", id="index-too-large"),
        pytest.param(np.array([0, -1, 2, 3, 1]), ValueError, r"\[0, 4\)", id="negative-index"),
        pytest.param(np.array([0.5, 1, 2, 3, 1]), ValueError, "integer", id="fractional-label"),
        pytest.param(np.array([0, 1, 2]), gn.ShapeError, "5 rows.*3", id="wrong-count"),
        pytest.param(np.ones((5, 3)) / 3, gn.ShapeError, r"\(5, 4\)", id="probabilities-shape"),
    ],
)
def test_cross_entropy_bad_targets(target, error, match):
    with pytest.raises(error, match=match):
        F.cross_entropy(gn.tensor(PREDICTIONS), target)


def test_cross_entropy_rejects_text_labels_by_name():
    with pytest.raises(gn.DTypeError, match="cross_entropy expects numeric data"):
        F.cross_entropy(gn.tensor(PREDICTIONS), np.array(["a", "b", "c", "d", "a"]))


def test_cross_entropy_records_one_node_on_the_logits_only():
    # the target is a constant of the node: the graph holds the logits alone
    logits = gn.tensor(PREDICTIONS, requires_grad=True, dtype=np.float64)
    loss = F.cross_entropy(logits, LABELS)
    assert loss.grad_fn.inputs == (logits,) and loss.grad_fn.needs_input_grad == (True,)
    loss.backward()
    assert logits.grad.shape == PREDICTIONS.shape


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_differentiates_probabilities_that_require_grad(reduction, smoothing):
    # as PyTorch: ∂ℓₙ/∂qₙ = −log_softmax(xₙ)·(1 − smoothing), spread by the reduction
    probabilities = scipy.special.softmax(rng.normal(size=(N, C)), axis=1)
    logits = gn.tensor(PREDICTIONS, requires_grad=True, dtype=np.float64)
    target = gn.tensor(probabilities, requires_grad=True, dtype=np.float64)
    loss = F.cross_entropy(logits, target, reduction=reduction, label_smoothing=smoothing)
    constant = F.cross_entropy(gn.tensor(PREDICTIONS, dtype=np.float64), probabilities,
                               reduction=reduction, label_smoothing=smoothing)  # the fused op
    np.testing.assert_allclose(loss.data, constant.data, rtol=1e-12)
    loss.sum().backward()
    spread = 1 / N if reduction == "mean" else 1.0
    expected = -scipy.special.log_softmax(PREDICTIONS, axis=1) * (1 - smoothing) * spread
    np.testing.assert_allclose(target.grad, expected, rtol=1e-12)

    def both(x, q):
        return F.cross_entropy(x, q, reduction=reduction, label_smoothing=smoothing).sum()

    fresh = [gn.tensor(PREDICTIONS, requires_grad=True, dtype=np.float64),
             gn.tensor(probabilities, requires_grad=True, dtype=np.float64)]
    assert gn.gradcheck(both, fresh)


def test_cross_entropy_class_indices_cannot_require_grad():
    with pytest.raises(gn.ShapeError, match="only probabilities"):
        F.cross_entropy(gn.tensor(PREDICTIONS), gn.tensor(np.ones(N), requires_grad=True))


def test_cross_entropy_rejects_bad_reduction_and_smoothing():
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(gn.tensor(PREDICTIONS), LABELS, reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(gn.tensor(PREDICTIONS), LABELS, label_smoothing=1.5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction):
    log_probs_values = scipy.special.log_softmax(PREDICTIONS, axis=1)
    log_probs = gn.tensor(log_probs_values, requires_grad=True, dtype=np.float64)
    out = F.nll_loss(log_probs, LABELS, reduction=reduction)
    expected = reduce(-log_probs_values[np.arange(N), LABELS], reduction)
    np.testing.assert_allclose(out.data, expected, rtol=1e-14)
    assert gn.gradcheck(lambda t: F.nll_loss(t, LABELS, reduction=reduction), [log_probs])


def test_nll_of_log_softmax_equals_cross_entropy():
    x = gn.tensor(PREDICTIONS, dtype=np.float64)
    np.testing.assert_allclose(
        F.nll_loss(F.log_softmax(x), LABELS).data, F.cross_entropy(x, LABELS).data, rtol=1e-14
    )


def test_losses_reject_an_unknown_reduction():
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(gn.tensor([1.0]), gn.tensor([1.0]), reduction="average")


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse_agrees_with_numpy_on_both_sides_of_the_few_elements_shortcut(dtype, reduction):
    """Up to 32 elements MSE sums its squares as one dot product, beyond as a reduction: both
    give NumPy's value in the input's dtype, and the same gradient 2(x − y)/N."""
    rng = np.random.default_rng(3)
    for size in (1, 2, 31, 32, 33, 200):
        x = gn.tensor(rng.normal(size=(size, 1)).astype(dtype), requires_grad=True, dtype=dtype)
        y = rng.normal(size=(size, 1)).astype(dtype)
        loss = F.mse_loss(x, y, reduction=reduction)
        squares = (x.data.astype(np.float64) - y.astype(np.float64)) ** 2
        expected = squares.mean() if reduction == "mean" else squares.sum()
        assert loss.dtype == dtype
        tolerance = {np.float16: 5e-3, np.float32: 1e-6, np.float64: 1e-14}[dtype]
        np.testing.assert_allclose(float(loss.data), expected, rtol=tolerance)
        loss.backward()
        divisor = size if reduction == "mean" else 1
        np.testing.assert_allclose(x.grad, 2 * (x.data - y) / divisor, rtol=tolerance)
