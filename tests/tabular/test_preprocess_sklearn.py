"""The network's inputs equal what scikit-learn's fitted ColumnTransformer gives, on the training
table and on new rows (unseen categories, missing cells), from the numbers alone."""

from __future__ import annotations

import warnings

import numpy as np
import pandas
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_wine
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from glassnet.tabular import CLASSIFY, Preprocessing, read_csv
from glassnet.tabular.columns import MISSING_LABEL
from glassnet.tabular.inputs import UnseenCategoryWarning


def reference(preprocessing, training_frame):
    """scikit-learn's own transform of the same layout, fitted on the training rows."""
    parts = []
    for column in preprocessing.columns:
        name = column["name"]
        if column["kind"] == "category":
            parts.append((name, make_pipeline(
                SimpleImputer(strategy="constant", fill_value=MISSING_LABEL),
                OneHotEncoder(handle_unknown="ignore", sparse_output=False)), [name]))
            continue
        parts.append((name, make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                      [name]))
        if column["median"] is not None:
            parts.append((f"{name} missing", MissingIndicator(), [name]))
    return ColumnTransformer(parts).fit(training_frame)


def as_frame(table, preprocessing):
    """What a user holds: numbers with NaN where missing, text with NaN where missing."""
    frame = preprocessing.features(table)
    return frame.astype({column["name"]: object for column in preprocessing.columns
                         if column["kind"] == "category"}).fillna(np.nan)


def messy_csv(path, count, rng, cities=("Oslo", "Rome", "Lima")):
    lines = ["id,age,income,city,smoker,target"]
    for i in range(count):
        age = "" if rng.random() < 0.15 else f"{rng.normal(45, 12):.1f}"
        income = f"{rng.lognormal(10, 0.5):.2f}"
        city = "NA" if rng.random() < 0.1 else rng.choice(list(cities))
        smoker = rng.choice(["yes", "no"])
        lines.append(f"p{i},{age},{income},{city},{smoker},{rng.choice(['a', 'b'])}")
    path.write_text("\n".join(lines) + "\n")
    return read_csv(path)


def test_a_messy_table_and_new_rows_match_scikit_learn(tmp_path):
    rng = np.random.default_rng(7)
    table = messy_csv(tmp_path / "train.csv", 120, rng)
    features = ["age", "income", "city", "smoker"]
    rows = rng.permutation(120)[:90]
    preprocessing, _ = Preprocessing.fit_table(table, features, rows, task=CLASSIFY,
                                               target="target", classes=["a", "b"])
    frame = as_frame(table, preprocessing)
    fitted = reference(preprocessing, frame.iloc[rows])
    np.testing.assert_allclose(preprocessing.transform(table), fitted.transform(frame),
                               rtol=0, atol=1e-12)
    new = messy_csv(tmp_path / "new.csv", 30, rng, cities=("Oslo", "Atlantis", "Lima"))
    new_frame = as_frame(new, preprocessing)
    new_frame.loc[3, "smoker"] = np.nan  # no smoker was missing at training: all zeros
    with pytest.warns(UnseenCategoryWarning) as caught:
        ours = preprocessing.transform(new_frame)
    assert len(caught) == 1
    assert str(caught[0].message) == (
        "categories the model never saw in training, encoded as no category (all zeros): "
        "column 'city': 'Atlantis'; column 'smoker': '(a missing cell)'.")
    np.testing.assert_allclose(ours, fitted.transform(new_frame), rtol=0, atol=1e-12)


def test_the_wine_table_as_a_user_writes_it(tmp_path):
    frame = load_wine(as_frame=True).frame
    frame.loc[::9, "alcohol"] = np.nan  # blanks, as a spreadsheet exports them
    frame["cultivar"] = np.array(["barolo", "grignolino", "barbera"])[frame.pop("target")]
    frame.to_csv(tmp_path / "wine.csv", index=False)
    table = read_csv(tmp_path / "wine.csv")
    features = [name for name in table.columns if name != "cultivar"]
    rows = np.random.default_rng(0).permutation(len(table))[:140]
    preprocessing, notes = Preprocessing.fit_table(
        table, features, rows, task=CLASSIFY, target="cultivar",
        classes=["barbera", "barolo", "grignolino"])
    assert [note.split(":")[0] for note in notes] == ["column 'alcohol'"]
    assert preprocessing.input_width == len(features) + 1  # alcohol's missing indicator
    user_frame = pandas.read_csv(tmp_path / "wine.csv")[features]
    fitted = reference(preprocessing, user_frame.iloc[rows])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no category, nothing unseen: no warning
        ours = preprocessing.transform(user_frame)
    np.testing.assert_allclose(ours, fitted.transform(user_frame), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ours, preprocessing.transform(table))
