"""glassnet in the benchmark tables, written the way a user writes it.

- "glassnet": nn.Sequential + F.cross_entropy + optim.SGD + backward(), one batch per step.
- "glassnet_fit": gn.fit on the same batches (progress bar off, shuffle off, as the peers).
- "glassnet" (infer / latency): gn.predict at batch 1024, and model(x) under no_grad for one row.
- "glassnet" (tiny): the tutorial's 2-2-1 network as nn.Sequential, per-sample SGD on MSE.
"""

from __future__ import annotations

import numpy as np
from peers import INFER_BATCH, LAYER_SIZES, Contender, MLPData
from peers_tiny import TinyData

import glassnet as gn
import glassnet.functional as F
from glassnet import nn, optim


def _mlp(data: MLPData) -> nn.Sequential:
    sizes = LAYER_SIZES
    model = nn.Sequential(
        nn.Linear(sizes[0], sizes[1]), nn.ReLU(),
        nn.Linear(sizes[1], sizes[2]), nn.ReLU(),
        nn.Linear(sizes[2], sizes[3]),
    )  # fmt: skip
    for parameter, value in zip(model.parameters(), data.parameters, strict=True):
        parameter.data[...] = value
    return model


class GlassnetLoop:
    """The loop of the README: zero_grad, forward, cross_entropy, backward, step."""

    def __init__(self, data: MLPData) -> None:
        self.model = _mlp(data)
        self.optimizer = optim.SGD(self.model.parameters(), lr=data.learning_rate)
        # the batches are views of the data set, and nothing writes to them: sharing their
        # memory (as torch.from_numpy does for the torch peer) adds no copy of the data set
        self.batches = [(gn.from_numpy(x), y) for x, y in data.train_batches]
        self.position = 0

    def run(self, steps: int) -> int:
        samples = 0
        for _ in range(steps):
            x, y = self.batches[self.position]
            self.position = (self.position + 1) % len(self.batches)
            self.optimizer.zero_grad()
            self.loss = F.cross_entropy(self.model(x), y)
            self.loss.backward()
            self.optimizer.step()
            samples += x.shape[0]
        return samples

    def weights(self) -> list[np.ndarray]:
        return [p.data for p in self.model.parameters()]


class GlassnetFit:
    """gn.fit over the next `steps` batches (whole epochs when steps is a multiple)."""

    def __init__(self, data: MLPData) -> None:
        self.data = data
        self.model = _mlp(data)
        self.optimizer = optim.SGD(self.model.parameters(), lr=data.learning_rate)
        self.batches_per_epoch = len(data.train_batches)
        self.position = 0

    def run(self, steps: int) -> int:
        size, done = self.data.batch_size, 0
        while done < steps:
            count = min(steps - done, self.batches_per_epoch - self.position)
            rows = slice(self.position * size, (self.position + count) * size)
            gn.fit(
                self.model, self.data.inputs[rows], self.data.labels[rows],
                loss="cross_entropy", optimizer=self.optimizer, epochs=1,
                batch_size=size, shuffle=False, verbose=0,
            )  # fmt: skip
            self.position = (self.position + count) % self.batches_per_epoch
            done += count
        return steps * size

    def weights(self) -> list[np.ndarray]:
        return [p.data for p in self.model.parameters()]


class GlassnetPredict:
    """gn.predict on INFER_BATCH rows."""

    def __init__(self, data: MLPData) -> None:
        self.model = _mlp(data)
        self.inputs = data.infer_batches()
        self.position = 0

    def run(self, steps: int) -> int:
        for _ in range(steps):
            x = self.inputs[self.position]
            self.position = (self.position + 1) % len(self.inputs)
            self.logits = gn.predict(self.model, x, batch_size=INFER_BATCH)
        return steps * INFER_BATCH


class GlassnetLatency:
    """model(x) for one row under no_grad, in eval mode."""

    def __init__(self, data: MLPData) -> None:
        self.model = _mlp(data).eval()
        self.inputs = [gn.from_numpy(data.inputs[i : i + 1]) for i in range(256)]  # views
        self.position = 0

    def run(self, steps: int) -> int:
        with gn.no_grad():
            for _ in range(steps):
                x = self.inputs[self.position]
                self.position = (self.position + 1) % len(self.inputs)
                self.logits = self.model(x)
        return steps


class GlassnetTiny:
    """The tutorial's 2-2-1 sigmoid network: nn.Sequential, F.mse_loss, SGD, one sample a step."""

    def __init__(self, data: TinyData) -> None:
        w1, w2, w3, w4, w5, w6, b1, b2, b3 = data.parameters
        self.model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
        state = {
            "0.weight": np.array([[w1, w2], [w3, w4]]), "0.bias": np.array([b1, b2]),
            "2.weight": np.array([[w5, w6]]), "2.bias": np.array([b3]),
        }  # fmt: skip
        self.model.load_state_dict(state)
        self.optimizer = optim.SGD(self.model.parameters(), lr=data.learning_rate)
        self.samples = [
            (gn.tensor(x.reshape(1, 2)), gn.tensor(np.array([[y]])))
            for x, y in zip(data.inputs, data.targets, strict=True)
        ]
        self.position = 0

    def run(self, steps: int) -> int:
        for _ in range(steps):
            x, y = self.samples[self.position]
            self.position = (self.position + 1) % 4
            loss = F.mse_loss(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return steps

    def predict(self) -> np.ndarray:
        inputs = np.concatenate([x.data for x, _ in self.samples])
        return gn.predict(self.model, inputs).reshape(-1)


CONTENDERS = [
    Contender("glassnet", "train", GlassnetLoop, note="nn.Sequential + F.cross_entropy + SGD"),
    Contender("glassnet_fit", "train", GlassnetFit, note="gn.fit, verbose=0, shuffle=False"),
    Contender("glassnet", "infer", GlassnetPredict, note="gn.predict"),
    Contender("glassnet", "latency", GlassnetLatency, note="model(x) under gn.no_grad"),
    Contender("glassnet", "tiny", GlassnetTiny, note="nn.Sequential, per-sample SGD"),
]
