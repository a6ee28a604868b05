"""XOR: the classic problem a single neuron cannot solve, learned by a 2-8-1 network.

Run: .venv/bin/python examples/xor.py
"""

import numpy as np

import glassnet as gn
from glassnet import nn, optim

gn.manual_seed(0)
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
y = np.array([0, 1, 1, 0], dtype=np.float32)

model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))  # outputs a logit
history = gn.fit(model, X, y, loss="bce_with_logits", epochs=200, batch_size=4, verbose=0,
                 optimizer=optim.Adam(model.parameters(), lr=0.1), metrics=["accuracy"])

probabilities = 1 / (1 + np.exp(-gn.predict(model, X).ravel()))
print(f"loss {history.history['loss'][0]:.4f} -> {history.history['loss'][-1]:.4f} "
      f"after {len(history.epoch)} epochs")
for inputs, target, probability in zip(X, y, probabilities, strict=True):
    print(f"  {inputs.astype(int)} -> P(1) = {probability:.3f}  (target {int(target)})")
print(f"accuracy: {history.history['accuracy'][-1]:.0%}")
