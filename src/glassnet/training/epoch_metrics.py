"""Metrics that are not means over rows, computed on a whole epoch's (or data set's) outputs,
each equal to scikit-learn's function of the same name with its defaults (unweighted).

What the outputs are follows ``metrics``' rules: (N, C) with C > 1 are scores per class
(predicted class: the argmax), (N, 1) or (N,) one score of class 1 (logits thresholded at 0,
probabilities at 0.5). Two classes (one or two output columns) are a binary problem whose
positive class is class index 1; three or more are averaged over classes ("macro").

- precision, recall, f1: binary (class 1) or macro over the classes found in y_true or in the
  predictions (scikit-learn's ``unique_labels``). A ratio 0/0 counts as 0: scikit-learn's
  default ``zero_division="warn"`` gives 0 too, with a warning that is not raised here.
- balanced_accuracy: the mean of the recalls of the classes found in y_true.
- roc_auc: the probability that a random positive outscores a random negative, ties counting
  half; binary on the score of class 1, multiclass one-vs-rest averaged over the classes found
  in y_true (scikit-learn requires every class there; it then gives the same). NaN when y_true
  holds a single class (scikit-learn: NaN with a warning).
- log_loss: −mean Σ_c q꜀·ln p꜀ with p clipped to [eps, 1 − eps] of its dtype, as scikit-learn;
  logits become probabilities by softmax (sigmoid for one column).
- r2: 1 − Σ(y − ŷ)² / Σ(y − ȳ)² per output, averaged; a constant y gives 1 if predicted
  exactly, else 0 (scikit-learn's ``force_finite``). rmse: √mean (y − ŷ)² per output, averaged.
"""

from __future__ import annotations

import numpy as np


def _is_probability_rows(scores: np.ndarray) -> bool:
    """Whether (N, C) scores look like probabilities: in [0, 1], each row summing to 1."""
    if not (scores.min() >= 0 and scores.max() <= 1):
        return False
    return bool(np.allclose(scores.sum(axis=1), 1.0, rtol=0, atol=1e-5))


def _one_column_from_logits(scores: np.ndarray, from_logits: bool | None) -> bool:
    if from_logits is None:
        return not (scores.min() >= 0 and scores.max() <= 1)
    return from_logits


