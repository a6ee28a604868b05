"""Raw table columns in, the model's answer out: the ``columns`` part of ``onnx_parts()``.

The reference is the layout written out in NumPy: numeric (x̃ − mean) / std with x̃ = median
where NaN, then the NaN indicator when a median is given; categories one 0/1 entry each, "" =
the missing label, unseen = zeros.
"""

import json

import numpy as np
import onnx
import onnxruntime
import pytest

import glassnet as gn
import glassnet.onnx
from glassnet import nn

TOLERANCE = 1e-5

AGE = {"name": "age", "kind": "numeric", "median": 38.0, "mean": 40.5, "std": 12.0}
INCOME = {"name": "income", "kind": "numeric", "median": None, "mean": 5.2e4, "std": 1.5e4}
CITY = {"name": "city", "kind": "category",
        "categories": ["(missing)", "Lima", "Oslo", "Rome", "Zürich"], "missing_label": "(missing)"}
PLAN = {"name": "plan", "kind": "category", "categories": ["basic", "pro"],
        "missing_label": None}
COLUMNS = [AGE, CITY, INCOME, PLAN]  # widths 2, 5, 1, 2
WIDTH = 10

ROWS = {  # NaN and "" are missing cells; "Paris" and "gold" were never seen at training
    "age": [25.0, np.nan, 61.0, np.nan, 40.0, 33.5],
    "city": ["Oslo", "", "Paris", "Rome", "(missing)", "Zürich"],
    "income": [3.1e4, 7.7e4, 5.0e4, 4.2e4, 9.9e4, 6.0e4],
    "plan": ["pro", "basic", "", "gold", "pro", "basic"],
}


def encode(columns, rows):
    """The network input the layout prescribes, in float64: (N, Σ widths)."""
    pieces = []
    for column in columns:
        cells = rows[column["name"]]
        if column["kind"] == "numeric":
            x = np.asarray(cells, dtype=np.float64)
            missing = np.isnan(x)
            if column["median"] is not None:
                x = np.where(missing, column["median"], x)
            pieces.append((x - column["mean"]) / column["std"])
            if column["median"] is not None:
                pieces.append(missing.astype(np.float64))
        else:
            label = column["missing_label"]
            cells = [label if cell == "" and label is not None else cell for cell in cells]
            pieces += [np.array([cell == category for cell in cells], dtype=np.float64)
                       for category in column["categories"]]
    return np.column_stack(pieces)


def feed(rows, names=None):
    """Each column as its (N, 1) graph input: float32 numbers, strings as objects."""
    inputs = {}
    for column, cells in rows.items():
        strings = isinstance(cells[0], str)
        array = np.asarray(cells, dtype=object if strings else np.float32).reshape(-1, 1)
        inputs[(names or {}).get(column, column)] = array
    return inputs


def run(proto, inputs):
    session = onnxruntime.InferenceSession(proto.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(names, inputs), strict=True))


class TableModel:
    """A predictor on raw columns, described only by its parts."""

    def __init__(self, columns=COLUMNS, width=WIDTH, classes=None, network=None):
        gn.manual_seed(0)
        outputs = len(classes) if classes else 1
        self.network = network or nn.Sequential(nn.Linear(width, 6), nn.Tanh(),
                                                nn.Linear(6, outputs))
        self.parts = {"network": self.network, "n_features": width, "columns": columns}
        if classes:
            self.parts["classes"] = classes
        else:
            self.parts.update(output_mean=3.0, output_std=2.0, flat_output=True)

    def onnx_parts(self):
        return dict(self.parts)


@pytest.mark.parametrize("opset", [17, 21])
def test_a_classifier_reads_raw_columns_with_missing_and_unseen_cells(opset):
    model = TableModel(classes=["churn", "stay", "upgrade"])
    outputs = run(gn.onnx.export(model, None, opset=opset), feed(ROWS))
    logits = gn.predict(model.network, encode(COLUMNS, ROWS))
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    np.testing.assert_allclose(outputs["probabilities"], probabilities, rtol=0, atol=TOLERANCE)
    np.testing.assert_array_equal(outputs["label"],
                                  np.array(["churn", "stay", "upgrade"])[logits.argmax(1)])


def test_a_regressor_reads_raw_columns_in_the_targets_units():
    model = TableModel()
    predictions = run(gn.onnx.export(model, None), feed(ROWS))["predictions"]
    expected = gn.predict(model.network, encode(COLUMNS, ROWS)).ravel() * 2.0 + 3.0
    assert predictions.shape == (6,)
    np.testing.assert_allclose(predictions, expected, rtol=TOLERANCE, atol=TOLERANCE)


