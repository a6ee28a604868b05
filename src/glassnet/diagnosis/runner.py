"""``diagnose``: run the checks on a sample of the data, on copies of the model and optimizer."""

from __future__ import annotations

from typing import Any

from glassnet.diagnosis.chain_evidence import chain_factors, explain_parameter
from glassnet.diagnosis.checks_activations import check_dead_relu, check_saturation
from glassnet.diagnosis.checks_data import (
    check_constant_output,
    check_input_scale,
    check_labels,
    check_output_kind,
)
from glassnet.diagnosis.checks_gradients import check_gradient_sizes, check_parameters_training
from glassnet.diagnosis.checks_optimisation import check_learning_rate, check_overfitting
from glassnet.diagnosis.confirm import CONFIRMABLE, confirm_with_change
from glassnet.diagnosis.findings import Diagnosis, Finding
from glassnet.diagnosis.probe import run_probe, sample_rows, working_copy
from glassnet.diagnosis.wording import DiagnosisWords as Words
from glassnet.nn import Module
from glassnet.nn.registry import layer_type_of
from glassnet.training.argument_checks import (
    check_consistent_length,
    check_flag,
    check_target_array,
    check_X,
    expected_input_features,
    model_dtype,
    prepare_target,
    probe_output_shape,
)
from glassnet.training.losses import resolve_loss

CHECKS = (
    "unscaled_inputs", "label_mismatch", "probabilities_as_logits", "constant_predictions",
    "dead_relu", "saturated_activations", "exploding_gradients", "vanishing_gradients",
    "parameters_not_training", "learning_rate_too_high", "learning_rate_too_low", "overfitting",
)


def diagnose(
    model: Module,
    X: Any,
    y: Any,
    *,
    loss: Any,
    optimizer: Any = None,
    history: Any = None,
    confirm: bool = False,
) -> Diagnosis:
    """Find what is wrong with a training, in words, with the chain rule's numbers as evidence.

    X: (N, features) inputs, y: (N,) class indices or (N, outputs) values, ``loss`` a name
    ("cross_entropy", "mse", ...) or a callable loss(output, target). At most 256 rows, chosen
    the same way on every call, go through forward and backward passes on a deep copy of
    ``model``; with an ``optimizer``, ten steps on copies of both measure the update sizes;
    ``history`` (a History or its dict) is read for overfitting and the loss's course;
    ``confirm=True`` reruns 50 steps with each suggested learning-rate or scaling change.
    The model, its gradients and modes, the optimizer and glassnet's random state are left as
    they were. Returns a ``Diagnosis`` (``str()`` of it is the report).
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a glassnet.nn.Module; got {type(model).__name__}.")
    if optimizer is not None and not hasattr(optimizer, "param_groups"):
        raise TypeError("optimizer must be a glassnet.optim optimizer (with param_groups) or "
                        f"None; got {type(optimizer).__name__}.")
    confirm = check_flag(confirm, "confirm")
    resolved = resolve_loss(loss)
    X = check_X(X, dtype=model_dtype(model), expected_features=expected_input_features(model))
    y = check_target_array(y)
    check_consistent_length(X, y)
    rows = sample_rows(len(X))
    X_sample, y_sample = X[rows], y[rows]

    model_copy, _ = working_copy(model)
    first = first_layer(model_copy)
    registration = layer_type_of(type(first)) if first is not None else None
    takes_indices = registration is not None and registration.takes_indices
    channels_first = registration is not None and registration.feature_axis == "channels"
    findings: list[Finding] = []
    if not takes_indices:  # an embedding's inputs are indices, not measurements
        # the first layer says what X's axes are: channels on axis 1, else features last
        findings += check_input_scale(X_sample, 1 if channels_first else -1)
    output_shape = probe_output_shape(model_copy, X_sample)
    label_findings = check_labels(y_sample, resolved, output_shape)
    findings += label_findings
    target = None
    if not label_findings:
        try:
            target, _ = prepare_target(y_sample, task=resolved.task, dtype=X.dtype,
                                       output_shape=output_shape)
        except ValueError as error:  # ShapeError included: the loss cannot take these targets
            findings.append(Finding("label_mismatch", "error",
                                    Words("target_shape", error=str(error)),
                                    {"error": str(error)}))
    probe = run_probe(model_copy, X_sample, target, resolved.function)
    findings += check_output_kind(probe, resolved)
    findings += check_constant_output(probe, X_sample)
    findings += check_dead_relu(probe)
    findings += check_saturation(probe)
    def chain(parameter: str) -> list[dict]:
        try:
            explanation = explain_parameter(model_copy, X_sample, target, resolved.function,
                                            parameter)
        except ValueError:  # a graph gn.explain cannot read as layers: sizes only
            return []
        return chain_factors(explanation, probe)

    findings += check_gradient_sizes(probe, model_copy, chain)
    findings += check_parameters_training(probe, model, optimizer)
    # an optimizer that holds none of the model's parameters (parameters_not_training says so)
    # moves nothing: its learning rate cannot be judged
    if optimizer is not None and target is not None and _holds_any(optimizer, model):
        findings += check_learning_rate(model, optimizer, X_sample, target, resolved.function,
                                        history)
    if history is not None:
        findings += check_overfitting(history)
    if confirm and target is not None:
        findings = [confirm_finding(finding, model, optimizer, X_sample, target, resolved)
                    for finding in findings]
    return Diagnosis(findings, len(rows), CHECKS)


def first_layer(model: Module) -> Module | None:
    """The first leaf module, in ``modules()`` order."""
    return next((module for module in model.modules()
                 if next(module.children(), None) is None), None)


def confirm_finding(finding: Finding, model: Module, optimizer: Any, X: Any, target: Any,
                    resolved: Any) -> Finding:
    if finding.code not in CONFIRMABLE:
        return finding
    return confirm_with_change(finding, model, optimizer, X, target, resolved.function)


def _holds_any(optimizer: Any, model: Module) -> bool:
    """Whether ``optimizer`` updates at least one of ``model``'s parameters."""
    held = {id(param) for group in optimizer.param_groups for param in group["params"]}
    return any(id(param) in held for param in model.parameters())
