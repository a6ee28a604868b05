"""Per-class scores from a confusion matrix equal scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.tabular.scores import confusion_matrix, per_class_scores

metrics = pytest.importorskip("sklearn.metrics")


@pytest.mark.parametrize("seed", range(4))
def test_per_class_scores_are_precision_recall_fscore_support(seed):
    rng = np.random.default_rng(seed)
    classes = 4
    true = rng.integers(0, classes, 60)
    predicted = np.where(rng.random(60) < 0.6, true, rng.integers(0, classes - 1, 60))
    if seed == 0:
        true[true == 3] = 2  # a class with no rows: its recall and F1 are 0, not NaN
    found = per_class_scores(confusion_matrix(true, predicted, classes))
    expected = metrics.precision_recall_fscore_support(
        true, predicted, labels=range(classes), zero_division=0)
    for name, values in zip(("precision", "recall", "f1", "support"), expected, strict=True):
        np.testing.assert_allclose(found[name], values, rtol=0, atol=1e-15, err_msg=name)
