"""``BatchNorm2d``: batch normalisation per channel of images, statistics over (N, H, W).

Normalising (N, C, H, W) per channel over N, H and W is normalising (N, C, H·W) per feature over
N and H·W: the layer is ``BatchNorm1d`` on that view (the same op, running statistics and
momentum rule), and its ONNX form is BatchNorm1d's between two Reshapes.
"""

from __future__ import annotations

from typing import Any

from glassnet.autograd import Tensor, input_tensor
from glassnet.errors import ShapeError
from glassnet.nn.normalization import (
    BATCH_NORM_SETTINGS,
    BatchNorm1d,
    _batch_norm_config,
    _batch_norm_state,
    _export_batch_norm,
)
from glassnet.nn.registry import Shape, register_layer


class BatchNorm2d(BatchNorm1d):
    """y = γ·(x − E[x])/√(Var[x] + ε) + β per channel, statistics over the batch, H and W.

    x: (N, C, H, W) -> (N, C, H, W), C = ``num_features``. Arguments, parameters (γ ``weight``,
    β ``bias``: (C,)), buffers (running_mean, running_var, num_batches_tracked) and the running
    statistics' update as ``BatchNorm1d``, with m = N·H·W values per channel.
    """

    def forward(self, x: Any) -> Tensor:
        x = input_tensor(x, like=self.weight)
        channels = self.num_features
        if x.ndim != 4 or x.shape[1] != channels:
            raise ShapeError(f"BatchNorm2d({channels}) expects input of shape (batch, "
                             f"{channels}, height, width); got {x.shape}.")
        batch, _, height, width = x.shape
        if (self.training or not self.track_running_stats) and batch * height * width <= 1:
            remedy = " or call .eval()" if self.track_running_stats else ""
            raise ShapeError(f"BatchNorm2d needs more than 1 value per channel to compute batch "
                             f"statistics; got input of shape {x.shape}. Use a larger "
                             f"batch{remedy}.")
        out = super().forward(x.reshape(batch, channels, height * width))
        return out.reshape(batch, channels, height, width)


def _export_batch_norm_2d(
    builder: Any, layer: BatchNorm2d, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    channels = layer.num_features
    if len(shape) != 3 or shape[0] != channels:
        raise ShapeError(f"{name} (BatchNorm2d) expects samples of shape ({channels}, height, "
                         f"width); the layers before it produce {shape}.")
    flat_shape = builder.constant(f"{name}.flat_shape", [0, channels, -1], dtype="int64")
    flat = builder.node("Reshape", [x, flat_shape], f"{name}_flatten")
    normalised, _ = _export_batch_norm(builder, layer, flat, (channels, shape[1] * shape[2]),
                                       name)
    image_shape = builder.constant(f"{name}.image_shape", [0, *shape], dtype="int64")
    return builder.node("Reshape", [normalised, image_shape], f"{name}_unflatten"), shape


register_layer(
    BatchNorm2d,
    settings=BATCH_NORM_SETTINGS,
    config=_batch_norm_config,
    state=_batch_norm_state,
    export=_export_batch_norm_2d,
    keeps_shape=True,
    feature_axis="channels",
)
