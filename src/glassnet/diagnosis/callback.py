"""``Diagnostics``: ``gn.diagnose`` during ``fit``, every few epochs, its findings said as they
appear."""

from __future__ import annotations

from typing import Any

from glassnet.diagnosis.findings import Diagnosis, Finding
from glassnet.diagnosis.runner import diagnose
from glassnet.training.argument_checks import (
    check_consistent_length,
    check_positive_int,
    check_target_array,
    check_X,
    expected_input_features,
    model_dtype,
)
from glassnet.training.callback_base import Callback
from glassnet.training.losses import resolve_loss


class Diagnostics(Callback):
    """Run ``gn.diagnose(model, X, y, loss=loss, optimizer=..., history=...)`` at the end of
    every ``every``-th epoch (epochs e with (e + 1) % every == 0) and keep the latest result on
    ``history.diagnosis`` (a ``gn.Diagnosis``; None until the first run) and ``self.diagnosis``.

    A callback does not see fit's data, so X: (N, features) and y: (N,) or (N, outputs) and the
    ``loss`` are given here, as they are given to ``fit`` (usually the same training rows and
    loss). ``diagnose`` uses a fixed sample of at most 256 of those rows, the optimizer and the
    History so far, this epoch included. The learning-rate checks (ten full-batch steps on
    copies) cost about three times the others together: they run on the first diagnosis and then
    on every ``learning_rate_every``-th one (default 10), the other checks each time.

    Training is untouched: diagnose works on copies and draws nothing from glassnet's random
    generator, so the weights after ``fit`` are bit-identical with and without this callback.
    With fit's ``verbose`` ≥ 1, each finding whose code has not been reported before in this run
    is printed, one paragraph, after the epoch's progress line. ``get_state`` / ``set_state``
    carry the codes reported and the latest diagnosis through ``BackupAndRestore``.

    Example:
    >>> _ = gn.manual_seed(0)
    >>> X = np.random.default_rng(0).normal(size=(64, 3))
    >>> y = X @ np.array([1.0, -2.0, 0.5])
    >>> model = gn.nn.Sequential(gn.nn.Linear(3, 8), gn.nn.ReLU(), gn.nn.Linear(8, 1))
    >>> optimizer = gn.optim.SGD(model.parameters(), lr=0.5)  # too high for these data
    >>> watch = gn.callbacks.Diagnostics(X, y, loss="mse")
    >>> history = gn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=3, verbose=0,
    ...                  callbacks=[watch])
    >>> history.diagnosis is watch.diagnosis  # the one made after the last epoch
    True
    >>> watch.reported  # each code in the order it first appeared: the cause, then its damage
    ['learning_rate_too_high', 'dead_relu', 'constant_predictions', 'vanishing_gradients']
    """

    def __init__(self, X: Any, y: Any, *, loss: Any, every: int = 1,
                 learning_rate_every: int = 10) -> None:
        super().__init__()
        self.every = check_positive_int(every, "every")
        self.learning_rate_every = check_positive_int(learning_rate_every, "learning_rate_every")
        resolve_loss(loss)  # an unknown loss name is refused now, not after the first epoch
        self.X, self.y, self.loss = X, y, loss
        self.diagnosis: Diagnosis | None = None
        self.reported: list[str] = []  # codes found in this run, in the order they appeared
        self.runs = 0  # diagnoses made in this run
        self.pending: list[str] = []  # paragraphs to print once the epoch's line is out

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        # checked before the first update: a refused X or y leaves the model as it was
        X = check_X(self.X, dtype=model_dtype(self.model),
                    expected_features=expected_input_features(self.model))
        y = check_target_array(self.y)
        check_consistent_length(X, y)
        self._X, self._y = X, y
        self.diagnosis, self.reported, self.runs, self.pending = None, [], 0, []

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self._print_pending()

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if (epoch + 1) % self.every:
            return
        trial = self.runs % self.learning_rate_every == 0
        self.diagnosis = diagnose(
            self.model, self._X, self._y, loss=self.loss,
            optimizer=self.optimizer if trial else None,
            history=self._history_so_far(epoch, logs or {}))
        self.runs += 1
        self._publish(self.diagnosis)
        new = [finding for finding in self.diagnosis.findings
               if finding.code not in self.reported]
        self.reported += list(dict.fromkeys(finding.code for finding in new))
        if self.context.params.get("verbose", 0) >= 1:
            self.pending += [f"Diagnosis after epoch {epoch + 1}: {finding}" for finding in new]

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        self._print_pending()

    def get_state(self) -> dict[str, Any]:
        latest = None
        if self.diagnosis is not None:
            latest = {"sample_size": self.diagnosis.sample_size,
                      "checked": list(self.diagnosis.checked),
                      "findings": [[f.code, f.severity, f.message, f.evidence]
                                   for f in self.diagnosis.findings]}
        return {"reported": list(self.reported), "runs": self.runs, "latest": latest}

    def set_state(self, state: dict[str, Any]) -> None:
        self.reported = list(state["reported"])
        self.runs = int(state["runs"])
        latest = state["latest"]
        self.diagnosis = None if latest is None else Diagnosis(
            [Finding(code, severity, message, evidence)
             for code, severity, message, evidence in latest["findings"]],
            int(latest["sample_size"]), tuple(latest["checked"]))
        self._publish(self.diagnosis)

    def _history_so_far(self, epoch: int, logs: dict[str, float]) -> dict[str, list[float]] | None:
        """The History's record with this epoch's logs: fit calls this hook before the History
        records the epoch."""
        history = getattr(self.context, "history", None)
        if history is None:
            return None
        if history.epoch and history.epoch[-1] == epoch:
            return history.history
        record = {key: list(values) for key, values in history.history.items()}
        for key, value in logs.items():
            record.setdefault(key, []).append(value)
        return record

    def _publish(self, diagnosis: Diagnosis | None) -> None:
        history = getattr(self.context, "history", None)
        if history is not None:
            history.diagnosis = diagnosis

    def _print_pending(self) -> None:
        for paragraph in self.pending:
            print(f"{paragraph}\n", flush=True)
        self.pending = []
