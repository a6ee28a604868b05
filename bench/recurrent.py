"""A GRU sequence classifier: training speed and inference latency, glassnet against PyTorch.

GRU(1 → 128) over 40 steps (MNIST-1D's shape: 40 samples of one feature), its last state into
Linear(128 → 10), softmax cross-entropy, plain SGD (lr 0.05), batch 128, float32, random data.
Contenders, all from the same initial weights, in one process, interleaved rounds (harness.py):

- torch_eager: torch.nn.GRU(batch_first=True) + Linear, F.cross_entropy, optim.SGD, 2 threads.
- glassnet: Sequential(nn.GRU, nn.LastTimeStep, nn.Linear), the zero_grad/forward/backward/step
  loop; the GRU is one op per layer (glassnet.functional.recurrent_ops).
- glassnet_per_step: the same GRU written with glassnet's Tensor ops, step by step (matmul,
  sigmoid, tanh, …): a graph of ~500 nodes, the simplest to read; what one op per layer saves.

Inference: model(x) under no_grad, a batch of 128 sequences ("infer", samples/s) and one
sequence ("latency", µs). Then where glassnet's training step spends its time.
    .venv/bin/python bench/recurrent.py [--rounds 21] [--steps 16] [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from harness import (
    OtherLoad,
    Rounds,
    blas_lines,
    format_table,
    interleaved_rates,
    openblas_environment,
    ratio_target,
    spread_percent,
    targets_table,
    tune_allocator_for_this_process,
    write_json,
)

import glassnet as gn
import glassnet.functional as F
from glassnet import nn, optim
from glassnet.functional import recurrent_ops

LENGTH, FEATURES, HIDDEN, CLASSES, BATCH = 40, 1, 128, 10, 128
LEARNING_RATE = 0.05
TORCH_THREADS = 2
AGREEMENT_STEPS = 3
AGREEMENT_TOLERANCE = 1e-5  # relative; float32 sums in another order
TRAIN_TARGET = ("glassnet", "torch_eager", 1.0)


@dataclass(frozen=True)
class SequenceData:
    batches: list[tuple[np.ndarray, np.ndarray]]  # (BATCH, LENGTH, FEATURES), (BATCH,)
    parameters: dict[str, np.ndarray]  # PyTorch's names: weight_ih_l0, …, fc.weight, fc.bias


def make_data(samples: int = 1024, seed: int = 0) -> SequenceData:
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(samples, LENGTH, FEATURES)).astype(np.float32)
    labels = rng.integers(0, CLASSES, size=samples, dtype=np.int64)
    bound = 1 / np.sqrt(HIDDEN)  # PyTorch's initialisation of both layers (fan-in = HIDDEN)
    shapes = {"weight_ih_l0": (3 * HIDDEN, FEATURES), "weight_hh_l0": (3 * HIDDEN, HIDDEN),
              "bias_ih_l0": (3 * HIDDEN,), "bias_hh_l0": (3 * HIDDEN,),
              "fc.weight": (CLASSES, HIDDEN), "fc.bias": (CLASSES,)}
    parameters = {name: rng.uniform(-bound, bound, shape).astype(np.float32)
                  for name, shape in shapes.items()}
    batches = [(inputs[i:i + BATCH], labels[i:i + BATCH]) for i in range(0, samples, BATCH)]
    return SequenceData(batches, parameters)


# -- PyTorch --------------------------------------------------------------------------------------
class TorchClassifier:
    def __init__(self, data: SequenceData) -> None:
        import torch

        torch.set_num_threads(TORCH_THREADS)
        self.torch = torch
        self.gru = torch.nn.GRU(FEATURES, HIDDEN, batch_first=True)
        self.fc = torch.nn.Linear(HIDDEN, CLASSES)
        with torch.no_grad():
            for name, value in data.parameters.items():
                owner, key = (self.fc, name[3:]) if name.startswith("fc.") else (self.gru, name)
                getattr(owner, key).copy_(torch.from_numpy(value))
        self.batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data.batches]
        self.position = 0

    def logits(self, x: Any) -> Any:
        output, _ = self.gru(x)
        return self.fc(output[:, -1])

    def next_batch(self) -> tuple[Any, Any]:
        batch = self.batches[self.position]
        self.position = (self.position + 1) % len(self.batches)
        return batch


class TorchEager(TorchClassifier):
    def __init__(self, data: SequenceData) -> None:
        super().__init__(data)
        parameters = [*self.gru.parameters(), *self.fc.parameters()]
        self.optimizer = self.torch.optim.SGD(parameters, lr=LEARNING_RATE)

    def run(self, steps: int) -> int:
        for _ in range(steps):
            x, y = self.next_batch()
            self.optimizer.zero_grad()
            loss = self.torch.nn.functional.cross_entropy(self.logits(x), y)
            loss.backward()
            self.optimizer.step()
        return steps * BATCH

    def weights(self) -> list[np.ndarray]:
        return [p.detach().numpy() for p in [*self.gru.parameters(), *self.fc.parameters()]]


class TorchInfer(TorchClassifier):
    def __init__(self, data: SequenceData, rows: int) -> None:
        super().__init__(data)
        self.rows = rows

    def run(self, steps: int) -> int:
        with self.torch.no_grad():
            for _ in range(steps):
                self.out = self.logits(self.next_batch()[0][:self.rows])
        return steps * self.rows


# -- glassnet -------------------------------------------------------------------------------------
def glassnet_model(data: SequenceData) -> nn.Sequential:
    model = nn.Sequential(nn.GRU(FEATURES, HIDDEN, batch_first=True), nn.LastTimeStep(),
                          nn.Linear(HIDDEN, CLASSES))
    model.load_state_dict({name.replace("fc.", "2.") if name.startswith("fc.") else f"0.{name}":
                           value for name, value in data.parameters.items()})
    return model


class PerStepGRU(nn.Module):
    """The GRU's last state, written step by step with Tensor ops (the readable alternative)."""

    def __init__(self, layer: nn.GRU) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        layer, hidden = self.layer, HIDDEN
        gates_x = F.linear(x, layer.weight_ih_l0, layer.bias_ih_l0)  # (N, L, 3H)
        h = gn.tensor(np.zeros((x.shape[0], hidden), np.float32))
        for t in range(x.shape[1]):
            gates_h = F.linear(h, layer.weight_hh_l0, layer.bias_hh_l0)
            step = gates_x[:, t]
            reset = (step[:, :hidden] + gates_h[:, :hidden]).sigmoid()
            update = (step[:, hidden:2 * hidden] + gates_h[:, hidden:2 * hidden]).sigmoid()
            candidate = (step[:, 2 * hidden:] + reset * gates_h[:, 2 * hidden:]).tanh()
            h = candidate + update * (h - candidate)
        return h


