"""The table ``glassnet train`` learns from: read, checked, split and standardised.

Every check runs before training starts, so bad data costs no training time: the target's
task and classes, the feature statistics (a column whose spread is below float64's normal
numbers is refused), and values too far out to standardise in float32, the dtype the network
trains in.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.cli._tabular import BadInput, name_list, plural


@dataclass
class Dataset:
    """The table as the network sees it, split into training and validation rows."""

    X: np.ndarray  # standardised features (N, F)
    y: np.ndarray  # class indices (N,) or the standardised target (N,)
    train_rows: np.ndarray
    val_rows: np.ndarray
    preprocessing: Any  # glassnet.tabular.Preprocessing


def load_dataset(args: argparse.Namespace) -> Dataset:
    """Read, check, split and standardise the table; prints what it found and the task."""
    from glassnet import tabular

    table = tabular.read_csv(args.data)
    table.column_index(args.target, role="target column")
    features = [column for column in table.columns if column != args.target]
    if not features:
        raise tabular.DataError(
            f"{table.name} has no columns besides the target {args.target!r}; nothing to learn "
            "from."
        )
    task, why = (args.task, "chosen with --task") if args.task else tabular.guess_task(
        table, args.target)
    raw = table.numbers(features)
    print(f"Read {table.name}: {plural(len(table), 'row')}, {plural(len(features), 'feature')} "
          f"({name_list(features)}), target {args.target!r}.")
    target = tabular.target_column(table, args.target)
    classes, values = None, None
    if task == tabular.CLASSIFY:
        classes, y = tabular.class_labels(target)
        if len(classes) < 2:
            raise tabular.DataError(
                f"{table.name}: the target {args.target!r} has a single value ({classes[0]!r}); "
                "classification needs at least two classes."
            )
        counts = np.bincount(y, minlength=len(classes))
        listed = ", ".join(f"{label} ({count})" for label, count in zip(classes, counts,
                                                                         strict=True))
        guessed = "" if args.task else f", guessed because {why} (--task regress to change it)"
        print(f"Task: classify{guessed}.\n{len(classes)} classes: {listed}.")
    else:
        values = table.numbers([args.target])[:, 0]
        y = values
        guessed = "" if args.task else f", guessed because {why} (--task classify to change it)"
        mean, _ = tabular.preprocess.column_statistics(  # exact for targets near 1e300 too
            values[:, None], [f"{table.name}: the target column {args.target!r}"])
        print(f"Task: regress{guessed}.\nTarget {args.target!r}: from {values.min():g} to "
              f"{values.max():g}, mean {mean[0]:g}.")
    train_rows, val_rows = tabular.split_rows(
        len(table), args.val_split, args.seed, y if task == tabular.CLASSIFY else None)
    if args.val_split > 0 and len(val_rows) == 0:
        raise BadInput(f"{table.name} has too few rows ({len(table)}) to hold out "
                       f"{args.val_split:g} of them for validation; use --val-split 0.")
    preprocessing = tabular.Preprocessing.fit(
        features, raw[train_rows], task=task, target=args.target, classes=classes,
        target_values=values[train_rows] if values is not None else None, source=table.name)
    largest = float(np.finfo(np.float32).max)  # the network trains in float32
    if task == tabular.REGRESS:
        y = preprocessing.scale_target(values, largest=largest, where=table.where)
    X = preprocessing.standardize(raw, largest=largest, where=table.where)
    return Dataset(X, y, train_rows, val_rows, preprocessing)
