"""ONNX export: ``gn.onnx.export(model, "model.onnx")`` writes a model onnxruntime can run.

Works for a ``Sequential`` of glassnet layers (every layer registered with an export: Linear,
the activations, Softmax / LogSoftmax, Dropout(2d), BatchNorm1d/2d, LayerNorm, Flatten, Identity,
Conv1d/2d, the pooling layers, Embedding, RNN / GRU / LSTM with LastTimeStep; nested
Sequentials too), for the fitted
estimators of ``glassnet.sklearn``, for a scikit-learn ``Pipeline`` of scalers ending in one,
and for any object that describes itself by an ``onnx_parts()`` method, such as a
``glassnet.tabular.TabularModel`` (what ``glassnet train`` saves), whose feature
standardisation, class labels and target scaling become part of the graph (the protocol is in
``glassnet.onnx._estimators``). This package imports none of glassnet's other adapters: it
recognises estimators and tabular models by what they offer, not by their classes.
The graph computes what ``gn.predict`` computes (eval mode: dropout off, BatchNorm on its
running statistics), in float32, for any number of rows: the first axis is named "batch".

Layer by layer: Linear → Gemm (transB=1), or MatMul + Add for inputs with more than 2 axes;
ReLU → Relu, LeakyReLU → LeakyRelu(alpha), Sigmoid, Tanh, Softplus, Softmax / LogSoftmax(axis),
GELU → Gelu (opset >= 20) or its formula x·½(1 + erf(x/√2)) (tanh form: ½x(1 + tanh(√(2/π)(x +
0.044715x³)))), Dropout and Identity → Identity, Flatten → Flatten or Reshape, BatchNorm1d →
BatchNormalization with the running statistics (or the batch's own statistics, spelled out
with ReduceMean, when it tracks none), LayerNorm → LayerNormalization (opset 17), Conv1d/2d →
Conv, MaxPool / AvgPool → MaxPool / AveragePool, Embedding → Gather, RNN / GRU / LSTM → their
ONNX ops (gates reordered). Statistics
are computed in float64 between two Casts, as glassnet computes them, so inputs up to float32's
largest still normalise without overflow.

Needs the ``onnx`` package (``pip install 'glassnet[onnx]'``), imported only when called.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["export", "require_onnx"]

INSTALL_HINT = "pip install 'glassnet[onnx]'"


def require_onnx(feature: str = "gn.onnx.export") -> Any:
    """The ``onnx`` module, or an ImportError that names the extra to install."""
    try:
        import onnx
    except ImportError as error:
        raise ImportError(
            f"{feature} needs the onnx package, which is not installed. Install glassnet's "
            f"ONNX extra: {INSTALL_HINT}"
        ) from error
    return onnx


def export(
    model_or_estimator: Any,
    path: str | os.PathLike[str] | None,
    n_features: int | tuple[int, ...] | None = None,
    *,
    opset: int | None = None,
) -> Any:
    """Write ``model_or_estimator`` as an ONNX model to ``path``; returns the ``onnx.ModelProto``.

    Parameters
    ----------
    model_or_estimator : a glassnet ``Sequential`` (or single layer); a fitted
        ``NeuralNetClassifier`` / ``NeuralNetRegressor``; a fitted ``Pipeline`` of
        StandardScaler / MinMaxScaler / MaxAbsScaler / RobustScaler steps ending in one; or a
        ``TabularModel`` (or any object with ``onnx_parts()``).
    path : the ``.onnx`` file to write (atomically); ``None`` only builds the model.
    n_features : the number of input features, or one sample's shape as a tuple. Read from the
        first layer that fixes it (Linear, BatchNorm1d, LayerNorm) when not given; needed for
        a model that starts with Flatten or has no such layer.
    opset : the ONNX operator set, 17 (default) to 21; with 20 or more, GELU is one Gelu node.

    Graph inputs and outputs (float32, first axis "batch"):
    - a model: ``input`` (batch, *n_features) → ``output`` (batch, *out_shape);
    - a classifier (or a classifying TabularModel): ``input`` → ``probabilities``
      (batch, n_classes), softmax of the logits, and ``label`` (batch,), the class
      (``classes_[argmax]``: strings stay strings);
    - a regressor: ``input`` → ``predictions``, (batch,) when fitted on a 1-D y, else
      (batch, n_outputs); a regressing TabularModel: (batch,) in the target's units;
    - an object whose parts list raw ``columns`` (a TabularModel with text or incomplete
      columns; one of complete numbers keeps its single ``input``, standardised inside):
      one input per column instead of ``input``, named after it (as a C identifier;
      the model property ``input_columns`` maps inputs to columns), each (batch, 1): float32
      for a numeric column (NaN = missing: imputed with the training median and flagged;
      a column that had no missing values at training has no median, so NaN there gives NaN
      predictions, and a classifier refuses to label the row: onnxruntime raises), string for
      a category column ("" = missing; a value unseen at training encodes as all zeros).

    Raises TypeError naming the first layer (or pipeline step) that has no ONNX form,
    ShapeError when ``n_features`` does not fit the layers, and ImportError without onnx.
    """
    require_onnx()
    from glassnet import nn
    from glassnet.io import atomic_write_bytes
    from glassnet.onnx import _graph, _models

    if opset is None:
        opset = _graph.DEFAULT_OPSET
    if opset not in _graph.IR_VERSION_BY_OPSET:
        known = ", ".join(map(str, _graph.IR_VERSION_BY_OPSET))
        raise ValueError(f"opset must be one of {known}; got {opset!r}.")
    if isinstance(model_or_estimator, nn.Module):
        proto = _models.model_to_onnx(model_or_estimator, n_features, opset)
    elif hasattr(model_or_estimator, "get_params") and (
        type(model_or_estimator).__module__.split(".")[0] in ("sklearn", "glassnet")
    ):  # a scikit-learn estimator or Pipeline: exported with its steps and its class named
        from glassnet.onnx import _estimators

        proto = _estimators.estimator_to_onnx(model_or_estimator, n_features, opset)
    elif hasattr(model_or_estimator, "onnx_parts"):
        from glassnet.onnx import _estimators

        proto = _estimators.offered_to_onnx(model_or_estimator, n_features, opset)
    else:
        raise TypeError(
            "gn.onnx.export expects a glassnet Module, a fitted glassnet.sklearn estimator, a "
            "scikit-learn Pipeline ending in one or an object with an onnx_parts() method; got "
            f"{type(model_or_estimator).__name__}."
        )
    if path is not None:
        atomic_write_bytes(path, proto.SerializeToString())
    return proto
