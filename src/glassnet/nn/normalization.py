"""``BatchNorm1d`` and ``LayerNorm``, each one fused op with the textbook normalisation backward.

Both compute  x̂ = (x − μ) / √(σ² + ε),  y = γ·x̂ + β  and differ only in the axes the statistics
run over: the batch (BatchNorm, per feature) or the features (LayerNorm, per sample). With ĝ =
∂L/∂x̂ = g·γ, the chain rule through μ and σ² (each a mean over the same m values) collapses to

    ∂L/∂x = (1/√(σ² + ε)) · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)),
    ∂L/∂γ = Σ g·x̂,   ∂L/∂β = Σ g   (summed over the axes γ and β are shared across).

In eval mode BatchNorm uses its running statistics, constants, so ∂L/∂x = ĝ / √(σ² + ε).
Both are registered (see ``glassnet.nn.registry``) with their settings, tensors and ONNX form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from glassnet.autograd import (
    Function,
    Tensor,
    converted,
    default_float,
    from_numpy,
    get_default_dtype,
    input_tensor,
    result_type,
)
from glassnet.errors import ShapeError
from glassnet.nn.module import Module, Parameter
from glassnet.nn.registry import (
    COUNT,
    FLAG,
    SHAPE,
    Setting,
    Shape,
    StateSpec,
    number,
    register_layer,
)


class Normalize(Function):
    """y = γ·(x − μ)/√(σ² + ε) + β.  Inputs (x, [γ, [β]]); output has x's shape.

    ``stat_axes``: the axes μ and σ² (biased) are taken over. ``param_axes``: the axes γ and β
    are broadcast along (their gradients are summed there); ``broadcast_shape``: their shape
    against x. ``fixed_stats`` = (μ, σ²): constants to use instead of the input's statistics.
    """

    def __init__(
        self,
        eps: float,
        stat_axes: tuple[int, ...],
        param_axes: tuple[int, ...],
        broadcast_shape: tuple[int, ...],
        fixed_stats: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.eps = eps
        self.stat_axes, self.param_axes = stat_axes, param_axes
        self.broadcast_shape = broadcast_shape
        self.fixed_stats = fixed_stats

    def forward(
        self, x: np.ndarray, weight: np.ndarray | None = None, bias: np.ndarray | None = None
    ) -> np.ndarray:
        # Statistics in float64: the square of any float32 fits there, so even |x| ~ 1e38
        # normalises without overflow (float64 inputs are safe up to |x| ~ 1e150).
        wide = np.asarray(x, dtype=np.float64)
        if self.fixed_stats is None:
            mean = wide.mean(axis=self.stat_axes, keepdims=True)
            var = wide.var(axis=self.stat_axes, keepdims=True)  # biased: divides by m
        else:
            mean, var = (np.reshape(s, self.broadcast_shape).astype(np.float64)
                         for s in self.fixed_stats)
        self.mean, self.var = mean, var  # BatchNorm reads these to update its running statistics
        inv_std = 1.0 / np.sqrt(var + self.eps)
        self.x_hat = ((wide - mean) * inv_std).astype(x.dtype, copy=False)
        self.inv_std = inv_std.astype(x.dtype, copy=False)
        if weight is None:
            self.weight = None
            return self.x_hat
        self.param_shape = weight.shape
        self.weight = weight.reshape(self.broadcast_shape)
        out = self.x_hat * self.weight
        if bias is not None:
            out += bias.reshape(self.broadcast_shape)  # in place on the fresh product
        return out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        need_x, *need_params = self.needs_input_grad
        x_hat, inv_std = self.x_hat, self.inv_std
        grad_x = None
        if need_x:
            grad_x_hat = grad if self.weight is None else grad * self.weight
            if self.fixed_stats is not None:
                grad_x = grad_x_hat * inv_std
            else:
                axes = self.stat_axes
                grad_x = inv_std * (
                    grad_x_hat
                    - grad_x_hat.mean(axis=axes, keepdims=True)
                    - x_hat * (grad_x_hat * x_hat).mean(axis=axes, keepdims=True)
                )
        if not need_params:
            return (grad_x,)
        grad_weight = None
        if need_params[0]:
            grad_weight = (grad * x_hat).sum(axis=self.param_axes).reshape(self.param_shape)
        if len(need_params) == 1:
            return grad_x, grad_weight
        grad_bias = None
        if need_params[1]:
            grad_bias = grad.sum(axis=self.param_axes).reshape(self.param_shape)
        return grad_x, grad_weight, grad_bias

    @property
    def label(self) -> str:
        return "normalize"


def _fresh_parameter(array: np.ndarray) -> Parameter:
    """A Parameter around an array just made for it (no copy: no one else holds it)."""
    return Parameter(from_numpy(array))


def _float_inputs(x: Any, module: Module) -> list[Tensor]:
    """x, then γ and β where the module has them, all in their common float dtype (type
    promotion): an integer batch takes the parameters' dtype, or the default float dtype."""
    x = input_tensor(x, like=module.weight)
    inputs = [x] + [p for p in (module.weight, module.bias) if p is not None]
    dtype = x.data.dtype
    if dtype.kind == "f" and all(p.data.dtype is dtype for p in inputs[1:]):
        return inputs
    dtype = result_type(*inputs)
    if dtype.kind != "f":
        dtype = default_float()
    return [converted(t, dtype) for t in inputs]


