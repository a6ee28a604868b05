"""gn.explain on the tutorial's 2-2-1 network: the chain rule of the text, with its numbers."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.tutorial import ALICE, PARAMETER_NAMES, TrainableNetwork, gender_data

CHAINS = {
    "w1": "∂L/∂y_pred · ∂y_pred/∂h1 · ∂h1/∂w1",
    "w2": "∂L/∂y_pred · ∂y_pred/∂h1 · ∂h1/∂w2",
    "w3": "∂L/∂y_pred · ∂y_pred/∂h2 · ∂h2/∂w3",
    "w4": "∂L/∂y_pred · ∂y_pred/∂h2 · ∂h2/∂w4",
    "w5": "∂L/∂y_pred · ∂y_pred/∂w5",
    "w6": "∂L/∂y_pred · ∂y_pred/∂w6",
    "b1": "∂L/∂y_pred · ∂y_pred/∂h1 · ∂h1/∂b1",
    "b2": "∂L/∂y_pred · ∂y_pred/∂h2 · ∂h2/∂b2",
    "b3": "∂L/∂y_pred · ∂y_pred/∂b3",
}


def tutorial_example_network():
    """The worked example of the text: every weight 1, every bias 0."""
    network = TrainableNetwork(seed=0)
    network.set_parameters({name: 1.0 if name[0] == "w" else 0.0 for name in PARAMETER_NAMES})
    return network


def samples():
    X, y, _ = gender_data()
    rng = np.random.default_rng(11)
    return [*zip(X, y, strict=True), (rng.normal(size=2), 0.3)]


@pytest.mark.parametrize("seed", range(4))
def test_every_parameter_matches_autograd_and_the_hand_derivation(seed):
    network = TrainableNetwork(seed=seed)
    for x, y_true in samples():
        hand = network.gradients(x, y_true)
        graph = network.autograd_graph(x, y_true)
        explanations = {
            name: gn.explain(graph.loss, leaf) for name, leaf in graph.parameters.items()
        }
        graph.loss.backward()
        for name, leaf in graph.parameters.items():
            explanation = explanations[name]
            assert explanation.value == pytest.approx(float(leaf.grad), rel=1e-12, abs=1e-15)
            assert explanation.value == pytest.approx(hand[name], rel=1e-12, abs=1e-15)
            [term] = explanation.terms
            assert term.chain() == CHAINS[name]
            factor_product = math.prod(factor.value for factor in term.factors)
            assert factor_product == pytest.approx(term.product, rel=1e-12, abs=1e-15)
            assert term.product == pytest.approx(explanation.value, rel=1e-12, abs=1e-15)


def test_factors_are_the_tutorials_partials():
    network = TrainableNetwork(seed=3)
    x, y_true = np.array([-2.0, -1.0]), 1.0
    steps = network.forward_pass(x)
    slope = lambda total: math.exp(-total) / (1 + math.exp(-total)) ** 2  # noqa: E731
    graph = network.autograd_graph(x, y_true)
    [term] = gn.explain(graph.loss, graph.parameters["w1"]).terms
    dl_dypred, dypred_dh1, dh1_dw1 = (factor.value for factor in term.factors)
    assert dl_dypred == pytest.approx(-2 * (y_true - steps.o1), rel=1e-12)
    assert dypred_dh1 == pytest.approx(network.w5 * slope(steps.sum_o1), rel=1e-12)
    assert dh1_dw1 == pytest.approx(x[0] * slope(steps.sum_h1), rel=1e-12)


def test_the_texts_worked_example_prints_its_numbers():
    graph = tutorial_example_network().autograd_graph(ALICE.features, ALICE.female)
    text = str(gn.explain(graph.loss, graph.parameters["w1"]))
    # the original: ∂L/∂w1 = −0.952 · 0.249 · −0.0904 = 0.0214
    assert text == (
        "∂L/∂w1 = ∂L/∂y_pred · ∂y_pred/∂h1 · ∂h1/∂w1 = (-0.9526) · (0.2494) · (-0.09035) = 0.02147"
    )


def test_steps_show_the_ops_folded_into_each_factor():
    graph = tutorial_example_network().autograd_graph(ALICE.features, ALICE.female)
    explanation = gn.explain(graph.loss, graph.parameters["w1"])
    lines = explanation.format(steps=True, named=False).splitlines()
    assert lines[0] == str(explanation)
    assert any(line.strip().startswith("where ∂h1/∂w1 = ∂h1/∂[add]") for line in lines)
    for factor in explanation.terms[0].factors:
        if len(factor.steps) > 1:
            assert math.prod(step.value for step in factor.steps) == pytest.approx(factor.value)
    h1_factor = explanation.terms[0].factors[2]
    assert h1_factor.ops == ("sigmoid", "add", "add", "mul")
    assert [step.value for step in h1_factor.steps][1:] == [1.0, 1.0, -2.0]  # x1 = −2


def test_an_intermediate_can_be_the_wrt():
    network = TrainableNetwork(seed=1)
    x, y_true = np.array([0.5, -0.2]), 0.0
    graph = network.autograd_graph(x, y_true)
    explanation = gn.explain(graph.loss, graph.h1)
    steps = network.forward_pass(x)
    slope_o1 = steps.o1 * (1 - steps.o1)
    expected = -2 * (y_true - steps.o1) * network.w5 * slope_o1
    assert explanation.value == pytest.approx(expected, rel=1e-12)
    assert explanation.terms[0].chain() == "∂L/∂y_pred · ∂y_pred/∂h1"
