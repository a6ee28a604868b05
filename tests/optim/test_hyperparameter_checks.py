"""NaN and infinite hyperparameters are refused before anything changes: at construction, in
add_param_group and load_state_dict, when a group's lr is changed during training, and in
every scheduler's arguments and results."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from optim_cases import make_parameters

import glassnet as gn
import glassnet.optim as optim
from glassnet import nn
from glassnet.optim import lr_scheduler

NON_FINITE = [pytest.param(math.nan, id="nan"), pytest.param(math.inf, id="inf"),
              pytest.param(-math.inf, id="-inf")]

# every hyperparameter of every optimizer that holds a number (the flags are not numbers)
HYPERPARAMETERS = [
    *[("SGD", name) for name in ("lr", "momentum", "dampening", "weight_decay")],
    *[(optimizer, name) for optimizer in ("Adam", "AdamW")
      for name in ("lr", "betas[0]", "betas[1]", "eps", "weight_decay")],
    *[("RMSprop", name) for name in ("lr", "alpha", "eps", "weight_decay", "momentum")],
    *[("Adagrad", name)
      for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")],
]
PARAMETRIZED = [pytest.param(o, h, id=f"{o}-{h}") for o, h in HYPERPARAMETERS]


def with_value(hyperparameter: str, value: float) -> dict:
    """Keyword arguments setting ``hyperparameter`` ("betas[1]": one entry of betas)."""
    if hyperparameter.startswith("betas["):
        betas = [0.9, 0.999]
        betas[int(hyperparameter[len("betas[")])] = value
        return {"betas": tuple(betas)}
    return {hyperparameter: value}


def message_for(hyperparameter: str, value: float) -> str:
    shown = str(value).replace("+", r"\+")
    label = hyperparameter.replace("[", r"\[").replace("]", r"\]")
    return rf"^Invalid [a-z_ ]+( at index \d)?: {shown}; {label} must be a finite number"


def momentum_sgd(params) -> optim.Optimizer:
    return optim.SGD(params, lr=0.1, momentum=0.9)


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize(("optimizer_name", "hyperparameter"), PARAMETRIZED)
def test_the_constructor_refuses_a_non_finite_hyperparameter(optimizer_name, hyperparameter,
                                                             value):
    with pytest.raises(ValueError, match=message_for(hyperparameter, value)):
        getattr(optim, optimizer_name)(make_parameters(), **with_value(hyperparameter, value))


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize(("optimizer_name", "hyperparameter"), PARAMETRIZED)
def test_add_param_group_refuses_it_and_adds_nothing(optimizer_name, hyperparameter, value):
    weight, bias = make_parameters()
    optimizer = getattr(optim, optimizer_name)([weight])
    group = {"params": [bias], **with_value(hyperparameter, value)}
    with pytest.raises(ValueError, match=message_for(hyperparameter, value)):
        optimizer.add_param_group(group)
    assert len(optimizer.param_groups) == 1 and bias not in optimizer.state


@pytest.mark.parametrize(("optimizer_name", "hyperparameter"), PARAMETRIZED)
def test_load_state_dict_refuses_it_and_changes_nothing(optimizer_name, hyperparameter):
    optimizer = getattr(optim, optimizer_name)(make_parameters())
    saved = optimizer.state_dict()
    name = hyperparameter.split("[")[0]
    value = with_value(hyperparameter, math.nan)[name]
    saved["param_groups"][0][name] = list(value) if isinstance(value, tuple) else value
    before = copy.deepcopy(optimizer.param_groups)
    with pytest.raises(ValueError, match=message_for(hyperparameter, math.nan)):
        optimizer.load_state_dict(saved)
    assert repr(optimizer.param_groups) == repr(before)


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_step_refuses_a_group_lr_set_to_it_before_updating_any_group(optimizer_name, value):
    weight, bias = make_parameters()
    optimizer = getattr(optim, optimizer_name)([{"params": [weight]}, {"params": [bias]}], lr=0.1)
    optimizer.param_groups[1]["lr"] = value  # as a scheduler, a callback or a user might
    for param in (weight, bias):
        param.grad = np.ones_like(param.data)
    weights_before = [weight.data.copy(), bias.data.copy()]
    state_before = copy.deepcopy(optimizer.state_dict()["state"])
    with pytest.raises(ValueError, match=r"Invalid learning rate: .*group 1 holds it"):
        optimizer.step()
    # group 0 comes first and its lr is fine: it must not have been updated either
    for before, param in zip(weights_before, (weight, bias), strict=True):
        assert np.array_equal(before, param.data)
    assert repr(optimizer.state_dict()["state"]) == repr(state_before)


def test_step_refuses_a_learning_rate_that_is_not_a_number():
    weight, _ = make_parameters()
    optimizer = optim.SGD([weight], lr=0.1)
    optimizer.param_groups[0]["lr"] = "0.1"
    weight.grad = np.ones_like(weight.data)
    with pytest.raises(TypeError, match="lr must be a finite number >= 0; got '0.1' \\(str\\)"):
        optimizer.step()


@pytest.mark.parametrize("value", NON_FINITE)
def test_fit_with_a_non_finite_learning_rate_makes_no_update(value):
    """Before, fit made one update with the NaN lr (every weight NaN), then said it diverged."""
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    optimizer.param_groups[0]["lr"] = value
    weights = model.state_dict()
    X = np.random.default_rng(0).normal(size=(8, 3))
    with pytest.raises(ValueError, match="Invalid learning rate"):
        gn.fit(model, X, np.arange(8) % 2, loss="cross_entropy", optimizer=optimizer, epochs=2,
               verbose=0)
    assert all(np.array_equal(weights[k], v) for k, v in model.state_dict().items())
    assert optimizer.state == {}


# -- schedulers --------------------------------------------------------------------------------
def scheduler_cases():
    """(id, make(optimizer, value), error type): each numeric argument of each scheduler."""
    plateau = lr_scheduler.ReduceLROnPlateau
    cycle = lr_scheduler.OneCycleLR
    return [
        ("StepLR-gamma", lambda o, v: lr_scheduler.StepLR(o, step_size=2, gamma=v), ValueError),
        ("ExponentialLR-gamma", lambda o, v: lr_scheduler.ExponentialLR(o, gamma=v), ValueError),
        ("CosineAnnealingLR-T_max",
         lambda o, v: lr_scheduler.CosineAnnealingLR(o, T_max=v), ValueError),
        ("CosineAnnealingLR-eta_min",
         lambda o, v: lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=v), ValueError),
        ("ReduceLROnPlateau-factor", lambda o, v: plateau(o, factor=v), ValueError),
        ("ReduceLROnPlateau-threshold", lambda o, v: plateau(o, threshold=v), ValueError),
        ("ReduceLROnPlateau-eps", lambda o, v: plateau(o, eps=v), ValueError),
        ("ReduceLROnPlateau-min_lr", lambda o, v: plateau(o, min_lr=v), ValueError),
        ("ReduceLROnPlateau-min_lr-list", lambda o, v: plateau(o, min_lr=[0.0, v]), ValueError),
        ("ReduceLROnPlateau-patience", lambda o, v: plateau(o, patience=v), TypeError),
        ("ReduceLROnPlateau-cooldown", lambda o, v: plateau(o, cooldown=v), TypeError),
        ("OneCycleLR-max_lr", lambda o, v: cycle(o, max_lr=v, total_steps=10), ValueError),
        ("OneCycleLR-max_lr-list",
         lambda o, v: cycle(o, max_lr=[0.1, v], total_steps=10), ValueError),
        ("OneCycleLR-pct_start",
         lambda o, v: cycle(o, max_lr=0.1, total_steps=10, pct_start=v), ValueError),
        ("OneCycleLR-div_factor",
         lambda o, v: cycle(o, max_lr=0.1, total_steps=10, div_factor=v), ValueError),
        ("OneCycleLR-final_div_factor",
         lambda o, v: cycle(o, max_lr=0.1, total_steps=10, final_div_factor=v), ValueError),
        ("OneCycleLR-base_momentum",
         lambda o, v: cycle(o, max_lr=0.1, total_steps=10, base_momentum=v), ValueError),
        ("OneCycleLR-max_momentum",
         lambda o, v: cycle(o, max_lr=0.1, total_steps=10, max_momentum=v), ValueError),
    ]


def two_groups() -> optim.SGD:
    weight, bias = make_parameters()
    return optim.SGD([{"params": [weight]}, {"params": [bias], "lr": 0.05}], lr=0.1,
                     momentum=0.9)


def plain_groups(optimizer: optim.Optimizer) -> list[dict]:
    return [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize(("make", "error"), [pytest.param(m, e, id=i)
                                              for i, m, e in scheduler_cases()])
def test_scheduler_arguments_are_refused_before_any_group_changes(make, error, value):
    optimizer = two_groups()
    before = plain_groups(optimizer)
    with pytest.raises(error, match="must be"):
        make(optimizer, value)
    assert repr(plain_groups(optimizer)) == repr(before)


def test_one_cycle_refuses_a_beta1_of_one_or_more_for_adam():
    optimizer = optim.Adam(make_parameters())
    with pytest.raises(ValueError, match=r"max_momentum must be a finite number in \[0, 1\)"):
        lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=10, max_momentum=1.2)
    assert optimizer.param_groups[0]["betas"] == (0.9, 0.999)


def test_a_scheduler_never_writes_an_infinite_lr():
    optimizer = optim.SGD(make_parameters(), lr=1.0)
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=1e100)
    for _ in range(3):
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(1e300)
    with pytest.raises(ValueError, match="ExponentialLR computed the learning rate inf for "
                                         "parameter group 0 at epoch 4"):
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(1e300)  # unchanged
    assert scheduler.last_epoch == 3 and scheduler.get_last_lr() == pytest.approx([1e300])


def test_reduce_on_plateau_refuses_a_nan_metric_and_changes_nothing():
    optimizer = optim.SGD(make_parameters(), lr=1.0)
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
    scheduler.step(1.0)
    with pytest.raises(ValueError, match="NaN metric at epoch 2"):
        scheduler.step(math.nan)  # PyTorch counts it as a bad epoch: the lr would drop
    assert optimizer.param_groups[0]["lr"] == 1.0
    assert (scheduler.best, scheduler.num_bad_epochs, scheduler.last_epoch) == (1.0, 0, 1)


def test_one_cycle_keeps_its_final_lr_on_the_step_past_the_end():
    """A loop stepping after each of total_steps batches steps once past the end; PyTorch's
    linear annealing extrapolates there to a negative lr (-0.0143 here)."""
    optimizer = optim.SGD(make_parameters(), lr=0.1, momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=100,
                                        anneal_strategy="linear")
    for _ in range(99):
        scheduler.step()
    last_lr, last_momentum = scheduler.get_last_lr()[0], optimizer.param_groups[0]["momentum"]
    assert last_lr == pytest.approx(1.0 / 25 / 1e4)
    scheduler.step()
    assert scheduler.get_last_lr()[0] == last_lr
    assert optimizer.param_groups[0]["momentum"] == last_momentum
