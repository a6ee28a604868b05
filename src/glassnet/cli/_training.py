"""How ``glassnet train`` fits the network and tells what happened: which epoch's weights it
kept and why, whether the network overfit, and the final scores.

Whenever rows are held out for validation, the weights kept are those of the epoch with the
lowest validation loss, not the last epoch's; training stops early by default, once the
validation loss has not improved for a patience scaled to the epochs (``default_patience``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.cli._dataset import Dataset
from glassnet.cli._tabular import BadInput, format_grid, format_number, plural


def default_patience(epochs: int) -> int:
    """Epochs without a better validation loss before stopping: a tenth of the run, at least 10.
    """
    return max(10, epochs // 10)


@dataclass
class Outcome:
    """What a finished training did: its epochs, the one whose weights were kept, and why."""

    epochs_run: int
    kept_epoch: int | None  # 0-based; None: the last epoch's weights (no validation rows)
    stopped_early: bool
    patience: int | None
    monitor: str  # "val_loss" or "loss"


CLASSIFICATION_METRICS = ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc",
                          "log_loss")
REGRESSION_METRICS = ("mae", "rmse", "r2")


def metric_list(text: str) -> list[str]:
    """--metrics' value: names joined by commas, each one glassnet knows."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    known = (*CLASSIFICATION_METRICS, *REGRESSION_METRICS)
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"expected metric names joined by commas, from {', '.join(known)}; got {text!r}")
    return names


def chosen_metrics(args: argparse.Namespace, classify: bool) -> list[str]:
    """The metrics to report: --metrics (checked against the task), else accuracy, or MAE, RMSE
    and R² in the target's units."""
    fitting = CLASSIFICATION_METRICS if classify else REGRESSION_METRICS
    asked = getattr(args, "metrics", None)
    if not asked:
        return ["accuracy"] if classify else list(REGRESSION_METRICS)
    wrong = [name for name in asked if name not in fitting]
    if wrong:
        task = "a classification" if classify else "a regression"
        raise BadInput(f"--metrics {','.join(wrong)} cannot score {task}; it takes "
                       f"{', '.join(fitting)}.")
    return list(dict.fromkeys(asked))


def patience_for(args: argparse.Namespace, has_validation: bool) -> int | None:
    """--early-stopping as given (0 turns stopping off), or the default when rows are held out
    for validation; None: run every epoch."""
    if args.early_stopping is not None:
        return args.early_stopping or None
    return default_patience(args.epochs) if has_validation else None


def fit_network(
    model: Any, optimizer: Any, data: Dataset, args: argparse.Namespace, callbacks: list[Any]
) -> tuple[Any, Outcome]:
    """gn.fit on the training rows, validating on the held-out ones, keeping the best epoch's
    weights when there are validation rows; returns (History, Outcome)."""
    import glassnet as gn
    from glassnet.tabular import CLASSIFY

    classify = data.preprocessing.task == CLASSIFY
    has_validation = len(data.val_rows) > 0
    monitor = "val_loss" if has_validation else "loss"
    patience = patience_for(args, has_validation)
    keeper = None
    if has_validation or patience is not None:
        # without a patience, it never stops the run: it only keeps the best epoch's weights
        keeper = gn.callbacks.EarlyStopping(
            monitor=monitor, patience=patience if patience is not None else args.epochs,
            restore_best_weights=True)
    X = data.X.astype(np.float32)
    validation = (X[data.val_rows], data.y[data.val_rows]) if has_validation else None
    # per epoch, the classification metrics; regression ones are reported at the end, in the
    # target's units (fit sees the standardised target)
    logged = chosen_metrics(args, classify) if classify else []
    history = gn.fit(
        model, X[data.train_rows], data.y[data.train_rows],
        loss="cross_entropy" if classify else "mse", optimizer=optimizer, epochs=args.epochs,
        batch_size=args.batch_size, validation_data=validation, metrics=logged,
        class_weight=args.class_weight, verbose=args.verbose,
        callbacks=[*([keeper] if keeper else []), *callbacks])
    epochs_run = len(history.history.get("loss", []))
    outcome = Outcome(
        epochs_run=epochs_run,
        kept_epoch=keeper.best_epoch if keeper is not None and keeper.best_weights else None,
        stopped_early=bool(keeper is not None and keeper.stopped_epoch),
        patience=patience, monitor=monitor)
    return history, outcome


