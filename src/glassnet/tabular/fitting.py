"""Which columns are features, what kind each is, and its fitted numbers, from the training rows.

A column is numeric when every filled cell of the training rows is a finite number; a column of
numbers with a typo when only a few are not (``looks_like_typos``: at most a tenth of them, or at
most two while numbers are the majority), refused naming the first bad cell; text (categories,
one-hot) otherwise. Missing cells (empty, or one
of the markers ``table.is_missing`` knows) of a numeric column are imputed with the median and
get a missing indicator; in a text column they are the category ``MISSING_LABEL``.

scikit-learn fits what it already knows how to: the medians (``SimpleImputer``) and the sorted
categories (``OneHotEncoder``). Means and standard deviations come from ``column_statistics``
(``StandardScaler``'s: the population std, a constant column scaled by 1), which stays exact for
values near 1e±300 where a plain sum overflows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from glassnet.tabular.columns import (
    MISSING_LABEL,
    SMALLEST_STD,
    CategoryColumn,
    FeatureColumn,
    NumericColumn,
)
from glassnet.tabular.inputs import TableRows
from glassnet.tabular.table import DataError, Table, quote_list, show

TYPO_SHARE = 0.1  # text in at most this share of a column's filled cells, the rest numbers: typos
TYPO_COUNT = 2  # ... or in at most this many of them, while numbers are the majority
MAX_CATEGORIES = 50  # distinct texts one-hot encoded by default

CONSTANT = 1e-12  # a column whose std is at most this fraction of its largest |value| is constant


class FeatureChoice(NamedTuple):
    """The feature columns in the table's order, and one note per column left out."""

    features: list[str]
    notes: list[str]


def looks_like_typos(text_cells: int, filled: int) -> bool:
    """Whether ``text_cells`` among a column's ``filled`` cells, the others numbers, are typos
    rather than categories: at most a tenth of them, or at most two while numbers are the
    majority (one 'abc' among nine numbers is a typo; '4+' in a quarter of a column is a
    category)."""
    return text_cells <= TYPO_SHARE * filled or (
        text_cells <= TYPO_COUNT and 2 * text_cells < filled)


def choose_features(
    table: Table, target: str, *, features: Iterable[str] | None = None,
    drop: Iterable[str] = (), id_column: str | None = None,
) -> FeatureChoice:
    """The columns the network learns from, in the table's order: ``features`` if given, else
    every column; never the target, the id column, or a dropped one. DataError naming a column
    the table does not have (and listing those it has), or when no feature is left."""
    table.column_index(target, role="target column")
    if id_column is not None:
        table.column_index(id_column, role="id column")
    wanted = None if features is None else list(features)
    dropped = list(drop)
    for names, role in ((wanted or [], "feature column"), (dropped, "column to drop")):
        absent = [name for name in names if name not in table.columns]
        if absent:
            raise DataError(
                f"{table.name} has no {role}{'s' if len(absent) > 1 else ''} "
                f"{quote_list(absent)}; its columns are {quote_list(table.columns)}."
            )
    for special, role in ((target, "the target"), (id_column, "the id column")):
        if wanted is not None and special in wanted:
            raise DataError(f"{show(special)} is {role}, so it cannot also be a feature.")
    notes = []
    if id_column is not None:
        notes.append(f"column {show(id_column)}: the row id, not a feature (--id)")
    chosen = []
    for name in table.columns:
        if name in (target, id_column):
            continue
        if name in dropped:
            notes.append(f"column {show(name)} dropped (--drop)")
        elif wanted is not None and name not in wanted:
            notes.append(f"column {show(name)} not among the features (--features)")
        else:
            chosen.append(name)
    if not chosen:
        raise DataError(f"{table.name} has no feature column left (besides the target "
                        f"{show(target)}); nothing to learn from.")
    return FeatureChoice(chosen, notes)


