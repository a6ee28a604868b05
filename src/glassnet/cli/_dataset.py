"""The table ``glassnet train`` learns from: read, columns chosen, checked, split and encoded.

Every check runs before training starts, so bad data costs no training time: the columns asked
for, the target's task and classes, each feature column's kind (numbers, with missing cells
imputed by the median and flagged; or text, one-hot over its categories; a column of numbers with
a typo is refused at the cell), the feature statistics, and values too far out to standardise in
float32, the dtype the network trains in. Each decision is printed once.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.cli._tabular import (
    BadInput,
    name_list,
    plural,
    read_table,
    unseen_categories_as_notes,
)


@dataclass
class Dataset:
    """The table as the network sees it, split into training and validation rows."""

    X: np.ndarray  # the network's inputs (N, input_width): standardised, imputed, one-hot
    y: np.ndarray  # class indices (N,) or the standardised target (N,)
    train_rows: np.ndarray
    val_rows: np.ndarray
    preprocessing: Any  # glassnet.tabular.Preprocessing


def column_list(text: str) -> list[str]:
    """'a,b, c' -> ['a', 'b', 'c'], for argparse's ``type=``."""
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected column names joined by commas, got {text!r}")
    return names


def load_dataset(args: argparse.Namespace) -> Dataset:
    """Read, check, split and encode the table; prints what it found and decided."""
    from glassnet import tabular

    table = read_table(args.data, args)
    chosen = tabular.choose_features(table, args.target, features=args.features,
                                     drop=args.drop or (), id_column=args.id)
    features = chosen.features
    task, why = (args.task, "chosen with --task") if args.task else tabular.guess_task(
        table, args.target)
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
        mean, _ = tabular.fitting.column_statistics(  # exact for targets near 1e300 too
            values[:, None], [f"{table.name}: the target column {args.target!r}"])
        print(f"Task: regress{guessed}.\nTarget {args.target!r}: from {values.min():g} to "
              f"{values.max():g}, mean {mean[0]:g}.")
    train_rows, val_rows = tabular.split_rows(
        len(table), args.val_split, args.seed, y if task == tabular.CLASSIFY else None)
    if args.val_split > 0 and len(val_rows) == 0:
        raise BadInput(f"{table.name} has too few rows ({len(table)}) to hold out "
                       f"{args.val_split:g} of them for validation; use --val-split 0.")
    preprocessing, notes = tabular.Preprocessing.fit_table(
        table, features, train_rows, task=task, target=args.target, classes=classes,
        target_values=values[train_rows] if values is not None else None,
        max_categories=args.max_categories)
    for note in [*chosen.notes, *notes]:
        print(f"  {note}")
    largest = float(np.finfo(np.float32).max)  # the network trains in float32
    if task == tabular.REGRESS:
        y = preprocessing.scale_target(values, largest=largest, where=table.where)
    # categories met only in validation rows: encoded as all zeros, as new rows will be
    with unseen_categories_as_notes(sys.stdout, prefix="  validation rows: "):
        X = preprocessing.transform(table, largest=largest, where=table.where)
    return Dataset(X, y, train_rows, val_rows, preprocessing)
