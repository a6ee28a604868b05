"""Tables in, answers out: CSV files read with exact line-and-column errors, standardised
features, class labels, and a saved model that applies all of it to new rows.

Reading CSV files needs pandas, the optional extra ``tabular``: ``pip install
'glassnet[tabular]'``; the rest (loading a model, predicting on arrays) does not.
This is what ``glassnet train / evaluate / predict`` are made of, usable from Python::

    from glassnet.tabular import TabularModel, read_csv
    tabular_model = TabularModel.load("model.safetensors")
    table = read_csv("new_rows.csv")
    labels = tabular_model.predict(tabular_model.features(table))
"""

from glassnet.tabular.metadata import CLASSIFY, REGRESS, TASKS
from glassnet.tabular.model import TabularModel
from glassnet.tabular.preprocess import (
    Preprocessing,
    class_labels,
    guess_task,
    split_rows,
    target_column,
)
from glassnet.tabular.reading import MissingExtra, read_csv
from glassnet.tabular.scores import classification_scores, confusion_matrix, regression_scores
from glassnet.tabular.table import DataError, Table

__all__ = [
    "CLASSIFY",
    "REGRESS",
    "TASKS",
    "DataError",
    "MissingExtra",
    "Preprocessing",
    "Table",
    "TabularModel",
    "class_labels",
    "classification_scores",
    "confusion_matrix",
    "guess_task",
    "read_csv",
    "regression_scores",
    "split_rows",
    "target_column",
]
