"""gn.gradcheck: passes correct gradients, catches wrong ones, and leaves its inputs alone."""

import inspect
import re

import numpy as np
import pytest

import glassnet as gn


class SquareWithWrongGradient(gn.Function):
    """y = x², but backward claims 4x instead of 2x: wrong by a factor of two."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x * x

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * 4 * self.x,)


class Square(gn.Function):
    """y = x², with the right gradient 2x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x * x

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * 2 * self.x,)


class ScaleSecondInputWrongly(gn.Function):
    """y = a·b, with ∂/∂b off by one on purpose; ∂/∂a is right."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return a * b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grad * self.b, grad * (self.a + 1)


def test_returns_true_for_a_correct_function(rng):
    x = gn.tensor(rng.normal(size=(2, 3)), requires_grad=True, dtype=np.float64)
    assert gn.gradcheck(lambda t: Square()(t), [x]) is True


def test_default_tolerances():
    parameters = inspect.signature(gn.gradcheck).parameters
    assert parameters["eps"].default == 1e-6
    assert parameters["atol"].default == 1e-5
    assert parameters["rtol"].default == 1e-3


def test_catches_a_gradient_wrong_by_a_factor_of_two():
    x = gn.tensor([[0.5, -1.0], [2.0, 1.5]], requires_grad=True, dtype=np.float64)
    expected = r"inputs\[0\].*element \(0, 0\).*analytic.*numeric"
    with pytest.raises(gn.GradcheckError, match=expected):
        gn.gradcheck(lambda t: SquareWithWrongGradient()(t), [x])


def test_error_message_carries_the_analytic_and_numeric_values():
    x = gn.tensor([3.0], requires_grad=True, dtype=np.float64)
    with pytest.raises(gn.GradcheckError) as caught:
        gn.gradcheck(lambda t: SquareWithWrongGradient()(t), [x])
    number = r"(?:np\.float64\()?([-+0-9.e]+)"
    found = re.search(rf"analytic {number}\)? vs numeric {number}", str(caught.value))
    assert found is not None, str(caught.value)
    analytic, numeric = float(found.group(1)), float(found.group(2))
    assert analytic == pytest.approx(12.0)  # 4·x at x = 3
    assert numeric == pytest.approx(6.0, rel=1e-6)  # the true derivative 2·x


def test_names_the_input_that_is_wrong(rng):
    a = gn.tensor(rng.normal(size=3), requires_grad=True, dtype=np.float64, name="weight")
    b = gn.tensor(rng.normal(size=3), requires_grad=True, dtype=np.float64, name="bias")
    with pytest.raises(gn.GradcheckError, match=r"inputs\[1\] \('bias'\)"):
        gn.gradcheck(lambda p, q: ScaleSecondInputWrongly()(p, q), [a, b])


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(gn.GradcheckError, AssertionError)


def test_does_not_modify_the_inputs(rng):
    values = rng.normal(size=(3, 2))
    x = gn.tensor(values.copy(), requires_grad=True, dtype=np.float64)
    before = x.data
    gn.gradcheck(lambda t: (t * t).sum(), [x])
    assert x.data is before
    np.testing.assert_array_equal(x.data, values)
    assert x.grad is None  # the check differentiates private copies


def test_float32_inputs_are_checked_in_float64(rng):
    x = gn.tensor(rng.normal(size=4), requires_grad=True)
    assert gn.gradcheck(lambda t: (t * t * t).sum(), [x])
    assert x.dtype == np.float32


def test_only_inputs_that_require_grad_are_checked(rng):
    a = gn.tensor(rng.normal(size=3), requires_grad=True, dtype=np.float64)
    b = gn.tensor(rng.normal(size=3), dtype=np.float64)
    # b's gradient would be wrong, but b does not require grad.
    assert gn.gradcheck(lambda p, q: ScaleSecondInputWrongly()(p, q), [a, b])


def test_no_input_requiring_grad_is_an_error():
    with pytest.raises(gn.GlassnetError, match="requires_grad"):
        gn.gradcheck(lambda t: t * 2.0, [gn.tensor([1.0])])


def test_fn_must_return_a_tensor():
    with pytest.raises(gn.GlassnetError, match="must return a Tensor"):
        gn.gradcheck(lambda t: 1.0, [gn.tensor([1.0], requires_grad=True)])


def test_inputs_must_be_tensors():
    with pytest.raises(gn.GlassnetError, match=r"inputs\[0\] must be a Tensor"):
        gn.gradcheck(lambda t: t, [np.ones(2)])
