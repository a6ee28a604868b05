"""A target that requires grad gets its gradient from the binary cross-entropies, as in PyTorch:
∂ℓ/∂y = ln(1 − p) − ln p for BCE on probabilities, −x for BCE on logits (over N for "mean")."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F

REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(11)
PROBABILITIES = rng.uniform(0.05, 0.95, size=(4, 3))
LOGITS = rng.normal(scale=3.0, size=(4, 3))
TARGETS = rng.uniform(size=(4, 3))
UPSTREAM = rng.normal(size=(4, 3))  # the gradient "none" receives, to see it multiply through


def leaf(values):
    return gn.tensor(values, requires_grad=True, dtype=np.float64)


def backward(loss, reduction):
    if reduction == "none":
        loss.backward(UPSTREAM)
    else:
        loss.backward()
    return UPSTREAM if reduction == "none" else (1 / TARGETS.size if reduction == "mean" else 1.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_gives_the_target_minus_logit_of_p(reduction):
    p, y = leaf(PROBABILITIES), leaf(TARGETS)
    scale = backward(F.binary_cross_entropy(p, y, reduction=reduction), reduction)
    expected = scale * (np.log1p(-PROBABILITIES) - np.log(PROBABILITIES))
    np.testing.assert_allclose(y.grad, expected, rtol=1e-13)
    np.testing.assert_allclose(
        p.grad, scale * (PROBABILITIES - TARGETS) / (PROBABILITIES * (1 - PROBABILITIES)),
        rtol=1e-13,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_gives_the_target_minus_x(reduction):
    x, y = leaf(LOGITS), leaf(TARGETS)
    scale = backward(F.binary_cross_entropy_with_logits(x, y, reduction=reduction), reduction)
    np.testing.assert_allclose(y.grad, -scale * LOGITS, rtol=1e-15)


@pytest.mark.parametrize("loss", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
def test_both_gradients_agree_with_finite_differences(loss):
    inputs = PROBABILITIES if loss is F.binary_cross_entropy else LOGITS
    assert gn.gradcheck(lambda a, b: loss(a, b), [leaf(inputs), leaf(TARGETS)])


def test_a_target_that_does_not_require_grad_costs_no_target_gradient():
    node = F.binary_cross_entropy(leaf(PROBABILITIES), TARGETS).grad_fn
    assert node.backward(np.float64(1.0))[1] is None


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("logits", [False, True], ids=["bce", "bce-with-logits"])
def test_target_gradients_match_torch(reduction, logits):
    torch = pytest.importorskip("torch")
    inputs = LOGITS if logits else PROBABILITIES
    ours_loss = F.binary_cross_entropy_with_logits if logits else F.binary_cross_entropy
    theirs_loss = (torch.nn.functional.binary_cross_entropy_with_logits if logits
                   else torch.nn.functional.binary_cross_entropy)
    x, y = leaf(inputs), leaf(TARGETS)
    backward(ours_loss(x, y, reduction=reduction), reduction)
    tx = torch.tensor(inputs, requires_grad=True)
    ty = torch.tensor(TARGETS, requires_grad=True)
    expected = theirs_loss(tx, ty, reduction=reduction)
    expected.backward(torch.tensor(UPSTREAM) if reduction == "none" else None)
    np.testing.assert_allclose(y.grad, ty.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)


def test_bce_target_gradient_at_certain_probabilities_is_infinite_as_in_torch():
    p, y = leaf(np.array([0.0, 1.0])), leaf(np.array([0.5, 0.5]))
    F.binary_cross_entropy(p, y, reduction="sum").backward()
    np.testing.assert_array_equal(y.grad, [np.inf, -np.inf])  # −logit(0), −logit(1)
    torch = pytest.importorskip("torch")
    ty = torch.tensor([0.5, 0.5], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(
        torch.tensor([0.0, 1.0], dtype=torch.float64), ty, reduction="sum").backward()
    np.testing.assert_array_equal(y.grad, ty.grad.numpy())