def story(history: Any, outcome: Outcome) -> list[str]:
    """The training in sentences: the epoch kept and why; an overfit run said as such, with
    what to try."""
    losses = history.history.get(outcome.monitor, [])
    if outcome.kept_epoch is None or not losses:
        return [f"Kept the weights of the last epoch ({outcome.epochs_run})."]
    kept, run = outcome.kept_epoch, outcome.epochs_run
    which = "validation loss" if outcome.monitor == "val_loss" else "training loss"
    lines = [f"Kept the weights of epoch {kept + 1} of {run}: its {which}, "
             f"{losses[kept]:.4g}, was the lowest."]
    if outcome.stopped_early:
        lines.append(f"Stopped early: {plural(outcome.patience or 0, 'epoch')} passed without "
                     f"a lower {which} (--early-stopping 0 runs every epoch).")
    if outcome.monitor == "val_loss" and overfit(history, kept, run):
        training = history.history["loss"]
        lines.append(
            f"The network overfit: the validation loss was lowest at epoch {kept + 1} and rose "
            f"over the next {plural(run - kept - 1, 'epoch')} while the training loss kept "
            f"falling ({training[kept]:.4g} -> {training[-1]:.4g}). "
            "The weights kept are from before that; to do better, try a smaller network "
            "(--hidden 16), a lower --lr, or more rows.")
    return lines


def overfit(history: Any, kept: int, run: int) -> bool:
    """The validation loss rose for most of the run: its lowest point came in the first half
    and the training loss went on falling after it."""
    training = history.history.get("loss", [])
    return (run >= 4 and kept + 1 <= run / 2 and len(training) == run
            and training[-1] < training[kept])


def scores(model: Any, data: Dataset, rows: np.ndarray, metrics: list[str]) -> dict[str, float]:
    """The loss (cross-entropy) and ``metrics`` of a classifier, or ``metrics`` of a regressor in
    the target's units, on ``rows``."""
    import glassnet as gn
    from glassnet import tabular
    from glassnet.training.metrics import resolve_metrics

    outputs = gn.predict(model, data.X[rows].astype(np.float32))
    preprocessing = data.preprocessing
    functions = resolve_metrics(metrics, from_logits=True)
    if preprocessing.task == tabular.CLASSIFY:
        true = data.y[rows]
        probabilities = preprocessing.probabilities(outputs)
        chosen = probabilities[np.arange(len(true)), true]
        cross_entropy = float(-np.mean(np.log(np.maximum(chosen, np.finfo(np.float64).tiny))))
        found = {"loss (cross-entropy)": cross_entropy}
        found.update({name: float(function(true, outputs)) for name, function in functions})
        return found
    true = preprocessing.target_values(data.y[rows])
    predicted = preprocessing.target_values(outputs)
    return {SHOWN.get(name, name): float(function(true, predicted))
            for name, function in functions}


SHOWN = {"mae": "MAE", "rmse": "RMSE", "r2": "R²"}


def diagnose_training(model: Any, optimizer: Any, data: Dataset, history: Any) -> Any:
    """gn.diagnose of the trained network on the training rows, with the optimizer (its
    learning-rate trial runs on copies) and the History (its overfitting check)."""
    import glassnet as gn
    from glassnet.tabular import CLASSIFY

    loss = "cross_entropy" if data.preprocessing.task == CLASSIFY else "mse"
    diagnosis = gn.diagnose(model, data.X[data.train_rows].astype(np.float32),
                            data.y[data.train_rows], loss=loss, optimizer=optimizer,
                            history=history)
    # the weights kept are the best validation epoch's, and the story above says when the run
    # overfit: the History's overfitting finding would only repeat it, with advice already taken
    diagnosis.findings = [finding for finding in diagnosis.findings
                          if finding.code != "overfitting"]
    return diagnosis


def describe_diagnosis(diagnosis: Any) -> str:
    """The report under a "Diagnosis" heading: one paragraph per finding, or one line when
    nothing was found."""
    if not diagnosis.findings:
        return "Diagnosis: nothing to report."
    return f"Diagnosis:\n{diagnosis}"


def report(model: Any, data: Dataset, history: Any, outcome: Outcome, metrics: list[str]) -> None:
    """Print the story of the training and the final scores of the weights kept."""
    print()
    for line in story(history, outcome):
        print(line)
    print(f"\nFinal scores of the weights kept, after {plural(outcome.epochs_run, 'epoch')}:")
    header = ["", "training"] + (["validation"] if len(data.val_rows) else [])
    columns = [scores(model, data, data.train_rows, metrics)]
    if len(data.val_rows):
        columns.append(scores(model, data, data.val_rows, metrics))
    lines = [[name] + [format_number(column[name]) for column in columns] for name in columns[0]]
    counts = [data.train_rows, data.val_rows][: len(columns)]
    lines.append(["rows"] + [f"{len(rows):,}" for rows in counts])
    print(format_grid(header, lines))
