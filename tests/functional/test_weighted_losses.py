"""Class weights of cross_entropy and pos_weight of binary_cross_entropy_with_logits: PyTorch's
semantics exactly (values and gradients), gradchecked in float64, refused when malformed."""

import doctest

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import nn
from glassnet.autograd.gradient_check import gradcheck
from glassnet.errors import ShapeError
from glassnet.functional import classification_losses

TOLERANCE = {np.float32: 1e-6, np.float64: 1e-10}


def _rng():
    return np.random.default_rng(7)


def _leaf(values):
    return gn.tensor(values, requires_grad=True, dtype=values.dtype)


def _compare(ours, theirs, dtype):
    tolerance = TOLERANCE[dtype]
    np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("targets", ["indices", "probabilities"])
def test_cross_entropy_weight_matches_torch(dtype, reduction, smoothing, targets):
    torch = pytest.importorskip("torch")
    rng = _rng()
    logits = rng.normal(size=(6, 4)).astype(dtype) * 3
    weight = rng.uniform(0.1, 3.0, size=4).astype(dtype)
    if targets == "indices":
        target = np.array([0, 3, 1, 3, 2, 3])
        torch_target = torch.from_numpy(target)
    else:
        target = rng.dirichlet(np.ones(4), size=6).astype(dtype)
        torch_target = torch.from_numpy(target)
    x = _leaf(logits)
    loss = F.cross_entropy(x, target, reduction=reduction, label_smoothing=smoothing,
                           weight=weight)
    upstream = rng.normal(size=loss.shape).astype(dtype)
    loss.backward(gn.tensor(upstream, dtype=upstream.dtype) if loss.ndim else None)

    tx = torch.tensor(logits, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(
        tx, torch_target, weight=torch.from_numpy(weight), reduction=reduction,
        label_smoothing=smoothing)
    tloss.backward(torch.from_numpy(upstream) if tloss.ndim else None)
    _compare(loss.data, tloss.detach().numpy(), dtype)
    _compare(x.grad, tx.grad.numpy(), dtype)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_weight_to_a_learned_target_matches_torch(smoothing):
    torch = pytest.importorskip("torch")
    rng = _rng()
    logits, weight = rng.normal(size=(5, 3)), rng.uniform(0.5, 2, size=3)
    target = rng.dirichlet(np.ones(3), size=5)
    x, q = _leaf(logits), _leaf(target)
    F.cross_entropy(x, q, label_smoothing=smoothing, weight=weight).backward()
    tx = torch.tensor(logits, requires_grad=True)
    tq = torch.tensor(target, requires_grad=True)
    torch.nn.functional.cross_entropy(tx, tq, weight=torch.from_numpy(weight),
                                      label_smoothing=smoothing).backward()
    _compare(x.grad, tx.grad.numpy(), np.float64)
    _compare(q.grad, tq.grad.numpy(), np.float64)


@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_weight_gradchecks(smoothing, reduction):
    rng = _rng()
    weight = rng.uniform(0.2, 2.0, size=3)
    target = np.array([2, 0, 2, 1])

    def loss(x):
        value = F.cross_entropy(x, target, reduction=reduction, label_smoothing=smoothing,
                                weight=weight)
        return value if reduction == "mean" else (value * np.arange(1.0, 5.0)).sum()

    assert gradcheck(loss, [_leaf(rng.normal(size=(4, 3)))])


def test_cross_entropy_weight_of_one_is_the_unweighted_loss_and_the_mean_divides_by_weights():
    rng = _rng()
    logits, target = rng.normal(size=(5, 3)), np.array([0, 1, 1, 2, 2])
    ones = F.cross_entropy(logits, target, weight=np.ones(3)).item()
    assert ones == pytest.approx(F.cross_entropy(logits, target).item(), rel=1e-12)
    per_sample = F.cross_entropy(logits, target, reduction="none").data
    weight = np.array([1.0, 2.0, 5.0])
    expected = (weight[target] * per_sample).sum() / weight[target].sum()
    assert F.cross_entropy(logits, target, weight=weight).item() == pytest.approx(expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight_shape", [(3,), (1,), ()])
def test_bce_with_logits_pos_weight_matches_torch(dtype, reduction, weight_shape):
    torch = pytest.importorskip("torch")
    rng = _rng()
    logits = (rng.normal(size=(5, 3)) * 4).astype(dtype)
    target = rng.uniform(size=(5, 3)).astype(dtype)
    pos_weight = rng.uniform(0.2, 4.0, size=weight_shape).astype(dtype)
    x = _leaf(logits)
    y = _leaf(target)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction=reduction, pos_weight=pos_weight)
    upstream = rng.normal(size=loss.shape).astype(dtype)
    loss.backward(gn.tensor(upstream, dtype=upstream.dtype) if loss.ndim else None)
    tx = torch.tensor(logits, requires_grad=True)
    ty = torch.tensor(target, requires_grad=True)
    tloss = torch.nn.functional.binary_cross_entropy_with_logits(
        tx, ty, reduction=reduction, pos_weight=torch.from_numpy(pos_weight))
    tloss.backward(torch.from_numpy(upstream) if tloss.ndim else None)
    _compare(loss.data, tloss.detach().numpy(), dtype)
    _compare(x.grad, tx.grad.numpy(), dtype)
    _compare(y.grad, ty.grad.numpy(), dtype)


def test_bce_with_logits_pos_weight_gradchecks_and_is_stable_for_large_logits():
    rng = _rng()
    pos_weight = np.array([0.5, 3.0])
    target = rng.uniform(size=(4, 2))

    def loss(x, y):
        return F.binary_cross_entropy_with_logits(x, y, pos_weight=pos_weight)

    assert gradcheck(loss, [_leaf(rng.normal(size=(4, 2))),
                            _leaf(target)])
    huge = F.binary_cross_entropy_with_logits(np.array([[800.0, -800.0]]), np.array([[0.0, 1.0]]),
                                              reduction="none", pos_weight=pos_weight)
    np.testing.assert_allclose(huge.data, [[800.0, 3.0 * 800.0]])


@pytest.mark.parametrize(
    ("weight", "error", "words"),
    [
        (np.ones(2), ShapeError, "one weight per class, shape (3,)"),
        (np.ones((3, 1)), ShapeError, "shape (3, 1)"),
        (np.array([1.0, -1.0, 1.0]), ValueError, "non-negative"),
        (np.array([1.0, np.nan, 1.0]), ValueError, "finite"),
        (np.array([1.0, np.inf, 1.0]), ValueError, "finite"),
        (np.array(["a", "b", "c"]), TypeError, "numeric"),
    ],
)
def test_malformed_class_weights_are_refused(weight, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        F.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), weight=weight)
    with pytest.raises(error):  # the length only when it meets the logits
        nn.CrossEntropyLoss(weight=weight)(np.zeros((2, 3)), np.array([0, 1]))


