"""What the classifier and the regressor share: the network, the training, the stopping rule.

Training runs ``gn.fit`` on the estimator's ``model_`` (a glassnet ``Sequential``) with this
loss per minibatch of n rows, as scikit-learn's MLP estimators do:

    L = data_loss + alpha / (2n) · Σ ||W||²     (W: the Linear weights, not the biases)

so ``alpha`` is an L2 penalty added to the loss (not decoupled weight decay) and ``loss_curve_``
records it. After each epoch the stopping rule of ``MLPClassifier`` decides whether to go on:
without ``early_stopping``, the training loss must fall by more than ``tol`` at least once in
every ``n_iter_no_change + 1`` epochs; with it, the score (accuracy or R²) on a held-out
``validation_fraction`` of the data (at least 2 samples, as scikit-learn requires: R² of one is
undefined) must rise by more than ``tol``, and the weights of the best epoch are kept.
Everything random (initial weights, dropout, shuffling) draws from a generator seeded by
``random_state``, kept with the estimator (so ``partial_fit`` and pickles continue its stream);
glassnet's own generator is swapped out during training and put back after, so estimators in
threads of one process train in turn (``_workers.training_turn``, which also caps BLAS threads
in Dask workers); processes (joblib's default backend, Dask workers) train in parallel.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

import glassnet as gn
from glassnet import nn
from glassnet import random as gn_random
from glassnet.autograd import Tensor
from glassnet.sklearn import _params
from glassnet.sklearn._workers import training_turn
from glassnet.training import Callback

_SEED_LIMIT = np.iinfo(np.int32).max


class PenalizedLoss:
    """loss(output, target) = data_loss + alpha/(2n)·Σ||W||² over the given weight matrices.

    With reduction="none" (gn.fit asks for it when rows are weighted) each row's loss carries
    the penalty: Σᵢ wᵢ·(ℓᵢ + P) / Σᵢ wᵢ = Σᵢ wᵢ·ℓᵢ / Σᵢ wᵢ + P, the penalty unweighted."""

    def __init__(self, data_loss: Any, weights: list[Tensor], alpha: float) -> None:
        self.data_loss, self.weights, self.alpha = data_loss, weights, float(alpha)

    def __call__(self, output: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
        loss = self.data_loss(output, target, reduction)
        if self.alpha == 0 or not self.weights:
            return loss
        squares = sum((weight * weight).sum() for weight in self.weights)
        return loss + squares * (0.5 * self.alpha / output.shape[0])


class StoppingRule(Callback):
    """After each epoch: record the loss (and validation score), apply sklearn's stopping rule."""

    def __init__(self, estimator: Any, validation: tuple[Any, ...] | None,
                 incremental: bool) -> None:
        super().__init__()
        self.estimator, self.validation, self.incremental = estimator, validation, incremental
        self.converged = False

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        est = self.estimator
        loss = float((logs or {})["loss"])
        est.loss_curve_.append(loss)
        est.loss_ = loss
        est.n_iter_ += 1
        est.t_ += est._samples_per_epoch
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
        if self.validation is not None:
            X_val, y_val, weights_val = self.validation
            score = (est._validation_score(X_val, y_val) if weights_val is None
                     else est._validation_score(X_val, y_val, weights_val))
            if np.isnan(score):  # every comparison with NaN is False: it would never improve
                raise ValueError(
                    f"The validation score is NaN at epoch {est.n_iter_}: it is undefined for "
                    f"these {len(self.validation[1])} validation samples and these predictions, "
                    "so early stopping cannot compare epochs."
                )
            est.validation_scores_.append(score)
            if est.verbose:
                print(f"Validation score: {score:f}")
            improved = score >= est.best_validation_score_ + est.tol
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est._best_state = est.model_.state_dict()
        else:
            best = np.inf if est.best_loss_ is None else est.best_loss_  # None after early stopping
            improved = loss <= best - est.tol
            est.best_loss_ = min(best, loss)
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1
        if not self.incremental and est._no_improvement_count > est.n_iter_no_change:
            if est.verbose:
                what = "Validation score" if self.validation is not None else "Training loss"
                print(f"{what} did not improve more than tol={est.tol:f} for "
                      f"{est.n_iter_no_change} consecutive epochs. Stopping.")
            self.converged = True
            self.context.stop_training = True