def column_statistics(
    values: np.ndarray, descriptions: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) of each column of ``values`` (N, F), a constant column's std set to 1.

    A column is constant when its std is at most CONSTANT times its largest |value| (rounding
    noise). Columns of values beyond 1e±100 in size are computed divided by a power of two near
    their largest |value|: exact, and their squares neither overflow nor underflow. DataError,
    starting with the column's description ("data.csv: the feature column 'x'"), for a column
    whose spread is below float64's smallest normal number (dividing by it loses precision).
    """
    with np.errstate(all="ignore"):  # columns that overflow are computed again below
        largest = np.maximum(values.max(axis=0), -values.min(axis=0))
        mean = values.mean(axis=0)
        std = values.std(axis=0)
    for j in np.flatnonzero((largest != 0) & ~((1e-100 < largest) & (largest < 1e100))):
        scale = np.ldexp(1.0, np.frexp(largest[j])[1] - 1)  # largest / scale in [1, 2)
        column = values[:, j] / scale
        mean[j], std[j] = scale * column.mean(), scale * column.std()
    constant = std <= CONSTANT * largest
    tiny = np.flatnonzero(~constant & (std < SMALLEST_STD))
    if tiny.size:
        j = tiny[0]
        raise DataError(
            f"{descriptions[j]} varies by only {std[j]:.3g}, below float64's smallest normal "
            "number, so it cannot be standardised; rescale it (other units) first."
        )
    std[constant] = 1.0  # leave a constant column as it is: centred, not scaled
    return mean, std


def require_sklearn(feature: str) -> None:
    """MissingExtra naming the extra that installs scikit-learn, unless it is installed."""
    from glassnet.tabular.reading import MissingExtra

    try:
        import sklearn  # noqa: F401
    except ImportError as error:
        raise MissingExtra(f"{feature} needs scikit-learn, which is not installed: pip install "
                           "'glassnet[tabular]'") from error


def fit_columns(
    table: Table, features: Sequence[str], rows: np.ndarray, *,
    max_categories: int = MAX_CATEGORIES,
) -> tuple[list[FeatureColumn], list[str]]:
    """(the fitted feature columns, one note per decision worth telling) from the training
    ``rows`` of ``table``; the numeric columns' mean and std are computed on their imputed values.
    DataError for a column of numbers with a typo, one with no filled cell, or text with more
    than ``max_categories`` distinct values.
    """
    source = TableRows(table)
    rows = np.asarray(rows, dtype=np.int64)
    numeric: dict[str, np.ndarray] = {}  # name -> its values in the training rows, NaN missing
    missing: dict[str, int] = {}  # name -> missing cells in the whole table, held-out rows too
    texts: dict[str, list[str | None]] = {}
    for name in features:
        values, bad = source.parse_numbers(name)
        missing[name] = int(np.count_nonzero(np.isnan(values) & ~bad))
        training_bad = bad[rows]
        filled = int(len(rows) - np.count_nonzero(np.isnan(values[rows]) & ~training_bad))
        if filled == 0:
            raise DataError(f"{table.name}: the column {show(name)} has no value in the training "
                            "rows; drop it (--drop).")
        count_bad = int(np.count_nonzero(training_bad))
        if count_bad == 0:
            numeric[name] = values[rows]
        elif looks_like_typos(count_bad, filled):
            row = int(np.min(rows[training_bad]))
            raise DataError(
                f"{source.where(row, name)}: {source.bad_cell(row, name)} {filled - count_bad} "
                f"of the column's {filled} filled cells in the training rows are numbers, so "
                "this looks like a typo: correct the cell, or empty it to make it a missing "
                "value."
            )
        else:
            every = source.texts(name)  # read once: a column's text may be re-read from the file
            _refuse_decimal_commas(source, name, rows, every)
            texts[name] = _category_cells(table, source, name, rows, max_categories, every)
    # a column with gaps only in held-out rows is imputed too (from the training rows' median):
    # those rows, and new ones like them, have gaps where training had none
    medians = _medians(numeric, [name for name in numeric if missing[name]])
    means, stds = _means_and_stds(numeric, medians, table.name)
    categories = _categories(texts)
    columns: list[FeatureColumn] = []
    notes: list[str] = []
    for name in features:
        if name in numeric:
            median = medians.get(name)
            columns.append(NumericColumn(name, means[name], stds[name], median))
            if median is not None:
                notes.append(f"column {show(name)}: {missing[name]} missing → median "
                             f"{median:g}, and a missing-indicator input")
        else:
            found = categories[name]
            label = MISSING_LABEL if MISSING_LABEL in found else None
            columns.append(CategoryColumn(name, tuple(found), label))
            with_missing = f", missing cells as {show(MISSING_LABEL)}" if label else ""
            notes.append(f"column {show(name)}: text, {len(found)} categories → one-hot"
                         f"{with_missing}")
    return columns, notes


_DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+")
DECIMAL_COMMA_SHARE = 0.9  # a text column with at least this share of '2,5' cells is numbers


def _refuse_decimal_commas(source: TableRows, name: str, rows: np.ndarray,
                           every: list[str | None]) -> None:
    """DataError for a text column (its cells ``every``, None where missing) whose cells are
    numbers written with a decimal comma ('2,5'), as European exports have them: read as text
    they would become one category per value, a plausible but wrong encoding."""
    filled = [int(row) for row in rows if every[row] is not None]
    commas = sorted(row for row in filled if _DECIMAL_COMMA.fullmatch(every[row]))
    if filled and len(commas) >= DECIMAL_COMMA_SHARE * len(filled):
        row = commas[0]  # the first in the file
        raise DataError(
            f"{source.where(row, name)}: {show(every[row])} is a number written with a decimal "
            f"comma, as {len(commas)} of the column's {len(filled)} filled cells are; glassnet "
            "reads '.' as the decimal point, and would take them for categories. Write the "
            "numbers with '.' (in pandas: read_csv(..., decimal=',') then to_csv)."
        )


def _category_cells(
    table: Table, source: TableRows, name: str, rows: np.ndarray, max_categories: int,
    every: list[str | None],
) -> list[str | None]:
    """The training rows' cells of a text column (all its cells: ``every``), checked: few
    enough distinct values, none written as the missing cells' label."""
    cells = [every[row] for row in rows]
    distinct = sorted({cell for cell in cells if cell is not None})
    if MISSING_LABEL in distinct:
        row = int(rows[cells.index(MISSING_LABEL)])
        raise DataError(f"{source.where(row, name)}: {show(MISSING_LABEL)} is the label glassnet "
                        "gives missing cells; write a missing cell as an empty one.")
    if len(distinct) > max_categories:
        raise DataError(
            f"{table.name}: the column {show(name)} holds text with {len(distinct):,} distinct "
            f"values in the training rows (such as {quote_list(distinct, 3)}), more than "
            f"max_categories ({max_categories}): one-hot encoding would give it "
            f"{len(distinct):,} inputs. Drop it (--drop {name}), or if these are categories, "
            "raise --max-categories."
        )
    return cells


