"""``Dropout`` and ``Dropout2d``: inverted dropout in training, the identity in eval mode.

``Dropout`` zeros single elements (any shape); ``Dropout2d`` zeros whole channels of
(N, C, H, W) or (N, C, L) inputs, whose neighbouring values are too alike for element-wise
dropout to regularise them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet import functional as F
from glassnet.autograd import Tensor, converted, default_float, detached, from_numpy, input_tensor
from glassnet.errors import ShapeError
from glassnet.nn.module import Module
from glassnet.nn.registry import elementwise, number, register_layer
from glassnet.random import default_generator


class Dropout(Module):
    """Training: y = x·mask / (1 − p), mask ~ Bernoulli(1 − p); eval: y = x.

    Scaling the kept values by 1/(1 − p) keeps E[y] = x, so nothing changes at eval time. The
    mask is drawn from ``glassnet.random.default_generator()``.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout probability must be between 0 and 1; got {p}.")
        self.p = p

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, training=self.training)

    def forward_array(self, x: np.ndarray, temporary: bool) -> np.ndarray:
        """forward on a bare array (see Sequential); draws the same mask forward would."""
        return F.dropout(detached(x), self.p, training=self.training).data

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout2d(Dropout):
    """Training: y[n, c] = x[n, c]·mask[n, c] / (1 − p), mask[n, c] ~ Bernoulli(1 − p), one draw
    per channel of each sample; eval: y = x.

    x: (N, C, H, W) -> same shape; (N, C, L) too, as PyTorch 2 treats a 3-D input. The masks
    come from ``glassnet.random.default_generator()``. A Dropout (``isinstance``), so code that
    turns dropout off for a measurement turns this off too.
    """

    def forward(self, x: Any) -> Tensor:
        x = input_tensor(x)
        if x.ndim not in (3, 4):
            raise ShapeError(f"Dropout2d expects input of shape (N, C, H, W) or (N, C, L); got "
                             f"{x.shape}.")
        if not self.training or self.p == 0:
            return x
        if x.dtype.kind != "f":
            x = converted(x, default_float())
        channel_shape = x.shape[:2] + (1,) * (x.ndim - 2)
        keep = default_generator().random(channel_shape) >= self.p
        scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)
        # a constant factor per channel, broadcast over its positions by the product's backward
        return x * from_numpy((keep * scale).astype(x.dtype))

    def forward_array(self, x: np.ndarray, temporary: bool) -> np.ndarray:
        """forward on a bare array (see Sequential); draws the same masks forward would."""
        return self.forward(detached(x)).data


# An exported model runs in eval mode, where dropout passes its input through.
register_layer(Dropout, settings={"p": number(0.0, 1.0)}, export=elementwise("Identity"),
               keeps_shape=True)
register_layer(Dropout2d, settings={"p": number(0.0, 1.0)}, export=elementwise("Identity"),
               keeps_shape=True, feature_axis="channels")
