"""a ** b differentiated as PyTorch does: a constant power (b = 0, or 0 ** b with b ≥ 0) has the
gradient 0, never the NaN of 0·0⁻¹ or 0·ln 0."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet as gn

BASES = [0.0, 1.0, -1.0, 2.0, -2.5, np.inf, np.nan]
SCALAR_EXPONENTS = [0, 0.0, 1, 2, 3, -1, 0.5, -0.5, 1.5]
# (a, b) pairs for a tensor exponent: every way a or b can be 0, negative, or not finite
PAIRS = [
    (0.0, 0.0), (0.0, -1.0), (0.0, 2.0), (0.0, 0.5), (-1.0, 0.0), (-1.0, 2.0), (2.0, 0.0),
    (2.0, 3.0), (np.nan, 0.0), (np.inf, 0.0), (0.0, np.nan), (3.0, -0.5), (-2.0, 1.5),
]  # fmt: skip


def leaf(values):
    return gn.tensor(np.array(values, dtype=np.float64), requires_grad=True, dtype=np.float64)


def pow_gradients(a_values, b_values):
    a, b = leaf(a_values), leaf(b_values)
    with np.errstate(all="ignore"):  # NaN and ±inf are the expected answers at some pairs
        out = a**b
        out.sum().backward()
    return out.data, a.grad, b.grad


@pytest.mark.parametrize("exponent", [0, 0.0], ids=["int", "float"])
def test_power_zero_has_gradient_zero_everywhere(exponent):
    x = leaf(BASES)
    out = x**exponent
    out.sum().backward()
    np.testing.assert_array_equal(out.data, np.ones(len(BASES)))
    np.testing.assert_array_equal(x.grad, np.zeros(len(BASES)))


def test_zero_to_a_tensor_power_zero_has_gradient_zero_for_both():
    with np.errstate(all="raise"):  # not even a warning on the way
        values, grad_a, grad_b = pow_gradients([0.0, 0.0], [0.0, 2.0])
    np.testing.assert_array_equal(values, [1.0, 0.0])
    np.testing.assert_array_equal(grad_a, [0.0, 0.0])
    np.testing.assert_array_equal(grad_b, [0.0, 0.0])


def test_polynomial_features_with_power_zero_train_at_x_zero():
    x = gn.tensor(np.array([[0.0], [1.0], [2.0]]), requires_grad=True)
    powers = gn.concatenate([x**p for p in (0, 1, 2)], axis=1)  # 1, x, x²
    (powers * gn.tensor([0.5, -1.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[-1.0], [3.0], [7.0]])  # −1 + 4x


def test_the_exponents_gradient_at_a_negative_base_is_nan_as_in_pytorch():
    _, _, grad_b = pow_gradients([-2.0, -1.0], [2.0, 3.0])
    assert np.isnan(grad_b).all()  # aᵇ·ln a has no real value for a < 0


@pytest.mark.parametrize("exponent", SCALAR_EXPONENTS, ids=str)
def test_scalar_exponent_matches_torch(exponent):
    torch = pytest.importorskip("torch")
    x = leaf(BASES)
    with np.errstate(all="ignore"):
        out = x**exponent
        out.sum().backward()
    reference = torch.tensor(BASES, dtype=torch.float64, requires_grad=True)
    (reference**exponent).sum().backward()
    expected = (reference**exponent).detach().numpy()
    np.testing.assert_allclose(out.data, expected, rtol=1e-15, equal_nan=True)
    np.testing.assert_allclose(x.grad, reference.grad.numpy(), rtol=1e-15, equal_nan=True)


def test_tensor_exponent_matches_torch():
    torch = pytest.importorskip("torch")
    a_values, b_values = zip(*PAIRS, strict=True)
    values, grad_a, grad_b = pow_gradients(a_values, b_values)
    a = torch.tensor(a_values, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(b_values, dtype=torch.float64, requires_grad=True)
    expected = a**b
    expected.sum().backward()
    np.testing.assert_array_equal(values, expected.detach().numpy())
    np.testing.assert_allclose(grad_a, a.grad.numpy(), rtol=1e-15, equal_nan=True)
    np.testing.assert_allclose(grad_b, b.grad.numpy(), rtol=1e-15, equal_nan=True)


@pytest.mark.parametrize("base", [0.0, 2.0, -2.0], ids=str)
def test_number_to_a_tensor_power_matches_torch(base):
    torch = pytest.importorskip("torch")
    exponents = [0.0, -1.0, 2.0, 0.5]
    e = leaf(exponents)
    with np.errstate(all="ignore"):
        (base**e).sum().backward()
    reference = torch.tensor(exponents, dtype=torch.float64, requires_grad=True)
    (base**reference).sum().backward()
    np.testing.assert_allclose(e.grad, reference.grad.numpy(), rtol=1e-15, equal_nan=True)


def test_broadcast_exponent_gets_summed_gradients_with_the_zero_rule():
    a = leaf([[0.0, 1.0], [2.0, 0.0]])
    b = leaf([0.0, 2.0])  # column 0 is a⁰, column 1 is a²
    (a**b).sum().backward()
    np.testing.assert_array_equal(a.grad, [[0.0, 2.0], [0.0, 0.0]])
    # ∂/∂b: column 0 has a = 0 at row 0 (0) and 2⁰·ln 2 at row 1; column 1 has 0 (1·ln 1)
    # and 0 (a = 0, b ≥ 0)
    np.testing.assert_allclose(b.grad, [np.log(2.0), 0.0], rtol=1e-15)


# bases and exponents where the rules meet: exact zeros beside ordinary values of both signs
EDGE_VALUES = st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.0, 3.0])


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_broadcast_powers_with_zeros_match_torch(data):
    torch = pytest.importorskip("torch")
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    a_values = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=EDGE_VALUES))
    b_values = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=EDGE_VALUES))
    values, grad_a, grad_b = pow_gradients(a_values, b_values)
    a = torch.tensor(a_values, requires_grad=True)
    b = torch.tensor(b_values, requires_grad=True)
    expected = a**b
    expected.sum().backward()
    np.testing.assert_allclose(values, expected.detach().numpy(), rtol=1e-15, equal_nan=True)
    np.testing.assert_allclose(grad_a, a.grad.numpy(), rtol=1e-13, equal_nan=True)
    np.testing.assert_allclose(grad_b, b.grad.numpy(), rtol=1e-13, equal_nan=True)
