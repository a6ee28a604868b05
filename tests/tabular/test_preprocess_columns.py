"""Choosing the feature columns, deciding each one's kind on the training rows, and the notes."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from glassnet.tabular import CLASSIFY, REGRESS, DataError, MissingExtra, Preprocessing, read_csv
from glassnet.tabular.fitting import TYPO_SHARE, choose_features, looks_like_typos


def write_table(tmp_path, header, rows, name="t.csv"):
    path = tmp_path / name
    path.write_text("\n".join([",".join(header), *(",".join(map(str, row)) for row in rows)])
                    + "\n")
    return read_csv(path)


def messy_rows(count=40):
    """id, age (numbers, some empty or NA), income (clean numbers), city (text, some empty),
    target: a patient table as people export it."""
    cities = ["Oslo", "Rome", "Lima", ""]
    rows = []
    for i in range(count):
        age = "" if i % 7 == 3 else "NA" if i % 11 == 5 else 20 + i
        rows.append([f"p{i}", age, 1000 + 13 * i, cities[i % 4], "yes" if i % 3 else "no"])
    return rows


HEADER = ["id", "age", "income", "city", "target"]


def fit(table, features, rows=None, **options):
    rows = np.arange(len(table)) if rows is None else rows
    return Preprocessing.fit_table(table, features, rows, task=CLASSIFY, target="target",
                                   classes=["no", "yes"], **options)


def test_features_in_the_tables_order_without_target_id_or_dropped(tmp_path):
    table = write_table(tmp_path, HEADER, messy_rows())
    assert choose_features(table, "target") == (["id", "age", "income", "city"], [])
    features, notes = choose_features(table, "target", id_column="id", drop=["income"])
    assert features == ["age", "city"]
    assert notes == ["column 'id': the row id, not a feature (--id)",
                     "column 'income' dropped (--drop)"]
    features, notes = choose_features(table, "target", features=["city", "age"])
    assert features == ["age", "city"]  # the table's order, whatever order they were given in
    assert "column 'income' not among the features (--features)" in notes


@pytest.mark.parametrize("options, message", [
    ({"features": ["age", "weight", "height"]},
     r"^.*t\.csv has no feature columns 'weight', 'height'; its columns are 'id', 'age', "),
    ({"drop": ["agee"]}, r"has no column to drop 'agee'; its columns are 'id', 'age'"),
    ({"id_column": "ID"}, r"has no id column 'ID'; its columns are 'id', 'age'"),
    ({"features": ["age", "target"]}, r"^'target' is the target, so it cannot also be a feature"),
    ({"features": ["id"], "id_column": "id"}, r"^'id' is the id column, so it cannot also be"),
    ({"drop": ["id", "age", "income", "city"]}, r"has no feature column left"),
])
def test_a_bad_choice_is_named_with_the_tables_columns(tmp_path, options, message):
    table = write_table(tmp_path, HEADER, messy_rows())
    with pytest.raises(DataError, match=message):
        choose_features(table, "target", **options)


def test_kinds_layout_and_notes_of_a_messy_table(tmp_path):
    table = write_table(tmp_path, HEADER, messy_rows())
    preprocessing, notes = fit(table, ["age", "income", "city"], rows=np.arange(30))
    ages = np.array([np.nan if i % 7 == 3 or i % 11 == 5 else 20.0 + i for i in range(30)])
    median = float(np.nanmedian(ages))
    imputed = np.where(np.isnan(ages), median, ages)
    incomes = 1000.0 + 13 * np.arange(30)
    close = {"rel": 1e-14}
    assert preprocessing.columns == [
        {"name": "age", "kind": "numeric", "median": median,
         "mean": pytest.approx(imputed.mean(), **close),
         "std": pytest.approx(imputed.std(), **close)},
        {"name": "income", "kind": "numeric", "median": None,
         "mean": pytest.approx(incomes.mean(), **close),
         "std": pytest.approx(incomes.std(), **close)},
        {"name": "city", "kind": "category", "categories": ["(missing)", "Lima", "Oslo", "Rome"],
         "missing_label": "(missing)"},
    ]
    assert preprocessing.input_width == 2 + 1 + 4
    # 7 gaps in the 30 training rows, 2 more in the held-out ones: the note counts the table's
    assert notes == [f"column 'age': 9 missing → median {median:g}, and a missing-indicator input",
                     "column 'city': text, 4 categories → one-hot, missing cells as '(missing)'"]
    X = preprocessing.transform(table)
    assert X.shape == (40, 7)
    np.testing.assert_array_equal(X[:, 1], [float(i % 7 == 3 or i % 11 == 5) for i in range(40)])
    np.testing.assert_array_equal(X[:, 3:].sum(axis=1), np.ones(40))  # every city seen
    np.testing.assert_array_equal(X[3, 3:], [1.0, 0.0, 0.0, 0.0])  # an empty city: (missing)


def test_a_clean_numeric_table_gives_exactly_what_fit_gave(tmp_path):
    rng = np.random.default_rng(3)
    values = rng.normal(size=(50, 3)) * [1.0, 1e-3, 1e300]  # the last one needs rescaling
    table = write_table(tmp_path, ["a", "b", "c", "y"],
                        [[*map(repr, row), 1.5 * i] for i, row in enumerate(values.tolist())])
    rows = rng.permutation(50)[:40]
    old = Preprocessing.fit(["a", "b", "c"], table.numbers(["a", "b", "c"])[rows], task=REGRESS,
                            target="y", target_values=table.numbers(["y"])[rows, 0])
    new, notes = Preprocessing.fit_table(table, ["a", "b", "c"], rows, task=REGRESS, target="y",
                                         target_values=table.numbers(["y"])[rows, 0])
    assert notes == [] and new.numbers_only
    assert new.to_metadata() == old.to_metadata()
    assert set(new.to_metadata()) == {"task", "target", "feature_names", "feature_mean",
                                      "feature_std", "target_mean", "target_std"}
    np.testing.assert_array_equal(new.transform(table),
                                  old.standardize(table.numbers(["a", "b", "c"])))


def test_a_number_column_with_a_typo_is_refused_at_the_cell(tmp_path):
    rows = [[i, str(10 + i), i % 2] for i in range(30)]
    rows[6][1] = '"12,5"'
    table = write_table(tmp_path, ["x", "age", "target"], rows)
    with pytest.raises(DataError, match=r"^.*t\.csv, line 8, column 'age': '12,5' is not a "
                                        r"number\. 29 of the column's 30 filled cells in the "
                                        r"training rows are numbers, so this looks like a typo"):
        Preprocessing.fit_table(table, ["x", "age"], np.arange(30), task=CLASSIFY,
                                target="target", classes=[0, 1])


@pytest.mark.parametrize(("text_cells", "filled", "typos"), [
    (1, 9, True),  # one word among eight numbers: a small table's typo
    (2, 5, True), (2, 4, False),  # two, while the numbers are the majority
    (3, 30, True), (4, 30, False),  # a tenth of a larger column
    (25, 100, False),  # '4+' in a quarter of a column of counts: a category
])
def test_a_few_text_cells_among_numbers_are_typos(text_cells, filled, typos):
    assert looks_like_typos(text_cells, filled) is typos


def test_below_the_typo_share_a_column_is_text(tmp_path):
    count = 20
    bad = round(count * TYPO_SHARE) + 1  # just past the share: categories
    rows = [[i, "x" if i < bad else str(i % 3), i % 2] for i in range(count)]
    table = write_table(tmp_path, ["x", "grade", "target"], rows)
    preprocessing, notes = Preprocessing.fit_table(table, ["x", "grade"], np.arange(count),
                                                   task=CLASSIFY, target="target",
                                                   classes=[0, 1])
    assert preprocessing.columns[1]["categories"] == ["0", "1", "2", "x"]
    assert notes == ["column 'grade': text, 4 categories → one-hot"]


def test_too_many_categories_are_refused_with_advice(tmp_path):
    rows = [[i, f"name{i}", i % 2] for i in range(60)]
    table = write_table(tmp_path, ["x", "name", "target"], rows)
    with pytest.raises(DataError, match=r"the column 'name' holds text with 60 distinct values "
                                        r"in the training rows \(such as 'name0', 'name1', "
                                        r"'name10' \(and 57 more\)\), more than max_categories "
                                        r"\(50\).*Drop it \(--drop name\).*--max-categories"):
        Preprocessing.fit_table(table, ["x", "name"], np.arange(60), task=CLASSIFY,
                                target="target", classes=[0, 1])
    preprocessing, _ = Preprocessing.fit_table(table, ["x", "name"], np.arange(60),
                                               task=CLASSIFY, target="target", classes=[0, 1],
                                               max_categories=60)
    assert preprocessing.input_width == 61


def test_a_column_with_gaps_only_in_held_out_rows_is_imputed_from_the_training_rows(tmp_path):
    rows = [[i, "" if i == 35 else 20 + i, "yes" if i % 3 else "no"] for i in range(40)]
    table = write_table(tmp_path, ["x", "age", "target"], rows)
    preprocessing, notes = fit(table, ["x", "age"], rows=np.arange(30))
    median = float(np.median(20.0 + np.arange(30)))
    assert preprocessing.columns[1]["median"] == median
    assert notes == [f"column 'age': 1 missing → median {median:g}, and a missing-indicator input"]
    X = preprocessing.transform(table)
    assert X[35, 2] == 1.0 and X[:35, 2].sum() == 0.0  # the indicator flags the held-out gap


def test_kinds_come_from_the_training_rows_and_other_rows_are_checked_on_transform(tmp_path):
    rows = [[i, str(i), i % 2] for i in range(20)]
    rows[15][1] = "oops"
    table = write_table(tmp_path, ["x", "v", "target"], rows)
    preprocessing, _ = Preprocessing.fit_table(table, ["x", "v"], np.arange(10),
                                               task=CLASSIFY, target="target", classes=[0, 1])
    assert preprocessing.numbers_only  # the training rows are all numbers
    with pytest.raises(DataError, match=r"t\.csv, line 17, column 'v': 'oops' is not a number"):
        preprocessing.transform(table)


def test_a_column_with_no_value_or_the_missing_label_is_refused(tmp_path):
    table = write_table(tmp_path, ["x", "empty", "target"], [[i, "NA", i % 2] for i in range(6)])
    with pytest.raises(DataError, match=r"the column 'empty' has no value in the training rows"):
        fit(table, ["x", "empty"])
    table = write_table(tmp_path, ["x", "city", "target"],
                        [[i, "(missing)" if i == 2 else "Oslo", i % 2] for i in range(6)])
    with pytest.raises(DataError, match=r"line 4, column 'city': '\(missing\)' is the label"):
        fit(table, ["x", "city"])


def test_a_missing_number_the_model_cannot_fill_is_named(tmp_path):
    table = write_table(tmp_path, HEADER, messy_rows())
    preprocessing, _ = fit(table, ["income", "city"])  # income has no missing cell
    rows = messy_rows(5)
    rows[2][2] = ""
    with pytest.raises(DataError, match=r"new\.csv, line 4, column 'income': the cell is "
                                        r"missing, and the model has no value to fill in"):
        preprocessing.transform(write_table(tmp_path, HEADER, rows, name="new.csv"))


def test_without_scikit_learn_the_extra_is_named_and_clean_numbers_still_fit(
        tmp_path, monkeypatch):
    table = write_table(tmp_path, HEADER, messy_rows())
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn raises ImportError
    with pytest.raises(MissingExtra, match=r"imputing missing numbers needs scikit-learn, which "
                                           r"is not installed: pip install 'glassnet\[tabular\]'"):
        fit(table, ["age", "income"])
    with pytest.raises(MissingExtra, match=r"one-hot encoding text columns needs scikit-learn"):
        fit(table, ["income", "city"])
    preprocessing, _ = fit(table, ["income"])
    assert preprocessing.numbers_only


def test_numbers_with_decimal_commas_are_refused_not_taken_for_categories(tmp_path):
    path = tmp_path / "euro.csv"
    path.write_text("a;b;target\n" + "".join(f"{i},5;x{i % 3};{i % 2}\n" for i in range(30)))
    from glassnet.tabular import read_csv

    table = read_csv(path)
    with pytest.raises(DataError, match=r"euro\.csv, line 2, column 'a': '0,5' is a number "
                                        r"written with a decimal comma, as 30 of the column's "
                                        r"30 filled cells are"):
        fit(table, ["a", "b"])
    preprocessing, _ = fit(table, ["b"])  # text that is not numbers stays categories
    assert preprocessing.columns[0]["categories"] == ["x0", "x1", "x2"]
