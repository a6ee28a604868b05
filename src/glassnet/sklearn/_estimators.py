"""``NeuralNetClassifier`` and ``NeuralNetRegressor``: glassnet networks as sklearn estimators."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import validate_data

import glassnet as gn
import glassnet.functional as F
from glassnet.autograd import Tensor
from glassnet.sklearn._base import NeuralNetBase

_PARAMETERS = """
    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        The width of each hidden layer; ``()`` for none (a linear model).
    activation : str, default="relu"
        The activation after each hidden layer: "relu", "tanh", "logistic" (or "sigmoid"),
        "identity", "gelu", "leaky_relu" or "softplus", the names of ``glassnet.nn.ACTIVATIONS``
        (which ``glassnet train --activation`` takes too).
    optimizer : {"adam", "adamw", "sgd", "rmsprop", "adagrad"}, default="adam"
        The glassnet optimizer, with its PyTorch defaults ("sgd": momentum 0.9, Nesterov).
    learning_rate : float, default=1e-3
        The optimizer's step size (``learning_rate_init`` in scikit-learn's MLPs).
    batch_size : int or "auto", default=32
        Rows per minibatch, clipped to the number of samples ("auto": min(200, n_samples)).
    epochs : int, default=200
        The most passes over the data ``fit`` makes (``max_iter`` in scikit-learn's MLPs).
    alpha : float, default=1e-4
        L2 penalty alpha/(2n)·Σ||W||² added to each minibatch loss (n: rows in the batch; the
        weights of the Linear layers, not the biases), as scikit-learn's MLPs; not weight decay.
    dropout : float, default=0.0
        Dropout probability after each hidden activation (0: no Dropout layers).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified for the classifier) and stop
        when its score has not improved by ``tol`` for ``n_iter_no_change`` epochs; the best
        epoch's weights are kept. ``partial_fit`` ignores it.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
        Epochs without an improvement of more than ``tol`` before training stops.
    tol : float, default=1e-4
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling, dropout and the validation split.
    verbose : int, default=0
        Print the loss after every epoch.
"""

_ATTRIBUTES = """
    Attributes
    ----------
    model_ : glassnet.nn.Sequential
        The trained network ({outputs}); ``gn.predict(model_, X)`` runs it.
    loss_curve_ : list of float
        The training loss of each epoch (mean over the rows, penalty included).
    loss_ : float
        The last epoch's loss.
    n_iter_ : int
        Epochs run (``partial_fit`` adds one per call).
    t_ : int
        Training rows seen, over all epochs.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame with string column names.
    n_outputs_ : int
    best_loss_, validation_scores_, best_validation_score_ :
        As in scikit-learn's MLPs: the lowest training loss (without early stopping), or the
        score on the held-out data after each epoch and the best of them (with it).
"""


def _check_float_labels(y: np.ndarray) -> None:
    """Refuse float labels beyond int64's range. scikit-learn checks that float labels are
    whole numbers by casting them to int64, which turns 1e20 into -9223372036854775808 (with a
    NumPy warning) and calls the labels continuous."""
    if y.dtype.kind != "f" or y.size == 0:
        return
    largest = y.flat[np.argmax(np.abs(y))]  # finite: validate_data refused NaN and inf
    if abs(largest) >= 2.0**63:
        raise ValueError(
            f"y holds the class label {largest:.17g}, beyond the range of "
            "int64 (|label| < 9.2e18) in which float labels can be checked to be whole numbers. "
            "Pass such labels as strings, or encode them first (sklearn.preprocessing."
            "LabelEncoder)."
        )


def _class_weights(class_weight: Any, classes: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The weight of each of ``classes``: "balanced", n_samples / (n_classes · count) over y
    (scikit-learn's ``compute_class_weight``; 1 for a class absent from y), or a dict
    {label: weight} (1 for the labels it does not name)."""
    if isinstance(class_weight, str) and class_weight == "balanced":
        present, counts = np.unique(y, return_counts=True)
        weights = np.ones(len(classes))
        weights[np.searchsorted(classes, present)] = len(y) / (len(present) * counts)
        return weights
    if not isinstance(class_weight, dict):
        raise ValueError("The 'class_weight' parameter of NeuralNetClassifier must be "
                         f"'balanced', a dict {{label: weight}} or None. Got {class_weight!r} "
                         "instead.")
    unknown = [label for label in class_weight if label not in set(classes.tolist())]
    if unknown:
        raise ValueError(f"class_weight names labels {unknown!r} that are not in classes_ "
                         f"{classes.tolist()!r}.")
    weights = np.ones(len(classes))
    for label, weight in class_weight.items():
        is_real = isinstance(weight, numbers.Real) and not isinstance(weight, bool)
        if not is_real or not math.isfinite(weight) or weight < 0:
            raise ValueError(f"class_weight[{label!r}] must be a finite, non-negative number; "
                             f"got {weight!r}.")
        weights[np.searchsorted(classes, np.asarray([label], dtype=classes.dtype))[0]] = weight
    return weights


