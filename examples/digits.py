"""scikit-learn's 8x8 digits with a one-hidden-layer MLP, early stopping and a checkpoint.

Run: .venv/bin/python examples/digits.py   (needs scikit-learn)
"""

import tempfile
import time
from pathlib import Path

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import glassnet as gn
from glassnet import nn, optim

digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data, digits.target, test_size=0.25, random_state=0, stratify=digits.target)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

gn.manual_seed(0)
model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
started = time.perf_counter()
with tempfile.TemporaryDirectory() as folder:
    best_file = Path(folder) / "best.safetensors"
    callbacks = [
        gn.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True),
        gn.callbacks.ModelCheckpoint(best_file, save_best_only=True),
    ]
    history = gn.fit(model, X_train, y_train, loss="cross_entropy", epochs=40, batch_size=32,
                     optimizer=optim.Adam(model.parameters(), lr=1e-3), metrics=["accuracy"],
                     validation_split=0.1, callbacks=callbacks, verbose=2)
    metadata = gn.io.load_bundle(best_file).metadata
print(f"trained {len(history.epoch)} epochs in {time.perf_counter() - started:.1f} s; the "
      f"checkpoint holds epoch {metadata['epoch']}, whose weights EarlyStopping restored")
scores = gn.evaluate(model, X_test, y_test, loss="cross_entropy", metrics=["accuracy"])
print(f"test loss {scores['loss']:.4f}, test accuracy {scores['accuracy']:.2%}")
