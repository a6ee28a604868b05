"""What a clicked weight, a clicked neuron and the one-sample walkthrough say, against glassnet."""

from __future__ import annotations

import re

import numpy as np
import pytest

import glassnet as gn
from glassnet import functional as F
from glassnet.playground.config import parse_config
from glassnet.playground.explaining import neuron_explanation, weight_explanation
from glassnet.playground.network import linear_layers
from glassnet.playground.session import Session
from glassnet.playground.walkthrough import walkthrough_steps

PEOPLE = {"dataset": "people", "hidden": [2], "activation": "sigmoid", "optimizer": "sgd",
          "learning_rate": 0.1, "batch_size": 1, "seed": 0}


@pytest.mark.parametrize("layer, i, j", [(1, 0, 2), (2, 3, 1), (3, 1, 0)])
def test_sgd_step_moves_the_weight_by_minus_lr_times_the_explained_gradient(layer, i, j):
    session = Session(parse_config({"dataset": "xor", "hidden": [4, 2], "optimizer": "sgd",
                                    "learning_rate": 0.3, "batch_size": 0, "seed": 4,
                                    "regularization": "l2", "regularization_rate": 0.01}))
    session.train(3)
    reply = weight_explanation(session, layer, i, j)
    session.step()
    after = float(linear_layers(session.model)[layer - 1].weight.data[j, i])
    expected = np.float32(reply["weight"]) - np.float32(0.3) * np.float32(reply["gradient"])
    assert after == pytest.approx(float(expected), rel=1e-6, abs=1e-7)
    assert after == reply["next_weight"]
    assert "∂L/∂" in reply["text"] and f"{reply['gradient']:.6g}" in reply["text"]
    named = f"∂L/∂w({layer - 1}.{i}→{layer}.{j}) = "  # as the page names the weight
    assert reply["text"].startswith(named) and reply["text_zh"].startswith(named)


def test_the_explained_gradient_is_autograds_on_the_next_batch():
    session = Session(parse_config({"dataset": "blobs", "classes": 3, "hidden": [5],
                                    "batch_size": 16, "seed": 2}))
    session.train(7)
    reply = weight_explanation(session, 1, 1, 3)
    rows = np.array(reply["batch"])
    assert rows.tolist() == session.next_batch.tolist()
    model = session.model
    model.zero_grad()
    inputs = gn.tensor(session.dataset.inputs[rows].astype(np.float32))
    loss = F.cross_entropy(model(inputs), gn.tensor(session.dataset.targets[rows]))
    explained = gn.explain(loss, linear_layers(model)[0].weight, (3, 1)).value
    loss.backward()
    autograd = float(linear_layers(model)[0].weight.grad[3, 1])
    assert reply["gradient"] == pytest.approx(autograd, rel=1e-5)
    assert reply["gradient"] == explained


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_other_optimizers_next_weight_is_what_the_step_applies(optimizer):
    session = Session(parse_config({"dataset": "circles", "optimizer": optimizer,
                                    "hidden": [3], "seed": 5}))
    session.train(4)
    reply = weight_explanation(session, 2, 2, 0)
    session.step()
    assert float(linear_layers(session.model)[1].weight.data[0, 2]) == reply["next_weight"]


def test_alices_walkthrough_shows_the_demos_numbers():
    from glassnet.tutorial import ALICE, TrainableNetwork

    session = Session(parse_config(PEOPLE))
    steps = walkthrough_steps(session, 0)  # Alice is row 0
    by_text = {step["text"].split(" = ")[0]: step for step in steps}
    hand = TrainableNetwork(seed=0).gradients(ALICE.features, ALICE.female)
    for name, value in hand.items():
        assert by_text[f"∂L/∂{name}"]["value"] == pytest.approx(value, rel=1e-5), name
    graph = TrainableNetwork(seed=0).autograd_graph(ALICE.features, ALICE.female)
    demo_line = gn.explain(graph.loss, graph.parameters["w1"]).format(steps=True).splitlines()[0]
    assert by_text["∂L/∂w1"]["text"] == demo_line
    assert by_text["∂L/∂w1"]["highlight"] == "weight:1.0.0"
    kinds = [step["kind"] for step in steps]
    assert kinds == sorted(kinds, key=["forward", "loss", "backward"].index)


