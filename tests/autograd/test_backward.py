"""backward(): seeds, accumulation, no_grad, freeing the graph, and very deep graphs."""

import sys

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F


def test_scalar_backward_needs_no_gradient():
    x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])


def test_backward_of_a_one_element_tensor_needs_no_gradient():
    x = gn.tensor([[3.0]], requires_grad=True)
    (x * x).backward()
    np.testing.assert_array_equal(x.grad, [[6.0]])


def test_non_scalar_backward_without_gradient_raises_a_clear_message():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(gn.GlassnetError, match=r"needs a scalar.*shape \(2,\).*grad="):
        (x * 2.0).backward()


def test_non_scalar_backward_with_a_gradient_is_a_vector_jacobian_product():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(np.array([10.0, 100.0]))
    np.testing.assert_array_equal(x.grad, [20.0, 400.0])


def test_backward_gradient_of_the_wrong_shape_raises():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(gn.GlassnetError, match=r"\(2,\).*\(3,\)"):
        (x * x).backward(np.ones(3))


def test_backward_on_a_tensor_without_grad_raises():
    with pytest.raises(gn.GlassnetError, match="does not require grad"):
        (gn.tensor([1.0]) * 2.0).sum().backward()


def test_gradients_accumulate_until_zeroed():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    x.zero_grad()
    assert x.grad is None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_a_tensor_used_twice_gets_both_contributions():
    x = gn.tensor([2.0], requires_grad=True)
    y = x * 3.0
    (y * y + y).sum().backward()  # d/dx (9x² + 3x) = 18x + 3
    np.testing.assert_array_equal(x.grad, [39.0])


def test_leaf_gradients_do_not_share_memory():
    a = gn.tensor([1.0, 2.0], requires_grad=True)
    b = gn.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad, b.grad)
    a.grad += 1.0  # an optimizer updating one gradient in place must not touch the other
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_no_grad_builds_no_graph():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    with gn.no_grad():
        assert gn.is_grad_enabled() is False
        y = (x * 2.0).exp().sum()
    assert gn.is_grad_enabled() is True
    assert y.requires_grad is False
    assert y._ctx is None
    assert y.grad_fn is None
    with pytest.raises(gn.GlassnetError):
        y.backward()


def test_no_grad_as_a_decorator():
    @gn.no_grad()
    def double(t):
        return t * 2.0

    out = double(gn.tensor([1.0], requires_grad=True))
    assert out.requires_grad is False
    assert gn.is_grad_enabled() is True


def test_enable_grad_inside_no_grad():
    x = gn.tensor([1.0], requires_grad=True)
    with gn.no_grad(), gn.enable_grad():
        y = x * 2.0
    assert y.requires_grad is True


def test_the_graph_is_freed_after_backward():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward()
    with pytest.raises(gn.GraphFreedError, match="retain_graph=True"):
        loss.backward()


def test_graph_freed_error_is_a_runtime_error():
    assert issubclass(gn.GraphFreedError, RuntimeError)


def test_retain_graph_allows_a_second_backward_that_doubles_the_gradients():
    x = gn.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    first = x.grad.copy()
    np.testing.assert_allclose(first, np.exp(x.data) * (1 + x.data))
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * first)
    with pytest.raises(gn.GraphFreedError):
        loss.backward()  # the second call did not retain it


def test_intermediate_results_are_released():
    x = gn.tensor(np.ones(3), requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    assert node.inputs
    y.sum().backward()
    assert node.inputs == ()  # no link back to x: the saved arrays can be collected
    assert not hasattr(node, "y")


DEPTH = 12_000


@pytest.mark.parametrize(
    "step, expected_gradient",
    [
        pytest.param(lambda t: t * 1.0001, 1.0001**DEPTH, id="mul"),
        pytest.param(lambda t: t + 0.001, 1.0, id="add"),
    ],
)
def test_very_deep_graph_backprops_without_recursion_error(step, expected_gradient):
    assert DEPTH > sys.getrecursionlimit()
    x = gn.tensor([1.0], requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(DEPTH):
        y = step(y)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [expected_gradient], rtol=1e-9)


def test_deep_graph_can_be_dropped_without_backward():
    y = gn.tensor([1.0], requires_grad=True)
    for _ in range(50_000):
        y = y + 1.0
    del y  # deallocating a 50 000-long chain must not overflow the C stack


def test_a_diamond_graph_visits_each_node_once():
    x = gn.tensor([2.0], requires_grad=True, dtype=np.float64)
    shared = x.exp()
    (shared * 2.0 + shared * shared).sum().backward()  # d/dx (2eˣ + e²ˣ)
    e = np.exp(2.0)
    np.testing.assert_allclose(x.grad, [2 * e + 2 * e * e])


def test_gradient_through_a_loss_target_computed_from_a_graph(rng):
    """A target computed from a graph gets its gradient (−x/N for BCE with logits, as in
    PyTorch), and the input gets its own."""
    x = gn.tensor(rng.normal(size=3), requires_grad=True, dtype=np.float64)
    source = gn.tensor(rng.uniform(size=3), requires_grad=True, dtype=np.float64)
    target = source * 1.0
    F.binary_cross_entropy_with_logits(x, target).backward()
    np.testing.assert_allclose(x.grad, (1 / (1 + np.exp(-x.data)) - target.data) / 3)
    np.testing.assert_allclose(source.grad, -x.data / 3)


@pytest.mark.parametrize(
    "make_loss",
    [lambda x: x + 0.0, lambda x: x.reshape(()), lambda x: x.sum(), lambda x: x * 1.0],
    ids=["add", "reshape", "sum", "mul"],
)
def test_a_scalar_leafs_gradient_is_its_own_writable_array(make_loss):
    """backward() seeds with a shared read-only 1; the leaf's .grad must be a fresh array that
    an optimizer may update in place, and the next backward's seed must still be 1."""
    x = gn.tensor(3.0, requires_grad=True, dtype=np.float64)
    make_loss(x).backward()
    assert x.grad.flags.writeable and x.grad.base is None
    x.grad += 41.0
    x.grad = None
    make_loss(x).backward()
    np.testing.assert_array_equal(x.grad, 1.0)


def test_a_node_waits_for_users_made_long_after_it():
    """Nodes run from the most recently made down: `early` is used by an op made right after it
    and by one made at the very end, and must receive both gradients before it runs."""
    x = gn.tensor([0.5, -1.5], requires_grad=True, dtype=np.float64)
    early = x * x
    chain = early.exp()
    for _ in range(5):
        chain = chain * 1.5
    (chain + early * 4.0).sum().backward()  # d/dx (1.5⁵ e^{x²} + 4x²)
    expected = 1.5**5 * np.exp(x.data**2) * 2 * x.data + 8 * x.data
    np.testing.assert_allclose(x.grad, expected, rtol=1e-14)
