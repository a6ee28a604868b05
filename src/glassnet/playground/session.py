"""One page's training: its data, network and optimizer, trained batch by batch.

The next batch is fixed in advance (``next_batch``) so that the page can explain a weight's
gradient on exactly the rows the next Step will use. An epoch visits the training rows in an
order shuffled by the session's own generator (seeded by config.seed); with batch size 0 every
batch is the whole training set. Each Step computes L = data loss + penalty on the batch,
backpropagates and lets the optimizer update the weights — nothing else touches them.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import glassnet as gn
from glassnet.playground import network
from glassnet.playground.config import Config
from glassnet.playground.datasets import Dataset, make_dataset

HISTORY_LENGTH = 400  # points of the loss curve kept: halved by keeping every other when full
DIAGNOSE_EVERY = 50  # steps between diagnoses
MAX_BATCHES = 1000  # per /api/train request


class Session:
    """A page's playground. ``lock`` lets one request at a time work on it; ``touched`` is the
    clock reading of its last request (sessions idle too long are dropped by the server)."""

    def __init__(self, config: Config, uploaded: Any = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.lock = threading.Lock()
        self.clock = clock
        self.touched = clock()
        self.uploaded = uploaded  # the session's CSV (glassnet.playground.tables.UploadedTable)
        self.reset(config)

    def reset(self, config: Config) -> None:
        """New data, network and optimizer from ``config``; step and history start over.
        ConfigError (nothing changed) when the config does not fit the data."""
        dataset = make_dataset(config, self.uploaded)
        model = network.build_network(config, dataset)
        self.config = config
        self.dataset: Dataset = dataset
        self.model = model
        self.optimizer = network.build_optimizer(config, model)
        self.order_generator = np.random.default_rng(config.seed)
        self.step_count = 0
        self.epoch = 0
        self.order = self._epoch_order()
        self.position = 0
        self.history: list[list[float]] = []
        self.diverged: str | None = None
        self.diagnosis: list[dict[str, Any]] = []
        self.losses = self._losses()
        self._record()
        self.run_diagnosis()

    @property
    def batch_size(self) -> int:
        """Rows per batch: the config's, or every training row for 0."""
        rows = len(self.dataset.train_rows)
        return rows if self.config.batch_size == 0 else min(self.config.batch_size, rows)

    @property
    def next_batch(self) -> np.ndarray:
        """The training rows (dataset indices) the next Step will use."""
        return self.order[self.position:self.position + self.batch_size]

    def _epoch_order(self) -> np.ndarray:
        rows = self.dataset.train_rows
        if self.config.batch_size == 0:  # one batch of every row: its order changes nothing
            return rows.copy()
        return self.order_generator.permutation(rows)

    def loss_on(self, rows: np.ndarray) -> gn.Tensor:
        """L on ``rows``, as a graph: the data loss plus the penalty."""
        return network.batch_loss(self.config, self.dataset, self.model, rows)

    def step(self) -> None:
        """One batch: L on next_batch, backward, the optimizer's update; then the next batch.
        A loss that is NaN or infinite stops training (``diverged`` says why) before any update.
        """
        if self.diverged:
            return
        loss = self.loss_on(self.next_batch)
        value = float(loss.item())
        if not math.isfinite(value):
            self.diverged = (f"the loss became {value} at step {self.step_count + 1}: the "
                             f"learning rate {self.config.learning_rate:g} is too high for this "
                             "network; lower it and press Reset.")
            return
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.step_count += 1
        self.position += self.batch_size
        if self.position >= len(self.order):
            self.epoch += 1
            self.order = self._epoch_order()
            self.position = 0
        if self.step_count % DIAGNOSE_EVERY == 0:
            self.run_diagnosis()

    def train(self, batches: int) -> None:
        """``batches`` Steps, then one point on the loss curve."""
        for _ in range(batches):
            self.step()
            if self.diverged:
                break
        self.losses = self._losses()
        self._record()

    def _losses(self) -> tuple[float, float | None]:
        """(training loss, test loss): the data loss without the penalty, over each set."""
        with gn.no_grad():
            train = self._data_loss(self.dataset.train_rows)
            test = self._data_loss(self.dataset.test_rows) if len(self.dataset.test_rows) \
                else None
        return train, test

    def _data_loss(self, rows: np.ndarray) -> float:
        inputs = gn.tensor(self.dataset.inputs[rows].astype(np.float32))
        targets = network.loss_targets(self.dataset, rows)
        return float(network.data_loss(self.dataset, self.model(inputs), targets).item())

    def _record(self) -> None:
        batches_per_epoch = len(self.order) / self.batch_size
        point = [self.step_count / batches_per_epoch, *self.losses]
        if self.history and self.history[-1][0] == point[0]:
            self.history[-1] = point
        else:
            self.history.append(point)
        if len(self.history) > HISTORY_LENGTH:
            self.history = self.history[::2] if len(self.history) % 2 else \
                [*self.history[:-1:2], self.history[-1]]

    def run_diagnosis(self) -> None:
        """gn.diagnose on the training rows; the units each finding names, as "L.j"."""
        from glassnet.playground.diagnosing import diagnosis_for_page

        self.diagnosis = diagnosis_for_page(self)

    def touch(self) -> None:
        self.touched = self.clock()
