"""format(steps=True, named=True): each op's derivative in the tutorial's names, same numbers."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.tutorial import ALICE, PARAMETER_NAMES, TrainableNetwork


def worked_example():
    network = TrainableNetwork(seed=0)
    network.set_parameters({name: 1.0 if name[0] == "w" else 0.0 for name in PARAMETER_NAMES})
    return network


def test_the_worked_example_reads_as_the_tutorial_writes_it():
    graph = worked_example().autograd_graph(ALICE.features, ALICE.female)
    explanation = gn.explain(graph.loss, graph.parameters["w1"])
    assert explanation.format(steps=True, named=True).splitlines() == [
        str(explanation),
        "  where ∂L/∂y_pred = 2·(1 − y_pred) · (−1) = (0.9526) · (-1)",
        "  where ∂y_pred/∂h1 = f′(w5·h1 + w6·h2 + b3) · w5 = (0.2494) · (1)",
        "  where ∂h1/∂w1 = f′(w1·x1 + w2·x2 + b1) · x1 = (0.04518) · (-2)",
    ]
    # the op-by-op form stays as it was
    assert "∂[add]/∂[add]" in explanation.format(steps=True, named=False)


@pytest.mark.parametrize("seed", range(3))
def test_each_named_derivative_is_the_number_beside_it(seed):
    network = TrainableNetwork(seed=seed)
    x, y_true = np.array([-2.0, 1.5]), 1.0
    steps = network.forward_pass(x)
    slope = lambda total: math.exp(-total) / (1 + math.exp(-total)) ** 2  # noqa: E731
    graph = network.autograd_graph(x, y_true)
    [term] = gn.explain(graph.loss, graph.parameters["w1"]).terms
    by_hand = {
        "2·(1 − y_pred)": 2 * (y_true - steps.o1),
        "−1": -1.0,
        "f′(w5·h1 + w6·h2 + b3)": slope(steps.sum_o1),
        "w5": network.w5,
        "f′(w1·x1 + w2·x2 + b1)": slope(steps.sum_h1),
        "x1": x[0],
    }
    named = [step for factor in term.factors for step in factor.steps if step.symbol != "1"]
    assert [step.symbol for step in named] == list(by_hand)
    for step in named:
        assert step.value == pytest.approx(by_hand[step.symbol], rel=1e-12)
    for factor in term.factors:  # leaving out the 1s leaves each factor's value as it is
        assert math.prod(s.value for s in factor.steps if s.symbol != "1") == pytest.approx(
            factor.value, rel=1e-12)
