"""Bad input is refused before any weight changes, in scikit-learn's words where it has some."""

from __future__ import annotations

import re

import numpy as np
import pytest
from training_helpers import blobs, classifier, regressor, same_state

import glassnet as gn
from glassnet import nn, optim
from glassnet.training import evaluate, fit, predict

X_GOOD, Y_GOOD = blobs(n=10, classes=5)


def with_value(value, row=3, column=1):
    X = X_GOOD.copy()
    X[row, column] = value
    return X


def string_labels():
    return np.array(list("abcdeabcde"))


# (X, y, extra fit arguments, error type, message regex)
BAD_FIT_INPUTS = [
    pytest.param(with_value(np.nan), Y_GOOD, {}, ValueError,
                 re.escape("Input X contains NaN."), id="nan-in-X"),
    pytest.param(with_value(np.inf), Y_GOOD, {}, ValueError,
                 re.escape("Input X contains infinity."), id="inf-in-X"),
    pytest.param(with_value(-np.inf, row=9, column=3), Y_GOOD, {}, ValueError,
                 re.escape("Input X contains infinity."), id="minus-inf-last-entry"),
    pytest.param(with_value(1e300), Y_GOOD, {}, ValueError,
                 "Input X contains infinity or a value too large for float32", id="too-big"),
    pytest.param(X_GOOD[:, :3], Y_GOOD, {}, gn.ShapeError,
                 re.escape("X has 3 features, but the model is expecting 4 features as input."),
                 id="wrong-feature-count"),
    pytest.param(X_GOOD, Y_GOOD[:9], {}, ValueError,
                 re.escape("Found input variables with inconsistent numbers of samples: [10, 9]"),
                 id="inconsistent-lengths"),
    pytest.param(np.empty((0, 4)), np.empty(0, dtype=int), {}, ValueError,
                 re.escape("Found array with 0 sample(s) (shape=(0, 4)) while a minimum of 1 is "
                           "required."), id="empty"),
    pytest.param(np.arange(4.0), Y_GOOD[:4], {}, ValueError,
                 r"Expected 2D array, got 1D array instead:\narray=\[0\. 1\. 2\. 3\.\]\.\n"
                 r"Reshape your data either using array\.reshape\(-1, 1\) if your data has a "
                 r"single feature or array\.reshape\(1, -1\) if it contains a single sample\.",
                 id="1d-X"),
    pytest.param(X_GOOD.astype(str), Y_GOOD, {}, TypeError, "X has dtype str", id="string-X"),
    pytest.param(np.array([[object()] * 4] * 10), Y_GOOD, {}, TypeError,
                 "X has dtype object with non-numeric entries", id="object-X"),
    pytest.param(X_GOOD.astype(complex), Y_GOOD, {}, TypeError, "X has complex dtype complex128",
                 id="complex-X"),
    pytest.param(X_GOOD, np.where(Y_GOOD == 0, 7, Y_GOOD), {}, ValueError,
                 re.escape("y contains class 7, but the model has 5 outputs (classes 0..4)."),
                 id="class-too-big"),
    pytest.param(X_GOOD, np.where(Y_GOOD == 0, -1, Y_GOOD), {}, ValueError,
                 re.escape("y contains class -1, but the model has 5 outputs (classes 0..4)."),
                 id="negative-class"),
    pytest.param(X_GOOD, Y_GOOD + 0.5, {}, ValueError, "Unknown label type: continuous",
                 id="continuous-labels"),
    pytest.param(X_GOOD, string_labels(), {}, TypeError, "y has dtype str.*LabelEncoder",
                 id="string-labels"),
    pytest.param(X_GOOD, np.ones((10, 3)), {}, gn.ShapeError,
                 re.escape("y has shape (10, 3), but the model outputs shape (N, 5)"),
                 id="one-hot-of-wrong-width"),
    pytest.param(X_GOOD, Y_GOOD, {"validation_data": (with_value(np.nan), Y_GOOD)}, ValueError,
                 re.escape("Input X_val contains NaN."), id="nan-in-X_val"),
    pytest.param(X_GOOD, Y_GOOD, {"validation_data": (X_GOOD, Y_GOOD + 5)}, ValueError,
                 r"y_val contains class \d, but the model has 5 outputs",
                 id="y_val-out-of-range"),
    pytest.param(X_GOOD, Y_GOOD, {"validation_data": X_GOOD}, TypeError,
                 re.escape("validation_data must be a tuple (X_val, y_val) or (X_val, y_val, "
                           "sample_weight_val); got ndarray."),
                 id="validation_data-not-a-pair"),
    pytest.param(X_GOOD, Y_GOOD, {"metrics": ["mse"]}, ValueError,
                 "metric 'mse' compares values shaped like the model's output",
                 id="mse-metric-on-class-indices"),
    pytest.param(X_GOOD, Y_GOOD, {"metrics": ["matthews_corrcoef"]}, ValueError,
                 "Unknown metric 'matthews_corrcoef'", id="unknown-metric"),
    pytest.param(X_GOOD, Y_GOOD, {"loss": "hinge"}, ValueError,
                 "Unknown loss 'hinge'; known names: 'cross_entropy'", id="unknown-loss"),
    pytest.param(X_GOOD, Y_GOOD, {"loss": 3}, TypeError, "loss must be a name",
                 id="loss-not-callable"),
    pytest.param(X_GOOD, Y_GOOD, {"batch_size": 0}, ValueError, "batch_size must be >= 1",
                 id="batch-size-0"),
    pytest.param(X_GOOD, Y_GOOD, {"batch_size": 2.5}, TypeError, "batch_size must be an int",
                 id="batch-size-float"),
    pytest.param(X_GOOD, Y_GOOD, {"epochs": -1}, ValueError, "epochs must be >= 0",
                 id="negative-epochs"),
    pytest.param(X_GOOD, Y_GOOD, {"validation_split": 1.0}, ValueError,
                 re.escape("validation_split must be in [0, 1)"), id="split-1"),
    pytest.param(X_GOOD, Y_GOOD, {"verbose": 3}, ValueError, "verbose must be 0", id="verbose-3"),
    pytest.param(X_GOOD, Y_GOOD, {"callbacks": [print]}, TypeError,
                 "callbacks must be glassnet.callbacks.Callback instances", id="bad-callback"),
    pytest.param(X_GOOD, Y_GOOD, {"clip_grad_norm": -1.0}, ValueError,
                 "clip_grad_norm must be a positive number", id="negative-clip"),
    pytest.param(X_GOOD, Y_GOOD, {"optimizer": "sgd"}, TypeError, "optimizer must have step",
                 id="optimizer-not-an-optimizer"),
    # class targets out of int64's range: checked before the cast, which would wrap them round
    pytest.param(X_GOOD, np.where(Y_GOOD == 0, 1e20, Y_GOOD), {}, ValueError,
                 re.escape("y contains class 1e+20, but the model has 5 outputs (classes 0..4)."),
                 id="class-1e20"),
    pytest.param(X_GOOD, np.where(Y_GOOD == 0, -1e20, Y_GOOD), {}, ValueError,
                 re.escape("y contains class -1e+20, but the model"), id="class-minus-1e20"),
    pytest.param(X_GOOD, np.where(Y_GOOD == 0, 2**64 - 1, Y_GOOD).astype(np.uint64), {},
                 ValueError, re.escape("y contains class 18446744073709551615, but the model"),
                 id="class-uint64-max"),
    pytest.param(X_GOOD, np.where(Y_GOOD == 0, np.inf, Y_GOOD), {}, ValueError,
                 re.escape("Input y contains infinity."), id="class-inf"),
    # every argument's type is checked up front, saying what was expected and what came
    pytest.param(X_GOOD, Y_GOOD, {"validation_split": "0.2"}, TypeError,
                 re.escape("validation_split must be a float in [0, 1); got '0.2' (str)."),
                 id="split-as-text"),
    pytest.param(X_GOOD, Y_GOOD, {"validation_split": float("nan")}, ValueError,
                 re.escape("validation_split must be in [0, 1); got nan."), id="split-nan"),
    pytest.param(X_GOOD, Y_GOOD, {"validation_split": True}, TypeError,
                 "validation_split must be a float", id="split-bool"),
    pytest.param(X_GOOD, Y_GOOD, {"epochs": "3"}, TypeError,
                 re.escape("epochs must be an integer; got '3'."), id="epochs-as-text"),
    pytest.param(X_GOOD, Y_GOOD, {"batch_size": None}, TypeError,
                 re.escape("batch_size must be an integer; got None."), id="batch-size-None"),
    pytest.param(X_GOOD, Y_GOOD, {"shuffle": "False"}, TypeError,
                 re.escape("shuffle must be True or False; got 'False' (str)."),
                 id="shuffle-as-text"),
    pytest.param(X_GOOD, Y_GOOD, {"verbose": "1"}, TypeError,
                 re.escape("verbose must be 0 (silent), 1 (progress bar) or 2 (one line per "
                           "epoch); got '1' (str)."), id="verbose-as-text"),
    pytest.param(X_GOOD, Y_GOOD, {"clip_grad_norm": "1.0"}, TypeError,
                 re.escape("clip_grad_norm must be a positive number or None; got '1.0' (str)."),
                 id="clip-as-text"),
    pytest.param(X_GOOD, Y_GOOD, {"clip_grad_norm": float("nan")}, ValueError,
                 "clip_grad_norm must be a positive number; got nan", id="clip-nan"),
    pytest.param(X_GOOD, Y_GOOD, {"callbacks": gn.callbacks.EarlyStopping}, TypeError,
                 re.escape("callbacks must be a list of glassnet.callbacks.Callback instances; "
                           "got type."), id="callbacks-a-class"),
    pytest.param(X_GOOD, Y_GOOD, {"metrics": 3}, TypeError,
                 re.escape("metrics must be a list of names or callables metric(y_true, y_pred); "
                           "got int."), id="metrics-a-number"),
    pytest.param(X_GOOD, Y_GOOD, {"validation_data": (X_GOOD, Y_GOOD, Y_GOOD, Y_GOOD)},
                 TypeError, re.escape("sample_weight_val); got a tuple of 4."),
                 id="validation_data-of-four"),
]


