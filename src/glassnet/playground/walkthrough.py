"""One sample, step by step, as the tutorial computes it: forward through every unit, the loss,
then backward — every partial derivative as a product of local ones, with the numbers.

Forward, unit j of layer L:   z = Σᵢ wᵢⱼ xᵢ + bⱼ,   h = f(z)
Loss on the sample (no penalty): the network's loss with one row, e.g. (y − ŷ)² for the people
Backward, from the output down:
    ∂L/∂hⱼ = Σₖ ∂L/∂hₖ · ∂hₖ/∂hⱼ          with ∂hₖ/∂hⱼ = f′(zₖ)·wⱼₖ
    ∂L/∂wᵢⱼ = ∂L/∂hⱼ · ∂hⱼ/∂wᵢⱼ           with ∂hⱼ/∂wᵢⱼ = f′(zⱼ)·xᵢ
    ∂L/∂bⱼ = ∂L/∂hⱼ · f′(zⱼ)
When a unit feeds a single unit above it, its weights' partials are written with three factors,
∂L/∂hₖ · ∂hₖ/∂hⱼ · ∂hⱼ/∂w, as ``glassnet demo`` prints ∂L/∂w1 for the tutorial's network (whose
units and weights keep the tutorial's names h1, h2, y_pred, w1..w6, b1..b3 here).
Computed in float64 from the network's float32 weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.playground import network
from glassnet.playground.explaining import activation_of

DIGITS = 4  # as glassnet demo and gn.explain print them


def value_text(value: float) -> str:
    return f"{value:.{DIGITS}g}"


def factor(value: float) -> str:
    return f"({value_text(value)})"


class Labels:
    """Names for units and parameters: the tutorial's for its network, else "h[L.j]", "w[L.i.j]".
    """

    def __init__(self, tutorial: bool) -> None:
        self.tutorial = tutorial

    def unit(self, layer: int, j: int) -> str:
        if self.tutorial:
            return ("x1", "x2")[j] if layer == 0 else "y_pred" if layer == 2 else f"h{j + 1}"
        return f"x{j + 1}" if layer == 0 else f"h[{layer}.{j}]"

    def weight(self, layer: int, i: int, j: int) -> str:
        if self.tutorial:
            return f"w{2 * j + i + 1}" if layer == 1 else f"w{5 + i}"
        return f"w[{layer}.{i}.{j}]"

    def bias(self, layer: int, j: int) -> str:
        if self.tutorial:
            return f"b{j + 1}" if layer == 1 else "b3"
        return f"b[{layer}.{j}]"


def derivative(activation: str, z: np.ndarray, h: np.ndarray) -> np.ndarray:
    """f′(z) from z and h = f(z): σ′ = h(1 − h), tanh′ = 1 − h², ReLU′ = [z > 0], linear 1."""
    if activation == "sigmoid":
        return h * (1.0 - h)
    if activation == "tanh":
        return 1.0 - h * h
    if activation == "relu":
        return (z > 0).astype(np.float64)
    return np.ones_like(z)


def apply(activation: str, z: np.ndarray) -> np.ndarray:
    if activation == "sigmoid":
        return 0.5 * np.tanh(0.5 * z) + 0.5
    if activation == "tanh":
        return np.tanh(z)
    if activation == "relu":
        return np.maximum(z, 0.0)
    return z


def loss_and_slope(session: Any, output: np.ndarray, sample: int
                   ) -> tuple[float, np.ndarray, str]:
    """(L, ∂L/∂output, the formula in words) for one sample's output (units,)."""
    name = network.loss_name(session.dataset)
    target = session.dataset.targets[sample]
    if name == "mse":
        y = float(target)
        residual = y - output[0]
        return float(residual**2), np.array([-2.0 * residual]), (
            f"L = (y_true − y_pred)² = ({value_text(y)} − {value_text(output[0])})²")
    if name == "bce_with_logits":
        y = float(target)
        p = float(apply("sigmoid", output)[0])
        loss = float(np.logaddexp(0.0, output[0]) - y * output[0])  # −[y log p + (1−y) log(1−p)]
        return loss, np.array([p - y]), (
            f"L = −[y log σ(z) + (1 − y) log(1 − σ(z))], y = {y:g}, σ(z) = {value_text(p)}")
    shifted = output - output.max()
    probabilities = np.exp(shifted) / np.exp(shifted).sum()
    label = int(target)
    slope = probabilities.copy()
    slope[label] -= 1.0
    return float(-np.log(probabilities[label])), slope, (
        f"L = −log softmax(z)[{label}] = −log {value_text(probabilities[label])}")


