"""``Dropout``: inverted dropout in training, the identity in eval mode.  Any shape."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet import functional as F
from glassnet.autograd import Tensor, detached
from glassnet.nn.module import Module
from glassnet.nn.registry import elementwise, number, register_layer


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


# An exported model runs in eval mode, where dropout passes its input through.
register_layer(Dropout, settings={"p": number(0.0, 1.0)}, export=elementwise("Identity"),
               keeps_shape=True)
