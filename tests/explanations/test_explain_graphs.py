"""gn.explain on arbitrary graphs: its value is autograd's gradient, its terms are the paths."""

import math

import numpy as np
import pytest

import glassnet as gn

F64 = np.float64

UNARY = [
    lambda t: t.sigmoid(),
    lambda t: t.tanh(),
    lambda t: (t * 0.3).exp(),
    lambda t: t**2,
    lambda t: -t,
]
BINARY = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / (b * b + 1.0),
]
SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1)]


def random_graph(seed, broadcast):
    """Leaves of random shapes, then ops that reuse earlier tensors at random; a scalar loss."""
    rng = np.random.default_rng(seed)
    shapes = SHAPES if broadcast else [()]
    leaves = [
        gn.tensor(rng.normal(size=shapes[rng.integers(len(shapes))]), requires_grad=True,
                  dtype=F64, name=f"p{i}")
        for i in range(3)
    ]
    tensors = list(leaves)
    for step in range(int(rng.integers(3, 8))):
        if rng.random() < 0.4:
            result = UNARY[rng.integers(len(UNARY))](tensors[rng.integers(len(tensors))])
        else:
            a, b = (tensors[i] for i in rng.integers(len(tensors), size=2))  # may pick one twice
            result = BINARY[rng.integers(len(BINARY))](a, b)
        if rng.random() < 0.5:
            result.name = f"t{step}"
        tensors.append(result)
    loss = tensors[-1] * 1.0 + tensors[-2]  # at least two tensors feed the output
    return leaves, loss.sum() if rng.random() < 0.5 else loss.mean()


def count_paths(tensor, wrt):
    if tensor is wrt:
        return 1
    if tensor._ctx is None:
        return 0
    node = tensor._ctx
    pairs = zip(node.inputs, node.needs_input_grad, strict=True)
    return sum(count_paths(t, wrt) for t, needed in pairs if needed)


def check_against_autograd(leaves, loss, rng):
    explanations = []
    for leaf in leaves:
        index = tuple(int(rng.integers(n)) for n in leaf.shape) if leaf.size > 1 else None
        paths = count_paths(loss, leaf)  # before backward() frees the graph
        explanations.append((leaf, index, gn.explain(loss, leaf, index=index), paths))
    loss.backward()
    for leaf, index, explanation, paths in explanations:
        expected = 0.0 if leaf.grad is None else float(leaf.grad[index or ()])
        assert explanation.value == pytest.approx(expected, rel=1e-12, abs=1e-14)
        total = sum(term.product for term in explanation.terms)
        assert total == pytest.approx(explanation.value, rel=1e-12, abs=1e-14)
        assert explanation.path_count == paths
        assert len(explanation.terms) == paths  # below max_terms: one term per path
        for term in explanation.terms:
            values = [factor.value for factor in term.factors]
            if None not in values:
                assert math.prod(values) == pytest.approx(term.product, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("seed", range(40))
def test_random_scalar_graphs_with_reuse(seed):
    leaves, loss = random_graph(seed, broadcast=False)
    check_against_autograd(leaves, loss, np.random.default_rng(seed))


@pytest.mark.parametrize("seed", range(40))
def test_random_broadcasting_graphs(seed):
    leaves, loss = random_graph(1000 + seed, broadcast=True)
    check_against_autograd(leaves, loss, np.random.default_rng(seed))


def test_a_tensor_used_twice_gives_two_paths():
    x = gn.tensor(3.0, requires_grad=True, dtype=F64, name="x")
    explanation = gn.explain(x * x, x)
    assert [term.product for term in explanation.terms] == [3.0, 3.0]
    assert explanation.value == 6.0
    text = str(explanation)
    assert "[via mul[0]]" in text and "[via mul[1]]" in text
    assert text.splitlines()[-1] == "∂L/∂x = 3 + 3 = 6"


def test_unnamed_ops_are_shown_one_by_one():
    x = gn.tensor(2.0, requires_grad=True, dtype=F64, name="x")
    y = (x * 3.0).sigmoid()
    [term] = gn.explain(y, x).terms
    assert term.chain() == "∂L/∂[mul] · ∂[mul]/∂x"
    assert term.factors[1].value == 3.0
    assert term.factors[0].value == pytest.approx(float(y.data * (1 - y.data)))


def test_broadcast_weight_sums_over_the_elements_it_touched():
    w = gn.tensor(0.5, requires_grad=True, dtype=F64, name="w")
    x = gn.tensor([1.0, 2.0, 4.0], dtype=F64)
    scaled = w * x
    scaled.name = "scaled"
    explanation = gn.explain(scaled.sum(), w)
    assert explanation.value == 7.0
    [term] = explanation.terms
    assert [factor.value for factor in term.factors] == [None, None]  # (3,) arrays, not numbers
    assert str(explanation) == "∂L/∂w = ∂L/∂scaled · ∂scaled/∂w = [3] · [3] = 7"


def test_one_element_of_a_matrix():
    rng = np.random.default_rng(0)
    weight = gn.tensor(rng.normal(size=(2, 3)), requires_grad=True, dtype=F64, name="W")
    x = gn.tensor(rng.normal(size=(4, 3)), dtype=F64)
    loss = (gn.functional.linear(x, weight) ** 2).mean()
    explanation = gn.explain(loss, weight, index=(1, 2))
    loss.backward()
    assert explanation.value == pytest.approx(weight.grad[1, 2], rel=1e-12)
    assert explanation.wrt_label == "W[1, 2]"
    assert str(explanation).startswith("∂L/∂W[1, 2] = ")
    assert gn.explain is not None and explanation.index == (1, 2)


def test_no_path_means_zero():
    a = gn.tensor(1.0, requires_grad=True, dtype=F64, name="a")
    b = gn.tensor(2.0, requires_grad=True, dtype=F64, name="b")
    explanation = gn.explain(a * 3.0, b)
    assert explanation.value == 0.0 and explanation.terms == ()
    assert str(explanation) == "∂L/∂b = 0   (b does not reach L)"


def test_explaining_an_output_by_itself_is_one():
    a = gn.tensor(1.5, requires_grad=True, dtype=F64, name="a")
    assert gn.explain(a, a).value == 1.0


def test_float32_graphs_match_autograd_in_float32():
    rng = np.random.default_rng(1)
    w = gn.tensor(rng.normal(size=(3,)), requires_grad=True, dtype=np.float32, name="w")
    loss = ((w * w).sigmoid() * w).sum()
    explanation = gn.explain(loss, w, index=(2,))
    loss.backward()
    assert explanation.value == pytest.approx(float(w.grad[2]), rel=1e-6)
