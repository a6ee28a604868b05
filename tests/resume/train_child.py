"""A training process for test_kill_and_resume: ``python train_child.py FOLDER SEED OUT``.

Builds its model with ``gn.manual_seed(SEED)``, fits with a BackupAndRestore in FOLDER (resuming
if a backup is there), reports on stdout as it goes, and writes the final weights and history
to OUT. Lines: "start E" (the first epoch this process runs), "writing E CLOCK" (the backup of
epoch E is about to be written; CLOCK: time.perf_counter()), "wrote E SECONDS" (it is on disk,
and took that long).
"""

import sys
import time

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.training import Callback, callbacks

EPOCHS = 40


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Report(Callback):
    def on_train_begin(self, logs=None):
        self.first = True

    def on_epoch_begin(self, epoch, logs=None):
        if self.first:
            say(f"start {epoch}")
            self.first = False


class ReportingBackup(callbacks.BackupAndRestore):
    def on_epoch_end(self, epoch, logs=None):
        started = time.perf_counter()
        say(f"writing {epoch} {started:.6f}")
        super().on_epoch_end(epoch, logs)
        say(f"wrote {epoch} {time.perf_counter() - started:.6f}")


def main(folder: str, seed: int, out: str) -> None:
    rng = np.random.default_rng(0)  # the data never depend on glassnet's generator
    X = rng.normal(size=(192, 16))
    y = (X[:, :3].sum(axis=1) > 0).astype(np.int64) + (X[:, 3] > 1)
    gn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Dropout(0.1), nn.Linear(256, 256),
                          nn.ReLU(), nn.Linear(256, 3))
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    schedule = optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.7)
    history = gn.fit(
        model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=EPOCHS, batch_size=32,
        verbose=0, validation_split=0.25,
        callbacks=[Report(), callbacks.LearningRateScheduler(schedule),
                   callbacks.EarlyStopping(patience=50), ReportingBackup(folder)],
    )
    gn.io.save_checkpoint(out, model_state=model.state_dict(),
                          training_state={"history": history.history, "epochs": history.epoch})
    say("finished")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
