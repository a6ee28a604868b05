"""How the estimators train: MLPClassifier's stopping rules, the L2 penalty, dropout, seeds,
hyperparameter checks, and the fitted attributes."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import glassnet as gn
from glassnet import nn
from glassnet.random import get_rng_state
from glassnet.sklearn import NeuralNetClassifier, NeuralNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
SMALL = {"hidden_layer_sizes": (8,), "random_state": 0}


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(120, n_features=3, centers=3, random_state=0)
    return StandardScaler().fit_transform(X), y


def test_defaults_are_the_documented_ones():
    params = NeuralNetClassifier().get_params()
    assert params == {
        "hidden_layer_sizes": (100,), "activation": "relu", "optimizer": "adam",
        "learning_rate": 1e-3, "batch_size": 32, "epochs": 200, "alpha": 1e-4, "dropout": 0.0,
        "early_stopping": False, "validation_fraction": 0.1, "n_iter_no_change": 10,
        "tol": 1e-4, "random_state": None, "verbose": 0, "class_weight": None,
    }
    del params["class_weight"]  # the classifier's alone
    assert NeuralNetRegressor().get_params() == params


def test_fitted_attributes(blobs):
    X, y = blobs
    estimator = NeuralNetClassifier(hidden_layer_sizes=(8, 5), epochs=7, **{"random_state": 0})
    estimator.fit(X, y)
    assert [type(m).__name__ for m in estimator.model_] == ["Linear", "ReLU", "Linear", "ReLU",
                                                             "Linear"]
    assert [m.out_features for m in estimator.model_ if isinstance(m, nn.Linear)] == [8, 5, 3]
    assert estimator.n_features_in_ == 3 and estimator.n_outputs_ == 3
    assert estimator.n_iter_ == 7 == len(estimator.loss_curve_)
    assert estimator.t_ == 7 * len(X)
    assert estimator.loss_ == estimator.loss_curve_[-1] and estimator.best_loss_ <= estimator.loss_
    assert estimator.validation_scores_ is None and estimator.best_validation_score_ is None
    assert not hasattr(estimator, "feature_names_in_")  # fitted on an array, not a DataFrame
    assert estimator.model_[0].weight.dtype == np.float32  # glassnet's default dtype


def test_training_stops_when_the_loss_stops_falling(blobs):
    X, y = blobs
    # tol larger than any improvement: epoch 1 sets the best loss, then n_iter_no_change + 1
    # epochs without an improvement of more than tol end training, as in MLPClassifier
    estimator = NeuralNetClassifier(**SMALL, tol=100.0, n_iter_no_change=3, epochs=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # it converged: no warning
        estimator.fit(X, y)
    assert estimator.n_iter_ == 1 + 3 + 1


def test_running_out_of_epochs_warns_like_mlp(blobs):
    X, y = blobs
    # worded with glassnet's parameter, epochs (scikit-learn's MLPs say "Maximum iterations")
    message = r"the maximum number of epochs \(epochs=3\) was reached"
    with pytest.warns(ConvergenceWarning, match=message):
        NeuralNetClassifier(**SMALL, epochs=3).fit(X, y)


def test_early_stopping_keeps_the_best_epoch(blobs):
    X, y = blobs
    estimator = NeuralNetClassifier(**SMALL, early_stopping=True, validation_fraction=0.25,
                                    n_iter_no_change=2, tol=0.5, epochs=100)
    estimator.fit(X, y)
    scores = estimator.validation_scores_
    assert len(scores) == estimator.n_iter_ == 1 + 2 + 1  # nothing can gain 0.5 accuracy twice
    assert estimator.best_validation_score_ == max(scores)
    assert estimator.best_loss_ is None
    assert estimator.t_ == estimator.n_iter_ * 90  # three quarters of the rows train


def test_early_stopping_restores_the_best_weights(blobs):
    X, y = blobs
    y_noisy = y.copy()
    y_noisy[::3] = (y_noisy[::3] + 1) % 3  # label noise: the validation score wanders
    settings = {"hidden_layer_sizes": (64,), "learning_rate": 0.05, "early_stopping": True,
                "n_iter_no_change": 5, "validation_fraction": 0.3, "random_state": 1}
    stopped = NeuralNetClassifier(**settings, epochs=60).fit(X, y_noisy)
    best_epoch = int(np.argmax(stopped.validation_scores_))  # the first of the best
    assert stopped.n_iter_ == best_epoch + 1 + 5 + 1 < 60  # 6 epochs after the best it stopped
    # The same seed retraces the same epochs; ending right at the best epoch leaves its weights,
    # which are the ones the longer run must have gone back to.
    at_best = NeuralNetClassifier(**settings, epochs=best_epoch + 1).fit(X, y_noisy)
    np.testing.assert_array_equal(stopped.predict_proba(X), at_best.predict_proba(X))
    assert stopped.loss_curve_[: best_epoch + 1] == at_best.loss_curve_


def test_alpha_is_an_l2_penalty_in_the_loss(blobs):
    X, y = blobs
    plain = NeuralNetClassifier(**SMALL, alpha=0.0, epochs=1, learning_rate=1e-12).fit(X, y)
    penalised = NeuralNetClassifier(**SMALL, alpha=10.0, epochs=1, learning_rate=1e-12)
    penalised.fit(X, y)
    # same initial weights, (almost) no step: the losses differ by alpha/2 · Σ||W||² / n per
    # batch, i.e. by alpha/2 · Σ||W||² · (number of batches) / N over the epoch
    squares = sum(float((m.weight.data.astype(np.float64) ** 2).sum())
                  for m in penalised.model_ if isinstance(m, nn.Linear))
    batches = -(-len(X) // 32)
    expected = 10.0 / 2 * squares * batches / len(X)
    assert penalised.loss_curve_[0] - plain.loss_curve_[0] == pytest.approx(expected, rel=1e-4)


def test_a_large_alpha_shrinks_the_weights(blobs):
    X, y = blobs
    norms = []
    for alpha in (0.0, 1.0):
        estimator = NeuralNetClassifier(**SMALL, alpha=alpha, epochs=40, learning_rate=1e-2)
        weights = estimator.fit(X, y).model_[0].weight.data
        norms.append(float(np.linalg.norm(weights)))
    assert norms[1] < 0.7 * norms[0]


def test_dropout_adds_layers_and_is_off_when_predicting(blobs):
    X, y = blobs
    estimator = NeuralNetClassifier(hidden_layer_sizes=(8, 8), dropout=0.5, epochs=3,
                                    random_state=0).fit(X, y)
    dropouts = [m for m in estimator.model_ if isinstance(m, nn.Dropout)]
    assert len(dropouts) == 2 and all(m.p == 0.5 for m in dropouts)
    np.testing.assert_array_equal(estimator.predict_proba(X), estimator.predict_proba(X))


@pytest.mark.parametrize("activation, layer", [
    ("relu", nn.ReLU), ("tanh", nn.Tanh), ("logistic", nn.Sigmoid), ("sigmoid", nn.Sigmoid),
    ("identity", nn.Identity), ("gelu", nn.GELU), ("leaky_relu", nn.LeakyReLU),
])
def test_activations(activation, layer, blobs):
    X, y = blobs
    estimator = NeuralNetClassifier(**SMALL, activation=activation, epochs=2).fit(X, y)
    assert type(estimator.model_[1]) is layer


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "rmsprop", "adagrad"])
def test_optimizers_learn(optimizer, blobs):
    X, y = blobs
    learning_rate = 0.1 if optimizer == "adagrad" else 1e-2  # Adagrad's steps shrink fast
    estimator = NeuralNetClassifier(**SMALL, optimizer=optimizer, learning_rate=learning_rate,
                                    epochs=25)
    estimator.fit(X, y)
    assert estimator.loss_curve_[-1] < estimator.loss_curve_[0]
    assert estimator.score(X, y) > 0.8


def test_no_hidden_layers_is_a_linear_model(blobs):
    X, y = blobs
    estimator = NeuralNetClassifier(hidden_layer_sizes=(), epochs=2, random_state=0).fit(X, y)
    assert [type(m) for m in estimator.model_] == [nn.Linear]


def test_random_state_repeats_exactly_and_leaves_glassnet_generator_alone(blobs):
    X, y = blobs
    gn.manual_seed(123)
    before = get_rng_state()
    first = NeuralNetClassifier(**SMALL, dropout=0.2, epochs=3).fit(X, y).predict_proba(X)
    second = NeuralNetClassifier(**SMALL, dropout=0.2, epochs=3).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    assert get_rng_state() == before
    other = NeuralNetClassifier(**{**SMALL, "random_state": 1}, epochs=3).fit(X, y)
    assert not np.array_equal(other.predict_proba(X), first)


@pytest.mark.parametrize("name, value, message", [
    ("hidden_layer_sizes", (8, 0), "a tuple of positive ints"),
    ("hidden_layer_sizes", "wide", "a tuple of positive ints"),
    ("activation", "swish", r"a str among \['gelu'"),
    ("optimizer", "lbfgs", r"a str among \['adam'"),
    ("learning_rate", 0.0, r"range \(0.0, inf\)"),
    ("batch_size", 0, r"range \[1, inf\) or 'auto'"),
    ("epochs", 0, r"an int in the range \[1, inf\)"),
    ("alpha", -1.0, r"a float in the range \[0.0, inf\)"),
    ("dropout", 1.0, r"range \[0.0, 1.0\)"),
    ("validation_fraction", 1.0, r"range \(0.0, 1.0\)"),
    ("n_iter_no_change", 0, r"an int in the range \[1, inf\)"),
    ("tol", -1e-4, r"a float in the range \[0.0, inf\)"),
    # infinity is outside these ranges too, as in scikit-learn's own parameter checks
    ("learning_rate", float("inf"), r"range \(0.0, inf\)"),
    ("alpha", float("inf"), r"a float in the range \[0.0, inf\)"),
    ("tol", float("inf"), r"a float in the range \[0.0, inf\)"),
    ("alpha", float("nan"), r"a float in the range \[0.0, inf\)"),
])
def test_bad_hyperparameters_are_refused_in_fit(name, value, message, blobs):
    X, y = blobs
    estimator = NeuralNetClassifier(**{name: value})  # accepted here, as sklearn requires
    with pytest.raises(ValueError, match=f"'{name}' parameter of NeuralNetClassifier.*{message}"):
        estimator.fit(X, y)
    assert not hasattr(estimator, "model_")


def test_batch_size_auto_and_larger_than_the_data(blobs):
    X, y = blobs
    for batch_size in ("auto", 10_000):
        estimator = NeuralNetClassifier(**SMALL, batch_size=batch_size, epochs=2).fit(X, y)
        assert estimator.n_iter_ == 2


def test_verbose_prints_each_epoch(blobs, capsys):
    X, y = blobs
    NeuralNetClassifier(**SMALL, epochs=3, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["Iteration 1", "Iteration 2", "Iteration 3"]


def test_regressor_loss_is_half_the_mean_squared_error():
    X, y = make_regression(64, 3, random_state=0)
    estimator = NeuralNetRegressor(hidden_layer_sizes=(), alpha=0.0, learning_rate=1e-12,
                                   batch_size=64, epochs=1, random_state=0).fit(X, y)
    predictions = estimator.predict(X)  # the weights moved by ~1e-12: the same network
    expected = 0.5 * np.mean((predictions - y) ** 2)
    assert estimator.loss_curve_[0] == pytest.approx(expected, rel=1e-4)


def test_predictions_are_float64_and_do_not_depend_on_the_batch(blobs):
    X, y = blobs
    estimator = NeuralNetClassifier(**SMALL, epochs=3).fit(X, y)
    whole = estimator.predict_proba(X)
    assert whole.dtype == np.float64
    one_by_one = np.vstack([estimator.predict_proba(X[i : i + 1]) for i in range(len(X))])
    np.testing.assert_allclose(one_by_one, whole, rtol=1e-12, atol=1e-15)


# -- refused before anything changes, and nothing left behind ---------------------------------
@pytest.mark.parametrize("n_samples", [2, 10])
def test_early_stopping_refuses_a_validation_set_too_small_like_mlp(n_samples):
    """Before, 2 samples held out 1: R² was NaN every epoch and training "converged" silently."""
    from sklearn.neural_network import MLPRegressor

    X = np.arange(n_samples, dtype=float).reshape(-1, 1)
    y = np.arange(n_samples, dtype=float)
    with pytest.raises(ValueError) as theirs:
        MLPRegressor(early_stopping=True, max_iter=5).fit(X, y)
    estimator = NeuralNetRegressor(**SMALL, early_stopping=True, epochs=5)
    with pytest.raises(ValueError, match="holds out 1; early_stopping needs at least 2") as ours:
        estimator.fit(X, y)
    assert str(ours.value).startswith(str(theirs.value))  # scikit-learn's words, then numbers
    assert not hasattr(estimator, "model_")  # refused before a network was built


def test_the_classifier_refuses_what_mlp_classifier_refuses_and_accepts_two_held_out():
    from sklearn.neural_network import MLPClassifier

    X = np.arange(10, dtype=float).reshape(-1, 1)
    y = np.arange(10) % 2  # 10 % held out is 1 row, fewer than the 2 classes
    with pytest.raises(ValueError, match="should be greater or equal to the number of classes"):
        MLPClassifier(early_stopping=True, max_iter=5).fit(X, y)
    estimator = NeuralNetClassifier(**SMALL, early_stopping=True, epochs=5)
    with pytest.raises(ValueError, match="should be greater or equal to the number of classes"):
        estimator.fit(X, y)
    assert not hasattr(estimator, "model_")
    X, y = np.arange(20, dtype=float).reshape(-1, 1), np.arange(20) % 2
    estimator.fit(X, y)
    assert len(estimator.validation_scores_) == estimator.n_iter_


@pytest.mark.filterwarnings("error::RuntimeWarning")  # NumPy's "invalid value in cast"
def test_float_labels_beyond_int64_are_refused_clearly():
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = np.where(np.arange(20) % 2, 1e20, 0.0)  # scikit-learn calls these "continuous"
    with pytest.raises(ValueError, match="y holds the class label 1e\\+20, beyond the range of "
                                         "int64.*LabelEncoder"):
        NeuralNetClassifier(**SMALL, epochs=1).fit(X, y)


@pytest.mark.parametrize("estimator_class", [NeuralNetClassifier, NeuralNetRegressor])
def test_no_gradient_is_left_after_fit_or_partial_fit(estimator_class, blobs):
    X, y = blobs
    estimator = estimator_class(**SMALL, epochs=2).fit(X, y)
    assert [p.grad for p in estimator.model_.parameters()] == [None] * 4
    extra = {"classes": np.unique(y)} if estimator_class is NeuralNetClassifier else {}
    estimator.partial_fit(X, y, **extra)
    assert [p.grad for p in estimator.model_.parameters()] == [None] * 4


def test_a_nan_validation_score_stops_early_stopping_loudly(blobs, monkeypatch):
    X, y = blobs
    monkeypatch.setattr(NeuralNetClassifier, "_validation_score", lambda self, X, y: np.nan)
    estimator = NeuralNetClassifier(**SMALL, early_stopping=True, epochs=5)
    with pytest.raises(ValueError, match="The validation score is NaN at epoch 1"):
        estimator.fit(X, y)