class BatchNorm1d(Module):
    """y = γ·(x − E[x])/√(Var[x] + ε) + β per feature, statistics over the batch (and length).

    x: (N, C) -> (N, C), or (N, C, L) -> (N, C, L), with C = ``num_features``.

    Training: E and Var (biased) of the batch normalise x, and the running statistics move
    towards them: running ← (1 − momentum)·running + momentum·batch, where the variance stored
    is the unbiased one, Var·m/(m − 1), m = N (or N·L). ``momentum=None`` keeps a cumulative
    average instead (momentum = 1/num_batches_tracked). Eval: the running statistics normalise
    x. With ``track_running_stats=False`` the batch statistics are used in both modes.
    γ (``weight``) starts at 1, β (``bias``) at 0 (``affine=False``: neither; ``bias=False``: no
    β, as in PyTorch 2.13); buffers running_mean (0), running_var (1), num_batches_tracked (0).
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = get_default_dtype()
        self.weight = _fresh_parameter(np.ones(num_features, dtype)) if affine else None
        self.bias = _fresh_parameter(np.zeros(num_features, dtype)) if affine and bias else None
        tracked = track_running_stats
        self.register_buffer("running_mean", np.zeros(num_features, dtype) if tracked else None)
        self.register_buffer("running_var", np.ones(num_features, dtype) if tracked else None)
        self.register_buffer("num_batches_tracked", np.array(0, np.int64) if tracked else None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def forward(self, x: Any) -> Tensor:
        x, *affine = _float_inputs(x, self)
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            c = self.num_features
            raise ShapeError(f"BatchNorm1d({c}) expects input of shape (batch, {c}) or "
                             f"(batch, {c}, length); got {x.shape}.")
        stat_axes = (0,) if x.ndim == 2 else (0, 2)
        broadcast_shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        use_batch_stats = self.training or not self.track_running_stats
        values_per_feature = x.size // self.num_features
        if use_batch_stats and values_per_feature <= 1:
            remedy = " or call .eval()" if self.track_running_stats else ""
            raise ShapeError(
                f"BatchNorm1d needs more than 1 value per feature to compute batch statistics; "
                f"got input of shape {x.shape}. Use a larger batch{remedy}."
            )
        fixed = None if use_batch_stats else (self.running_mean, self.running_var)
        normalize = Normalize(self.eps, stat_axes, stat_axes, broadcast_shape, fixed)
        out = normalize(x, *affine)
        if self.training and self.track_running_stats:
            self._update_running_stats(normalize.mean, normalize.var, values_per_feature)
        return out

    def _update_running_stats(self, mean: np.ndarray, var: np.ndarray, count: int) -> None:
        self.num_batches_tracked += 1
        if self.momentum is None:
            factor = 1.0 / float(self.num_batches_tracked)
        else:
            factor = self.momentum
        largest = np.finfo(self.running_var.dtype).max  # keep float32 statistics finite
        unbiased_var = np.minimum(var.reshape(-1) * (count / (count - 1)), largest)
        self.running_mean *= 1 - factor
        self.running_mean += (factor * mean.reshape(-1)).astype(self.running_mean.dtype)
        self.running_var *= 1 - factor
        self.running_var += np.minimum(factor * unbiased_var, largest - self.running_var)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class LayerNorm(Module):
    """y = γ·(x − E[x])/√(Var[x] + ε) + β per sample, statistics over the last D axes.

    x: (N, …, *normalized_shape) -> same shape; D = len(normalized_shape) (an int means (int,)).
    Var is biased. γ (``weight``, ones) and β (``bias``, zeros) have shape ``normalized_shape``
    when ``elementwise_affine``; ``bias=False`` leaves out β. Same in training and eval.
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = get_default_dtype()
        affine, shape = elementwise_affine, self.normalized_shape
        self.weight = _fresh_parameter(np.ones(shape, dtype)) if affine else None
        self.bias = _fresh_parameter(np.zeros(shape, dtype)) if affine and bias else None

    def forward(self, x: Any) -> Tensor:
        x, *affine = _float_inputs(x, self)
        dims = len(self.normalized_shape)
        if x.ndim < dims or x.shape[x.ndim - dims:] != self.normalized_shape:
            raise ShapeError(f"LayerNorm({self.normalized_shape}) expects input of shape "
                             f"(batch, …, {', '.join(map(str, self.normalized_shape))}); got "
                             f"{x.shape}.")
        stat_axes = tuple(range(x.ndim - dims, x.ndim))
        param_axes = tuple(range(x.ndim - dims))
        normalize = Normalize(self.eps, stat_axes, param_axes, self.normalized_shape)
        return normalize(x, *affine)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