@pytest.mark.parametrize(
    ("pos_weight", "error"),
    [(np.ones(2), ShapeError), (np.array([-1.0, 1, 1]), ValueError),
     (np.array([np.nan, 1, 1]), ValueError)],
)
def test_malformed_pos_weights_are_refused(pos_weight, error):
    with pytest.raises(error, match="pos_weight"):
        F.binary_cross_entropy_with_logits(np.zeros((2, 3)), np.zeros((2, 3)),
                                           pos_weight=pos_weight)
    if error is ValueError:
        with pytest.raises(error, match="pos_weight"):
            nn.BCEWithLogitsLoss(pos_weight=pos_weight)


def test_loss_modules_pass_their_weights_on():
    rng = _rng()
    logits, target = rng.normal(size=(4, 3)), np.array([0, 2, 2, 1])
    weight = np.array([1.0, 0.5, 4.0])
    module = nn.CrossEntropyLoss(weight=weight, label_smoothing=0.1)
    expected = F.cross_entropy(logits, target, weight=weight, label_smoothing=0.1)
    assert module(logits, target).item() == expected.item()
    assert "weight=" in repr(module)
    binary = nn.BCEWithLogitsLoss(pos_weight=np.array([2.0]), reduction="sum")
    scores, labels = rng.normal(size=(4, 1)), np.array([[1.0], [0.0], [1.0], [1.0]])
    expected = F.binary_cross_entropy_with_logits(scores, labels, reduction="sum",
                                                  pos_weight=np.array([2.0]))
    assert binary(scores, labels).item() == expected.item()
    assert "pos_weight=" in repr(binary)


def test_the_cross_entropy_example_runs():
    found = doctest.DocTestFinder(recurse=False).find(
        classification_losses.cross_entropy, "cross_entropy",
        globs={"np": np, "cross_entropy": F.cross_entropy})
    runner = doctest.DocTestRunner()
    for test in found:
        runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert (failed, attempted) == (0, 3)
