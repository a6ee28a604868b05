"""What ``fit`` prints: a tqdm bar per epoch (verbose=1) or one line per epoch (verbose=2)."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import numpy as np
from tqdm import tqdm


def format_logs(logs: dict[str, float], separator: str = " - ") -> str:
    return separator.join(f"{key}: {value:.4f}" for key, value in logs.items())


class Progress:
    """Silent (verbose=0); the base of the two printers."""

    refresh_every = 1 << 62  # batches between updates: never

    def epoch_begin(self, epoch: int) -> None:
        pass

    def batch_end(self, batch: int, loss: float, metrics: Sequence[tuple[str, float]]) -> None:
        pass

    def epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        pass

    def close(self) -> None:
        pass


class ProgressBar(Progress):
    """A tqdm bar per epoch; its postfix shows the running loss and metrics.

    The bar is touched every ``refresh_every`` batches only (about 20 times an epoch), so a fast
    step pays nothing for it; at the epoch's end it shows the final logs, val_* included.
    """

    def __init__(self, epochs: int, steps: int) -> None:
        self.epochs, self.steps = epochs, steps
        self.refresh_every = max(1, steps // 20)
        self.bar: tqdm | None = None
        self.shown = 0

    def epoch_begin(self, epoch: int) -> None:
        self.bar = tqdm(
            total=self.steps,
            desc=f"Epoch {epoch + 1}/{self.epochs}",
            unit="batch",
            leave=True,
            dynamic_ncols=True,
        )
        self.shown = 0

    def batch_end(self, batch: int, loss: float, metrics: Sequence[tuple[str, float]]) -> None:
        parts = [f"loss={loss:.4f}", *(f"{name}={value:.4f}" for name, value in metrics)]
        self.bar.set_postfix_str(", ".join(parts), refresh=False)
        self.bar.update(batch + 1 - self.shown)
        self.shown = batch + 1

    def epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.bar.set_postfix_str(", ".join(f"{k}={v:.4f}" for k, v in logs.items()), refresh=False)
        self.bar.update(self.steps - self.shown)
        self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class EpochLines(Progress):
    """One line per epoch on stdout: ``Epoch 3/10 - 0.41s - loss: 0.1234 - val_loss: 0.1500``."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs
        self.started = time.perf_counter()

    def epoch_begin(self, epoch: int) -> None:
        self.started = time.perf_counter()

    def epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        seconds = time.perf_counter() - self.started
        print(f"Epoch {epoch + 1}/{self.epochs} - {seconds:.2f}s - {format_logs(logs)}",
              file=sys.stdout, flush=True)


def check_verbose(verbose: object) -> None:
    """0, 1 or 2 (a bool counts as 0 or 1, as in scikit-learn)."""
    expected = "verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch)"
    if not isinstance(verbose, (int, np.integer)):
        raise TypeError(f"{expected}; got {verbose!r} ({type(verbose).__name__}).")
    if verbose not in (0, 1, 2):
        raise ValueError(f"{expected}; got {verbose!r}.")


def make_progress(verbose: int, epochs: int, steps: int) -> Progress:
    check_verbose(verbose)
    if verbose == 1:
        return ProgressBar(epochs, steps)
    if verbose == 2:
        return EpochLines(epochs)
    return Progress()
