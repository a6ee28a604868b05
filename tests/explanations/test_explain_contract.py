"""What explain promises besides its numbers: no side effects, clear errors, bounded output,
and bounded work, counted in backward calls and Python calls rather than timed."""

import gc
import sys
from collections import Counter

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import nn
from glassnet.tutorial import PARAMETER_NAMES, TrainableNetwork

F64 = np.float64


def tutorial_graph():
    return TrainableNetwork(seed=5).autograd_graph([1.5, -0.5], 1.0)


def test_explaining_changes_no_grad_and_leaves_the_graph_usable():
    graph = tutorial_graph()
    leaves = graph.parameters.values()
    for leaf in leaves:
        gn.explain(graph.loss, leaf)
        gn.explain(graph.loss, graph.h2)
    assert all(leaf.grad is None for leaf in leaves)
    graph.loss.backward()
    fresh = tutorial_graph()
    fresh.loss.backward()
    for name in PARAMETER_NAMES:
        assert graph.parameters[name].grad == fresh.parameters[name].grad


def test_explaining_twice_gives_the_same_answer():
    rng = np.random.default_rng(2)
    w = gn.tensor(rng.normal(size=(4, 3)), requires_grad=True, dtype=F64, name="w")
    loss = F.softmax(w, axis=1).max(axis=1).sum()
    first = gn.explain(loss, w, index=(2, 1))
    second = gn.explain(loss, w, index=(2, 1))
    assert first == second and w.grad is None


def test_a_freed_graph_is_an_error_that_says_what_to_do():
    graph = tutorial_graph()
    graph.loss.backward()
    with pytest.raises(gn.GraphFreedError, match=r"freed by backward\(\).*retain_graph=True"):
        gn.explain(graph.loss, graph.parameters["w1"])


def test_after_backward_with_retain_graph_explain_still_works():
    graph = tutorial_graph()
    graph.loss.backward(retain_graph=True)
    w1 = graph.parameters["w1"]
    gradient = float(w1.grad)
    assert gn.explain(graph.loss, w1).value == pytest.approx(gradient, rel=1e-12)
    assert float(w1.grad) == gradient  # still the one backward() wrote


def test_errors_say_what_was_expected():
    w = gn.tensor(np.ones((2, 2)), requires_grad=True, dtype=F64, name="w")
    out = w * 2.0
    with pytest.raises(gn.ShapeError, match=r"scalar output.*shape \(2, 2\).*mean\(\)"):
        gn.explain(out, w, index=(0, 0))
    loss = out.sum()
    with pytest.raises(gn.ShapeError, match=r"2 integer\(s\)"):
        gn.explain(loss, w, index=1)
    with pytest.raises(IndexError, match=r"out of range"):
        gn.explain(loss, w, index=(0, 2))
    with pytest.raises(gn.GlassnetError, match="requires_grad=True"):
        gn.explain(loss, gn.tensor(1.0))
    with pytest.raises(TypeError, match="Tensor; got float"):
        gn.explain(1.0, w)


def test_negative_indices_pick_the_same_element():
    w = gn.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, dtype=F64, name="w")
    loss = (w * w).sum()
    last = gn.explain(loss, w, index=(-1, -1))
    assert last.value == gn.explain(loss, w, index=(1, 2)).value == 10.0


def test_many_paths_are_grouped_by_named_tensor_and_printed_briefly():
    x = gn.tensor(0.3, requires_grad=True, dtype=F64, name="x")
    y = x
    for layer in range(10):  # each layer uses y three times: 3^10 paths
        y = y * y.sigmoid() + y
        y.name = f"y{layer}"
    loss = y * 1.0
    explanation = gn.explain(loss, x)
    assert explanation.path_count == 3**10
    assert explanation.grouping == "use"  # the named routes branch too: 2^10 > max_terms
    loss.backward()
    assert explanation.value == pytest.approx(float(x.grad), rel=1e-12)
    assert sum(t.product for t in explanation.terms) == pytest.approx(explanation.value, rel=1e-12)
    assert len(str(explanation).splitlines()) <= 14


