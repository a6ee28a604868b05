"""``fit``: minibatch training with validation, metrics, callbacks and a divergence check.

Every input is checked before the first update, so a refused call leaves the weights as they
were. The per-batch loop is kept lean: one ``take`` of the shuffled rows per batch, one ``float()``
of the loss (needed for the running mean and the NaN check), and no work for hooks, metrics or
progress output nobody asked for.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from glassnet.autograd import detached
from glassnet.errors import TrainingDiverged
from glassnet.random import default_generator
from glassnet.training.argument_checks import (
    check_flag,
    check_fraction,
    check_positive_int,
    restore_modes,
    snapshot_modes,
)
from glassnet.training.callback_base import Callback, History, TrainingContext, overrides
from glassnet.training.divergence import check_weights_finite, diverged
from glassnet.training.fit_checks import (
    check_callbacks,
    check_optimizer_holds_the_model,
    gradient_clipper,
)
from glassnet.training.fit_data import check_validation_data, prepare_fit_data
from glassnet.training.inference import forward_in_batches, metrics_for, score
from glassnet.training.losses import resolve_loss
from glassnet.training.metrics import Metric, check_metric_targets, whole_epoch
from glassnet.training.progress import Progress, check_verbose, make_progress
from glassnet.training.sharding import GradientSharding, ShardedStep, check_shardable, sharding_from
from glassnet.training.weights import weighted_mean

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
          "on_batch_begin", "on_batch_end")
VALIDATION_BATCH_SIZE = 1024  # eval mode: results do not depend on it, larger is faster


def fit(
    model: Any,
    X: Any,
    y: Any,
    *,
    loss: Any,
    optimizer: Any,
    epochs: int,
    batch_size: int = 32,
    shuffle: bool = True,
    validation_data: tuple[Any, ...] | None = None,
    validation_split: float = 0.0,
    metrics: Sequence[Any] = (),
    callbacks: Sequence[Callback] = (),
    verbose: int = 1,
    clip_grad_norm: float | None = None,
    sample_weight: Any = None,
    class_weight: Any = None,
    gradient_sharding: GradientSharding | int | None = None,
) -> History:
    """Train ``model`` on (X, y) for ``epochs`` passes of minibatches; returns the History.

    X: (N, features) array-like, converted to the model's parameter dtype. y: class indices (N,)
    for classification losses, values shaped like the output otherwise (a 1-D y for a model with
    one output becomes (N, 1)). ``loss``: a name ("cross_entropy", "mse", "bce_with_logits",
    "bce", "l1", "huber", "nll") or a callable loss(output, target) -> scalar Tensor.
    ``validation_split`` holds out the *last* fraction of the rows (before shuffling), as Keras;
    ``validation_data`` = (X_val, y_val) or (X_val, y_val, sample_weight_val) takes precedence
    over it. Batches are shuffled each epoch with glassnet's seeded generator.
    ``clip_grad_norm`` rescales the gradients to at most that total norm before each step.
    Raises ``TrainingDiverged`` as soon as the loss is NaN or infinite (no update is made with
    that batch), or when an epoch's last update left a weight NaN or infinite (before any
    callback saves it).

    With a ``callbacks.BackupAndRestore`` among the callbacks, an interrupted run resumes from
    its backup: after every ``on_train_begin``, the backup's weights, optimizer state, callback
    states, History and random state replace the current ones, and training continues with the
    next epoch. Its ``on_epoch_end`` runs after every other callback's and the History's.

    ``History.history`` maps "loss", each metric (under the name given: "acc" stays "acc") and
    their "val_" twins to one value per epoch; the epoch loss is the sample-weighted mean of the
    batch losses. When ``fit`` returns or raises, no parameter keeps a ``.grad``: a later
    ``backward()`` starts from nothing, not from the last batch's gradients.

    ``sample_weight`` (N,), non-negative, weighs the rows: a row of weight w counts as w copies
    of it, the loss of a batch being L = Σᵢ wᵢ·ℓᵢ / Σᵢ wᵢ (ℓᵢ: the row's loss, averaged over its
    outputs) and the epoch's "loss" Σ_batches Σwℓ / Σ_batches Σw. ``class_weight`` gives each
    row the weight of its class: "balanced" (n_samples / (n_classes · bincount(y)) over the
    training rows, as scikit-learn) or a dict {class index: weight} (1 for classes it does not
    name); for cross_entropy and nll (class indices) or bce / bce_with_logits (one column of
    0/1 targets). Both multiply when both are given, and weigh the validation loss the same
    way ("val_loss", so EarlyStopping and ModelCheckpoint too): validation_split splits the
    weights with the rows. A loss given as a callable must take ``reduction="none"`` for them.
    Metrics are unweighted.

    ``gradient_sharding`` (S, a ``training.sharding.GradientSharding``, or under ``mpiexec``
    ``glassnet.distributed.MPISharding``): each batch's gradient is the sum of its S shards'
    in shard order, the same bits however many processes computed them (training/sharding.py).

    Every argument is checked before anything changes, and so is the optimizer: it must hold
    every parameter of the model that requires a gradient (freeze the ones to keep fixed).

    Example:
    >>> _ = gn.manual_seed(0)
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)  # 1 where the signs agree: not linear
    >>> model = gn.nn.Sequential(gn.nn.Linear(2, 16), gn.nn.Tanh(), gn.nn.Linear(16, 2))
    >>> optimizer = gn.optim.Adam(model.parameters(), lr=0.05)
    >>> history = gn.fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=40,
    ...                  batch_size=32, metrics=["accuracy"], validation_split=0.2, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'loss', 'val_accuracy', 'val_loss']
    >>> history.history["val_accuracy"][-1] > 0.9
    True

    Weights: rows of weight 2 count as those rows twice, so the loss is unchanged by writing
    them out (one full batch of 4 rows, no shuffling):
    >>> net = gn.nn.Sequential(gn.nn.Linear(2, 2))
    >>> sgd = gn.optim.SGD(net.parameters(), lr=0.0)  # lr 0: the loss of the same weights
    >>> X4, y4 = X[:4], np.array([0, 1, 1, 0])
    >>> weighted = gn.fit(net, X4, y4, loss="cross_entropy", optimizer=sgd, epochs=1,
    ...                   batch_size=4, shuffle=False, sample_weight=[2, 1, 1, 1], verbose=0)
    >>> doubled = gn.fit(net, np.vstack([X4[:1], X4]), np.array([0, 0, 1, 1, 0]),
    ...                  loss="cross_entropy", optimizer=sgd, epochs=1, batch_size=5,
    ...                  shuffle=False, verbose=0)
    >>> bool(np.isclose(weighted.history["loss"][0], doubled.history["loss"][0]))
    True
    >>> balanced = gn.fit(net, X4, np.array([0, 1, 1, 1]), loss="cross_entropy", optimizer=sgd,
    ...                   epochs=1, class_weight="balanced", verbose=0)  # 4/(2·1), 4/(2·3)
    """
    epochs = check_positive_int(epochs, "epochs", allow_zero=True)
    batch_size = check_positive_int(batch_size, "batch_size")
    validation_split = check_fraction(validation_split, "validation_split")
    shuffle = check_flag(shuffle, "shuffle")
    check_verbose(verbose)
    check_validation_data(validation_data)
    for method in ("step", "zero_grad"):
        if not callable(getattr(optimizer, method, None)):
            raise TypeError(f"optimizer must have {method}(); got {type(optimizer).__name__}.")
    resolved = resolve_loss(loss)
    metric_list = metrics_for(model, metrics, resolved)
    callback_list, backup = check_callbacks(callbacks)
    clip = gradient_clipper(model, clip_grad_norm)
    check_optimizer_holds_the_model(model, optimizer)
    sharding = sharding_from(gradient_sharding)

    data = prepare_fit_data(model, X, y, resolved, validation_data=validation_data,
                            validation_split=validation_split, sample_weight=sample_weight,
                            class_weight=class_weight)
    check_metric_targets(metric_list, data.kind)
    X, y, X_val, y_val = data.X, data.y, data.X_val, data.y_val
    sharded = None
    if sharding is not None:
        parameters = check_shardable(model, resolved, sharding, batch_size, len(X))
        sharded = ShardedStep(sharding, model, resolved, parameters, bool(metric_list))
        callback_list, backup = sharding.callbacks_for_this_process(callback_list, backup)
        verbose = verbose if sharding.is_root else 0

    steps = -(-len(X) // batch_size)
    history = History()
    history.params = {"epochs": epochs, "steps": steps, "batch_size": batch_size,
                      "samples": len(X), "verbose": verbose,
                      "shards": None if sharding is None else sharding.shards}
    context = TrainingContext(model, optimizer, epochs, history.params)
    # The backup goes last, so that it records every other callback's end-of-epoch state.
    everyone = [*callback_list, history, *([backup] if backup else [])]
    for callback in everyone:
        callback.set_context(context)
    hooks = {hook: [c for c in everyone if overrides(c, hook)] for hook in _HOOKS}
    progress = make_progress(verbose, epochs, steps)
    run = _EpochRunner(model, optimizer, resolved.function, metric_list, clip, hooks, progress,
                       context, batch_size, shuffle, data.per_row, sharded)
    modes = snapshot_modes(model)
    model.train()
    logs: dict[str, float] = {}
    try:
        if backup is not None:  # before any callback acts: a refused run changes nothing
            backup.lock_folder()
        for callback in hooks["on_train_begin"]:
            callback.on_train_begin({})
        initial_epoch = 0 if backup is None else backup.restore(callback_list, history)
        if initial_epoch > 0:
            logs = {key: values[-1] for key, values in history.history.items()}
        if sharding is not None:  # every process the same model, data, settings and epoch
            sharding.check_same_run(model, [X, y, data.weights], {
                "epochs": epochs, "batch_size": batch_size, "shuffle": shuffle,
                "shards": sharding.shards, "initial_epoch": initial_epoch})
        for epoch in range(initial_epoch, epochs):
            if context.stop_training:  # a resumed run that had already been stopped
                break
            context.epoch = epoch
            for callback in hooks["on_epoch_begin"]:
                callback.on_epoch_begin(epoch, {})
            progress.epoch_begin(epoch)
            # NaN or inf from a diverging step is reported once, as TrainingDiverged, rather than
            # as a trail of NumPy warnings before it.
            with np.errstate(over="ignore", invalid="ignore"):
                logs = run(X, y, epoch, data.weights)
                check_weights_finite(model, epoch, context.epochs, run.last_finite)
            if X_val is not None:
                outputs = forward_in_batches(model, X_val, max(batch_size, VALIDATION_BATCH_SIZE))
                logs.update(score(outputs, y_val, resolved.function, metric_list, prefix="val_",
                                  weights=data.weights_val, per_row=data.per_row))
            for callback in hooks["on_epoch_end"]:
                callback.on_epoch_end(epoch, logs)
            progress.epoch_end(epoch, logs)
            if context.stop_training:
                break
        for callback in hooks["on_train_end"]:
            callback.on_train_end(logs)
    except TrainingDiverged as error:
        error.history = history
        raise
    finally:
        progress.close()
        restore_modes(modes)
        _release_gradients(model, optimizer)
        if backup is not None:
            backup.unlock_folder()
    return history


class _EpochRunner:
    """One epoch of minibatch steps; remembers the last finite loss for divergence reports."""

    def __init__(
        self,
        model: Any,
        optimizer: Any,
        loss_function: Callable[..., Any],
        metrics: list[tuple[str, Metric]],
        clip: Callable[[], Any] | None,
        hooks: dict[str, list[Callback]],
        progress: Progress,
        context: TrainingContext,
        batch_size: int,
        shuffle: bool,
        per_row: Callable[..., Any] | None = None,
        sharded: ShardedStep | None = None,
    ) -> None:
        self.model, self.optimizer, self.loss_function = model, optimizer, loss_function
        self.names = [name for name, _ in metrics]  # the logs' order
        # means over rows, kept as running totals; the others need the epoch's outputs
        self.metrics = [(name, m) for name, m in metrics if not whole_epoch(m)]
        self.epoch_metrics = [(name, m) for name, m in metrics if whole_epoch(m)]
        self.clip, self.hooks, self.progress = clip, hooks, progress
        self.context, self.batch_size, self.shuffle = context, batch_size, shuffle
        self.per_row = per_row  # one loss per row, for weighted batches
        self.sharded = sharded  # None: the whole batch at once
        self.last_finite: tuple[float, int, int] | None = None  # (loss, epoch, batch)

    def __call__(
        self, X: np.ndarray, y: np.ndarray, epoch: int, weights: np.ndarray | None = None
    ) -> dict[str, float]:
        """The epoch's logs: "loss" is Σ over batches of Σwℓ over Σ over batches of Σw (each
        row's weight 1 without ``weights``), each metric its mean over the rows."""
        model, loss_function, clip = self.model, self.loss_function, self.clip
        context = self.context
        zero_grad, step = self.optimizer.zero_grad, self.optimizer.step
        metrics, progress, batch_size = self.metrics, self.progress, self.batch_size
        begin_hooks, end_hooks = self.hooks["on_batch_begin"], self.hooks["on_batch_end"]
        refresh_every = progress.refresh_every
        order = default_generator().permutation(len(X)) if self.shuffle else None
        total_loss, seen, weight_seen = 0.0, 0, 0.0
        epoch_metrics = self.epoch_metrics
        outputs_seen: list[np.ndarray] = []
        targets_seen: list[np.ndarray] = []
        metric_totals = [0.0] * len(metrics)
        loss_value, batch = math.nan, -1
        sharded, batch_weights = self.sharded, None
        for batch, start in enumerate(range(0, len(X), batch_size)):
            if order is None:
                x_batch, y_batch = X[start : start + batch_size], y[start : start + batch_size]
            else:
                index = order[start : start + batch_size]
                x_batch, y_batch = X.take(index, axis=0), y.take(index, axis=0)
            for callback in begin_hooks:
                callback.on_batch_begin(batch, {"size": len(x_batch)})
            zero_grad()
            if weights is not None:
                batch_weights = (weights[start : start + batch_size] if order is None
                                 else weights.take(index))
                batch_weight = float(np.add.reduce(batch_weights))
            if sharded is None:
                # as they are: validation gave them the model's dtype (Tensor() would make float32)
                output = model(detached(x_batch))
                if weights is None:
                    loss_tensor = loss_function(output, detached(y_batch))
                else:
                    loss_tensor = self._weighted_loss(output, y_batch, batch_weights, batch_weight)
                loss_value = float(loss_tensor.data)
            else:  # the gradients are computed, so the loss is known, before the check
                outputs, loss_value = sharded(x_batch, y_batch, batch_weights,
                                              f"epoch {epoch + 1}, batch {batch + 1}")
                output = None if outputs is None else detached(outputs)
            if not math.isfinite(loss_value):
                raise diverged(X, epoch, batch, loss_value, epochs=self.context.epochs,
                               batch_size=self.batch_size, last_finite=self.last_finite,
                               optimizer=self.optimizer)
            self.last_finite = (loss_value, epoch, batch)
            if sharded is None:
                loss_tensor.backward()
            if clip is not None:
                clip()
            step()
            size = len(x_batch)
            if weights is None:
                total_loss += loss_value * size
            else:
                total_loss += loss_value * batch_weight
                weight_seen += batch_weight
            seen += size
            if metrics:
                predictions = output.data
                for i, (_, metric) in enumerate(metrics):
                    metric_totals[i] += metric(y_batch, predictions) * size
            if epoch_metrics:  # a copy: the model may reuse its output buffer next batch
                outputs_seen.append(np.array(output.data))
                targets_seen.append(y_batch)
            if end_hooks or (batch + 1) % refresh_every == 0:
                running = [
                    (name, total / seen)
                    for (name, _), total in zip(metrics, metric_totals, strict=True)
                ]
                running_loss = _ratio(total_loss, seen if weights is None else weight_seen)
                if end_hooks:
                    batch_logs = {"loss": running_loss, **dict(running)}
                    for callback in end_hooks:
                        callback.on_batch_end(batch, batch_logs)
                if (batch + 1) % refresh_every == 0:
                    progress.batch_end(batch, running_loss, running)
            if context.stop_training:
                break
        logs = {"loss": _ratio(total_loss, seen if weights is None else weight_seen)}
        values = {name: total / seen
                  for (name, _), total in zip(metrics, metric_totals, strict=True)}
        if epoch_metrics:
            outputs, targets = np.concatenate(outputs_seen), np.concatenate(targets_seen)
            values.update((name, float(metric(targets, outputs))) for name, metric in
                          epoch_metrics)
        logs.update((name, values[name]) for name in self.names)
        return logs

    def _weighted_loss(
        self, output: Any, y_batch: np.ndarray, batch_weights: np.ndarray, batch_weight: float
    ) -> Any:
        """Σwℓ / Σw over the batch; a batch whose rows all weigh 0 has loss 0 and zero
        gradients (the optimizer still steps, as for any batch)."""
        losses = self.per_row(output, detached(y_batch))
        return weighted_mean(losses, batch_weights, batch_weight or 1.0)


def _ratio(total: float, count: float) -> float:
    """total / count; 0 for a count of 0 (only rows of weight 0 seen so far)."""
    return total / count if count else 0.0


def _release_gradients(model: Any, optimizer: Any) -> None:
    """Set every .grad the run left to None (once, at the end: nothing per step). Left in place,
    the last batch's gradients would be added to by the user's next backward()."""
    for parameter in model.parameters():
        parameter.grad = None
    for group in getattr(optimizer, "param_groups", ()):
        for parameter in group["params"]:
            parameter.grad = None
