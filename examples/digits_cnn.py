"""scikit-learn's 8x8 digits read as images by a small CNN: two convolutions, pooling, Linear.

Conv2d(1→16, 3, padding 1), ReLU: (N, 1, 8, 8) -> (N, 16, 8, 8);
Conv2d(16→32, 3, padding 1), ReLU, MaxPool2d(2): -> (N, 32, 4, 4); Flatten, Linear(512 → 10).
A stratified 25 % test split (random_state 0), pixels scaled from 0…16 to 0…1, Adam (lr 0.003),
20 epochs of batches of 32: about 0.99 test accuracy.

Run: .venv/bin/python examples/digits_cnn.py   (needs scikit-learn)
"""

import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import glassnet as gn
from glassnet import nn, optim

digits = load_digits()
images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]  # (N, 1, 8, 8), channels first
X_train, X_test, y_train, y_test = train_test_split(
    images, digits.target, test_size=0.25, random_state=0, stratify=digits.target)

gn.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(32 * 4 * 4, 10),
)
started = time.perf_counter()
history = gn.fit(model, X_train, y_train, loss="cross_entropy", epochs=20, batch_size=32,
                 optimizer=optim.Adam(model.parameters(), lr=3e-3), metrics=["accuracy"],
                 verbose=0)
seconds = time.perf_counter() - started
scores = gn.evaluate(model, X_test, y_test, loss="cross_entropy", metrics=["accuracy"])
print(f"{len(X_train)} training images, {len(history.epoch)} epochs in {seconds:.1f} s")
print(f"test loss {scores['loss']:.4f}, test accuracy {scores['accuracy']:.4f}")