def test_unnamed_branches_are_grouped_between_named_tensors():
    x = gn.tensor(0.7, requires_grad=True, dtype=F64, name="x")
    y = x
    for _ in range(8):  # 3^8 paths, all through unnamed tensors
        y = y * y.sigmoid() + y
    y.name = "y"
    loss = (y * y.tanh()).sum()
    explanation = gn.explain(loss, x)
    assert explanation.grouping == "named"
    # y reaches L along 2 edges (mul, tanh) and x enters the first layer along 3: 6 groups
    assert [term.chain() for term in explanation.terms] == ["∂L/∂y · ∂y/∂x"] * 6
    loss.backward()
    assert explanation.value == pytest.approx(float(x.grad), rel=1e-12)
    assert sum(t.product for t in explanation.terms) == pytest.approx(explanation.value, rel=1e-12)
    assert "grouped by named tensor" in str(explanation)


def graph_nodes(output):
    """Every node of ``output``'s graph."""
    found, pending = {}, [output._ctx]
    while pending:
        node = pending.pop()
        if node is not None and id(node) not in found:
            found[id(node)] = node
            pending.extend(tensor._ctx for tensor in node.inputs)
    return list(found.values())


def count_backward_calls(monkeypatch, output):
    """Calls of backward per node of ``output``'s graph (node -> count), as they happen."""
    calls = Counter()
    originals = {type(node): type(node).backward for node in graph_nodes(output)}
    for op, backward in originals.items():  # read before any is wrapped: subclasses share them

        def counted(node, grad, backward=backward):
            calls[node] += 1
            return backward(node, grad)

        monkeypatch.setattr(op, "backward", counted)
    return calls


def times_each_node_ran_backward(calls, output):
    """{times: how many nodes ran backward that many times}, over every node of the graph."""
    return Counter(calls[node] for node in graph_nodes(output))


def python_calls(function):
    """How many Python and C functions run during function(): deterministic, unlike a clock."""
    count = 0

    def profile(frame, event, argument):
        nonlocal count
        count += event in ("call", "c_call")

    enabled = gc.isenabled()
    gc.disable()  # a collection would run finalizers at a moment that varies from run to run
    sys.setprofile(profile)
    try:
        function()
    finally:
        sys.setprofile(None)
        if enabled:
            gc.enable()
    return count


def mlp_loss(named):
    rng = np.random.default_rng(0)
    x = gn.tensor(rng.normal(size=(64, 784)), dtype=F64)
    labels = gn.tensor(rng.integers(0, 10, size=64))
    W1 = gn.tensor(rng.normal(size=(256, 784)) * 0.05, requires_grad=True, dtype=F64, name="W1")
    b1 = gn.tensor(np.zeros(256), requires_grad=True, dtype=F64, name="b1")
    W2 = gn.tensor(rng.normal(size=(10, 256)) * 0.05, requires_grad=True, dtype=F64, name="W2")
    b2 = gn.tensor(np.zeros(10), requires_grad=True, dtype=F64, name="b2")
    hidden = F.relu(F.linear(x, W1, b1))
    logits = F.linear(hidden, W2, b2)
    if named:
        hidden.name, logits.name = "h", "logits"
    return F.cross_entropy(logits, labels), W1


@pytest.mark.parametrize("named", [True, False])
def test_one_weight_of_a_784_256_10_mlp_is_explained_quickly(monkeypatch, named):
    loss, W1 = mlp_loss(named)
    calls = count_backward_calls(monkeypatch, loss)
    explanation = gn.explain(loss, W1, index=(3, 5))
    text = str(explanation)
    # two backward sweeps over the 4 nodes (the value, then the one path), not one per element,
    # and one more of the ReLU for its derivative f′
    assert times_each_node_ran_backward(calls, loss) == {2: 3, 3: 1}
    loss.backward()
    assert explanation.value == pytest.approx(float(W1.grad[3, 5]), rel=1e-10, abs=1e-14)
    assert sum(t.product for t in explanation.terms) == pytest.approx(explanation.value, rel=1e-10)
    # the sum over the samples, f′, the sum over the 10 outputs, the loss's gradient
    assert len(text.splitlines()) == 6 and len(text) < 1000
    hidden = "h" if named else "a1"
    assert text.startswith("∂L/∂W1[3, 5] = Σ over 64 samples n of ∂L/∂z1[n, 3] · x[n, 5] = ")
    assert f"ReLU′(z1[{explanation.links[0].largest[0].position}, 3]) · ∂L/∂{hidden}" in text


