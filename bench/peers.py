"""The peers glassnet is measured against: plain NumPy, PyTorch, scikit-learn and micrograd.

Workload "mlp": a 784-256-128-10 ReLU MLP, softmax cross-entropy, plain SGD (lr 0.1, no
momentum), batch 128, float32, on MNIST-shaped synthetic data (see `make_mlp_data`).
Workload "tiny": the tutorial's 2-2-1 sigmoid network, MSE, one SGD update per sample
(see `peers_tiny.py`).

Interface of a contender (also for `bench/glassnet_contenders.py`)
------------------------------------------------------------------
That module defines a module-level list ``CONTENDERS: list[Contender]``; `all_contenders()`
appends it to the peers when the file exists. A `Contender` holds

- ``name``: shown in the tables, unique within its kind (e.g. "glassnet").
- ``kind``: what one *step* of ``run`` is:

  =========  ==========  ================================================================
  kind       data        one step
  =========  ==========  ================================================================
  "train"    MLPData     one SGD update on one batch of ``data.batch_size`` rows
  "infer"    MLPData     forward pass (logits) of one batch of ``INFER_BATCH`` rows
  "latency"  MLPData     forward pass (logits) of one row, shape (1, 784)
  "tiny"     TinyData    one per-sample SGD update of the 2-2-1 network
  =========  ==========  ================================================================

- ``make(data) -> runner``: builds the model from ``data.parameters`` (untimed). The runner
  has ``run(steps: int) -> int``: does ``steps`` steps, cycling over the data in order, and
  returns the number of samples processed (timed). A "train" runner also has
  ``weights() -> list[np.ndarray]`` (W1, b1, W2, b2, W3, b3 in PyTorch layout, W: (out, in)),
  used to check that every contender computes the same update as ``numpy_fused``; a "tiny"
  runner has ``predict() -> np.ndarray`` (4,) for the four people.
- ``modules``: the heavy imports the contender needs; `memory.py` imports them in its baseline.
- ``note``: a few words for the tables' note column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

LAYER_SIZES = (784, 256, 128, 10)
INFER_BATCH = 1024
TORCH_THREADS = 2
GLASSNET_IMPORT_ERROR = ""


class Runner(Protocol):
    """What make(data) returns: run(steps) does the steps and returns the samples processed."""

    def run(self, steps: int) -> int: ...


@dataclass(frozen=True)
class Contender:
    """One entry of a benchmark table; see the module docstring for each field."""

    name: str
    kind: str
    make: Callable[[Any], Runner]
    modules: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class MLPData:
    """inputs (n_samples, 784) float32 in [0, 1); labels (n_samples,) int64 in [0, 10)."""

    inputs: np.ndarray
    labels: np.ndarray
    parameters: tuple[np.ndarray, ...]  # W1, b1, W2, b2, W3, b3; W: (out, in)
    batch_size: int = 128
    learning_rate: float = 0.1
    train_batches: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    @property
    def n_samples(self) -> int:
        return self.inputs.shape[0]

    def infer_batches(self) -> list[np.ndarray]:
        """Contiguous views of INFER_BATCH rows each; (INFER_BATCH, 784)."""
        return [self.inputs[i : i + INFER_BATCH] for i in range(0, self.n_samples, INFER_BATCH)]


def make_mlp_data(n_samples: int = 8192, seed: int = 0, batch_size: int = 128) -> MLPData:
    """Random "pixels" and labels, and PyTorch-default initial weights U(±1/sqrt(in))."""
    if n_samples % INFER_BATCH:
        raise ValueError(f"n_samples must be a multiple of {INFER_BATCH}; got {n_samples}")
    rng = np.random.default_rng(seed)
    inputs = rng.random((n_samples, LAYER_SIZES[0]), dtype=np.float32)
    labels = rng.integers(0, LAYER_SIZES[-1], size=n_samples, dtype=np.int64)
    parameters = []
    for in_features, out_features in zip(LAYER_SIZES[:-1], LAYER_SIZES[1:], strict=True):
        bound = 1.0 / np.sqrt(in_features)
        for shape in ((out_features, in_features), (out_features,)):
            parameters.append(rng.uniform(-bound, bound, shape).astype(np.float32))
    batches = [
        (inputs[i : i + batch_size], labels[i : i + batch_size])
        for i in range(0, n_samples - batch_size + 1, batch_size)
    ]
    return MLPData(inputs, labels, tuple(parameters), batch_size, train_batches=batches)


class NumpyFused:
    """Hand-fused NumPy SGD step; every buffer preallocated, every update in place.

    Softmax-CE backward is (p - onehot) / N; lr / N is folded into it, so each gradient
    buffer already holds lr * grad and the update is a plain `W -= dW`. The logits are kept
    transposed, (10, N), so the per-sample max and sum run along contiguous rows.
    """

    def __init__(self, data: MLPData) -> None:
        self.batches = data.train_batches
        self.params = [p.copy() for p in data.parameters]
        self.grads = [np.empty_like(p) for p in self.params]
        n, (_, h1, h2, k) = data.batch_size, LAYER_SIZES
        f32 = np.float32
        self.hidden1, self.hidden2 = np.empty((n, h1), f32), np.empty((n, h2), f32)
        self.dhidden1, self.dhidden2 = np.empty((n, h1), f32), np.empty((n, h2), f32)
        self.active1, self.active2 = np.empty((n, h1), bool), np.empty((n, h2), bool)
        self.logits_t = np.empty((k, n), f32)
        self.row_max, self.row_sum = np.empty(n, f32), np.empty(n, f32)
        self.picked, self.log_sum = np.empty(n, f32), np.empty(n, f32)
        self.ones = np.ones(n, f32)
        self.scale = f32(data.learning_rate / n)
        self.inverse_n = f32(1.0 / n)
        # flat index of (label, sample) in logits_t, per batch
        self.label_index = [y * n + np.arange(n) for _, y in self.batches]
        self.position = 0
        self.loss = f32(0.0)

    def run(self, steps: int) -> int:
        for _ in range(steps):
            self.step(self.position)
            self.position = (self.position + 1) % len(self.batches)
        return steps * self.ones.shape[0]

    def step(self, batch: int) -> None:
        x = self.batches[batch][0]
        label_index = self.label_index[batch]
        w1, b1, w2, b2, w3, b3 = self.params
        dw1, db1, dw2, db2, dw3, db3 = self.grads
        h1, h2, z = self.hidden1, self.hidden2, self.logits_t
        np.matmul(x, w1.T, out=h1)
        h1 += b1
        np.maximum(h1, 0, out=h1)
        np.matmul(h1, w2.T, out=h2)
        h2 += b2
        np.maximum(h2, 0, out=h2)
        np.matmul(w3, h2.T, out=z)
        z += b3[:, None]
        # stable softmax cross-entropy: log-sum-exp of (z - max)
        np.maximum.reduce(z, axis=0, out=self.row_max)
        z -= self.row_max
        np.take(z.reshape(-1), label_index, out=self.picked)
        np.exp(z, out=z)
        np.add.reduce(z, axis=0, out=self.row_sum)
        np.log(self.row_sum, out=self.log_sum)
        self.log_sum -= self.picked
        self.loss = np.add.reduce(self.log_sum) * self.inverse_n
        # dz = lr * (softmax - onehot) / N
        np.divide(self.scale, self.row_sum, out=self.row_sum)
        z *= self.row_sum
        z.reshape(-1)[label_index] -= self.scale
        np.matmul(z, h2, out=dw3)
        np.matmul(z, self.ones, out=db3)
        np.matmul(z.T, w3, out=self.dhidden2)
        np.greater(h2, 0, out=self.active2)
        self.dhidden2 *= self.active2
        np.matmul(self.dhidden2.T, h1, out=dw2)
        np.matmul(self.ones, self.dhidden2, out=db2)
        np.matmul(self.dhidden2, w2, out=self.dhidden1)
        np.greater(h1, 0, out=self.active1)
        self.dhidden1 *= self.active1
        np.matmul(self.dhidden1.T, x, out=dw1)
        np.matmul(self.ones, self.dhidden1, out=db1)
        for param, grad in zip(self.params, self.grads, strict=True):
            param -= grad

    def weights(self) -> list[np.ndarray]:
        return self.params


class NumpyForward:
    """logits = relu(relu(x W1ᵀ + b1) W2ᵀ + b2) W3ᵀ + b3 with plain NumPy expressions."""

    def __init__(self, data: MLPData, batch_rows: int) -> None:
        self.params = [p.copy() for p in data.parameters]
        if batch_rows == 1:
            self.inputs = [data.inputs[i : i + 1] for i in range(256)]
        else:
            self.inputs = data.infer_batches()
        self.rows, self.position = batch_rows, 0

    def run(self, steps: int) -> int:
        w1, b1, w2, b2, w3, b3 = self.params
        for _ in range(steps):
            x = self.inputs[self.position]
            self.position = (self.position + 1) % len(self.inputs)
            h = np.maximum(x @ w1.T + b1, 0)
            h = np.maximum(h @ w2.T + b2, 0)
            self.logits = h @ w3.T + b3
        return steps * self.rows


def _torch_model(data: MLPData) -> Any:
    import torch
    from torch import nn

    torch.set_num_threads(TORCH_THREADS)
    sizes = LAYER_SIZES
    model = nn.Sequential(
        nn.Linear(sizes[0], sizes[1]), nn.ReLU(),
        nn.Linear(sizes[1], sizes[2]), nn.ReLU(),
        nn.Linear(sizes[2], sizes[3]),
    )  # fmt: skip
    with torch.no_grad():
        for param, value in zip(model.parameters(), data.parameters, strict=True):
            param.copy_(torch.from_numpy(value))
    return model


class TorchEager:
    """nn.Sequential + F.cross_entropy + optim.SGD, eager, float32."""

    def __init__(self, data: MLPData) -> None:
        import torch

        self.model = _torch_model(data)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=data.learning_rate)
        self.batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data.train_batches]
        self.cross_entropy = torch.nn.functional.cross_entropy
        self.position = 0

    def run(self, steps: int) -> int:
        samples = 0
        for _ in range(steps):
            x, y = self.batches[self.position]
            self.position = (self.position + 1) % len(self.batches)
            self.optimizer.zero_grad()
            self.loss = self.cross_entropy(self.model(x), y)
            self.loss.backward()
            self.optimizer.step()
            samples += x.shape[0]
        return samples

    def weights(self) -> list[np.ndarray]:
        return [p.detach().numpy() for p in self.model.parameters()]


class TorchForward:
    """model(x) under torch.no_grad()."""

    def __init__(self, data: MLPData, batch_rows: int) -> None:
        import torch

        self.torch = torch
        self.model = _torch_model(data)
        source = NumpyForward(data, batch_rows).inputs
        self.inputs = [torch.from_numpy(x) for x in source]
        self.rows, self.position = batch_rows, 0

    def run(self, steps: int) -> int:
        with self.torch.no_grad():
            for _ in range(steps):
                x = self.inputs[self.position]
                self.position = (self.position + 1) % len(self.inputs)
                self.logits = self.model(x)
        return steps * self.rows


class SklearnMLP:
    """MLPClassifier, solver="sgd", no momentum/L2; partial_fit over the next `steps` batches.

    With steps = batches per epoch (the default in mlp.py) that is one partial_fit per epoch.
    """

    def __init__(self, data: MLPData) -> None:
        from sklearn.neural_network import MLPClassifier

        self.data, self.position = data, 0
        self.model = MLPClassifier(
            hidden_layer_sizes=LAYER_SIZES[1:-1], solver="sgd",
            learning_rate_init=data.learning_rate,
            momentum=0.0, nesterovs_momentum=False, batch_size=data.batch_size, alpha=0.0,
            shuffle=False,  # the other contenders also walk the batches in order
        )  # fmt: skip
        self.classes = np.arange(LAYER_SIZES[-1])
        # sklearn creates its weights in the first partial_fit: make them, then overwrite
        # them in place (its optimizer holds these very arrays) with the shared start
        x, y = data.train_batches[0]
        self.model.partial_fit(x, y, classes=self.classes)
        arrays = self.model.coefs_ + self.model.intercepts_
        for array, value in zip(arrays, data.parameters[::2] + data.parameters[1::2], strict=True):
            array[...] = value.T

    def run(self, steps: int) -> int:
        done, batches, size = 0, len(self.data.train_batches), self.data.batch_size
        while done < steps:
            count = min(steps - done, batches - self.position)
            rows = slice(self.position * size, (self.position + count) * size)
            self.model.partial_fit(self.data.inputs[rows], self.data.labels[rows])
            self.position = (self.position + count) % batches
            done += count
        return steps * size

    def weights(self) -> list[np.ndarray]:
        pairs = zip(self.model.coefs_, self.model.intercepts_, strict=True)
        return [array for coef, bias in pairs for array in (coef.T, bias)]


PEERS: list[Contender] = [
    Contender("numpy_fused", "train", NumpyFused, note="hand-fused NumPy, the bar"),
    Contender("torch_eager", "train", TorchEager, ("torch",), "nn.Sequential + optim.SGD"),
    Contender("sklearn_mlp", "train", SklearnMLP, ("sklearn.neural_network",),
              "MLPClassifier.partial_fit, 1 epoch per call"),  # fmt: skip
    Contender("numpy", "infer", lambda data: NumpyForward(data, INFER_BATCH)),
    Contender("torch", "infer", lambda data: TorchForward(data, INFER_BATCH), ("torch",),
              "torch.no_grad"),  # fmt: skip
    Contender("numpy", "latency", lambda data: NumpyForward(data, 1)),
    Contender("torch", "latency", lambda data: TorchForward(data, 1), ("torch",),
              "torch.no_grad"),  # fmt: skip
]


def glassnet_contenders() -> list[Contender]:
    """CONTENDERS of bench/glassnet_contenders.py; [] while that file does not exist.

    If the file exists but cannot be imported (glassnet itself half-built, say), the error is
    kept in GLASSNET_IMPORT_ERROR for the scripts to print, and the peers still run.
    """
    global GLASSNET_IMPORT_ERROR
    GLASSNET_IMPORT_ERROR = ""
    if not Path(__file__).with_name("glassnet_contenders.py").exists():
        return []
    try:
        import glassnet_contenders
    except ImportError as error:
        GLASSNET_IMPORT_ERROR = f"{type(error).__name__}: {error}"
        return []
    return list(glassnet_contenders.CONTENDERS)


def glassnet_status() -> str:
    """One line for the reports: how many glassnet contenders there are, or why none."""
    count = len(glassnet_contenders())
    if GLASSNET_IMPORT_ERROR:
        return f"glassnet contenders not available: {GLASSNET_IMPORT_ERROR}"
    if count == 0:
        return "glassnet contenders: none registered (bench/glassnet_contenders.py)"
    return f"glassnet contenders: {count} registered in bench/glassnet_contenders.py"


def all_contenders(kind: str | None = None) -> list[Contender]:
    """Peers of this file and of peers_tiny.py, then glassnet's; optionally of one kind."""
    from peers_tiny import TINY_PEERS

    everyone = PEERS + TINY_PEERS + glassnet_contenders()
    return [c for c in everyone if kind is None or c.kind == kind]


def find(kind: str, name: str) -> Contender:
    """The contender of that kind and name; the KeyError says why glassnet's are missing."""
    for contender in all_contenders(kind):
        if contender.name == name:
            return contender
    message = f"no contender {name!r} of kind {kind!r}"
    if GLASSNET_IMPORT_ERROR:  # a child process would otherwise hide the import's own error
        message += f" (glassnet contenders not available: {GLASSNET_IMPORT_ERROR})"
    raise KeyError(message)
