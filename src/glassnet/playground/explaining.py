"""What the page says when a weight or a neuron is clicked, in English and Chinese.

A weight: ∂L/∂w by ``gn.explain`` on the batch the next Step will use (L = the batch's mean loss
plus the penalty, the very loss the Step differentiates), and the update that Step will apply,
computed by running the optimizer on copies of the network and the optimizer: for SGD it is
w − lr·∂L/∂w, for momentum and Adam what their state makes of it.

A neuron: its forward computation for one sample, z = Σᵢ wᵢxᵢ + b and h = f(z), with the numbers
(the xᵢ are the layer below's outputs for that sample).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

import glassnet as gn
from glassnet.playground import network
from glassnet.playground.picture import unit_outputs

OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "SGD with momentum 0.9", "adam": "Adam"}
OPTIMIZER_NAMES_ZH = {"sgd": "SGD", "momentum": "带动量 0.9 的 SGD", "adam": "Adam"}


def number(value: float) -> str:
    """6 significant digits, the way the page prints a weight or a gradient."""
    return f"{value:.6g}"


def next_weight(session: Any, layer: int, i: int, j: int) -> float:
    """w[layer.i.j] after the next Step, by that Step run on copies of network and optimizer."""
    model, optimizer = copy.deepcopy((session.model, session.optimizer))
    loss = network.batch_loss(session.config, session.dataset, model, session.next_batch)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(network.linear_layers(model)[layer - 1].weight.data[j, i])


def weight_explanation(session: Any, layer: int, i: int, j: int) -> dict[str, Any]:
    """/api/explain/weight: the gradient of w[layer.i.j] (unit i of layer − 1 to unit j of
    layer) on the next batch, as gn.explain writes it, and the update the next Step applies."""
    rows = session.next_batch
    weight = network.linear_layers(session.model)[layer - 1].weight
    loss = session.loss_on(rows)
    explanation = gn.explain(loss, weight, (j, i))  # Linear's weight is (out, in)
    gradient = explanation.value
    before = float(weight.data[j, i])
    after = next_weight(session, layer, i, j)
    lr = session.config.learning_rate
    label = f"w({layer - 1}.{i}→{layer}.{j})"  # as the page names it: from unit i to unit j
    loss_words = "the mean loss over the batch" + (
        " plus the penalty" if network.penalty(session.config, session.model) is not None else "")
    chain = explanation.format(steps=True)
    chain_zh = explanation.format(steps=True, language="zh")
    optimizer = session.config.optimizer
    if optimizer == "sgd":
        update = (f"w ← w − lr·∂L/∂w = {number(before)} − {lr:g} × ({number(gradient)}) = "
                  f"{number(after)}")
        update_zh = update
    else:
        update = (f"{OPTIMIZER_NAMES[optimizer]} turns this gradient (and its memory of earlier "
                  f"ones) into w ← {number(after)} (from {number(before)}, a change of "
                  f"{number(after - before)}).")
        update_zh = (f"{OPTIMIZER_NAMES_ZH[optimizer]} 根据这个梯度(以及之前梯度的记忆)把 w 从 "
                     f"{number(before)} 更新为 {number(after)}(变化 {number(after - before)})。")
    text = (f"∂L/∂{label} = {number(gradient)}: the weight from unit {i} of layer {layer - 1} to "
            f"unit {j} of layer {layer}, on the {len(rows)} rows of the next Step's batch (L = "
            f"{loss_words}). The chain rule, from gn.explain:\n{chain}\n"
            f"The next Step ({OPTIMIZER_NAMES[optimizer]}, learning rate {lr:g}):\n{update}")
    text_zh = (f"∂L/∂{label} = {number(gradient)}:从第 {layer - 1} 层的单元 {i} 到第 {layer} 层的"
               f"单元 {j} 的权重,在下一步将使用的 {len(rows)} 行数据上计算(L = 这批数据的平均损失"
               f"{'加上正则项' if 'penalty' in loss_words else ''})。链式法则(来自 gn.explain):"
               f"\n{chain_zh}\n下一步({OPTIMIZER_NAMES_ZH[optimizer]},学习率 {lr:g}):\n{update_zh}")
    return {"layer": layer, "i": i, "j": j, "text": text, "text_zh": text_zh,
            "gradient": gradient, "weight": before, "learning_rate": lr,
            "next_weight": after, "optimizer": optimizer, "batch": rows.tolist()}


def activation_of(session: Any, layer: int) -> str:
    """The function f of layer's units: the config's for hidden layers; for the last, sigmoid
    (the people's network) or linear (logits or values, which the loss reads as they are)."""
    last = layer == len(network.linear_layers(session.model))
    if not last:
        return session.config.activation
    return "sigmoid" if network.uses_tutorial_loss(session.dataset) else "linear"


def neuron_explanation(session: Any, layer: int, j: int, sample: int) -> dict[str, Any]:
    """/api/explain/neuron: z = Σᵢ wᵢxᵢ + b and h = f(z) of unit j of layer for one sample."""
    inputs = session.dataset.inputs[sample:sample + 1]
    outputs = unit_outputs(session.model, inputs)
    below = outputs[layer - 1][0]
    linear = network.linear_layers(session.model)[layer - 1]
    weights = linear.weight.data[j].astype(np.float64)
    bias = float(linear.bias.data[j])
    z = float(np.dot(weights, below) + bias)
    h = float(outputs[layer][0, j])
    activation = activation_of(session, layer)
    terms = [{"w": float(w), "x": float(x)} for w, x in zip(weights, below, strict=True)]
    sum_text = " + ".join(f"({number(term['w'])})·({number(term['x'])})" for term in terms)
    formula = f"z = Σᵢ wᵢxᵢ + b = {sum_text} + ({number(bias)}) = {number(z)}"
    applied = f"h = {activation}(z) = {activation}({number(z)}) = {number(h)}"
    who = session.dataset.row_names[sample] if session.dataset.row_names else f"row {sample}"
    text = (f"Unit {j} of layer {layer} on {who}: it weighs the {len(terms)} outputs xᵢ of layer "
            f"{layer - 1}, adds its bias, and applies {activation}.\n{formula}\n{applied}")
    who_zh = who if session.dataset.row_names else f"第 {sample} 行"
    text_zh = (f"第 {layer} 层的单元 {j} 在{who_zh}上:把第 {layer - 1} 层的 {len(terms)} 个输出 "
               "xᵢ 加权求和,加上偏置,再经过 "
               f"{activation}。\n{formula}\n{applied}")
    return {"layer": layer, "j": j, "sample": sample, "text": text, "text_zh": text_zh,
            "terms": terms, "bias": bias, "z": z, "h": h, "activation": activation}
