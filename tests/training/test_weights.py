"""fit(sample_weight=, class_weight=): a row of weight w counts as w copies of it, in the
training loss, the epoch loss and the validation loss; every malformed weight refused first."""

import numpy as np
import pytest
from training_helpers import blobs, classifier, regressor, same_state

import glassnet as gn
import glassnet.functional as F
from glassnet import nn, optim
from glassnet.training import weights as weights_module


def _float64_classifier(seed=0, classes=3):
    model = classifier(classes=classes, seed=seed)
    for parameter in model.parameters():
        parameter.data = parameter.data.astype(np.float64)
    return model


def _row_losses(model, X, y):
    """The unweighted cross-entropy of each row, in float64."""
    outputs = gn.tensor(gn.predict(model, X), dtype=np.float64)
    return F.cross_entropy(outputs, y, reduction="none").data


def _fit(model, X, y, lr=0.1, **arguments):
    arguments = {"loss": "cross_entropy", "epochs": 1, "verbose": 0, **arguments}
    return gn.fit(model, X, y, optimizer=optim.SGD(model.parameters(), lr=lr), **arguments)


def test_weight_two_is_the_row_written_twice_in_loss_and_gradients():
    X, y = blobs(n=12)
    weights = np.array([2, 1, 1, 3, 1, 1, 2, 1, 1, 1, 1, 1])
    repeated = np.repeat(np.arange(12), weights)
    weighted_model, repeated_model = _float64_classifier(), _float64_classifier()
    weighted = _fit(weighted_model, X, y, batch_size=12, shuffle=False, sample_weight=weights)
    written_out = _fit(repeated_model, X[repeated], y[repeated], batch_size=len(repeated),
                       shuffle=False)
    assert weighted.history["loss"][0] == pytest.approx(written_out.history["loss"][0],
                                                        rel=1e-13)
    # one SGD step from the same weights: equal weights after it mean equal gradients
    for name, value in weighted_model.state_dict().items():
        np.testing.assert_allclose(value, repeated_model.state_dict()[name], rtol=1e-12,
                                   atol=1e-14)
    unweighted_model = _float64_classifier()
    _fit(unweighted_model, X, y, batch_size=12, shuffle=False)
    assert not same_state(unweighted_model.state_dict(), weighted_model.state_dict())


def test_the_epoch_loss_is_the_weighted_mean_over_the_epochs_batches():
    X, y = blobs(n=10)
    weights = np.linspace(0.0, 3.0, 10)
    model = _float64_classifier()
    history = _fit(model, X, y, lr=0.0, batch_size=4, shuffle=False, sample_weight=weights)
    losses = _row_losses(model, X, y)
    assert history.history["loss"][0] == pytest.approx((weights * losses).sum() / weights.sum(),
                                                       rel=1e-12)


