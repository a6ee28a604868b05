"""TabularModel with text columns and missing cells: a DataFrame, a Table, a CSV path or an array
in; columns found by name; the model file keeps every fitted number."""

from __future__ import annotations

import numpy as np
import pandas
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.errors import ModelFormatError
from glassnet.tabular import CLASSIFY, DataError, Preprocessing, TabularModel, read_csv
from glassnet.tabular.inputs import UnseenCategoryWarning

HEADER = ["id", "age", "income", "city", "target"]
FEATURES = ["age", "income", "city"]


def write_csv(path, rows):
    path.write_text("\n".join(",".join(map(str, row)) for row in [HEADER, *rows]) + "\n")
    return path


def patient_rows(count):
    cities = ["Oslo", "Rome", "Lima", ""]
    return [[f"p{i}", "" if i % 7 == 3 else 20 + i, 1000 + 13 * i, cities[i % 4],
             "yes" if i % 3 else "no"] for i in range(count)]


@pytest.fixture
def saved(tmp_path):
    """(a trained-looking model saved with its preprocessing, the path of its training CSV)."""
    data = write_csv(tmp_path / "train.csv", patient_rows(40))
    preprocessing, _ = Preprocessing.fit_table(read_csv(data), FEATURES, np.arange(40),
                                               task=CLASSIFY, target="target",
                                               classes=["no", "yes"])
    gn.manual_seed(0)
    network = nn.Sequential(nn.Linear(preprocessing.input_width, 8), nn.Tanh(), nn.Linear(8, 2))
    path = tmp_path / "model.safetensors"
    gn.save(network, path, metadata=preprocessing.to_metadata())
    return path, data


def test_every_form_of_the_rows_gives_the_same_answers(saved):
    path, data = saved
    model = TabularModel.load(path)
    table = read_csv(data)
    expected = model.predict_proba(table)
    assert len(set(model.predict(table))) == 2  # the inputs matter
    frame = pandas.read_csv(data, keep_default_na=True)
    reordered = frame[["target", "city", "id", "income", "age"]]  # and extra columns
    for rows in (data, str(data), reordered, model.features(table)):
        np.testing.assert_array_equal(model.predict_proba(rows), expected)
    np.testing.assert_array_equal(model.outputs(model.features(table), where=table.where),
                                  model.outputs(table))


def test_the_loaded_model_repeats_the_fitted_preprocessing(saved):
    path, data = saved
    table = read_csv(data)
    fitted, _ = Preprocessing.fit_table(table, FEATURES, np.arange(40), task=CLASSIFY,
                                        target="target", classes=["no", "yes"])
    loaded = TabularModel.load(path).preprocessing
    assert loaded.columns == fitted.columns
    np.testing.assert_array_equal(loaded.transform(table), fitted.transform(table))
    parts = TabularModel.load(path).onnx_parts()
    assert parts["columns"] == fitted.columns and parts["n_features"] == 7
    assert "input_mean" not in parts  # the columns carry their own standardisation


def test_a_missing_column_is_named_and_an_array_is_refused(saved):
    model = TabularModel.load(saved[0])
    frame = pandas.DataFrame({"age": [30.0], "city": ["Oslo"]})
    with pytest.raises(DataError, match=r"^the DataFrame lacks the model's feature column "
                                        r"'income'; its columns are 'age', 'city'\. Columns are "
                                        r"found by name\.$"):
        model.predict(frame)
    with pytest.raises(DataError, match=r"^the model has text columns \('city'\), which an array "
                                        r"cannot hold; pass a pandas DataFrame"):
        model.predict(np.zeros((2, 3)))


def test_text_in_a_number_column_is_refused_naming_row_and_column(saved, tmp_path):
    model = TabularModel.load(saved[0])
    frame = pandas.DataFrame({"age": ["31", "forty"], "income": [1000.0, 2000.0],
                              "city": ["Oslo", "Rome"]}, index=[10, 11])
    with pytest.raises(DataError, match=r"^row 2 \(index 11\), column 'age': 'forty' is not a "
                                        r"number\.$"):
        model.predict(frame)
    rows = patient_rows(5)
    rows[3][2] = "n/k"
    with pytest.raises(DataError, match=r"new\.csv, line 5, column 'income': 'n/k' is not a "
                                        r"number\.$"):
        model.predict(write_csv(tmp_path / "new.csv", rows))


def test_empty_cells_are_imputed_and_unseen_categories_warn_once(saved):
    model = TabularModel.load(saved[0])
    median = model.preprocessing.columns[0]["median"]
    frame = pandas.DataFrame({"age": [np.nan, "", median, None], "income": [1200.0] * 4,
                              "city": ["Atlantis", "Oslo", "Gotham", None]})
    with pytest.warns(UnseenCategoryWarning) as caught:
        inputs = model.preprocessing.transform(frame)
        model.outputs(frame)
    assert len(caught) == 2  # one per call, naming every unseen value
    assert str(caught[0].message).endswith("column 'city': 'Atlantis', 'Gotham'.")
    np.testing.assert_array_equal(inputs[:, 0], np.full(4, inputs[2, 0]))  # the median's input
    np.testing.assert_array_equal(inputs[:, 1], [1.0, 1.0, 0.0, 1.0])  # missing indicator
    categories = model.preprocessing.columns[2]["categories"]
    assert categories == ["(missing)", "Lima", "Oslo", "Rome"]
    np.testing.assert_array_equal(inputs[:, 3:], [[0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0],
                                                  [1, 0, 0, 0]])


def test_a_numeric_model_with_missing_cells_takes_an_array_with_nan(tmp_path):
    data = tmp_path / "n.csv"
    data.write_text("a,b,y\n" + "".join(f"{'' if i == 2 else i},{i * i},{i % 2}\n"
                                        for i in range(10)))
    preprocessing, _ = Preprocessing.fit_table(read_csv(data), ["a", "b"], np.arange(10),
                                               task=CLASSIFY, target="y", classes=[0, 1])
    model = TabularModel(nn.Sequential(nn.Linear(3, 2)), preprocessing)
    frame = pandas.DataFrame({"a": [np.nan, 4.0], "b": [1.0, 16.0]})
    np.testing.assert_array_equal(model.outputs(frame.to_numpy()), model.outputs(frame))
    with pytest.raises(DataError, match=r"^row 1, feature 'b': the cell is missing"):
        model.outputs(np.array([[1.0, np.nan]]))


def test_a_file_whose_columns_do_not_fit_the_network_is_refused(tmp_path, saved):
    path, _ = saved
    metadata = TabularModel.load(path).preprocessing.to_metadata()
    broken = tmp_path / "broken.safetensors"
    gn.save(nn.Sequential(nn.Linear(6, 2)), broken, metadata=metadata)
    with pytest.raises(ModelFormatError, match=r"the table metadata's columns describe 7 network "
                                               r"inputs, but the network takes 6"):
        TabularModel.load(broken)
