"""The tutorial network built from gn.Tensors: autograd agrees with the hand-derived partials."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.tutorial import PARAMETER_NAMES, TrainableNetwork, gender_data


def samples(seed):
    X, y, _ = gender_data()
    rng = np.random.default_rng(seed)
    extra = [(rng.normal(size=2) * 5, rng.uniform()) for _ in range(3)]
    return [*zip(X, y, strict=True), *extra]


@pytest.mark.parametrize("seed", range(6))
def test_autograd_gradients_equal_the_hand_derived_ones(seed):
    network = TrainableNetwork(seed=seed)
    for x, y_true in samples(seed):
        hand = network.gradients(x, y_true)
        auto = network.autograd_gradients(x, y_true)
        assert list(auto) == list(PARAMETER_NAMES)
        for name in PARAMETER_NAMES:
            assert type(auto[name]) is float
            assert auto[name] == pytest.approx(hand[name], rel=1e-12, abs=1e-15), name


def test_agreement_holds_through_training():
    X, y, _ = gender_data()
    network = TrainableNetwork(seed=9)
    for _ in range(5):
        network.train(X, y, epochs=40)
        for x, y_true in zip(X, y, strict=True):
            hand, auto = network.gradients(x, y_true), network.autograd_gradients(x, y_true)
            for name in PARAMETER_NAMES:
                assert auto[name] == pytest.approx(hand[name], rel=1e-12, abs=1e-15)


def test_the_graph_carries_the_tutorials_names_and_values():
    network = TrainableNetwork(seed=2)
    x = np.array([17.0, 4.0])
    graph = network.autograd_graph(x, 0.0)
    steps = network.forward_pass(x)
    assert {name: leaf.name for name, leaf in graph.parameters.items()} == {
        name: name for name in PARAMETER_NAMES
    }
    leaves = graph.parameters.values()
    assert all(leaf.dtype == np.float64 and leaf.requires_grad for leaf in leaves)
    assert (graph.h1.name, graph.h2.name, graph.y_pred.name, graph.loss.name) == (
        "h1", "h2", "y_pred", "L"
    )
    assert float(graph.h1.data) == pytest.approx(steps.h1, rel=1e-14)
    assert float(graph.y_pred.data) == pytest.approx(steps.o1, rel=1e-14)
    assert float(graph.loss.data) == pytest.approx(steps.o1**2, rel=1e-14)
    # the graph is alive: explain reads it, backward still works afterwards
    assert gn.explain(graph.loss, graph.parameters["w3"]).value == pytest.approx(
        network.gradients(x, 0.0)["w3"], rel=1e-12
    )
    graph.loss.backward()
    assert graph.parameters["w3"].grad is not None


def test_building_the_graph_leaves_the_network_unchanged():
    network = TrainableNetwork(seed=4)
    before = network.parameters()
    network.autograd_gradients([1.0, 2.0], 1.0)
    assert network.parameters() == before