def test_the_network_input_is_the_layout_entry_by_entry():
    """An Identity network shows the encoded input itself: imputation, indicators, one-hot."""
    model = TableModel(network=nn.Sequential(nn.Identity()))
    model.parts.update(output_mean=None, output_std=None, flat_output=False)
    encoded = run(gn.onnx.export(model, None), feed(ROWS))["predictions"]
    expected = encode(COLUMNS, ROWS)
    np.testing.assert_allclose(encoded, expected, rtol=TOLERANCE, atol=TOLERANCE)
    # the rules, spelled out on the rows above: column 1 is age's indicator, 2..6 the cities
    np.testing.assert_array_equal(encoded[:, 1], [0, 1, 0, 1, 0, 0])
    np.testing.assert_array_equal(encoded[1, 2:7], [1, 0, 0, 0, 0])  # "" → "(missing)"
    np.testing.assert_array_equal(encoded[2, 2:7], [0, 0, 0, 0, 0])  # unseen "Paris"
    np.testing.assert_array_equal(encoded[5, 2:7], [0, 0, 0, 0, 1])  # not ASCII
    np.testing.assert_array_equal(encoded[2:4, 8:10], [[0, 0], [0, 0]])  # "" and "gold": zeros
    np.testing.assert_allclose(encoded[1, 0], (38.0 - 40.5) / 12.0, rtol=TOLERANCE)


def test_each_column_is_one_input_of_its_type_and_the_old_input_is_gone():
    proto = gn.onnx.export(TableModel(), None)
    inputs = {value.name: value.type.tensor_type for value in proto.graph.input}
    assert list(inputs) == ["age", "city", "income", "plan"]
    types = {name: tensor.elem_type for name, tensor in inputs.items()}
    assert types == {"age": onnx.TensorProto.FLOAT, "city": onnx.TensorProto.STRING,
                     "income": onnx.TensorProto.FLOAT, "plan": onnx.TensorProto.STRING}
    for tensor in inputs.values():
        assert [d.dim_param or d.dim_value for d in tensor.shape.dim] == ["batch", 1]


def test_names_that_are_not_identifiers_are_sanitised_and_mapped_in_the_properties():
    names = ["petal width (cm)", "2nd visit", "a_b", "a b", "label", "prix €"]
    columns = [{**AGE, "name": name, "median": None} for name in names]
    proto = gn.onnx.export(TableModel(columns, len(names), classes=["x", "y"]), None)
    inputs = [value.name for value in proto.graph.input]
    assert inputs == ["petal_width__cm_", "column_2nd_visit", "a_b", "a_b_1", "label_1",
                      "prix__"]
    properties = {entry.key: entry.value for entry in proto.metadata_props}
    mapping = json.loads(properties["input_columns"])
    pairs = [(entry["input"], entry["column"]) for entry in mapping]
    assert pairs == list(zip(inputs, names, strict=True))
    rows = {name: [float(index), 2.0 * index] for index, name in enumerate(names)}
    outputs = run(proto, feed(rows, dict(zip(names, inputs, strict=True))))
    assert set(outputs) == {"label", "probabilities"} and outputs["label"].shape == (2,)


def test_nan_in_a_numeric_column_without_median_gives_nan_for_that_row_only():
    predictions = run(gn.onnx.export(TableModel(), None),
                      feed({**ROWS, "income": [3.1e4, np.nan, 5.0e4, 4.2e4, 9.9e4, 6.0e4]}))
    assert np.isnan(predictions["predictions"]).tolist() == [False, True, False, False, False,
                                                             False]


def test_nan_in_a_numeric_column_without_median_gets_no_classifier_label():
    """ArgMax over NaN scores would name a class (the first); the graph refuses instead."""
    proto = gn.onnx.export(TableModel(classes=["churn", "stay"]), None)
    rows = {**ROWS, "income": [3.1e4, np.nan, 5.0e4, 4.2e4, 9.9e4, 6.0e4]}
    with pytest.raises(Exception, match="NaN_scores_has_no_label"):
        run(proto, feed(rows))
    assert run(proto, feed(ROWS))["label"].shape == (6,)


def test_without_columns_the_graph_keeps_its_single_input_and_plain_opsets():
    model = TableModel()
    del model.parts["columns"]
    proto = gn.onnx.export(model, None)
    assert [value.name for value in proto.graph.input] == ["input"]
    assert [entry.domain for entry in proto.opset_import] == [""]
    assert not proto.metadata_props


def test_complete_numbers_offered_with_their_standardisation_keep_the_single_input(run_onnx):
    """The same numbers as columns or as input_mean / input_std: one (batch, F) input, as
    before columns existed, and the same answers as one input per column."""
    numbers = [AGE | {"median": None}, INCOME]
    rows = {"age": [25.0, 47.0, 61.0], "income": [3.1e4, 7.7e4, 5.0e4]}
    per_column = TableModel(numbers, 2, classes=["churn", "stay"])
    single = TableModel(numbers, 2, classes=["churn", "stay"])
    single.parts.update(input_mean=np.array([40.5, 5.2e4]), input_std=np.array([12.0, 1.5e4]))
    proto = gn.onnx.export(single, None)
    assert [value.name for value in proto.graph.input] == ["input"]
    X = np.column_stack([rows["age"], rows["income"]])
    expected = run(gn.onnx.export(per_column, None), feed(rows))
    outputs = run_onnx(proto, X)
    np.testing.assert_allclose(outputs["probabilities"], expected["probabilities"], atol=1e-6)
    np.testing.assert_array_equal(outputs["label"], expected["label"])
    X[1, 1] = np.nan
    with pytest.raises(Exception, match="NaN_scores_has_no_label"):
        run_onnx(proto, X)