@pytest.mark.parametrize("X, y, extra, error_type, message", BAD_FIT_INPUTS)
def test_bad_input_is_refused_before_any_weight_changes(X, y, extra, error_type, message):
    model = classifier(classes=5)
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    weights = model.state_dict()
    arguments = {"loss": "cross_entropy", "optimizer": optimizer, "epochs": 2, "verbose": 0}
    arguments.update(extra)
    with pytest.raises(error_type, match=message):
        fit(model, X, y, **arguments)
    assert same_state(weights, model.state_dict())
    assert optimizer.state == {}


@pytest.mark.filterwarnings("error")  # NumPy's "invalid value encountered in cast" included
def test_a_huge_class_index_is_refused_without_a_numpy_warning():
    model = classifier(classes=5)
    with pytest.raises(ValueError, match=re.escape("y contains class 1e+20")):
        fit(model, X_GOOD, np.full(10, 1e20), loss="cross_entropy",
            optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=1, verbose=0)


def test_an_optimizer_of_another_model_is_refused_naming_what_it_misses():
    """Before, it trained nothing: the loss stayed the same every epoch, silently."""
    model, other = classifier(classes=5), classifier(classes=5, seed=1)
    weights = model.state_dict()
    with pytest.raises(ValueError, match=re.escape(
            "The optimizer holds none of the model's 4 trainable parameters; missing: 0.weight, "
            "0.bias, 2.weight, 2.bias. Was it built on another model's parameters?")):
        fit(model, X_GOOD, Y_GOOD, loss="cross_entropy", epochs=2, verbose=0,
            optimizer=optim.SGD(other.parameters(), lr=0.1))
    assert same_state(weights, model.state_dict())


