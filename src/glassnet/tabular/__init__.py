"""Tables in, answers out: CSV files read with exact line-and-column errors, feature columns
chosen and encoded (numbers imputed and standardised, text one-hot), class labels, and a saved
model that applies all of it to new rows.

Reading CSV files needs pandas, and fitting missing numbers or text columns scikit-learn: the
optional extra ``tabular``, ``pip install 'glassnet[tabular]'``; loading a model and predicting
on arrays needs neither.
This is what ``glassnet train / evaluate / predict`` are made of, usable from Python::

    from glassnet.tabular import TabularModel, read_csv
    tabular_model = TabularModel.load("model.safetensors")
    labels = tabular_model.predict("new_rows.csv")   # or a DataFrame, a Table, an array
"""

from glassnet.tabular.fitting import FeatureChoice, choose_features
from glassnet.tabular.inputs import UnseenCategoryWarning
from glassnet.tabular.metadata import CLASSIFY, REGRESS, TASKS
from glassnet.tabular.model import TabularModel
from glassnet.tabular.preprocess import Preprocessing
from glassnet.tabular.reading import MissingExtra, read_csv
from glassnet.tabular.scores import classification_scores, confusion_matrix, regression_scores
from glassnet.tabular.table import DataError, Table
from glassnet.tabular.targets import class_labels, guess_task, split_rows, target_column

__all__ = [
    "CLASSIFY",
    "REGRESS",
    "TASKS",
    "DataError",
    "FeatureChoice",
    "MissingExtra",
    "Preprocessing",
    "Table",
    "TabularModel",
    "UnseenCategoryWarning",
    "choose_features",
    "class_labels",
    "classification_scores",
    "confusion_matrix",
    "guess_task",
    "read_csv",
    "regression_scores",
    "split_rows",
    "target_column",
]
