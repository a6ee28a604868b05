"""fit really learns: XOR, two spirals, scikit-learn's digits (each in a few seconds)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import glassnet as gn
from glassnet import nn, optim
from glassnet.training import evaluate, fit, predict


def two_spirals(n_per_class: int = 200, noise: float = 0.2, seed: int = 0):
    """Two interleaved spiral arms of 1.5 turns: X (2n, 2) scaled to about [-1, 1], y (2n,)."""
    rng = np.random.default_rng(seed)
    angle = np.sqrt(rng.random(n_per_class)) * 3 * np.pi
    arm = np.stack([angle * np.cos(angle), angle * np.sin(angle)], axis=1)
    X = np.concatenate([arm, -arm]) + rng.normal(scale=noise, size=(2 * n_per_class, 2))
    return X / 10, np.repeat([0, 1], n_per_class)


def test_xor_is_solved():
    gn.manual_seed(0)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0], dtype=float)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    history = fit(model, X, y, loss="bce_with_logits", epochs=200, batch_size=4, verbose=0,
                  optimizer=optim.Adam(model.parameters(), lr=0.1), metrics=["accuracy"])
    assert np.array_equal(predict(model, X).ravel() > 0, y == 1)
    assert history.history["accuracy"][-1] == 1.0


def test_two_spirals_are_separated():
    gn.manual_seed(0)
    X, y = two_spirals()
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 2))
    fit(model, X, y, loss="cross_entropy", optimizer=optim.Adam(model.parameters(), lr=0.01),
        epochs=100, verbose=0)
    assert evaluate(model, X, y, metrics=["accuracy"])["accuracy"] > 0.95


def test_digits_one_hidden_layer_above_97_percent_on_held_out_data():
    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=0.25, random_state=0, stratify=digits.target)
    scaler = StandardScaler().fit(X_train)
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    fit(model, scaler.transform(X_train), y_train, loss="cross_entropy", epochs=30,
        optimizer=optim.Adam(model.parameters(), lr=1e-3), verbose=0)
    scores = evaluate(model, scaler.transform(X_test), y_test, metrics=["accuracy"])
    assert scores["accuracy"] > 0.97