class GlassnetLoop:
    def __init__(self, data: SequenceData, per_step: bool = False) -> None:
        self.model = glassnet_model(data)
        if per_step:
            self.model = nn.Sequential(PerStepGRU(self.model[0]), self.model[2])
        self.optimizer = optim.SGD(self.model.parameters(), lr=LEARNING_RATE)
        self.batches = [(gn.from_numpy(x), y) for x, y in data.batches]
        self.position = 0

    def step(self) -> None:
        x, y = self.batches[self.position]
        self.position = (self.position + 1) % len(self.batches)
        self.optimizer.zero_grad()
        F.cross_entropy(self.model(x), y).backward()
        self.optimizer.step()

    def run(self, steps: int) -> int:
        for _ in range(steps):
            self.step()
        return steps * BATCH

    def weights(self) -> list[np.ndarray]:
        return [p.data for p in self.model.parameters()]


class GlassnetInfer:
    def __init__(self, data: SequenceData, rows: int) -> None:
        self.model = glassnet_model(data).eval()
        self.inputs = [gn.from_numpy(x[:rows]) for x, _ in data.batches]
        self.rows, self.position = rows, 0

    def run(self, steps: int) -> int:
        with gn.no_grad():
            for _ in range(steps):
                self.out = self.model(self.inputs[self.position])
                self.position = (self.position + 1) % len(self.inputs)
        return steps * self.rows


TRAIN: dict[str, Callable[[SequenceData], Any]] = {
    "torch_eager": TorchEager,
    "glassnet": GlassnetLoop,
    "glassnet_per_step": lambda data: GlassnetLoop(data, per_step=True),
}
INFER_ROWS = {"infer": BATCH, "latency": 1}


def check_agreement(data: SequenceData) -> list[str]:
    """Every training contender's weights after a few steps, against torch_eager's."""
    weights = {}
    for name, make in TRAIN.items():
        runner = make(data)
        runner.run(AGREEMENT_STEPS)
        weights[name] = [np.asarray(w, dtype=np.float64) for w in runner.weights()]
    lines = []
    for name, mine in weights.items():
        if name == "torch_eager":
            continue
        pairs = zip(mine, weights["torch_eager"], strict=True)
        difference = max(np.abs(a - b).max() / np.abs(b).max() for a, b in pairs)
        verdict = "agrees" if difference <= AGREEMENT_TOLERANCE else "DISAGREES"
        lines.append(f"  {name}: {verdict} with torch_eager (max relative weight difference "
                     f"{difference:.1e})")
    return lines


