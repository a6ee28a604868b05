"""fit: History, validation, batching, dtypes, determinism, clipping, divergence, output."""

from __future__ import annotations

import numpy as np
import pytest
from training_helpers import RecordingLoss, blobs, classifier, regressor, same_state

import glassnet as gn
import glassnet.functional as F
from glassnet import nn, optim
from glassnet.training import Callback, evaluate, fit, predict


def sgd(model, lr=0.1):
    return optim.SGD(model.parameters(), lr=lr)


def accuracy_percent(y_true, y_pred):
    return 100.0 * float(np.mean(y_pred.argmax(axis=1) == y_true))


def test_history_has_one_entry_per_epoch_for_loss_metrics_and_val_twins():
    X, y = blobs()
    model = classifier()
    history = fit(model, X, y, loss="cross_entropy", optimizer=sgd(model), epochs=4,
                  metrics=["accuracy", accuracy_percent], validation_split=0.25, verbose=0)
    assert list(history.history) == ["loss", "accuracy", "accuracy_percent", "val_loss",
                                     "val_accuracy", "val_accuracy_percent"]
    assert np.allclose(history.history["accuracy_percent"], 100 * np.array(history.history[
        "accuracy"]))
    assert all(len(values) == 4 for values in history.history.values())
    assert history.epoch == [0, 1, 2, 3]
    assert history.params == {"epochs": 4, "steps": 3, "batch_size": 32, "samples": 90,
                              "verbose": 0, "shards": None}
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_without_validation_there_are_no_val_keys():
    X, y = blobs()
    model = classifier()
    history = fit(model, X, y, loss="cross_entropy", optimizer=sgd(model), epochs=2,
                  metrics=["accuracy"], verbose=0)
    assert list(history.history) == ["loss", "accuracy"]


def test_validation_split_holds_out_the_last_rows_before_shuffling():
    X, y = blobs(n=100)
    model = classifier()
    loss = RecordingLoss(F.cross_entropy)
    history = fit(model, X, y, loss=loss, optimizer=sgd(model), epochs=2, batch_size=100,
                  validation_split=0.2, metrics=["accuracy"], verbose=0)
    # per epoch: one training batch of the first 80 rows (shuffled), then the last 20 in order
    train_0, val_0, train_1, val_1 = loss.targets
    assert np.array_equal(np.sort(train_0), np.sort(y[:80])) and not np.array_equal(train_0, y[:80])
    assert np.array_equal(np.sort(train_1), np.sort(y[:80]))
    assert np.array_equal(val_0, y[80:]) and np.array_equal(val_1, y[80:])
    held_out = evaluate(model, X[80:], y[80:], loss="cross_entropy", metrics=["accuracy"])
    assert history.history["val_loss"][-1] == pytest.approx(held_out["loss"], rel=1e-6)
    assert history.history["val_accuracy"][-1] == held_out["accuracy"]


def test_validation_data_is_scored_after_each_epoch():
    X, y = blobs(n=90)
    X_val, y_val = blobs(n=30, seed=1)
    model = classifier()
    history = fit(model, X, y, loss="cross_entropy", optimizer=sgd(model), epochs=3,
                  validation_data=(X_val, y_val), validation_split=0.5, verbose=0)
    assert history.params["samples"] == 90  # validation_data wins over validation_split
    scored = evaluate(model, X_val, y_val, loss="cross_entropy")
    assert history.history["val_loss"][-1] == pytest.approx(scored["loss"], rel=1e-6)


def test_validation_split_too_small_to_split_is_refused():
    X, y = blobs(n=1)
    model = classifier()
    with pytest.raises(ValueError, match="Training data contains 1 samples, which is not suff"):
        fit(model, X, y, loss="cross_entropy", optimizer=sgd(model), epochs=1,
            validation_split=0.5, verbose=0)


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    X, y = blobs(n=100)  # batches of 32, 32, 32 and 4
    model = classifier()
    loss = RecordingLoss(F.cross_entropy)
    history = fit(model, X, y, loss=loss, optimizer=sgd(model), epochs=1, verbose=0)
    sizes = [len(t) for t in loss.targets]
    assert sizes == [32, 32, 32, 4]
    expected = np.dot(loss.values, sizes) / 100
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-12)
    assert expected != pytest.approx(np.mean(loss.values), rel=1e-6)


def test_batches_follow_glassnets_seeded_permutation_or_the_given_order():
    X, y = blobs(n=50)
    model = classifier()
    loss = RecordingLoss(F.cross_entropy)
    gn.manual_seed(123)
    fit(model, X, y, loss=loss, optimizer=sgd(model), epochs=1, batch_size=50, verbose=0)
    order = np.random.default_rng(123).permutation(50)
    assert np.array_equal(loss.targets[0], y[order])
    loss = RecordingLoss(F.cross_entropy)
    fit(model, X, y, loss=loss, optimizer=sgd(model), epochs=1, batch_size=20, shuffle=False,
        verbose=0)
    assert np.array_equal(np.concatenate(loss.targets), y)