def test_the_batch_loss_divides_by_the_batch_weights():
    X, y = blobs(n=6)
    weights = np.array([1.0, 2.0, 3.0, 0.5, 0.5, 4.0])
    seen = []

    class Recorder(gn.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(logs["loss"])

    model = _float64_classifier()
    _fit(model, X, y, lr=0.0, batch_size=3, shuffle=False, sample_weight=weights,
         callbacks=[Recorder()])
    losses = _row_losses(model, X, y)
    first = (weights[:3] * losses[:3]).sum() / weights[:3].sum()
    assert seen[0] == pytest.approx(first, rel=1e-12)


def test_class_weight_and_sample_weight_multiply():
    X, y = blobs(n=30)
    sample_weight = np.random.default_rng(1).uniform(0.5, 2.0, size=30)
    class_weight = {0: 3.0, 2: 0.5}
    product = sample_weight * np.array([3.0, 1.0, 0.5])[y]
    both, product_model = _float64_classifier(), _float64_classifier()
    history = _fit(both, X, y, epochs=2, shuffle=False, sample_weight=sample_weight,
                   class_weight=class_weight)
    expected = _fit(product_model, X, y, epochs=2, shuffle=False, sample_weight=product)
    assert history.history == expected.history
    assert same_state(both.state_dict(), product_model.state_dict())


def test_balanced_is_scikit_learns_formula_on_the_training_rows():
    class_weight = pytest.importorskip("sklearn.utils.class_weight")
    y = np.array([0, 0, 0, 0, 1, 2, 2, 4, 4, 4, 4, 4])
    ours = weights_module.balanced_class_weight(y, n_classes=5)
    present = np.unique(y)
    theirs = class_weight.compute_class_weight("balanced", classes=present, y=y)
    np.testing.assert_allclose(ours[present], theirs, rtol=1e-15)
    assert np.isnan(ours[3])
    # fit computes it on the training rows: the last 4 rows (validation_split) do not count
    X, labels = blobs(n=20, classes=3)
    train = labels[:16]
    model, reference = _float64_classifier(), _float64_classifier()
    history = _fit(model, X, labels, lr=0.0, class_weight="balanced", validation_split=0.2)
    expected_weights = class_weight.compute_class_weight(
        "balanced", classes=np.arange(3), y=train)[train]
    losses = _row_losses(reference, X[:16], train)
    assert history.history["loss"][0] == pytest.approx(
        (expected_weights * losses).sum() / expected_weights.sum(), rel=1e-12)


def test_validation_loss_is_weighted_by_split_and_by_given_weights():
    X, y = blobs(n=20)
    weights = np.random.default_rng(2).uniform(0.1, 2.0, size=20)
    class_weight = {1: 4.0}
    model = _float64_classifier()
    split = _fit(model, X, y, lr=0.0, sample_weight=weights, validation_split=0.25,
                 class_weight=class_weight)
    row_weights = weights[15:] * np.where(y[15:] == 1, 4.0, 1.0)
    losses = _row_losses(model, X[15:], y[15:])
    expected = (row_weights * losses).sum() / row_weights.sum()
    assert split.history["val_loss"][0] == pytest.approx(expected, rel=1e-12)
    given = _fit(model, X[:15], y[:15], lr=0.0, sample_weight=weights[:15],
                 class_weight=class_weight, validation_data=(X[15:], y[15:], weights[15:]))
    assert given.history["val_loss"][0] == pytest.approx(expected, rel=1e-12)
    unweighted_rows = _fit(model, X[:15], y[:15], lr=0.0, class_weight=class_weight,
                           validation_data=(X[15:], y[15:]))
    only_classes = np.where(y[15:] == 1, 4.0, 1.0)
    assert unweighted_rows.history["val_loss"][0] == pytest.approx(
        (only_classes * losses).sum() / only_classes.sum(), rel=1e-12)


def test_early_stopping_sees_the_weighted_validation_loss():
    X, y = blobs(n=20)
    stopper = gn.callbacks.EarlyStopping(monitor="val_loss", patience=0)
    history = _fit(_float64_classifier(), X, y, lr=0.0, epochs=3, callbacks=[stopper],
                   validation_data=(X, y, np.arange(20.0)))
    assert stopper.best == history.history["val_loss"][0]
    assert len(history.history["val_loss"]) == 2  # lr 0: no improvement, stops after one more


def test_binary_losses_take_class_weight_on_their_0_1_targets():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(16, 3))
    y = (X[:, 0] > 0.5).astype(np.float64)
    model = regressor()
    history = gn.fit(model, X, y, loss="bce_with_logits", optimizer=optim.SGD(
        model.parameters(), lr=0.0), epochs=1, verbose=0, class_weight={1: 5.0})
    row_weights = np.where(y == 1, 5.0, 1.0)
    scores = gn.predict(model, X)
    losses = F.binary_cross_entropy_with_logits(scores, y.reshape(-1, 1).astype(scores.dtype),
                                                reduction="none").data[:, 0]
    assert history.history["loss"][0] == pytest.approx(
        (row_weights * losses).sum() / row_weights.sum(), rel=1e-6)


def test_a_callable_loss_is_called_with_reduction_none_only_when_weighted():
    calls = []

    def loss(output, target, reduction="mean"):
        calls.append(reduction)
        return F.cross_entropy(output, target, reduction=reduction)

    X, y = blobs(n=8)
    _fit(_float64_classifier(), X, y, loss=loss, batch_size=8)
    assert calls == ["mean"]
    calls.clear()
    _fit(_float64_classifier(), X, y, loss=loss, batch_size=8, sample_weight=np.ones(8))
    assert calls == ["none"]
    module = nn.CrossEntropyLoss(label_smoothing=0.1)
    _fit(_float64_classifier(), X, y, loss=module, batch_size=8, sample_weight=np.ones(8))
    assert module.reduction == "mean"  # fit weighs a copy


