"""A model file's ``columns``, checked field by field: hostile values are named, never used."""

from __future__ import annotations

import copy
import math

import pytest

from glassnet.errors import ModelFormatError
from glassnet.tabular import CLASSIFY, Preprocessing
from glassnet.tabular import columns as columns_module
from glassnet.tabular.columns import CategoryColumn, NumericColumn

PREPROCESSING = Preprocessing.from_columns(
    [NumericColumn("age", 40.0, 12.0, median=38.0), NumericColumn("income", 5e4, 2e4),
     CategoryColumn("city", ("(missing)", "Lima", "Oslo"), "(missing)")],
    CLASSIFY, "target", ["no", "yes"])
METADATA = PREPROCESSING.to_metadata()


def changed(position, **fields):
    metadata = copy.deepcopy(METADATA)
    metadata["columns"][position].update(fields)
    return metadata


def without(position, field):
    metadata = copy.deepcopy(METADATA)
    del metadata["columns"][position][field]
    return metadata


@pytest.mark.parametrize("metadata, field", [
    ({**METADATA, "columns": "age,city"}, "columns"),
    ({**METADATA, "columns": []}, "columns"),
    ({**METADATA, "columns": [None] * (columns_module.MAX_STORED_COLUMNS + 1)}, "columns"),
    ({**METADATA, "columns": [["age"]]}, r"columns\[0\]"),
    ({**METADATA, "feature_names": ["age", "income", "city"]}, "feature_names"),
    (changed(0, kind="ordinal"), r"columns\[0\]\.kind"),
    (changed(0, kind="__import__('os')"), r"columns\[0\]\.kind"),
    (without(0, "kind"), r"columns\[0\]\.kind"),
    (changed(1, name="age"), r"columns\[1\]\.name"),
    (changed(1, name=7), r"columns\[1\]\.name"),
    (changed(1, name=" "), r"columns\[1\]\.name"),
    (changed(0, median=math.nan), r"columns\[0\]\.median"),
    (changed(0, median="38"), r"columns\[0\]\.median"),
    (changed(0, mean=math.inf), r"columns\[0\]\.mean"),
    (changed(0, mean=True), r"columns\[0\]\.mean"),
    (changed(1, std=0.0), r"columns\[1\]\.std"),
    (changed(1, std=-2.0), r"columns\[1\]\.std"),
    (changed(1, std=math.nan), r"columns\[1\]\.std"),
    (changed(1, std=1e-320), r"columns\[1\]\.std"),
    (without(1, "std"), r"columns\[1\]"),
    (changed(1, code="os.system('rm -rf /')"), r"columns\[1\]"),
    (changed(2, categories="Lima,Oslo"), r"columns\[2\]\.categories"),
    (changed(2, categories=[]), r"columns\[2\]\.categories"),
    (changed(2, categories=["a"] * 10_001), r"columns\[2\]\.categories"),
    (changed(2, categories=["(missing)", 1, 2]), r"columns\[2\]\.categories\[1\]"),
    (changed(2, categories=["(missing)", "Oslo", "Lima"]), r"columns\[2\]\.categories\[2\]"),
    (changed(2, categories=["(missing)", "Lima", "Lima"]), r"columns\[2\]\.categories\[2\]"),
    (changed(2, categories=["(missing)", "Li\x00ma"]), r"columns\[2\]\.categories\[1\]"),
    (changed(2, missing_label="Paris"), r"columns\[2\]\.missing_label"),
    (changed(2, missing_label=0), r"columns\[2\]\.missing_label"),
])
def test_each_bad_field_of_the_columns_is_named(metadata, field):
    with pytest.raises(ModelFormatError, match=rf"^m\.st: the table metadata's {field} should "):
        Preprocessing.from_metadata(metadata, source="m.st")


def test_a_repeated_category_is_called_a_repeat():
    with pytest.raises(ModelFormatError, match=r"\(this one repeats\); it is 'Lima'\.$"):
        Preprocessing.from_metadata(changed(2, categories=["Lima", "Lima"]), source="m.st")


def test_the_total_width_is_bounded(monkeypatch):
    monkeypatch.setattr(columns_module, "MAX_INPUT_WIDTH", 5)
    with pytest.raises(ModelFormatError, match=r"columns should be columns of at most 5 network "
                                               r"inputs in all; it is '6 inputs by column 2'"):
        Preprocessing.from_metadata(METADATA, source="m.st")


def test_columns_round_trip_and_numbers_only_keep_the_old_format():
    again = Preprocessing.from_metadata(METADATA, source="m.st")
    assert again.to_metadata() == METADATA
    assert again.columns == PREPROCESSING.columns and again.input_width == 1 + 1 + 1 + 3
    numbers = Preprocessing.from_columns([NumericColumn("a", 1.0, 2.0)], CLASSIFY, "t",
                                         ["x", "y"]).to_metadata()
    assert numbers == {"task": CLASSIFY, "target": "t", "feature_names": ["a"],
                       "feature_mean": [1.0], "feature_std": [2.0], "classes": ["x", "y"]}
