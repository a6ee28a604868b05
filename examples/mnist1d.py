"""MNIST-1D (Greydanus, 2020): the paper's CNN, GRU and MLP, trained as its repository trains them.

The data are generated here by the ``mnist1d`` package with its default arguments (5,000
signals of 40 samples, 4,000 to train and 1,000 to test; nothing is downloaded). The models
and settings are those of the repository (greydanus/mnist1d, notebooks/models.py and train.py):

- cnn: Conv1d(1→25, 5, stride 2, padding 1), Conv1d(25→25, 3, stride 2, padding 1) twice, each
  followed by ReLU, then Linear(125 → 10); 5,210 parameters.
- gru: a bidirectional GRU(1 → 6) read at every time step, (N, 40, 12) flattened into
  Linear(480 → 10); 5,134 parameters.
- mlp: h = relu(W₁x + b₁); h = h + relu(W₂h + b₂); Linear(100 → 10); 15,210 parameters.

Adam (lr 0.01, no weight decay), batch 100, 8,000 steps, the batches taken in the data's order
(the generator already shuffled the rows). The paper reports a test accuracy of 0.94 for the CNN,
0.91 for the GRU and 0.68 for the MLP; PyTorch with this setup ends at 0.921–0.957 for the CNN
over 31 seeds (mean 0.936). Each seed changes the initial weights only.

Run: .venv/bin/python examples/mnist1d.py [--model cnn|gru|mlp|all] [--seeds 5] [--steps 8000]
     (needs the ``mnist1d`` package)
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import nn, optim

LEARNING_RATE = 0.01
BATCH_SIZE = 100
STEPS = 8000
HIDDEN = 100  # the MLP's width
GRU_HIDDEN = 6  # per direction


class EveryTimeStep(nn.Module):
    """(output, h_n) of a recurrent layer -> output flattened: (N, L, H) -> (N, L·H).

    The paper's GRU classifies from every step's state, not only the last one (nn.LastTimeStep).
    """

    def forward(self, outputs: tuple[gn.Tensor, gn.Tensor]) -> gn.Tensor:
        output, _ = outputs
        return output.reshape((output.shape[0], -1))


class SkipMLP(nn.Module):
    """The paper's MLP: h₁ = relu(x W₁ᵀ + b₁); h₂ = h₁ + relu(h₁ W₂ᵀ + b₂); y = h₂ W₃ᵀ + b₃.

    x: (N, 40) -> (N, 10).
    """

    def __init__(self, in_features: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.linear1 = nn.Linear(in_features, hidden)
        self.linear2 = nn.Linear(hidden, hidden)
        self.linear3 = nn.Linear(hidden, classes)

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        hidden = self.linear1(x).relu()
        hidden = hidden + self.linear2(hidden).relu()
        return self.linear3(hidden)


def build(name: str, length: int, classes: int) -> nn.Module:
    """One of the paper's three models, with glassnet's (PyTorch's) initialisation."""
    if name == "cnn":
        channels = 25
        return nn.Sequential(
            nn.Conv1d(1, channels, 5, stride=2, padding=1), nn.ReLU(),
            nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(channels * 5, classes),  # 40 -> 19 -> 10 -> 5 positions
        )
    if name == "gru":
        return nn.Sequential(
            nn.GRU(1, GRU_HIDDEN, batch_first=True, bidirectional=True), EveryTimeStep(),
            nn.Linear(2 * GRU_HIDDEN * length, classes),
        )
    return SkipMLP(length, HIDDEN, classes)


def shaped_for(name: str, X: np.ndarray) -> np.ndarray:
    """(N, 40) signals as each model reads them: channels first for the CNN, time first for the
    GRU."""
    if name == "cnn":
        return X[:, None, :]  # (N, 1, 40)
    if name == "gru":
        return X[:, :, None]  # (N, 40, 1)
    return X


def train_once(name: str, data: dict, seed: int, steps: int) -> tuple[float, float, int]:
    """Train one model from seed; returns (test accuracy, seconds, steps taken)."""
    X, X_test = (data[key].astype(np.float32) for key in ("x", "x_test"))
    y, y_test = data["y"].astype(np.int64), data["y_test"].astype(np.int64)
    gn.manual_seed(seed)
    model = build(name, X.shape[1], int(y.max()) + 1)
    batches_per_epoch = math.ceil(len(X) / BATCH_SIZE)
    epochs = max(1, math.ceil(steps / batches_per_epoch))  # fit trains whole epochs
    started = time.perf_counter()
    gn.fit(model, shaped_for(name, X), y, loss="cross_entropy",
           optimizer=optim.Adam(model.parameters(), lr=LEARNING_RATE), epochs=epochs,
           batch_size=BATCH_SIZE, shuffle=False, verbose=0)
    seconds = time.perf_counter() - started
    scores = gn.evaluate(model, shaped_for(name, X_test), y_test, loss="cross_entropy",
                         metrics=["accuracy"])
    return scores["accuracy"], seconds, epochs * batches_per_epoch


def generate_mnist1d() -> dict:
    """The dataset from the default arguments (seed 42): x (4000, 40), x_test (1000, 40)."""
    # this file is named mnist1d.py too: its folder, first on sys.path, would hide the package
    here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here]
    from mnist1d.data import get_dataset_args, make_dataset

    return make_dataset(get_dataset_args())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("cnn", "gru", "mlp", "all"), default="all")
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0 … N-1 (default 1)")
    parser.add_argument("--steps", type=int, default=STEPS,
                        help=f"optimizer steps, rounded up to whole epochs (default {STEPS})")
    args = parser.parse_args()
    if args.seeds < 1 or args.steps < 1:
        parser.error(f"--seeds and --steps must be at least 1; got {args.seeds} and {args.steps}")
    data = generate_mnist1d()
    print(f"MNIST-1D: {len(data['x'])} training and {len(data['x_test'])} test signals of "
          f"{data['x'].shape[1]} samples")
    names = ("cnn", "gru", "mlp") if args.model == "all" else (args.model,)
    for name in names:
        accuracies = []
        for seed in range(args.seeds):
            accuracy, seconds, steps = train_once(name, data, seed, args.steps)
            accuracies.append(accuracy)
            print(f"{name} seed {seed}: test accuracy {accuracy:.3f} after {steps} steps "
                  f"in {seconds:.1f} s", flush=True)
        spread = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
        print(f"{name}: test accuracy mean {statistics.mean(accuracies):.3f}, std {spread:.3f}, "
              f"min {min(accuracies):.3f}, max {max(accuracies):.3f} over {len(accuracies)} "
              f"seed(s)", flush=True)


if __name__ == "__main__":
    main()