def test_inputs_become_float32_and_class_labels_int64():
    X, y = blobs(n=40)
    model = classifier()
    loss = RecordingLoss(F.cross_entropy)
    fit(model, X.astype(np.float64), y.astype(np.float64), loss=loss, optimizer=sgd(model),
        epochs=1, verbose=0)
    assert all(t.dtype == np.int64 for t in loss.targets)
    assert all(d == np.float32 for d in loss.output_dtypes)
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_one_dimensional_regression_target_becomes_a_float_column():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    y = X @ np.array([1.0, -2.0, 0.5])  # float64, 1-D
    model = regressor()
    loss = RecordingLoss(F.mse_loss)
    history = fit(model, X, y, loss=loss, optimizer=optim.Adam(model.parameters(), lr=0.05),
                  epochs=30, metrics=["mae"], verbose=0)
    assert all(t.shape[1:] == (1,) and t.dtype == np.float32 for t in loss.targets)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]


@pytest.mark.parametrize("loss", ["cross_entropy", nn.CrossEntropyLoss(), F.cross_entropy,
                                  "sparse_categorical_crossentropy"])
def test_classification_losses_by_name_module_or_function(loss):
    X, y = blobs()
    model = classifier()
    history = fit(model, X, y, loss=loss, optimizer=sgd(model), epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("loss, last_layer", [
    pytest.param("mse", None, id="mse"),
    pytest.param("l1", None, id="l1"),
    pytest.param("huber", None, id="huber"),
    pytest.param(nn.MSELoss(), None, id="MSELoss"),
    pytest.param("bce_with_logits", None, id="bce_with_logits"),
    pytest.param(nn.BCEWithLogitsLoss(), None, id="BCEWithLogitsLoss"),
    pytest.param("bce", nn.Sigmoid(), id="bce"),
])
def test_single_output_losses_train(loss, last_layer):
    X, labels = blobs(classes=2)
    gn.manual_seed(0)
    layers = [nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)] + ([last_layer] if last_layer else [])
    model = nn.Sequential(*layers)
    history = fit(model, X, labels.astype(float), loss=loss, optimizer=sgd(model, 0.05),
                  epochs=5, metrics=["accuracy"], verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_nll_with_log_softmax_model_trains():
    X, y = blobs()
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.LogSoftmax(dim=1))
    history = fit(model, X, y, loss="nll", optimizer=sgd(model), epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_same_seed_gives_bit_identical_weights_and_history():
    X, y = blobs(n=200)

    def run(seed):
        gn.manual_seed(seed)
        model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
        history = fit(model, X, y, loss="cross_entropy", optimizer=sgd(model), epochs=3,
                      batch_size=16, validation_split=0.2, verbose=0)
        return model.state_dict(), history.history

    first, second, other = run(7), run(7), run(8)
    assert same_state(first[0], second[0])
    assert first[1] == second[1]
    assert not same_state(first[0], other[0])


def test_clip_grad_norm_bounds_every_step():
    X, y = blobs()
    X = X * 100.0  # big inputs, big gradients
    model = classifier()
    norms = []

    class NormRecordingSGD(optim.SGD):
        def step(self, closure=None):
            grads = [p.grad for p in self.param_groups[0]["params"] if p.grad is not None]
            norms.append(float(np.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2))
                                           for g in grads))))
            return super().step(closure)

    fit(model, X, y, loss="cross_entropy", optimizer=NormRecordingSGD(model.parameters(), lr=0.01),
        epochs=2, clip_grad_norm=0.5, verbose=0)
    assert len(norms) == 8
    assert max(norms) <= 0.5 * (1 + 1e-5)


def test_lr_1e3_on_unscaled_data_raises_training_diverged_naming_epoch_and_batch():
    rng = np.random.default_rng(0)
    X = rng.normal(scale=1000.0, size=(256, 3))
    y = X @ np.array([3.0, -1.0, 2.0])
    model = regressor()
    with pytest.raises(gn.TrainingDiverged) as caught:
        fit(model, X, y, loss="mse", optimizer=sgd(model, lr=1e3), epochs=5, verbose=0)
    error = caught.value
    message = str(error)
    assert isinstance(error, FloatingPointError)
    assert f"epoch {error.epoch + 1}/5" in message
    assert f"batch {error.batch + 1}/8" in message
    assert "last finite loss" in message and f"{error.last_finite_loss:.4g}" in message
    assert "lower learning rate (now 1000)" in message
    assert "clip_grad_norm=" in message and "StandardScaler" in message
    assert len(error.history.epoch) == error.epoch  # epochs finished before it diverged


def test_divergence_on_the_first_batch_says_no_loss_was_finite():
    X, y = blobs()
    model = classifier()
    model[0].weight.data[...] = np.nan
    with pytest.raises(gn.TrainingDiverged, match="epoch 1/2, batch 1/4; no earlier loss"):
        fit(model, X, y, loss="cross_entropy", optimizer=sgd(model), epochs=2, verbose=0)


