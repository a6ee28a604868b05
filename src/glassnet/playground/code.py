"""The glassnet Python that builds and trains the session's network: the page's "code" button.

The program reproduces the session's start exactly for the drawn datasets' network and its
training rule (same layers, initial weights for the seed, loss, optimizer, batches); the data
itself is left to the reader (``X``, ``y``: the training rows), since the page's points came
from the playground's generators or the uploaded file.
"""

from __future__ import annotations

from typing import Any

from glassnet.playground import network

LOSS_CALLS = {
    "mse": "F.mse_loss(model(xb), yb)",
    "bce_with_logits": "F.binary_cross_entropy_with_logits(model(xb), yb)",
    "cross_entropy": "F.cross_entropy(model(xb), yb)",
}
TARGETS = {
    "mse": "y.astype(np.float32).reshape(-1, 1)",
    "bce_with_logits": "y.astype(np.float32).reshape(-1, 1)",
    "cross_entropy": "y.astype(np.int64)",
}


def training_code(session: Any) -> str:
    """A runnable script (given X, y) that builds and trains the session's network."""
    config, dataset = session.config, session.dataset
    sizes = network.layer_sizes(config, dataset)
    activation = network.ACTIVATION_NAMES[config.activation]
    loss = network.loss_name(dataset)
    lines = [
        "import numpy as np",
        "",
        "import glassnet as gn",
        "from glassnet import functional as F",
        "",
        f"# X: the training inputs ({sizes[0]} columns: {', '.join(dataset.input_names)[:200]})",
        "# y: " + ("class indices" if dataset.problem == "classification" else "the values")
        + " of the same rows",
        f"gn.manual_seed({config.seed})",
        f"layers = list(gn.nn.mlp({sizes}, activation={activation!r}))",
    ]
    if network.uses_tutorial_loss(dataset):
        lines.append("layers.append(gn.nn.Sigmoid())  # the tutorial's y_pred = sigmoid(z)")
    lines.append("model = gn.nn.Sequential(*layers)")
    if network.is_tutorial_network(config, dataset):
        lines += [
            "# the tutorial's initial weights for this seed (glassnet demo's network)",
            "from glassnet.tutorial import TrainableNetwork",
            f"p = TrainableNetwork(seed={config.seed}).parameters()",
            'model[0].weight.data[...] = [[p["w1"], p["w2"]], [p["w3"], p["w4"]]]',
            'model[0].bias.data[...] = [p["b1"], p["b2"]]',
            'model[2].weight.data[...] = [[p["w5"], p["w6"]]]',
            'model[2].bias.data[...] = [p["b3"]]',
        ]
    if config.optimizer == "adam":
        lines.append(f"optimizer = gn.optim.Adam(model.parameters(), lr={config.learning_rate!r})")
    else:
        momentum = network.MOMENTUM if config.optimizer == "momentum" else 0.0
        lines.append(f"optimizer = gn.optim.SGD(model.parameters(), lr={config.learning_rate!r}, "
                     f"momentum={momentum!r})")
    batch = "len(X)" if config.batch_size == 0 else str(config.batch_size)
    lines += [
        "X = np.asarray(X, dtype=np.float32)",
        f"targets = {TARGETS[loss]}",
        f"order_generator = np.random.default_rng({config.seed})",
        f"batch_size = {batch}",
        "for epoch in range(100):",
        "    order = np.arange(len(X))" if config.batch_size == 0 else
        "    order = order_generator.permutation(len(X))",
        "    for start in range(0, len(X), batch_size):",
        "        rows = order[start:start + batch_size]",
        "        xb, yb = gn.tensor(X[rows]), gn.tensor(targets[rows])",
        f"        loss = {LOSS_CALLS[loss]}",
    ]
    if config.regularization != "none" and config.regularization_rate > 0:
        size = "(layer.weight * layer.weight)" if config.regularization == "l2" else \
            "layer.weight.abs()"
        lines.append(f"        loss = loss + {config.regularization_rate!r} * sum({size}.sum() "
                     "for layer in model if isinstance(layer, gn.nn.Linear))")
    lines += [
        "        optimizer.zero_grad()",
        "        loss.backward()",
        "        optimizer.step()",
        "    print(epoch, loss.item())",
        "",
        'gn.save(model, "playground.safetensors")',
    ]
    return "\n".join(lines) + "\n"