# -- files and ONNX -----------------------------------------------------------------------------
def _batch_norm_config(layer: BatchNorm1d) -> dict[str, Any]:
    return {"num_features": layer.num_features, "eps": layer.eps, "momentum": layer.momentum,
            "affine": layer.affine, "track_running_stats": layer.track_running_stats,
            "bias": layer.bias is not None if layer.affine else True}


def _batch_norm_state(config: dict[str, Any]) -> StateSpec:
    features: Shape = (config["num_features"],)
    state: StateSpec = {}
    if config["affine"]:
        state["weight"] = (features, "float")
        if config["bias"]:
            state["bias"] = (features, "float")
    if config["track_running_stats"]:
        state.update(running_mean=(features, "float"), running_var=(features, "float"),
                     num_batches_tracked=((), "int64"))
    return state


def _export_batch_norm(
    builder: Any, layer: BatchNorm1d, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    """BatchNormalization on the running statistics; without them, the batch's own statistics
    spelled out in ONNX operators."""
    b, features = builder, layer.num_features
    if len(shape) not in (1, 2) or shape[0] != features:
        raise ShapeError(f"{name} (BatchNorm1d) expects samples of shape ({features},) or "
                         f"({features}, length); the layers before it produce {shape}.")
    weight = np.ones(features) if layer.weight is None else layer.weight.data
    bias = np.zeros(features) if layer.bias is None else layer.bias.data
    if layer.track_running_stats:
        inputs = [x, b.constant(f"{name}.weight", weight), b.constant(f"{name}.bias", bias),
                  b.constant(f"{name}.running_mean", layer.running_mean),
                  b.constant(f"{name}.running_var", layer.running_var)]
        return b.node("BatchNormalization", inputs, f"{name}_BatchNormalization",
                      epsilon=float(layer.eps)), shape
    # No running statistics: even in eval mode the batch's own mean and variance normalise it.
    # In float64, as glassnet computes them: a float32 square overflows from |x| ~ 1e19.
    axes = [0] if len(shape) == 1 else [0, 2]
    wide = b.cast(x, np.float64, f"{name}_to_double")
    mean = b.reduce_mean(wide, axes, f"{name}_mean")
    centred = b.node("Sub", [wide, mean], f"{name}_centred")
    variance = b.reduce_mean(b.node("Mul", [centred, centred], f"{name}_squares"), axes,
                             f"{name}_variance")
    eps = b.constant(f"{name}.eps", layer.eps, dtype=np.float64)
    std = b.node("Sqrt", [b.node("Add", [variance, eps], f"{name}_variance_eps")], f"{name}_std")
    normalised = b.cast(b.node("Div", [centred, std], f"{name}_normalised"), np.float32,
                        f"{name}_to_float")
    column = (features,) if len(shape) == 1 else (features, 1)
    scale = b.constant(f"{name}.weight_column", weight.reshape(column))
    shift = b.constant(f"{name}.bias_column", bias.reshape(column))
    scaled = b.node("Mul", [normalised, scale], f"{name}_scaled")
    return b.node("Add", [scaled, shift], f"{name}_shifted"), shape


def _layer_norm_config(layer: LayerNorm) -> dict[str, Any]:
    has_bias = layer.bias is not None if layer.elementwise_affine else True
    return {"normalized_shape": list(layer.normalized_shape), "eps": layer.eps,
            "elementwise_affine": layer.elementwise_affine, "bias": has_bias}


def _layer_norm_state(config: dict[str, Any]) -> StateSpec:
    shape = tuple(config["normalized_shape"])
    state: StateSpec = {}
    if config["elementwise_affine"]:
        state["weight"] = (shape, "float")
        if config["bias"]:
            state["bias"] = (shape, "float")
    return state


def _export_layer_norm(
    builder: Any, layer: LayerNorm, x: str, shape: Shape, name: str
) -> tuple[str, Shape]:
    b, dims = builder, len(layer.normalized_shape)
    if len(shape) < dims or shape[len(shape) - dims :] != layer.normalized_shape:
        raise ShapeError(f"{name} (LayerNorm) normalises the last axes {layer.normalized_shape}; "
                         f"the layers before it produce samples of shape {shape}.")
    weight = np.ones(layer.normalized_shape) if layer.weight is None else layer.weight.data
    # In float64, as glassnet computes the statistics: a float32 variance overflows from
    # |x| ~ 1e19, and onnxruntime's float32 kernel would then return garbage, not inf.
    inputs = [b.cast(x, np.float64, f"{name}_to_double"),
              b.constant(f"{name}.weight", weight, dtype=np.float64)]
    if layer.bias is not None:
        inputs.append(b.constant(f"{name}.bias", layer.bias.data, dtype=np.float64))
    normalised = b.node("LayerNormalization", inputs, f"{name}_LayerNormalization", axis=-dims,
                        epsilon=float(layer.eps))
    return b.cast(normalised, np.float32, f"{name}_to_float"), shape


# what a model file says of a BatchNorm1d or BatchNorm2d; files from before BatchNorm took
# bias= leave it out, and had a β whenever affine
BATCH_NORM_SETTINGS = {"num_features": COUNT, "eps": number(0.0),
                       "momentum": number(optional=True), "affine": FLAG,
                       "track_running_stats": FLAG, "bias": Setting("flag", default=True)}

register_layer(
    BatchNorm1d,
    settings=BATCH_NORM_SETTINGS,
    config=_batch_norm_config,
    state=_batch_norm_state,
    export=_export_batch_norm,
    input_shape=lambda layer: (layer.num_features,),
    feature_axis="channels",  # (N, C) or (N, C, L), as PyTorch's
)
register_layer(
    LayerNorm,
    settings={"normalized_shape": SHAPE, "eps": number(0.0), "elementwise_affine": FLAG,
              "bias": FLAG},
    config=_layer_norm_config,
    state=_layer_norm_state,
    export=_export_layer_norm,
    input_shape=lambda layer: layer.normalized_shape,
    feature_axis="last",
)