def test_an_optimizer_missing_some_trainable_parameters_is_refused():
    model = classifier(classes=5)
    optimizer = optim.SGD(model[2].parameters(), lr=0.1)  # the last layer only, first not frozen
    with pytest.raises(ValueError, match="holds 2 of the model's 4 trainable parameters; missing: "
                                         "0.weight, 0.bias.*requires_grad_"):
        fit(model, X_GOOD, Y_GOOD, loss="cross_entropy", optimizer=optimizer, epochs=1,
            verbose=0)


def test_frozen_parameters_need_not_be_in_the_optimizer():
    model = classifier(classes=5)
    model[0].requires_grad_(False)
    first_layer = model[0].state_dict()
    optimizer = optim.SGD(model[2].parameters(), lr=0.1)
    fit(model, X_GOOD, Y_GOOD, loss="cross_entropy", optimizer=optimizer, epochs=2, verbose=0)
    assert same_state(first_layer, model[0].state_dict())


def test_nan_in_a_regression_target_is_refused():
    model = regressor()
    X = np.random.default_rng(0).normal(size=(6, 3))
    y = np.array([0.0, 1.0, np.nan, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match=re.escape("Input y contains NaN.")):
        fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=1,
            verbose=0)


def test_regression_target_of_the_wrong_width_is_refused():
    model = regressor()
    X = np.random.default_rng(0).normal(size=(6, 3))
    with pytest.raises(gn.ShapeError, match=re.escape("y has shape (6, 2), but the model outputs "
                                                      "shape (N, 1)")):
        fit(model, X, np.zeros((6, 2)), loss="mse",
            optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=1, verbose=0)


def test_binary_targets_outside_zero_one_are_refused():
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 1))
    with pytest.raises(ValueError, match=re.escape("needs targets in [0, 1]; y has values from "
                                                   "-1 to 1")):
        fit(model, X_GOOD, np.where(Y_GOOD > 2, 1.0, -1.0), loss="bce_with_logits",
            optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=1, verbose=0)


