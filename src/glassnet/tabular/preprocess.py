"""From a table to what a network trains on, and back: features as network inputs (numbers
imputed and standardised with the training rows' statistics, text one-hot), class labels as
indices, a regression target scaled to unit variance.

Everything needed to repeat the preprocessing on new rows is kept in ``Preprocessing`` and saved
in the model file's metadata (``to_metadata`` / ``from_metadata``), as plain JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from glassnet.tabular.columns import CategoryColumn, FeatureColumn, NumericColumn, input_width
from glassnet.tabular.fitting import MAX_CATEGORIES, column_statistics, fit_columns
from glassnet.tabular.inputs import ArrayRows, Rows, TableRows, Where, encode, frame_rows
from glassnet.tabular.metadata import (
    CLASSIFY,
    REGRESS,
    check_table_metadata,
    has_table_metadata,
)
from glassnet.tabular.table import DataError, Table, quote_list, show
from glassnet.tabular.targets import Label, as_number, target_cells, target_column


class Preprocessing:
    """What turns a table into network inputs and outputs into answers.

    Inputs: each of ``feature_columns`` (``glassnet.tabular.columns``) gives its run of network
    inputs, in order: a number (x_imputed − mean) / std (a constant column has std 1), then a
    missing indicator if it had missing cells at training; a text column one 0/1 input per
    category. ``Preprocessing(feature_names, feature_mean, feature_std, task, ...)`` describes
    numbers only, standardised, none missing; ``from_columns`` any columns.
    classification: outputs (N, C) of logits -> the label of the largest, probabilities by
    softmax; regression: output (N, 1) -> value = output · target_std + target_mean.
    """

    def __init__(
        self,
        feature_names: Sequence[str] | None,
        feature_mean: ArrayLike | None,
        feature_std: ArrayLike | None,
        task: str,
        target: str | None = None,
        classes: Sequence[Label] | None = None,
        target_mean: float = 0.0,
        target_std: float = 1.0,
        *,
        feature_columns: Sequence[FeatureColumn] | None = None,
    ) -> None:
        if feature_columns is None:
            names = list(feature_names or [])
            mean, std = np.ravel(feature_mean), np.ravel(feature_std)
            if not len(names) == len(mean) == len(std):
                raise ValueError(f"feature_names, feature_mean and feature_std must be as long; "
                                 f"got {len(names)}, {len(mean)} and {len(std)}.")
            feature_columns = [NumericColumn(name, float(m), float(s))
                               for name, m, s in zip(names, mean, std, strict=True)]
        elif not feature_names is feature_mean is feature_std is None:
            raise ValueError("give either feature_columns or feature_names, feature_mean and "
                             "feature_std, not both.")
        self.feature_columns: list[FeatureColumn] = list(feature_columns)
        self.task = task
        self.target = target
        self.classes = list(classes) if classes is not None else None
        self.target_mean = target_mean
        self.target_std = target_std

    def __repr__(self) -> str:
        return (f"Preprocessing(task={self.task!r}, target={self.target!r}, "
                f"columns={self.columns!r})")

    @classmethod
    def from_columns(
        cls, feature_columns: Sequence[FeatureColumn], task: str, target: str | None = None,
        classes: Sequence[Label] | None = None, target_mean: float = 0.0,
        target_std: float = 1.0,
    ) -> Preprocessing:
        """A Preprocessing of any feature columns (numbers with missing cells, text)."""
        return cls(None, None, None, task, target, classes, target_mean, target_std,
                   feature_columns=feature_columns)

    @classmethod
    def fit(
        cls,
        feature_names: Sequence[str],
        features: np.ndarray,
        *,
        task: str,
        target: str | None = None,
        classes: Sequence[Label] | None = None,
        target_values: np.ndarray | None = None,
        source: str = "",
    ) -> Preprocessing:
        """The statistics of ``features`` (N, F), numbers none missing (and of a regression
        target (N,)); DataError for a column (or target) whose statistics float64 cannot hold,
        its message starting with ``source`` (the file). ``fit_table`` takes any columns."""
        prefix = f"{source}: " if source else ""
        mean, std = column_statistics(
            features, [f"{prefix}the feature column {show(name)}" for name in feature_names])
        target_mean, target_std = _target_statistics(task, target, target_values, prefix)
        return cls(list(feature_names), mean, std, task, target,
                   list(classes) if classes is not None else None, target_mean, target_std)

    @classmethod
    def fit_table(
        cls,
        table: Table,
        features: Sequence[str],
        rows: np.ndarray,
        *,
        task: str,
        target: str | None = None,
        classes: Sequence[Label] | None = None,
        target_values: np.ndarray | None = None,
        max_categories: int = MAX_CATEGORIES,
    ) -> tuple[Preprocessing, list[str]]:
        """(the Preprocessing fitted on the training ``rows`` of ``table``, one note per decision
        to print). Each of ``features`` is numbers (missing cells -> the median and an
        indicator) or text (categories, one-hot; ``glassnet.tabular.fitting``); a regression
        target's ``target_values`` are those of ``rows``. DataError for a column of numbers with
        a typo, text with more than ``max_categories`` distinct values, a column (or target)
        whose statistics float64 cannot hold."""
        columns, notes = fit_columns(table, features, rows, max_categories=max_categories)
        target_mean, target_std = _target_statistics(task, target, target_values,
                                                      f"{table.name}: ")
        return cls.from_columns(columns, task, target, classes, target_mean, target_std), notes

    @property
    def feature_names(self) -> list[str]:
        """The feature columns' names, in the network's order."""
        return [column.name for column in self.feature_columns]

    @property
    def columns(self) -> list[dict[str, Any]]:
        """The network's input layout as plain dicts, one per feature column in order:
        {"name", "kind": "numeric", "median" (None: no missing cell at training), "mean", "std"}
        or {"name", "kind": "category", "categories" (sorted), "missing_label" (or None)}."""
        return [column.describe() for column in self.feature_columns]

    @property
    def input_width(self) -> int:
        """The number of network inputs: one per number (two with a missing indicator), one per
        category."""
        return input_width(self.feature_columns)

    @property
    def numbers_only(self) -> bool:
        """Whether every feature is a number standardised as it is, none missing at training:
        the network's inputs are the columns', one each (an array can give them)."""
        return all(isinstance(column, NumericColumn) and column.median is None
                   for column in self.feature_columns)

    @property
    def feature_mean(self) -> np.ndarray:
        """Each feature's mean (F,); only for a model of numbers (``columns`` describes any)."""
        return np.array([column.mean for column in self._numeric_columns("feature_mean")])

    @property
    def feature_std(self) -> np.ndarray:
        """Each feature's std (F,); only for a model of numbers (``columns`` describes any)."""
        return np.array([column.std for column in self._numeric_columns("feature_std")])

    def _numeric_columns(self, what: str) -> list[NumericColumn]:
        numeric = [column for column in self.feature_columns if isinstance(column, NumericColumn)]
        if len(numeric) < len(self.feature_columns):
            text = [column.name for column in self.feature_columns if column not in numeric]
            raise DataError(f"{what} describes a model of numbers only; this one has text "
                            f"columns ({quote_list(text)}): see Preprocessing.columns.")
        return numeric

    @property
    def n_outputs(self) -> int:
        return len(self.classes) if self.task == CLASSIFY and self.classes else 1

    def features(self, table: Table) -> Any:
        """The model's feature columns of ``table``, found by name: raw numbers (N, F) when
        ``numbers_only``, else a pandas DataFrame of them (numbers with NaN where missing, text
        with None); either goes to ``transform``. DataError for a column the table lacks or a
        cell that cannot be used, naming its line."""
        present = set(table.columns)
        absent = [name for name in self.feature_names if name not in present]
        if absent:
            raise DataError(
                f"{table.name} lacks the model's feature column"
                f"{'s' if len(absent) > 1 else ''} {quote_list(absent)}; the model was trained "
                f"on {quote_list(self.feature_names)}, and the file has "
                f"{quote_list(table.columns)}."
            )
        if self.numbers_only:
            return table.numbers(self.feature_names)
        import pandas

        rows = TableRows(table)
        return pandas.DataFrame({
            column.name: rows.numbers(column.name) if isinstance(column, NumericColumn)
            else pandas.Series(rows.texts(column.name), dtype=object)
            for column in self.feature_columns
        })

    def transform(
        self, rows: Any, *, largest: float = np.inf, where: Where | None = None
    ) -> np.ndarray:
        """The network's inputs (N, input_width) for a Table, a pandas DataFrame (columns found
        by name) or an array (N, F) of numbers (columns in ``feature_names``' order, NaN where
        missing). DataError naming the row and column of a cell that cannot be used (``where``
        names it, by default the rows' own place); UnseenCategoryWarning once for text the model
        never saw."""
        if isinstance(rows, Table):
            source: Rows = TableRows(rows)
        elif hasattr(rows, "columns") and not isinstance(rows, np.ndarray):
            source = frame_rows(rows, self.feature_names, numbers_only=self.numbers_only)
        else:
            self.refuse_arrays()
            source = ArrayRows(np.asarray(rows, dtype=np.float64), self.feature_names)
        return encode(self.feature_columns, source, largest=largest, where=where)

    def refuse_arrays(self) -> None:
        """DataError when the model has text columns, which an array of numbers cannot hold."""
        text = [column.name for column in self.feature_columns
                if isinstance(column, CategoryColumn)]
        if text:
            raise DataError(
                f"the model has text columns ({quote_list(text)}), which an array cannot hold; "
                "pass a pandas DataFrame (or a Table, or a CSV file's path) whose columns are "
                "found by name."
            )

    def standardize(
        self, features: np.ndarray, *, largest: float = np.inf, where: Where | None = None
    ) -> np.ndarray:
        """(x − mean) / std per feature of an array of numbers (N, F) -> the network's inputs.
        DataError for a value so far from the training rows' that the result is not finite or
        exceeds ``largest`` in size."""
        return self.transform(np.asarray(features), largest=largest, where=where)

    def encode_target(self, table: Table) -> np.ndarray:
        """The target column as the model's target: class indices (N,) or scaled values (N,)."""
        if self.target is None:
            raise DataError("the model does not record which column it was trained to predict.")
        column = target_column(table, self.target)
        if self.task == CLASSIFY:
            return self._class_indices(table, column)
        return self.scale_target(table.numbers([self.target])[:, 0], where=table.where)

    def scale_target(
        self, values: np.ndarray, *, largest: float = np.inf, where: Where | None = None
    ) -> np.ndarray:
        """(y − target_mean) / target_std: (N,) -> (N,). DataError for a value so far from the
        training rows' targets that the result is not finite or exceeds ``largest`` in size."""
        largest = min(largest, float(np.finfo(np.float64).max))  # inf and NaN never fit
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = (values - self.target_mean) / self.target_std
            outside = np.flatnonzero(~(np.abs(scaled) <= largest))
        if outside.size == 0:
            return scaled
        row = int(outside[0])
        target = self.target or "target"
        place = where(row, target) if where else f"row {row + 1}, target {show(target)}"
        raise DataError(
            f"{place}: {values[row]:.6g} is too far from the training rows' targets (mean "
            f"{self.target_mean:.6g}, std {self.target_std:.6g}) to scale (the result exceeds "
            f"{largest:.3g})."
        )

    def _class_indices(self, table: Table, column: np.ndarray | list[str]) -> np.ndarray:
        classes = self.classes or []
        if isinstance(column, np.ndarray) and not any(isinstance(c, str) for c in classes):
            known = np.array([float(label) for label in classes])
            order = np.argsort(known)
            spots = np.minimum(np.searchsorted(known[order], column), len(known) - 1)
            unknown = np.flatnonzero(known[order][spots] != column)
            if unknown.size == 0:
                return order[spots].astype(np.int64)
            row = int(unknown[0])
            raise self._unknown_class(table, row, table.text(self.target or "")[row])
        cells = column if isinstance(column, list) else target_cells(table, self.target or "")
        lookup: dict[Any, int] = {}
        for index, label in enumerate(classes):
            lookup[str(label)] = index
            if not isinstance(label, str):
                lookup[float(label)] = index
        indices = np.empty(len(cells), dtype=np.int64)
        for row, cell in enumerate(cells):
            number = as_number(cell)
            index = lookup.get(cell, lookup.get(number) if number is not None else None)
            if index is None:
                raise self._unknown_class(table, row, cell)
            indices[row] = index
        return indices

    def _unknown_class(self, table: Table, row: int, cell: str) -> DataError:
        return DataError(
            f"{table.where(row, self.target or '')}: {show(cell)} is not one of the model's "
            f"classes ({quote_list([str(c) for c in self.classes or []])})."
        )

    def target_values(self, scaled: np.ndarray) -> np.ndarray:
        """A regression output or target in the original units: (N, 1) or (N,) -> (N,)."""
        return np.reshape(scaled, -1).astype(np.float64) * self.target_std + self.target_mean

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """softmax over the classes, row by row: (N, C) -> (N, C); stable for any logits."""
        shifted = outputs.astype(np.float64) - outputs.max(axis=1, keepdims=True)
        exponentials = np.exp(shifted)
        return exponentials / exponentials.sum(axis=1, keepdims=True)

    def labels(self, outputs: np.ndarray) -> np.ndarray:
        """The predicted labels (classification) or values (regression): (N, out) -> (N,)."""
        if self.task == CLASSIFY:
            return np.asarray(self.classes)[outputs.argmax(axis=1)]
        return self.target_values(outputs)

    def to_metadata(self) -> dict[str, Any]:
        """The JSON-able metadata ``gn.save`` stores with the model: a model of numbers only as
        feature_names / feature_mean / feature_std (the format every glassnet reads), any
        other as its ``columns``."""
        metadata: dict[str, Any] = {"task": self.task, "target": self.target}
        if self.numbers_only:
            metadata.update(feature_names=self.feature_names,
                            feature_mean=self.feature_mean.tolist(),
                            feature_std=self.feature_std.tolist())
        else:
            metadata["columns"] = self.columns
        if self.task == CLASSIFY:
            metadata["classes"] = list(self.classes or [])
        else:
            metadata["target_mean"] = self.target_mean
            metadata["target_std"] = self.target_std
        return metadata

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any], *, source: str) -> Preprocessing:
        """The Preprocessing saved by ``to_metadata``. DataError for metadata that does not
        describe a table model; ModelFormatError naming the first field that is wrong."""
        if not has_table_metadata(metadata):
            raise DataError(
                f"{source} is a glassnet model but not one trained on a table (its metadata "
                "has no feature names); `glassnet train` saves the feature names, statistics "
                "and labels it needs."
            )
        columns = check_table_metadata(metadata, source=source)
        task = metadata["task"]
        return cls.from_columns(
            columns,
            task,
            target=metadata.get("target"),
            classes=list(metadata["classes"]) if task == CLASSIFY else None,
            target_mean=float(metadata.get("target_mean", 0.0)) if task == REGRESS else 0.0,
            target_std=float(metadata.get("target_std", 1.0)) if task == REGRESS else 1.0,
        )


def _target_statistics(
    task: str, target: str | None, values: np.ndarray | None, prefix: str
) -> tuple[float, float]:
    """(mean, std) of a regression target's training values; (0, 1) otherwise."""
    if task != REGRESS or values is None:
        return 0.0, 1.0
    mean, std = column_statistics(np.reshape(values, (-1, 1)),
                                  [f"{prefix}the target column {show(target or '')}"])
    return float(mean[0]), float(std[0])