def test_walkthrough_gradients_match_autograd_for_a_deeper_network():
    session = Session(parse_config({"dataset": "blobs", "classes": 4, "hidden": [3, 2],
                                    "activation": "tanh", "seed": 1}))
    steps = walkthrough_steps(session, 7)
    model = session.model
    model.zero_grad()
    loss = F.cross_entropy(model(gn.tensor(session.dataset.inputs[7:8].astype(np.float32))),
                           gn.tensor(session.dataset.targets[7:8]))
    loss.backward()
    weights = {step["highlight"]: step["value"] for step in steps
               if step["highlight"].startswith("weight:")}
    for layer, linear in enumerate(linear_layers(model), start=1):
        out_units, in_units = linear.weight.shape
        for i in range(in_units):
            for j in range(out_units):
                assert weights[f"weight:{layer}.{i}.{j}"] == pytest.approx(
                    float(linear.weight.grad[j, i]), rel=1e-4, abs=1e-7)


def test_neuron_explanation_adds_up_to_the_forward_pass():
    session = Session(parse_config({"dataset": "xor", "hidden": [3], "activation": "relu"}))
    reply = neuron_explanation(session, 1, 2, 11)
    z = sum(term["w"] * term["x"] for term in reply["terms"]) + reply["bias"]
    assert reply["z"] == pytest.approx(z, rel=1e-6)
    assert reply["h"] == pytest.approx(max(z, 0.0), rel=1e-5, abs=1e-7)
    assert [term["x"] for term in reply["terms"]] == session.dataset.inputs[11].tolist()


def test_the_chinese_text_writes_the_chain_rule_in_chinese_with_the_same_numbers():
    session = Session(parse_config({"dataset": "xor", "hidden": [4, 2], "optimizer": "sgd",
                                    "seed": 0}))
    reply = weight_explanation(session, 2, 1, 0)
    english_chain = reply["text"].split("gn.explain:\n")[1].split("\nThe next Step")[0]
    chinese_chain = reply["text_zh"].split("gn.explain):\n")[1].split("\n下一步")[0]
    assert len(english_chain.splitlines()) == len(chinese_chain.splitlines()) >= 4
    assert "个样本 n 求和" in chinese_chain and "的反向传播交给第 3 层的值" in chinese_chain
    for english in ("Σ over", "samples", "units", "give", "what", "backward hands", "mean"):
        assert english in english_chain and english not in chinese_chain, english
    for english_line, chinese_line in zip(english_chain.splitlines(), chinese_chain.splitlines(),
                                          strict=True):
        numbers = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"
        # the same numbers, in the order each language puts them
        assert sorted(re.findall(numbers, english_line)) == sorted(re.findall(numbers,
                                                                              chinese_line))


def test_the_diagnosis_panel_gives_each_finding_in_chinese_with_the_same_numbers():
    session = Session(parse_config({"dataset": "xor", "hidden": [4], "activation": "relu",
                                    "learning_rate": 10, "seed": 0}))
    session.train(60)  # a learning rate of 10 kills every ReLU unit
    codes = [finding["code"] for finding in session.diagnosis]
    assert "dead_relu" in codes
    numbers = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"
    for finding in session.diagnosis:
        english, chinese = finding["message"], finding["message_zh"]
        assert re.search(r"[\u4e00-\u9fff]", chinese) and "Try:" not in chinese
        assert "可以尝试" in chinese and "Try:" in english
        assert sorted(re.findall(numbers, english)) == sorted(re.findall(numbers, chinese))