@pytest.fixture
def float64_default():
    previous = gn.get_default_dtype()
    gn.set_default_dtype(np.float64)
    yield
    gn.set_default_dtype(previous)


def test_a_weight_of_a_gn_nn_model_is_explained(float64_default, monkeypatch):

    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    rng = np.random.default_rng(1)
    x = gn.tensor(rng.normal(size=(64, 784)))
    labels = gn.tensor(rng.integers(0, 10, size=64))
    loss = nn.CrossEntropyLoss()(model(x), labels)
    weight = model[0].weight
    assert weight.dtype == np.float64
    calls = count_backward_calls(monkeypatch, loss)
    explanation = gn.explain(loss, weight, index=(7, 100))
    assert times_each_node_ran_backward(calls, loss) == {2: 3, 3: 1}  # as for F.linear's MLP
    loss.backward()
    assert explanation.value == pytest.approx(float(weight.grad[7, 100]), rel=1e-10, abs=1e-14)
    assert str(explanation).startswith("∂L/∂wrt[7, 100] = ")  # an unnamed weight


def test_the_summary_of_an_nn_model_runs_each_backward_once(float64_default, monkeypatch):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(30, 20), nn.ReLU(), nn.Linear(20, 10), nn.Sigmoid(),
                          nn.Linear(10, 4))
    rng = np.random.default_rng(1)
    x = gn.tensor(rng.normal(size=(32, 30)))
    loss = nn.CrossEntropyLoss()(model(x), gn.tensor(rng.integers(0, 4, size=32)))
    calls = count_backward_calls(monkeypatch, loss)
    explanation = gn.explain(loss, model[0].weight)
    # one sweep over the 6 nodes, and each activation once more for its f′
    assert times_each_node_ran_backward(calls, loss) == {1: 4, 2: 2}
    assert [record.weight_name for record in explanation.layers] == ["W3", "W2", "W1"]
    assert [record.activation and record.activation.activation
            for record in explanation.layers] == [None, "sigmoid", "relu"]
    assert str(explanation).startswith("∂L/∂wrt over its 20×30 elements: RMS ")
    loss.backward()
    grad = model[0].weight.grad
    assert explanation.gradient.rms == pytest.approx(np.sqrt(np.mean(grad**2)), rel=1e-12)
    assert explanation.layers[2].weight_gradient.max_abs == pytest.approx(np.abs(grad).max())
    second = model[2].weight.grad
    assert explanation.layers[1].weight_gradient.rms == pytest.approx(
        np.sqrt(np.mean(second**2)), rel=1e-12)


def long_chain(links):
    x = gn.tensor(0.1, requires_grad=True, dtype=F64, name="x")
    y = x
    for _ in range(links):
        y = (y * 0.999).tanh() + 0.001
    return x, y


def test_a_long_unnamed_chain_is_folded_into_one_line(monkeypatch):
    x, y = long_chain(2000)
    calls = count_backward_calls(monkeypatch, y)
    explanation = gn.explain(y, x)
    # 6000 ops, each run backward a fixed three times however long the chain
    assert times_each_node_ran_backward(calls, y) == {3: 6000}
    y.backward()
    assert explanation.value == pytest.approx(float(x.grad), rel=1e-12)
    assert str(explanation).endswith("(one path, 6000 ops: add, tanh, mul)")


def test_explaining_a_chain_twice_as_long_costs_twice_the_work():
    # what a clock would miss in the backward counts: bookkeeping that grows with the square
    # of the path's length (a path's lists are linked so that growing one stays O(1))
    counts = []
    for links in (500, 1000):
        x, y = long_chain(links)
        counts.append(python_calls(lambda x=x, y=y: gn.explain(y, x)))
    short, long = counts
    assert 1.9 * short < long < 2.1 * short