class NeuralNetClassifier(ClassifierMixin, NeuralNetBase):
    __doc__ = """A multi-layer perceptron classifier trained by glassnet, in the manner of
    ``sklearn.neural_network.MLPClassifier``.

    The network maps (N, n_features) to one logit per class (two for a binary problem), is
    trained with softmax cross-entropy, and ``predict_proba`` is the softmax of the logits;
    ``predict`` returns ``classes_[argmax]``, so any labels work (strings included).
    Training computes in glassnet's default dtype (float32); predictions are computed in
    float64 and returned as float64.
    """ + _PARAMETERS + """    class_weight : "balanced", dict {label: weight} or None, default=None
        Each row's loss is weighted by its class's weight (times ``sample_weight``): "balanced"
        is n_samples / (n_classes · bincount(y)) over the y given to ``fit``, as scikit-learn's
        ``compute_class_weight``; a dict is keyed by the original labels, 1 for a label it does
        not name. ``partial_fit`` refuses "balanced" (one call does not tell the frequencies).
""" + _ATTRIBUTES.format(outputs="logits, one column per class") + """
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    """

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        batch_size: int | str = 32,
        epochs: int = 200,
        alpha: float = 1e-4,
        dropout: float = 0.0,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        random_state: Any = None,
        verbose: int = 0,
        class_weight: Any = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes, activation, optimizer=optimizer, learning_rate=learning_rate,
            batch_size=batch_size, epochs=epochs, alpha=alpha, dropout=dropout,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, random_state=random_state,
            verbose=verbose)
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> NeuralNetClassifier:
        """Train a new network on (X, y): X (N, n_features), y (N,) class labels.

        ``sample_weight`` (N,), non-negative: a row of weight w counts as w copies of it in the
        loss, Σᵢ wᵢ·ℓᵢ / Σᵢ wᵢ per minibatch (times the class weights, with ``class_weight``),
        and in the early-stopping score (a weighted accuracy).
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> NeuralNetClassifier:
        """One epoch over (X, y), continuing from the current weights (and optimizer state).

        ``classes``, every label that may ever appear, is required on the first call.
        """
        if not hasattr(self, "model_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            raise ValueError(
                "class_weight 'balanced' is not supported for partial_fit: one batch does not "
                "tell the classes' frequencies. Compute them on enough of the training set "
                "with sklearn.utils.class_weight.compute_class_weight('balanced', classes=..., "
                "y=...) and pass them as a dict {label: weight}."
            )
        return self._fit(X, y, incremental=True, classes=classes, sample_weight=sample_weight)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (N, n_classes), float64; each row sums to 1."""
        logits = self._outputs(X)
        exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))  # no overflow
        return exponentials / exponentials.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """log(predict_proba(X)); −inf where a probability underflowed to 0."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row: (N,), with the labels' own dtype."""
        probabilities = self.predict_proba(X)  # first: it raises NotFittedError if unfitted
        return self.classes_[np.argmax(probabilities, axis=1)]

    # -- hooks of NeuralNetBase -----------------------------------------------------------------
    def _validate_training_data(
        self, X: Any, y: Any, reset: bool, classes: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        dtype = gn.get_default_dtype() if reset else self._compute_dtype()
        X, y = validate_data(self, X, y, reset=reset, dtype=dtype)
        _check_float_labels(y)
        check_classification_targets(y)
        if classes is not None:
            classes = unique_labels(np.asarray(classes))
            if not reset and not np.array_equal(classes, self.classes_):
                raise ValueError(f"`classes={classes!r}` is not the same as on the first call "
                                 f"to partial_fit, was: {self.classes_!r}")
        if reset:
            self.classes_ = unique_labels(y) if classes is None else classes
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y contains labels {unknown.tolist()!r} that are not in "
                             f"classes_ {self.classes_.tolist()!r}.")
        return X, y

    def _encode_targets(
        self, y: np.ndarray, first_call: bool, dtype: Any
    ) -> tuple[np.ndarray, int]:
        n_classes = len(self.classes_)
        one_hot = np.eye(n_classes, dtype=dtype)
        return one_hot[np.searchsorted(self.classes_, y)], n_classes

    def _row_weights(self, y: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray | None:
        if self.class_weight is None:
            return sample_weight
        by_class = _class_weights(self.class_weight, self.classes_, y)
        row_weights = by_class[np.searchsorted(self.classes_, y)]
        return row_weights if sample_weight is None else sample_weight * row_weights

    def _data_loss(self, output: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
        # target: one-hot rows, i.e. probabilities
        return F.cross_entropy(output, target, reduction=reduction)

    def _stratify(self, targets: np.ndarray) -> np.ndarray | None:
        return targets

    def _validation_score(
        self, X: np.ndarray, y: Any, sample_weight: np.ndarray | None = None
    ) -> float:
        predicted = self.classes_[np.argmax(gn.predict(self.model_, X), axis=1)]
        return float(np.average(predicted == y, weights=sample_weight))


class NeuralNetRegressor(RegressorMixin, NeuralNetBase):
    __doc__ = """A multi-layer perceptron regressor trained by glassnet, in the manner of
    ``sklearn.neural_network.MLPRegressor``.

    The network maps (N, n_features) to (N, n_outputs) with a linear last layer and is trained
    on half the mean squared error, ½·mean((ŷ − y)²), as scikit-learn's MLPRegressor; y may be
    (N,) or (N, n_outputs), and ``predict`` returns the same shape, in float64.
    """ + _PARAMETERS + _ATTRIBUTES.format(outputs="one column per target")

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> NeuralNetRegressor:
        """Train a new network on (X, y): X (N, n_features), y (N,) or (N, n_outputs).

        ``sample_weight`` (N,), non-negative: a row of weight w counts as w copies of it in the
        loss, Σᵢ wᵢ·ℓᵢ / Σᵢ wᵢ per minibatch, and in the early-stopping score (a weighted R²).
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> NeuralNetRegressor:
        """One epoch over (X, y), continuing from the current weights (and optimizer state)."""
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions (N,) for a 1-D training y, else (N, n_outputs); float64."""
        outputs = self._outputs(X)
        return outputs.ravel() if self._y_was_1d else outputs

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # -- hooks of NeuralNetBase -----------------------------------------------------------------
    def _validate_training_data(
        self, X: Any, y: Any, reset: bool, classes: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        dtype = gn.get_default_dtype() if reset else self._compute_dtype()
        return validate_data(self, X, y, reset=reset, dtype=dtype, multi_output=True,
                             y_numeric=True)

    def _encode_targets(
        self, y: np.ndarray, first_call: bool, dtype: Any
    ) -> tuple[np.ndarray, int]:
        columns = y.reshape(len(y), -1)
        if first_call:
            self._y_was_1d = y.ndim == 1
        elif columns.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {columns.shape[1]} outputs, but {type(self).__name__} was "
                             f"fitted with {self.n_outputs_}.")
        return np.ascontiguousarray(columns, dtype=dtype), columns.shape[1]

    def _data_loss(self, output: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
        return F.mse_loss(output, target, reduction=reduction) * 0.5

    def _validation_score(
        self, X: np.ndarray, y: Any, sample_weight: np.ndarray | None = None
    ) -> float:
        predicted = gn.predict(self.model_, X)
        return float(r2_score(y, predicted.ravel() if np.ndim(y) == 1 else predicted,
                              sample_weight=sample_weight))