def test_the_unweighted_path_never_builds_a_per_row_loss(monkeypatch):
    def refuse(loss):
        raise AssertionError("per_sample_loss called without weights")

    monkeypatch.setattr("glassnet.training.fit_data.per_sample_loss", refuse)
    X, y = blobs(n=8)
    _fit(_float64_classifier(), X, y, validation_split=0.25)


def _without_reduction(output, target):
    return F.cross_entropy(output, target)


@pytest.mark.parametrize(
    ("extra", "error", "words"),
    [
        ({"sample_weight": np.ones(5)}, gn.ShapeError, r"one weight per row, shape \(20,\)"),
        ({"sample_weight": np.ones((20, 1))}, gn.ShapeError, r"shape \(20, 1\)"),
        ({"sample_weight": -np.ones(20)}, ValueError, "non-negative; row 0 has -1"),
        ({"sample_weight": np.r_[np.ones(19), np.nan]}, ValueError, "finite.*row 19"),
        ({"sample_weight": np.zeros(20)}, ValueError, "every row has weight 0"),
        ({"sample_weight": ["a"] * 20}, TypeError, "dtype str"),
        ({"class_weight": {0: 2.0, 7: 1.0, "x": 1.0}}, ValueError, r"classes \[7, 'x'\]"),
        ({"class_weight": {0: -2.0}}, ValueError, r"class_weight\[0\] must be a finite"),
        ({"class_weight": {0: np.nan}}, ValueError, r"class_weight\[0\] must be a finite"),
        ({"class_weight": "auto"}, ValueError, "'balanced', a dict"),
        ({"class_weight": [1.0, 2.0, 3.0]}, TypeError, "got list"),
        ({"class_weight": {0: 0.0, 1: 0.0, 2: 0.0}}, ValueError, "every row has weight 0"),
        ({"class_weight": "balanced", "loss": "mse", "y_float": True}, ValueError,
         "classification losses"),
        ({"sample_weight": np.ones(20), "loss": _without_reduction}, TypeError,
         "has no 'reduction' keyword"),
        ({"validation_data": "weights-of-3"}, gn.ShapeError,
         r"sample_weight_val must hold one weight per row, shape \(20,\)"),
        ({"validation_data": "zero-weights"}, ValueError, "validation rows' weights"),
        ({"validation_data": "class-3-only-in-validation", "class_weight": "balanced"},
         ValueError, r"no weight for classes \[2\]"),
    ],
)
def test_malformed_weights_are_refused_before_any_weight_changes(extra, error, words):
    X, y = blobs(n=20)
    extra = dict(extra)
    if extra.pop("y_float", False):
        y = np.eye(3)[y]
    validation = extra.get("validation_data")
    if validation == "weights-of-3":
        extra["validation_data"] = (X, y, np.ones(3))
    elif validation == "zero-weights":
        extra["validation_data"] = (X, y, np.zeros(20))
    elif validation == "class-3-only-in-validation":
        keep = y != 2
        X, y = X[keep], y[keep]
        extra["validation_data"] = (X[:3], np.array([2, 0, 1]))
    model = _float64_classifier()
    before = model.state_dict()
    with pytest.raises(error, match=words):
        _fit(model, X, y, **extra)
    assert same_state(before, model.state_dict())


def test_class_weight_is_refused_for_probability_targets_and_soft_binary_targets():
    X, y = blobs(n=10)
    with pytest.raises(ValueError, match="needs class indices in y, not probabilities"):
        _fit(_float64_classifier(), X, np.eye(3)[y], class_weight="balanced")
    model = regressor(in_features=4)
    with pytest.raises(ValueError, match="needs 0/1 targets"):
        gn.fit(model, X, np.full(10, 0.3), loss="bce_with_logits", epochs=1, verbose=0,
               optimizer=optim.SGD(model.parameters(), lr=0.1), class_weight={1: 2.0})