def where_time_goes(data: SequenceData, steps: int) -> list[list[str]]:
    """glassnet's training step split into the GRU op's forward, its backward, and the rest."""
    spent = {"GRU forward (one op)": 0.0, "GRU backward (one op)": 0.0}
    forward, backward = recurrent_ops.GRULayer.forward, recurrent_ops.GRULayer.backward

    def timed(function: Callable[..., Any], key: str) -> Callable[..., Any]:
        def run(*arguments: Any) -> Any:
            start = time.perf_counter()
            result = function(*arguments)
            spent[key] += time.perf_counter() - start
            return result
        return run

    runner = GlassnetLoop(data)
    runner.run(2)
    recurrent_ops.GRULayer.forward = timed(forward, "GRU forward (one op)")
    recurrent_ops.GRULayer.backward = timed(backward, "GRU backward (one op)")
    try:
        start = time.perf_counter()
        runner.run(steps)
        total = time.perf_counter() - start
    finally:
        recurrent_ops.GRULayer.forward, recurrent_ops.GRULayer.backward = forward, backward
    spent["the rest (Linear, loss, SGD, graph)"] = total - sum(spent.values())
    return [[what, f"{seconds / steps * 1e3:.2f}", f"{seconds / total * 100:.0f}%"]
            for what, seconds in spent.items()]


def measure(kind: str, data: SequenceData, steps: int, rounds: int) -> Rounds:
    if kind == "train":
        runners = {name: make(data) for name, make in TRAIN.items()}
    else:
        rows = INFER_ROWS[kind]
        runners = {"torch": TorchInfer(data, rows), "glassnet": GlassnetInfer(data, rows)}
    runs = {name: (lambda runner=runner: runner.run(steps)) for name, runner in runners.items()}
    return interleaved_rates(runs, rounds)


def table(rounds: Rounds, reference: str, latency: bool) -> str:
    medians = {name: statistics.median(rates) for name, rates in rounds.rates.items()}
    rows = []
    for name, median in medians.items():
        value = f"{1e6 / median:,.0f}" if latency else f"{median:,.0f}"
        rows.append([name, value, f"{spread_percent(rounds.rates[name]):.0f}%",
                     f"{median / medians[reference]:.2f}x"])
    unit = "us per sample" if latency else "samples/s"
    return format_table(["contender", unit, "IQR", f"speed vs {reference}"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--steps", type=int, default=16, help="training steps per round")
    parser.add_argument("--quick", action="store_true", help="5 rounds of 8 steps")
    parser.add_argument("--json", help="also write the results to this file")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.rounds, arguments.steps = 5, 8
    print(f"GRU({FEATURES} -> {HIDDEN}) over {LENGTH} steps, last state -> Linear({HIDDEN} -> "
          f"{CLASSES}), cross-entropy, SGD, batch {BATCH}, float32")
    allocator_tuned = tune_allocator_for_this_process()
    other_load = OtherLoad()
    data = make_data()
    agreement = check_agreement(data)
    print("OpenBLAS environment: " + openblas_environment())
    for line in blas_lines():
        print("  " + line)
    print(f"agreement after {AGREEMENT_STEPS} steps from the same start:")
    print("\n".join(agreement))
    sys.stdout.flush()
    results = {
        "train": measure("train", data, arguments.steps, arguments.rounds),
        "infer": measure("infer", data, 4 * arguments.steps, arguments.rounds),
        "latency": measure("latency", data, 8 * arguments.steps, arguments.rounds),
    }
    print(other_load.describe())
    print(f"\nTraining: {arguments.steps} steps of {BATCH} sequences per round, "
          f"{arguments.rounds} rounds (median)")
    print(table(results["train"], "torch_eager", latency=False))
    print(f"\nInference, a batch of {BATCH} sequences, no_grad")
    print(table(results["infer"], "torch", latency=False))
    print("\nInference latency, one sequence (lower is better; speed > 1x: glassnet faster)")
    print(table(results["latency"], "torch", latency=True))
    name, reference, bar = TRAIN_TARGET
    rates = results["train"].rates
    target = ratio_target(f"train: {name} speed >= {bar}x {reference}", rates[name],
                          rates[reference], bar)
    print("\nglassnet's target: median of the per-round ratios, 95% bootstrap interval")
    print(targets_table([target]))
    breakdown = where_time_goes(data, 2 * arguments.steps)
    print("\nWhere glassnet's training step goes")
    print(format_table(["part", "ms per step", "share"], breakdown))
    write_json(arguments.json, {
        "openblas_environment": openblas_environment(), "blas": blas_lines(),
        "allocator_tuned": allocator_tuned, "agreement": agreement,
        "other_load_cores": other_load.cores(),
        "samples_per_second": {kind: {name: {"median": statistics.median(values),
                                             "rounds": values}
                                      for name, values in rounds.rates.items()}
                               for kind, rounds in results.items()},
        "targets": [target.to_json()], "breakdown": breakdown,
    })


if __name__ == "__main__":
    main()
