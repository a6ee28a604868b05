"""Two interleaved spirals: a 2-64-64-2 ReLU network bends its boundary around both arms.

Run: .venv/bin/python examples/spirals.py
"""

import time

import numpy as np

import glassnet as gn
from glassnet import nn, optim


def two_spirals(n_per_class=200, noise=0.2, seed=0):
    """Two spiral arms of 1.5 turns each: X (2n, 2) scaled to about [-1, 1], y (2n,) in {0, 1}."""
    rng = np.random.default_rng(seed)
    angle = np.sqrt(rng.random(n_per_class)) * 3 * np.pi
    arm = np.stack([angle * np.cos(angle), angle * np.sin(angle)], axis=1)
    X = np.concatenate([arm, -arm]) + rng.normal(scale=noise, size=(2 * n_per_class, 2))
    return X / 10, np.repeat([0, 1], n_per_class)


gn.manual_seed(0)
X, y = two_spirals()
model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
started = time.perf_counter()
history = gn.fit(model, X, y, loss="cross_entropy", epochs=100,
                 optimizer=optim.Adam(model.parameters(), lr=0.01), metrics=["accuracy"],
                 verbose=0)
seconds = time.perf_counter() - started
scores = gn.evaluate(model, X, y, loss="cross_entropy", metrics=["accuracy"])
print(f"{len(X)} points, {len(history.epoch)} epochs in {seconds:.1f} s")
print(f"training loss {scores['loss']:.4f}, training accuracy {scores['accuracy']:.1%}")
