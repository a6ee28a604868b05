"""glassnet.optim against torch.optim itself: trajectories, state_dicts, schedules, clipping.

PyTorch is a benchmark-only dependency: without it (as in CI) this module is skipped.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from optim_cases import PARAMETRIZED_CASES, make_parameters, max_relative_error, run_glassnet
from optim_reference import initial_weights, rosenbrock_gradients

import glassnet.optim as optim
from glassnet.nn import Parameter
from glassnet.nn.utils import clip_grad_norm_
from glassnet.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 25
TOLERANCE = 1e-10  # the brief's bar is 1e-6; float64 runs agree to ~1e-15


def torch_parameters() -> list:
    return [torch.tensor(array, requires_grad=True) for array in initial_weights()]


def run_torch(optimizer, params, steps: int) -> None:
    for _ in range(steps):
        grads = rosenbrock_gradients(*(p.detach().numpy() for p in params))
        for param, grad in zip(params, grads, strict=True):
            param.grad = torch.from_numpy(grad)
        optimizer.step()


def torch_state_as_numpy(state_dict: dict) -> dict:
    """A torch optimizer state_dict with tensors as arrays or numbers, as glassnet stores it."""

    def convert(value):
        if isinstance(value, torch.Tensor):
            return value.item() if value.ndim == 0 else value.detach().numpy().copy()
        return value

    return {
        "state": {i: {k: convert(v) for k, v in s.items()} for i, s in state_dict["state"].items()},
        "param_groups": [dict(group) for group in state_dict["param_groups"]],
    }


@pytest.mark.parametrize(("name", "options"), PARAMETRIZED_CASES)
def test_trajectory_and_state_match_torch(name, options, update_path):
    params, reference = make_parameters(), torch_parameters()
    ours = getattr(optim, name)(params, **options)
    theirs = getattr(torch.optim, name)(reference, **options)
    run_glassnet(ours, params, STEPS)
    run_torch(theirs, reference, STEPS)
    for param, expected in zip(params, reference, strict=True):
        assert max_relative_error(param.data, expected.detach().numpy()) < TOLERANCE

    our_state, their_state = ours.state_dict(), torch_state_as_numpy(theirs.state_dict())
    assert our_state["state"].keys() == their_state["state"].keys()
    for index, expected in their_state["state"].items():
        assert our_state["state"][index].keys() == expected.keys()
        for key, value in expected.items():
            np.testing.assert_allclose(our_state["state"][index][key], value, rtol=1e-9)
    for our_group, their_group in zip(
        our_state["param_groups"], their_state["param_groups"], strict=True
    ):
        assert {k: their_group[k] for k in our_group} == our_group


@pytest.mark.parametrize(("name", "options"), PARAMETRIZED_CASES)
def test_continues_from_a_torch_state_dict(name, options, update_path):
    reference = torch_parameters()
    theirs = getattr(torch.optim, name)(reference, **options)
    run_torch(theirs, reference, 10)
    params = [Parameter(p.detach().numpy().copy(), dtype=np.float64) for p in reference]
    ours = getattr(optim, name)(params, **options)
    ours.load_state_dict(torch_state_as_numpy(theirs.state_dict()))
    run_torch(theirs, reference, 15)
    run_glassnet(ours, params, 15)
    for param, expected in zip(params, reference, strict=True):
        assert max_relative_error(param.data, expected.detach().numpy()) < TOLERANCE


def test_parameter_groups_match_torch():
    groups = [{"lr": 0.01, "weight_decay": 0.2}, {"lr": 0.03, "betas": (0.8, 0.9)}]
    params, reference = make_parameters(), torch_parameters()
    ours = optim.AdamW([{"params": [p], **g} for p, g in zip(params, groups, strict=True)])
    theirs = torch.optim.AdamW(
        [{"params": [p], **g} for p, g in zip(reference, groups, strict=True)]
    )
    run_glassnet(ours, params, STEPS)
    run_torch(theirs, reference, STEPS)
    for param, expected in zip(params, reference, strict=True):
        assert max_relative_error(param.data, expected.detach().numpy()) < TOLERANCE


# -- schedulers ---------------------------------------------------------------------------------
SCHEDULES = [
    ("StepLR", {"step_size": 7, "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.93}),
    ("CosineAnnealingLR", {"T_max": 9, "eta_min": 0.002}),
    ("CosineAnnealingLR", {"T_max": 1}),
    ("OneCycleLR", {"max_lr": [0.4, 0.1], "total_steps": 60}),
    (
        "OneCycleLR",
        {
            "max_lr": 0.4,
            "epochs": 6,
            "steps_per_epoch": 10,
            "pct_start": 0.4,
            "anneal_strategy": "linear",
            "three_phase": True,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
            "base_momentum": 0.8,
            "max_momentum": 0.9,
        },
    ),
    ("ReduceLROnPlateau", {"patience": 2}),
    (
        "ReduceLROnPlateau",
        {
            "mode": "max",
            "factor": 0.5,
            "patience": 1,
            "threshold": 0.05,
            "threshold_mode": "abs",
            "cooldown": 2,
            "min_lr": [0.01, 0.02],
        },
    ),
]


def schedule(module, optimizer_class, name, options, steps=59):
    """lr of every group (and momentum or beta1) after creation and after each step."""
    rng = np.random.default_rng(3)
    metrics = np.cumsum(rng.normal(0, 1, size=steps)) if name == "ReduceLROnPlateau" else None
    weights = [module.Parameter(np.zeros(2)), module.Parameter(np.zeros(3))]
    groups = [{"params": [weights[0]], "lr": 0.2}, {"params": [weights[1]], "lr": 0.05}]
    momentum = {"momentum": 0.9} if optimizer_class.__name__ == "SGD" else {}
    optimizer = optimizer_class(groups, **momentum)
    scheduler = getattr(module.lr_scheduler, name)(optimizer, **options)

    def snapshot():
        groups = optimizer.param_groups
        cycled = [g["momentum"] if "momentum" in g else g["betas"][0] for g in groups]
        return list(scheduler.get_last_lr()) + cycled

    sequence = [snapshot()]
    for step in range(steps):
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(float(metrics[step]))
        sequence.append(snapshot())
    return np.array(sequence)


class _Glassnet:
    Parameter = staticmethod(lambda a: Parameter(a, dtype=np.float64))
    lr_scheduler = lr_scheduler


class _Torch:
    Parameter = staticmethod(lambda a: torch.nn.Parameter(torch.tensor(a)))
    lr_scheduler = torch.optim.lr_scheduler


@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
@pytest.mark.parametrize(
    ("name", "options"), SCHEDULES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULES)]
)
def test_schedules_match_torch(name, options, optimizer_name):
    ours = schedule(_Glassnet, getattr(optim, optimizer_name), name, options)
    theirs = schedule(_Torch, getattr(torch.optim, optimizer_name), name, options)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-18)
    assert not np.all(ours[:, 0] == ours[0, 0])  # the schedule changed the lr


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    rng = np.random.default_rng(5)
    grads = [rng.normal(size=(4, 3)), rng.normal(size=3)]
    ours = [Parameter(np.zeros_like(g), dtype=np.float64) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for param, tensor, grad in zip(ours, theirs, grads, strict=True):
        param.grad, tensor.grad = grad.copy(), torch.from_numpy(grad.copy())
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert total == pytest.approx(expected.item(), rel=1e-13)
    for param, tensor in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(param.grad, tensor.grad.numpy(), rtol=1e-13)


@pytest.mark.parametrize("cooldown", [0, 2])
@pytest.mark.parametrize("patience", [0, 1, 3])
def test_reduce_on_plateau_reduces_on_the_same_step_as_torch(patience, cooldown):
    """The (patience + 1)-th consecutive step without improvement reduces the lr, as the
    docstring says: ``patience`` such steps are tolerated."""
    metrics = [5.0, 4.0] + [4.0] * 14  # the best at step 2, no improvement after it

    def reducing_steps(optimizer, scheduler) -> list[int]:
        steps, lr = [], optimizer.param_groups[0]["lr"]
        for number, metric in enumerate(metrics, start=1):
            scheduler.step(metric)
            if optimizer.param_groups[0]["lr"] != lr:
                steps.append(number)
                lr = optimizer.param_groups[0]["lr"]
        return steps

    ours = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    theirs = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0)
    options = {"factor": 0.5, "patience": patience, "cooldown": cooldown}
    expected = reducing_steps(theirs, torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **options))
    assert reducing_steps(ours, lr_scheduler.ReduceLROnPlateau(ours, **options)) == expected
    assert expected[0] == 2 + patience + 1
