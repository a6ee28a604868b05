"""gn.diagnose's findings for the page: each with the units of the picture it is about.

A finding names a layer by its place in the Sequential ("1" for the activation after the first
Linear, "0.weight" for that Linear's weight); the picture numbers layers by their Linear
(layer 1 is the first Linear's units). dead_relu lists the dead units; the other layer findings
(saturated activations, exploding or vanishing gradients) are about the whole layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import glassnet as gn
from glassnet.explanations.wording import say
from glassnet.playground import network


def picture_layers(model: Any) -> dict[str, int]:
    """Sequential child name -> picture layer: a Linear and the modules after it share one."""
    layers: dict[str, int] = {}
    layer = 0
    for name, module in model.named_children():
        if isinstance(module, gn.nn.Linear):
            layer += 1
        layers[name] = layer
    return layers


def finding_units(evidence: dict[str, Any], layers: dict[str, int], sizes: list[int]
                  ) -> list[str]:
    """The units "L.j" a finding's evidence points at (none when it names no layer)."""
    where = evidence.get("layer") or evidence.get("parameter")
    if not isinstance(where, str):
        return []
    layer = layers.get(where.split(".")[0])
    if not layer:
        return []
    indices = evidence.get("dead_unit_indices")
    if indices is None:
        indices = range(sizes[layer])
    return [f"{layer}.{int(j)}" for j in indices]


def diagnosis_for_page(session: Any) -> list[dict[str, Any]]:
    """[{"code", "severity", "message", "message_zh", "units"}] from gn.diagnose on the training
    rows, the message in English and in Chinese."""
    dataset = session.dataset
    rows = dataset.train_rows
    inputs = dataset.inputs[rows].astype(np.float32)
    targets = network.loss_targets(dataset, rows)
    with network.RANDOM_STATE_LOCK:  # diagnose saves and restores the shared generator
        found = gn.diagnose(session.model, inputs, targets, loss=network.loss_name(dataset),
                            optimizer=session.optimizer)
    layers = picture_layers(session.model)
    sizes = network.layer_sizes(session.config, dataset)
    return [{"code": finding.code, "severity": finding.severity, "message": finding.message,
             "message_zh": say(finding.message, "zh"),
             "units": finding_units(finding.evidence, layers, sizes)}
            for finding in found.findings]