def _truth(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Class indices (N,) from class indices, one-hot rows or 0/1 targets."""
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        if y_true.ndim == 2 and y_true.shape[1] == y_pred.shape[1]:
            return y_true.argmax(axis=1)
        return np.reshape(y_true, -1).astype(np.int64)
    return (np.reshape(y_true, -1) > 0.5).astype(np.int64)


def _predicted(y_pred: np.ndarray, from_logits: bool | None) -> np.ndarray:
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        return y_pred.argmax(axis=1)
    scores = np.reshape(y_pred, -1)
    threshold = 0.0 if _one_column_from_logits(scores, from_logits) else 0.5
    return (scores > threshold).astype(np.int64)


def _classes(y_pred: np.ndarray) -> int:
    return y_pred.shape[1] if y_pred.ndim == 2 and y_pred.shape[1] > 1 else 2


def probabilities(y_pred: np.ndarray, from_logits: bool | None) -> np.ndarray:
    """(N, C) class probabilities: softmax of logits (or log-probabilities), sigmoid of one
    column ([1 − p, p]), probabilities as they are."""
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        if from_logits is False or (from_logits is None and _is_probability_rows(y_pred)):
            return y_pred
        shifted = y_pred - y_pred.max(axis=1, keepdims=True)
        with np.errstate(under="ignore"):
            exps = np.exp(shifted)
        return exps / exps.sum(axis=1, keepdims=True)
    scores = np.reshape(y_pred, -1)
    if _one_column_from_logits(scores, from_logits):
        with np.errstate(under="ignore", over="ignore"):
            scores = 0.5 * np.tanh(0.5 * scores) + 0.5
    return np.stack([1 - scores, scores], axis=1)


def _counts(truth: np.ndarray, predicted: np.ndarray, label: int) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of ``label``."""
    is_true, is_predicted = truth == label, predicted == label
    tp = int(np.count_nonzero(is_true & is_predicted))
    return tp, int(np.count_nonzero(is_predicted)) - tp, int(np.count_nonzero(is_true)) - tp


def scores_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> dict[str, np.ndarray]:
    """Each class's precision tp / (tp + fp), recall tp / (tp + fn) and F1 2tp / (2tp + fp + fn)
    from its true positives, false positives and false negatives; 0 where a denominator is 0
    (scikit-learn's zero_division default, without its warning)."""
    tp, fp, fn = (np.asarray(count, dtype=np.float64) for count in (tp, fp, fn))

    def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        return np.divide(numerator, denominator, out=np.zeros_like(numerator),
                         where=denominator > 0)

    return {"precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn),
            "f1": ratio(2 * tp, 2 * tp + fp + fn)}


def _per_label(y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool | None,
               score: str) -> float:
    truth, predicted = _truth(y_true, y_pred), _predicted(y_pred, from_logits)
    if _classes(y_pred) == 2:
        labels = [1]
    else:
        labels = np.union1d(truth, predicted).tolist()
    tp, fp, fn = np.array([_counts(truth, predicted, label) for label in labels]).T
    return float(np.mean(scores_from_counts(tp, fp, fn)[score]))


def precision(y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool | None = None) -> float:
    """tp / (tp + fp) of class 1 (binary) or its mean over classes (macro); 0/0 → 0."""
    return _per_label(y_true, y_pred, from_logits, "precision")


def recall(y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool | None = None) -> float:
    """tp / (tp + fn) of class 1 (binary) or its mean over classes (macro); 0/0 → 0."""
    return _per_label(y_true, y_pred, from_logits, "recall")


def f1(y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool | None = None) -> float:
    """2tp / (2tp + fp + fn) of class 1 (binary) or its mean over classes (macro); 0/0 → 0."""
    return _per_label(y_true, y_pred, from_logits, "f1")


def balanced_accuracy(
    y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool | None = None
) -> float:
    """The mean over the classes found in y_true of each one's recall."""
    truth, predicted = _truth(y_true, y_pred), _predicted(y_pred, from_logits)
    recalls = [np.count_nonzero(predicted[truth == label] == label) / np.count_nonzero(
        truth == label) for label in np.unique(truth)]
    return float(np.mean(recalls)) if recalls else float("nan")


def _average_ranks(scores: np.ndarray) -> np.ndarray:
    """1-based ranks of ``scores``, tied values sharing the mean of their ranks."""
    order = np.argsort(scores, kind="mergesort")
    ordered = scores[order]
    starts_group = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(starts_group) - 1
    starts = np.flatnonzero(starts_group)
    ends = np.r_[starts[1:], len(scores)]
    ranks = np.empty(len(scores))
    ranks[order] = ((starts + ends + 1) / 2.0)[group]
    return ranks


def _binary_auc(is_positive: np.ndarray, scores: np.ndarray) -> float:
    """Mann–Whitney: (Σ ranks of positives − P(P + 1)/2) / (P·N), ties counting half."""
    positives = int(np.count_nonzero(is_positive))
    negatives = len(is_positive) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    rank_sum = _average_ranks(scores.astype(np.float64))[is_positive].sum()
    return float((rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))


def roc_auc(y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool | None = None) -> float:
    """Area under the ROC curve: binary on class 1's score; one-vs-rest macro for more."""
    truth = _truth(y_true, y_pred)
    if _classes(y_pred) == 2:
        if y_pred.ndim == 2 and y_pred.shape[1] == 2:
            scores = probabilities(y_pred, from_logits)[:, 1]
        else:
            scores = np.reshape(y_pred, -1)  # a logit or a probability: the order is the same
        return _binary_auc(truth == 1, scores)
    probs = probabilities(y_pred, from_logits)
    present = np.unique(truth)
    if len(present) < 2:
        return float("nan")
    return float(np.mean([_binary_auc(truth == label, probs[:, label]) for label in present]))


def log_loss(y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool | None = None) -> float:
    """−mean Σ_c q꜀·ln p꜀, p clipped to [eps, 1 − eps] (q: one-hot labels or probabilities)."""
    probs = probabilities(y_pred, from_logits)
    eps = np.finfo(probs.dtype).eps if probs.dtype.kind == "f" else np.finfo(np.float64).eps
    clipped = np.clip(probs, eps, 1 - eps)
    if y_true.ndim == 2 and y_true.shape[1] == probs.shape[1] and probs.shape[1] > 1 and (
            y_pred.ndim == 2 and y_pred.shape[1] > 1):
        return float(-np.mean(np.sum(y_true * np.log(clipped), axis=1)))
    truth = _truth(y_true, y_pred)
    return float(-np.mean(np.log(clipped[np.arange(len(truth)), truth])))


def _columns(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    predicted = np.reshape(y_pred, (len(y_pred), -1)).astype(np.float64)
    return np.reshape(y_true, predicted.shape).astype(np.float64), predicted


def _power_of_two_scales(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Per output, a power of two near the largest |value| of either (1 where that is 0 or not
    finite): dividing by it is exact, and the squares of the quotients and of their differences
    can neither overflow nor underflow, so values near 1e300 keep finite scores."""
    if len(truth) == 0:
        return np.ones(truth.shape[1:])
    largest = np.maximum(np.abs(truth).max(axis=0), np.abs(predicted).max(axis=0))
    usable = np.isfinite(largest) & (largest > 0)
    exponents = np.frexp(np.where(usable, largest, 1.0))[1] - 1
    return np.where(usable, np.ldexp(1.0, exponents), 1.0)


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination per output, averaged; NaN for fewer than 2 rows."""
    truth, predicted = _columns(y_true, y_pred)
    scales = _power_of_two_scales(truth, predicted)  # R² is the same for scaled values
    truth, predicted = truth / scales, predicted / scales
    if len(truth) < 2:
        return float("nan")
    residual = ((truth - predicted) ** 2).sum(axis=0)
    total = ((truth - truth.mean(axis=0)) ** 2).sum(axis=0)
    scores = np.where(residual == 0, 1.0, 0.0)  # for a constant y, as force_finite=True
    varying = total != 0
    scores[varying] = 1 - residual[varying] / total[varying]
    return float(scores.mean())


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error per output, averaged over the outputs."""
    truth, predicted = _columns(y_true, y_pred)
    scales = _power_of_two_scales(truth, predicted)
    error = truth / scales - predicted / scales
    return float((scales * np.sqrt((error * error).mean(axis=0))).mean())


CLASSIFICATION = (precision, recall, f1, balanced_accuracy, roc_auc, log_loss)
REGRESSION = (r2, rmse)
for _metric in (*CLASSIFICATION, *REGRESSION):
    # fit computes these on the epoch's outputs at its end, not as a mean of batch values
    _metric.whole_epoch = True  # type: ignore[attr-defined]