def _medians(numeric: dict[str, np.ndarray], gaps: list[str]) -> dict[str, float]:
    """SimpleImputer(strategy="median")'s statistics, on the training rows, of the columns
    ``gaps`` that have missing cells."""
    if not gaps:
        return {}
    require_sklearn("imputing missing numbers")
    from sklearn.impute import SimpleImputer

    imputer = SimpleImputer(strategy="median").fit(np.column_stack([numeric[n] for n in gaps]))
    return {name: float(median) for name, median in zip(gaps, imputer.statistics_, strict=True)}


def _means_and_stds(
    numeric: dict[str, np.ndarray], medians: dict[str, float], source: str
) -> tuple[dict[str, float], dict[str, float]]:
    """Each numeric column's mean and std, over its imputed training values; all columns in
    one matrix, so a clean table's numbers are those of the matrix it always was."""
    if not numeric:
        return {}, {}
    names = list(numeric)
    values = np.empty((len(numeric[names[0]]), len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        column = numeric[name]
        values[:, j] = np.where(np.isnan(column), medians[name], column) if name in medians \
            else column
    prefix = f"{source}: " if source else ""
    descriptions = [f"{prefix}the feature column {show(name)}" for name in names]
    mean, std = column_statistics(values, descriptions)
    return ({name: float(m) for name, m in zip(names, mean, strict=True)},
            {name: float(s) for name, s in zip(names, std, strict=True)})


def _categories(texts: dict[str, list[str | None]]) -> dict[str, list[str]]:
    """OneHotEncoder's sorted categories of each text column, a missing cell as MISSING_LABEL."""
    if not texts:
        return {}
    require_sklearn("one-hot encoding text columns")
    from sklearn.preprocessing import OneHotEncoder

    names = list(texts)
    cells = np.empty((len(texts[names[0]]), len(names)), dtype=object)
    for j, name in enumerate(names):
        cells[:, j] = [MISSING_LABEL if cell is None else cell for cell in texts[name]]
    encoder = OneHotEncoder(handle_unknown="ignore").fit(cells)
    return {name: [str(category) for category in found]
            for name, found in zip(names, encoder.categories_, strict=True)}