def test_array_likes_are_accepted():
    model = classifier(classes=5)
    fit(model, X_GOOD.tolist(), Y_GOOD.tolist(), loss="cross_entropy",
        optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=1, verbose=0)
    assert predict(model, gn.tensor(X_GOOD)).shape == (10, 5)


@pytest.mark.parametrize("X, message", [
    pytest.param(with_value(np.nan), "Input X contains NaN.", id="nan"),
    pytest.param(X_GOOD[:, :2], "X has 2 features, but the model is expecting 4", id="features"),
    pytest.param(X_GOOD[0], "Expected 2D array, got 1D array instead", id="1d"),
])
def test_predict_and_evaluate_check_X_too(X, message):
    model = classifier(classes=5)
    with pytest.raises(ValueError, match=re.escape(message)):
        predict(model, X)
    with pytest.raises(ValueError, match=re.escape(message)):
        evaluate(model, X, Y_GOOD, loss="cross_entropy")


# -- predict and evaluate check at the door too ------------------------------------------------
X_FIVE, Y_FIVE = blobs(n=6, features=5, classes=3)

# (X, error type, message regex) for a model expecting 5 features
BAD_X = [
    pytest.param(X_FIVE[:, :3], gn.ShapeError,
                 re.escape("X has 3 features, but the model is expecting 5 features as input."),
                 id="wrong-feature-count"),
    pytest.param(np.where(np.eye(6, 5) > 0, np.nan, X_FIVE), ValueError,
                 re.escape("Input X contains NaN."), id="nan"),
    pytest.param(np.where(np.eye(6, 5) > 0, -np.inf, X_FIVE), ValueError,
                 re.escape("Input X contains infinity."), id="inf"),
    pytest.param(np.empty((0, 5)), ValueError,
                 re.escape("Found array with 0 sample(s) (shape=(0, 5)) while a minimum of 1 is "
                           "required."), id="empty"),
    pytest.param(np.empty((6, 0)), ValueError,
                 re.escape("Found array with 0 feature(s) (shape=(6, 0))"), id="no-features"),
    pytest.param(X_FIVE[0], ValueError, "Expected 2D array, got 1D array instead", id="1d"),
    pytest.param(np.float64(3.0), ValueError, "Expected 2D array, got scalar array instead",
                 id="scalar"),
    pytest.param(X_FIVE.astype(str), TypeError, "X has dtype str", id="strings"),
    pytest.param(np.array([[1.5, "x", 2, 3, 4]] * 6, dtype=object), TypeError,
                 "X has dtype object with non-numeric entries", id="objects"),
    pytest.param(X_FIVE + 1j, TypeError, "X has complex dtype complex128", id="complex"),
    pytest.param([[1.0, 2.0, 3.0, 4.0, 5.0], [1.0]], ValueError, "X must be a rectangular array",
                 id="ragged"),
]


@pytest.mark.parametrize("X, error_type, message", BAD_X)
def test_predict_refuses_bad_X_in_scikit_learns_words_and_changes_nothing(X, error_type,
                                                                           message):
    model = classifier(in_features=5).train()
    weights = model.state_dict()
    with pytest.raises(error_type, match=message):
        predict(model, X)
    assert model.training and same_state(weights, model.state_dict())


@pytest.mark.parametrize("X, error_type, message", BAD_X)
def test_evaluate_refuses_bad_X_the_same_way(X, error_type, message):
    model = classifier(in_features=5).train()
    with pytest.raises(error_type, match=message):
        evaluate(model, X, Y_FIVE, loss="cross_entropy", metrics=["accuracy"])
    assert model.training


@pytest.mark.parametrize("y, error_type, message", [
    pytest.param(Y_FIVE[:4], ValueError,
                 re.escape("Found input variables with inconsistent numbers of samples: [6, 4]"),
                 id="length-mismatch"),
    pytest.param(np.where(Y_FIVE == 0, 3, Y_FIVE), ValueError,
                 re.escape("y contains class 3, but the model has 3 outputs (classes 0..2)."),
                 id="class-outside-the-outputs"),
    pytest.param(np.array(list("abcabc")), TypeError, "y has dtype str", id="string-labels"),
    pytest.param(Y_FIVE + 0j, TypeError, "y has complex dtype", id="complex-labels"),
    pytest.param(np.where(Y_FIVE == 0, np.nan, Y_FIVE), ValueError,
                 re.escape("Input y contains NaN."), id="nan-label"),
])
def test_evaluate_refuses_bad_y(y, error_type, message):
    model = classifier(in_features=5)
    with pytest.raises(error_type, match=message):
        evaluate(model, X_FIVE, y, loss="cross_entropy")