def walkthrough_steps(session: Any, sample: int) -> list[dict[str, Any]]:
    """/api/walkthrough's steps for dataset row ``sample``."""
    linears = network.linear_layers(session.model)
    count = len(linears)
    labels = Labels(network.is_tutorial_network(session.config, session.dataset))
    weights = [linear.weight.data.astype(np.float64) for linear in linears]  # (out, in)
    biases = [linear.bias.data.astype(np.float64) for linear in linears]
    activations = [activation_of(session, layer) for layer in range(1, count + 1)]
    values = [session.dataset.inputs[sample].astype(np.float32).astype(np.float64)]
    sums = [np.zeros(0)]
    steps: list[dict[str, Any]] = []
    for layer in range(1, count + 1):
        below = values[-1]
        z = weights[layer - 1] @ below + biases[layer - 1]
        h = apply(activations[layer - 1], z)
        sums.append(z)
        values.append(h)
        for j in range(len(z)):
            terms = " + ".join(f"{labels.weight(layer, i, j)}·{labels.unit(layer - 1, i)}"
                               for i in range(len(below)))
            numbers = " + ".join(f"{factor(weights[layer - 1][j, i])}·{factor(below[i])}"
                                 for i in range(len(below)))
            unit = labels.unit(layer, j)
            text = (f"{unit} = {activations[layer - 1]}({terms} + {labels.bias(layer, j)}) = "
                    f"{activations[layer - 1]}({numbers} + {factor(biases[layer - 1][j])}) = "
                    f"{activations[layer - 1]}({value_text(z[j])}) = {value_text(h[j])}")
            steps.append(step("forward", text, f"前向:{text}", f"neuron:{layer}.{j}", h[j]))
    loss, slope, formula = loss_and_slope(session, values[-1], sample)
    text = f"{formula} = {value_text(loss)}"
    steps.append(step("loss", text, f"损失:{text}", "loss", loss))
    # slope: ∂L/∂h of the current layer's units; for the last layer ∂L/∂(its output)
    unit_slopes: list[np.ndarray] = [np.zeros(0)] * (count + 1)
    unit_slopes[count] = slope
    upper_local = np.ones(0)  # f′(z) of the layer above, set once that layer is done
    for layer in range(count, 0, -1):
        z, h = sums[layer], values[layer]
        if layer == count and activations[-1] == "linear":
            local = np.ones_like(z)  # the loss's slope is already with respect to z
        else:
            local = derivative(activations[layer - 1], z, h)
        if layer < count:
            unit_slopes[layer] = weights[layer].T @ (unit_slopes[layer + 1] * upper_local)
            for j in range(len(z)):
                steps.append(unit_slope_step(labels, layer, j, unit_slopes, weights,
                                             upper_local))
        else:
            for j in range(len(z)):
                name = labels.unit(layer, j)
                text = f"∂L/∂{name} = {value_text(slope[j])}"
                steps.append(step("backward", text, f"反向:{text}", f"neuron:{layer}.{j}",
                                  slope[j]))
        below = values[layer - 1]
        for j in range(len(z)):
            for i in range(len(below)):
                steps.append(weight_step(labels, layer, i, j, unit_slopes, weights, local,
                                         below, upper_local if layer < count else None))
            value = unit_slopes[layer][j] * local[j]
            name = labels.bias(layer, j)
            text = (f"∂L/∂{name} = ∂L/∂{labels.unit(layer, j)} · ∂{labels.unit(layer, j)}/∂{name}"
                    f" = {factor(unit_slopes[layer][j])} · {factor(local[j])} = "
                    f"{value_text(value)}")
            steps.append(step("backward", text, f"反向:{text}", f"neuron:{layer}.{j}", value))
        upper_local = local
    return steps


def unit_slope_step(labels: Labels, layer: int, j: int, unit_slopes: list[np.ndarray],
                    weights: list[np.ndarray], upper_local: np.ndarray) -> dict[str, Any]:
    """∂L/∂hⱼ = Σₖ ∂L/∂hₖ · ∂hₖ/∂hⱼ, ∂hₖ/∂hⱼ = f′(zₖ)·wⱼₖ, over the units k of layer + 1."""
    name = labels.unit(layer, j)
    above = range(len(unit_slopes[layer + 1]))
    chain = " + ".join(f"∂L/∂{labels.unit(layer + 1, k)} · ∂{labels.unit(layer + 1, k)}/∂{name}"
                       for k in above)
    numbers = " + ".join(
        f"{factor(unit_slopes[layer + 1][k])} · {factor(upper_local[k] * weights[layer][k, j])}"
        for k in above)
    value = unit_slopes[layer][j]
    text = f"∂L/∂{name} = {chain} = {numbers} = {value_text(value)}"
    return step("backward", text, f"反向:{text}", f"neuron:{layer}.{j}", value)


def weight_step(labels: Labels, layer: int, i: int, j: int, unit_slopes: list[np.ndarray],
                weights: list[np.ndarray], local: np.ndarray, below: np.ndarray,
                upper_local: np.ndarray | None) -> dict[str, Any]:
    """∂L/∂wᵢⱼ = ∂L/∂hⱼ · ∂hⱼ/∂wᵢⱼ, the first factor split along the one path when hⱼ feeds a
    single unit above."""
    name, unit = labels.weight(layer, i, j), labels.unit(layer, j)
    own = local[j] * below[i]  # ∂hⱼ/∂wᵢⱼ = f′(zⱼ)·xᵢ
    value = unit_slopes[layer][j] * own
    if upper_local is not None and len(upper_local) == 1:
        top = labels.unit(layer + 1, 0)
        link = upper_local[0] * weights[layer][0, j]
        chain = f"∂L/∂{top} · ∂{top}/∂{unit} · ∂{unit}/∂{name}"
        numbers = f"{factor(unit_slopes[layer + 1][0])} · {factor(link)} · {factor(own)}"
    else:
        chain = f"∂L/∂{unit} · ∂{unit}/∂{name}"
        numbers = f"{factor(unit_slopes[layer][j])} · {factor(own)}"
    text = f"∂L/∂{name} = {chain} = {numbers} = {value_text(value)}"
    return step("backward", text, f"反向:{text}", f"weight:{layer}.{i}.{j}", value)


def step(kind: str, text: str, text_zh: str, highlight: str, value: float) -> dict[str, Any]:
    return {"kind": kind, "text": text, "text_zh": text_zh, "highlight": highlight,
            "value": float(value)}
