"""The user's CSV table: read and checked as ``glassnet train`` reads it, then learned from.

The network trains on every feature column, preprocessed as the CLI does (numbers standardised
with the training rows' mean and standard deviation, missing numbers imputed by the median and
flagged, text one-hot); the picture plots two numeric features. Over the plotted plane the other
inputs are held at their training rows' median (in the network's input space).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np

from glassnet.playground.config import Config, ConfigError
from glassnet.playground.datasets import CLASSIFICATION, REGRESSION, Dataset

MAX_CLASSES = 10  # classes the picture can colour apart
FLOAT32_LARGEST = float(np.finfo(np.float32).max)  # the network trains in float32


class TableRefused(Exception):
    """An uploaded table the CLI would refuse; the message is the CLI's one line."""


def one_line(error: BaseException) -> str:
    """The CLI's wording: "x.csv: No such file or directory" for OS errors, else the message on
    one line (as glassnet.cli._tabular.describe)."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return " ".join(str(error).split())


def refusals() -> tuple[type[BaseException], ...]:
    """The errors that mean "this file cannot be used" (those the CLI reports with status 2)."""
    from glassnet.tabular import DataError, MissingExtra
    from glassnet.tabular.sources import ReadOptionError

    return (DataError, MissingExtra, ReadOptionError, FileNotFoundError, IsADirectoryError,
            NotADirectoryError, PermissionError)


def read_upload(data: bytes, target: str, filename: str | None = None) -> UploadedTable:
    """An uploaded CSV file's bytes as a table; TableRefused with the CLI's one-line error."""
    name = os.path.basename(filename or "") or "upload.csv"
    name = "".join(c for c in name if c.isprintable())[:100] or "upload.csv"
    with tempfile.TemporaryDirectory(prefix="glassnet-playground-") as folder:
        path = os.path.join(folder, "upload.csv")
        with open(path, "wb") as file:
            file.write(data)
        try:
            table = read_table_file(path, target, shown_name=name)
        except refusals() as error:
            raise TableRefused(one_line(error).replace(path, name)) from None
    return table


def read_table_file(path: str, target: str | None, *, shown_name: str | None = None
                    ) -> UploadedTable:
    """The CSV file at ``path`` with its target column checked; the tabular reader's errors
    (DataError, MissingExtra, OSError's kin) when the file cannot be used."""
    from glassnet import tabular

    if not target:
        raise tabular.DataError(f"{path}: name the target column (--target COLUMN).")
    table = tabular.read_csv(path)
    table.frame = table.frame.copy()  # independent of the reader's temporary file
    if shown_name is not None:
        table.path = shown_name  # messages name the user's file, not the temporary copy
    return UploadedTable(table, target)


class UploadedTable:
    """A checked table, its target's task and classes, and the numeric columns to plot."""

    def __init__(self, table: Any, target: str) -> None:
        from glassnet import tabular

        self.table = table
        self.target = target
        chosen = tabular.choose_features(table, target)
        self.features = chosen.features
        self.task, _ = tabular.guess_task(table, target)
        column = tabular.target_column(table, target)
        if self.task == tabular.CLASSIFY:
            self.classes, self.targets = tabular.class_labels(column)
            if len(self.classes) < 2:
                raise tabular.DataError(f"{table.name}: the target {target!r} has a single "
                                        "value; classification needs at least two classes.")
            if len(self.classes) > MAX_CLASSES:
                raise tabular.DataError(f"{table.name}: the target {target!r} has "
                                        f"{len(self.classes)} classes; the playground draws at "
                                        f"most {MAX_CLASSES}.")
        else:
            self.classes = None
            self.targets = table.numbers([target])[:, 0]
        # fitted on every row once, so that a cell the CLI would refuse is refused at upload
        everything = np.arange(len(table))
        preprocessing, _ = tabular.Preprocessing.fit_table(
            table, self.features, everything, task=self.task, target=target,
            classes=self.classes, target_values=None if self.classes else self.targets)
        preprocessing.transform(table, largest=FLOAT32_LARGEST, where=table.where)
        self.numeric = [column["name"] for column in preprocessing.columns
                        if column["kind"] == "numeric"]
        if len(self.numeric) < 2:
            raise tabular.DataError(f"{table.name}: the picture plots two numeric feature "
                                    f"columns, and this file has {len(self.numeric)} "
                                    f"({', '.join(self.numeric) or 'none'}).")

    def summary(self) -> dict[str, Any]:
        return {"name": self.table.name, "columns": list(self.table.columns),
                "numeric": self.numeric, "rows": len(self.table), "target": self.target,
                "problem": CLASSIFICATION if self.classes else REGRESSION,
                "classes": len(self.classes) if self.classes else 1}

    def dataset(self, config: Config) -> Dataset:
        """The table as a Dataset: split by config (test_ratio, seed; every class alike),
        preprocessed with the training rows' statistics, plotted on config.features."""
        from glassnet import tabular

        plotted = list(config.features) or self.numeric[:2]
        wrong = [name for name in plotted if name not in self.numeric]
        if wrong:
            raise ConfigError(f"config.features must be two of the numeric feature columns "
                              f"{', '.join(self.numeric)[:200]}; got {', '.join(wrong)[:100]}.")
        classify = self.classes is not None
        train_rows, test_rows = tabular.split_rows(
            len(self.table), config.test_ratio, config.seed, self.targets if classify else None)
        try:
            preprocessing, _ = tabular.Preprocessing.fit_table(
                self.table, self.features, train_rows,
                task=tabular.CLASSIFY if classify else tabular.REGRESS, target=self.target,
                classes=self.classes,
                target_values=None if classify else self.targets[train_rows])
            inputs = preprocessing.transform(self.table, largest=FLOAT32_LARGEST,
                                             where=self.table.where)
            targets = self.targets if classify else preprocessing.scale_target(
                self.targets, largest=FLOAT32_LARGEST, where=self.table.where)
        except refusals() as error:
            raise ConfigError(one_line(error)) from None
        columns = preprocessing.columns
        offsets = np.cumsum([0] + [width_of(column) for column in columns])
        place = {column["name"]: (offsets[k], column) for k, column in enumerate(columns)}
        # each plotted value as the network reads it: a missing cell at its training median
        plane = np.column_stack([inputs[:, place[name][0]] * place[name][1]["std"]
                                 + place[name][1]["mean"] for name in plotted])
        held = np.median(inputs[train_rows], axis=0)

        def to_inputs(points: np.ndarray) -> np.ndarray:
            grid = np.tile(held, (len(points), 1))
            for axis, name in enumerate(plotted):
                offset, column = place[name]
                grid[:, offset] = (points[:, axis] - column["mean"]) / column["std"]
                if column["median"] is not None:
                    grid[:, offset + 1] = 0.0  # not missing
            return grid

        problem = CLASSIFICATION if classify else REGRESSION
        input_names = [name for column in columns for name in names_of(column)]
        return Dataset(
            "csv", inputs.astype(np.float64), plane, np.asarray(targets), np.sort(train_rows),
            np.sort(test_rows), problem, len(self.classes) if classify else 1,
            list(self.features), input_names, plane_names=plotted, table=self,
            to_inputs=to_inputs,
            to_target_units=None if classify else preprocessing.target_values)


def names_of(column: dict[str, Any]) -> list[str]:
    """The names of one feature column's network inputs: "age", "age missing", "city=Paris"."""
    if column["kind"] == "numeric":
        flag = [] if column["median"] is None else [f"{column['name']} missing"]
        return [column["name"], *flag]
    return [f"{column['name']}={category}" for category in column["categories"]]


def width_of(column: dict[str, Any]) -> int:
    """Network inputs of one feature column (see glassnet.tabular.Preprocessing.columns)."""
    if column["kind"] == "numeric":
        return 1 if column["median"] is None else 2
    return len(column["categories"])