class NeuralNetBase(BaseEstimator):
    """Shared by ``NeuralNetClassifier`` and ``NeuralNetRegressor``; not used on its own."""

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
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.alpha = alpha
        self.dropout = dropout
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    # -- what the subclasses define -------------------------------------------------------------
    def _data_loss(self, output: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
        raise NotImplementedError

    def _validation_score(
        self, X: np.ndarray, y: Any, sample_weight: np.ndarray | None = None
    ) -> float:
        raise NotImplementedError

    def _row_weights(self, y: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray | None:
        """Each row's weight: sample_weight (times the class weights, for the classifier)."""
        return sample_weight

    def _stratify(self, targets: np.ndarray) -> np.ndarray | None:
        return None

    # -- the network ----------------------------------------------------------------------------
    def _build_network(self, n_features: int, n_outputs: int) -> nn.Sequential:
        """Linear → activation (→ Dropout) for each hidden layer, then Linear to the outputs."""
        sizes = [n_features, *_params.hidden_sizes(self), n_outputs]
        return nn.mlp(sizes, activation=self.activation, dropout=self.dropout)

    def _outputs(self, X: Any) -> np.ndarray:
        """The network's outputs for X, computed in float64: (N, features) -> (N, outputs).

        float64 makes a row's result independent of the batch it comes in (float32 matrix
        products sum in an order that depends on the batch's size).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        network = copy.deepcopy(self.model_)
        for parameter in network.parameters():
            parameter.data = parameter.data.astype(np.float64)
        return gn.predict(network, X)

    # -- training -------------------------------------------------------------------------------
    def _validate_training_data(
        self, X: Any, y: Any, reset: bool, classes: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _encode_targets(
        self, y: np.ndarray, first_call: bool, dtype: Any
    ) -> tuple[np.ndarray, int]:
        """The training targets for y in ``dtype``, and the number of network outputs."""
        raise NotImplementedError

    def _hold_out(
        self, X: np.ndarray, targets: np.ndarray, y: np.ndarray, seed: int | None,
        weights: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[Any, ...]]:
        """The training rows, targets and weights, and (X_val, y_val, weights_val):
        ``validation_fraction`` of the rows (stratified for the classifier), at least 2 as
        scikit-learn's MLPs require; the weights go with their rows."""
        row_weights = np.ones(len(X)) if weights is None else weights
        X, X_val, targets, _, _, y_val, row_weights, weights_val = train_test_split(
            X, targets, y, row_weights, test_size=self.validation_fraction, random_state=seed,
            stratify=self._stratify(y),
        )
        if len(X_val) < 2:  # a score of one row says nothing (R² is not even defined)
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size of "
                f"your dataset. (validation_fraction={self.validation_fraction} of "
                f"{len(X) + len(X_val)} samples holds out {len(X_val)}; early_stopping needs at "
                "least 2.)"
            )
        if weights is None:
            return X, targets, None, (X_val, y_val, None)
        return X, targets, row_weights, (X_val, y_val, weights_val)

    def _start(
        self, n_features: int, n_outputs: int, early_stopping: bool, seed: int | None
    ) -> None:
        """Fresh network, optimizer, generator and records (the first fit or partial_fit)."""
        self._split_seed = seed
        saved = gn_random.get_rng_state()
        gn_random.manual_seed(seed)
        try:
            self.model_ = self._build_network(n_features, n_outputs)
        finally:
            self._rng_state = gn_random.get_rng_state()
            gn_random.set_rng_state(saved)
        self._optimizer = None
        self.n_outputs_ = n_outputs
        self.loss_curve_: list[float] = []
        self.n_iter_ = 0
        self.t_ = 0
        self._no_improvement_count = 0
        if early_stopping:
            self.validation_scores_: list[float] | None = []
            self.best_validation_score_: float | None = -np.inf
            self.best_loss_: float | None = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf

    def _train(self, X: np.ndarray, targets: np.ndarray,
               validation: tuple[Any, ...] | None, incremental: bool,
               row_weights: np.ndarray | None = None) -> None:
        """Run gn.fit for ``epochs`` epochs (one if ``incremental``) with the stopping rule;
        ``validation`` (X_val, y_val, weights_val) scores each epoch for early stopping;
        ``row_weights``: one per training row, or None."""
        if getattr(self, "_optimizer", None) is None:
            self._optimizer = _params.make_optimizer(
                self.optimizer, list(self.model_.parameters()), self.learning_rate)
        weights = [m.weight for m in self.model_.modules() if isinstance(m, nn.Linear)]
        loss = PenalizedLoss(self._data_loss, weights, self.alpha)
        rule = StoppingRule(self, validation, incremental)
        self._samples_per_epoch = len(X)
        epochs = 1 if incremental else self.epochs
        saved = gn_random.get_rng_state()
        gn_random.set_rng_state(self._rng_state)
        try:
            gn.fit(self.model_, X, targets, loss=loss, optimizer=self._optimizer, epochs=epochs,
                   batch_size=_params.batch_size_for(self, len(X)), callbacks=[rule], verbose=0,
                   sample_weight=row_weights)
        finally:
            self._rng_state = gn_random.get_rng_state()
            gn_random.set_rng_state(saved)
        if validation is not None and getattr(self, "_best_state", None) is not None:
            self.model_.load_state_dict(self._best_state)
        self._best_state = None
        if not incremental and not rule.converged:
            warnings.warn(
                f"Stochastic Optimizer: the maximum number of epochs (epochs={self.epochs}) was "
                "reached and the optimization hasn't converged yet.", ConvergenceWarning,
                stacklevel=4)

    def _fit(self, X: Any, y: Any, incremental: bool, classes: Any = None,
             sample_weight: Any = None) -> NeuralNetBase:
        _params.check_params(self)
        first_call = not incremental or not hasattr(self, "model_")
        X, y = self._validate_training_data(X, y, reset=first_call, classes=classes)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
        weights = self._row_weights(y, sample_weight)
        if weights is not None and not weights.any():
            raise ValueError("Every sample has weight 0 (sample_weight, times class_weight "
                             "for a classifier); at least one must be positive.")
        targets, n_outputs = self._encode_targets(y, first_call, X.dtype)
        early_stopping = self.early_stopping and not incremental
        seed = check_random_state(self.random_state).randint(_SEED_LIMIT) if first_call else None
        validation = None
        if early_stopping:  # split first: a validation set too small is refused before training
            X, targets, weights, validation = self._hold_out(X, targets, y, seed, weights)
        with training_turn():  # one training at a time per process; BLAS capped in Dask
            if first_call:
                self._start(X.shape[1], n_outputs, early_stopping, seed)
            self._train(X, targets, validation, incremental, weights)
        return self

    def _compute_dtype(self) -> Any:
        model = getattr(self, "model_", None)
        if model is None:
            return gn.get_default_dtype()
        return next(model.parameters()).dtype

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    def onnx_parts(self) -> dict[str, Any]:
        """What ``gn.onnx.export`` builds its graph from: the fitted network, the number of
        features, and the classes (a classifier) or whether predict returns (batch,) rows."""
        check_is_fitted(self)
        parts = {"network": self.model_, "n_features": self.n_features_in_,
                 "name": "glassnet_estimator"}
        if hasattr(self, "classes_"):
            return {**parts, "classes": self.classes_}
        return {**parts, "flat_output": bool(getattr(self, "_y_was_1d", False))}