def test_verbose_0_prints_nothing(capsys):
    X, y = blobs()
    model = classifier()
    fit(model, X, y, loss="cross_entropy", optimizer=sgd(model), epochs=2, verbose=0,
        validation_split=0.2, metrics=["accuracy"])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_1_shows_a_tqdm_bar_per_epoch_ending_with_the_epoch_logs(capsys):
    X, y = blobs(n=400)
    model = classifier()
    fit(model, X, y, loss="cross_entropy", optimizer=sgd(model), epochs=2, verbose=1,
        validation_split=0.2, metrics=["accuracy"])
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err
    assert "10/10" in err and "100%" in err
    final_line = err.strip().split("\r")[-1]
    assert all(key in final_line for key in ("loss=", "accuracy=", "val_loss=", "val_accuracy="))


def test_verbose_2_prints_one_line_per_epoch(capsys):
    X, y = blobs()
    model = classifier()
    fit(model, X, y, loss="cross_entropy", optimizer=sgd(model), epochs=3, verbose=2,
        validation_split=0.2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[2].startswith("Epoch 3/3 - ") and "loss: " in lines[2] and "val_loss: " in lines[2]


def test_fit_trains_in_train_mode_and_restores_the_previous_mode():
    X, y = blobs()
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    seen_modes = []
    model[1].register_forward_hook(lambda module, _, output: seen_modes.append(module.training))
    model.eval()
    fit(model, X, y, loss="cross_entropy", optimizer=sgd(model), epochs=1, verbose=0,
        validation_split=0.25)
    assert seen_modes.count(True) == 3  # the training batches
    assert seen_modes[-1] is False  # the validation pass
    assert model.training is False and model[1].training is False


def test_callback_hooks_are_called_in_keras_order_and_stop_training_ends_the_batch_loop():
    X, y = blobs(n=100)
    model = classifier()
    calls = []

    class Spy(Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin {epoch}")

        def on_batch_end(self, batch, logs=None):
            calls.append(f"batch_end {self.context.epoch}.{batch}")
            assert set(logs) == {"loss", "accuracy"}
            if self.context.epoch == 1 and batch == 1:
                self.context.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end {epoch}")

        def on_train_end(self, logs=None):
            calls.append("train_end")

    history = fit(model, X, y, loss="cross_entropy", optimizer=sgd(model), epochs=5,
                  metrics=["accuracy"], callbacks=[Spy()], verbose=0)
    assert calls == ["train_begin", "epoch_begin 0", "batch_end 0.0", "batch_end 0.1",
                     "batch_end 0.2", "batch_end 0.3", "epoch_end 0", "epoch_begin 1",
                     "batch_end 1.0", "batch_end 1.1", "epoch_end 1", "train_end"]
    assert history.epoch == [0, 1]


def test_zero_epochs_changes_nothing():
    X, y = blobs()
    model = classifier()
    before = model.state_dict()
    history = fit(model, X, y, loss="cross_entropy", optimizer=sgd(model), epochs=0, verbose=0)
    assert history.history == {} and same_state(before, model.state_dict())


def test_a_float64_model_trains_in_float64(float64_default):
    X, y = blobs()
    model = classifier()
    loss = RecordingLoss(F.cross_entropy)
    fit(model, X.astype(np.float32), y, loss=loss, optimizer=sgd(model), epochs=1, verbose=0)
    assert all(d == np.float64 for d in loss.output_dtypes)
    assert all(p.dtype == np.float64 for p in model.parameters())


def test_a_float64_model_gets_float64_data_everywhere():
    """With float32 the default dtype, a model made float64 by hand still gets its data in
    float64 from fit (training and validation), predict and evaluate: never rounded to float32."""
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    for parameter in model.parameters():
        parameter.data = parameter.data.astype(np.float64)
    seen = []
    model[0].register_forward_hook(lambda _, args, out: seen.append((args[0].dtype, out.dtype)))
    X = 1.0 + np.random.default_rng(0).normal(size=(12, 3)) * 1e-9  # differences float32 drops
    y = np.arange(12) % 2
    fit(model, X, y, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.1),
        epochs=1, batch_size=4, verbose=0, validation_data=(X, y))  # fmt: skip
    predict(model, X)
    evaluate(model, X, y, loss="cross_entropy")
    assert len(seen) > 5 and set(seen) == {(np.dtype(np.float64), np.dtype(np.float64))}
    with gn.no_grad():
        exact = model(gn.tensor(X, dtype=np.float64)).data
    np.testing.assert_array_equal(predict(model, X), exact)


def test_a_batch_norm_without_running_statistics_trains_and_predicts():
    # it normalises over the batch even in eval mode, so a one-row look at the model's output
    # shape cannot run it; fit and predict must still work on batches of more than one row
    X, y = blobs(n=60)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8, track_running_stats=False),
                          nn.ReLU(), nn.Linear(8, 3))
    history = fit(model, X, y, loss="cross_entropy", optimizer=sgd(model), epochs=5,
                  batch_size=20, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    probabilities = predict(model, X[:7])
    assert probabilities.shape == (7, 3) and np.all(np.isfinite(probabilities))
