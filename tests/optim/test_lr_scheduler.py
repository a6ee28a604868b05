"""Learning-rate schedules against their closed-form formulas, worked examples for
ReduceLROnPlateau, the shape of the one-cycle policy, and state_dict round trips."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import glassnet.optim as optim
from glassnet.nn import Parameter
from glassnet.optim import lr_scheduler

RELATIVE = 1e-12


def two_group_sgd(first_lr: float = 0.1, second_lr: float = 0.03, **options) -> optim.SGD:
    return optim.SGD(
        [
            {"params": [Parameter(np.zeros(2))], "lr": first_lr},
            {"params": [Parameter(np.zeros(3))], "lr": second_lr},
        ],
        **options,
    )


def lr_sequence(scheduler, steps: int) -> list[list[float]]:
    """get_last_lr() at creation and after each step; also checks the groups hold the same."""
    sequence = [scheduler.get_last_lr()]
    for _ in range(steps):
        scheduler.optimizer.step()
        scheduler.step()
        sequence.append(scheduler.get_last_lr())
        assert sequence[-1] == [group["lr"] for group in scheduler.optimizer.param_groups]
    return sequence


def assert_sequences_close(actual, expected, absolute=0.0):
    np.testing.assert_allclose(np.array(actual), np.array(expected), rtol=RELATIVE, atol=absolute)


def test_step_lr_multiplies_by_gamma_every_step_size_epochs():
    scheduler = lr_scheduler.StepLR(two_group_sgd(), step_size=3, gamma=0.5)
    expected = [[base * 0.5 ** (epoch // 3) for base in (0.1, 0.03)] for epoch in range(20)]
    assert_sequences_close(lr_sequence(scheduler, 19), expected)


def test_exponential_lr_multiplies_by_gamma_every_epoch():
    scheduler = lr_scheduler.ExponentialLR(two_group_sgd(), gamma=0.9)
    expected = [[base * 0.9**epoch for base in (0.1, 0.03)] for epoch in range(30)]
    assert_sequences_close(lr_sequence(scheduler, 29), expected)


def test_cosine_annealing_follows_the_closed_form_over_several_periods():
    eta_min = 1e-3
    scheduler = lr_scheduler.CosineAnnealingLR(two_group_sgd(), T_max=10, eta_min=eta_min)
    expected = [
        [
            eta_min + (base - eta_min) * (1 + math.cos(math.pi * epoch / 10)) / 2
            for base in (0.1, 0.03)
        ]
        for epoch in range(36)
    ]
    sequence = lr_sequence(scheduler, 35)
    assert_sequences_close(sequence, expected, absolute=1e-15)
    assert sequence[10] == pytest.approx([eta_min, eta_min], rel=1e-12)


def test_reduce_on_plateau_waits_patience_epochs_then_reduces():
    optimizer = two_group_sgd(1.0, 0.5)
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
    # 10 and 9 improve; from the third 9 on, every epoch is bad: the third bad one reduces
    lrs = []
    for metric in [10, 9, 9, 9, 9, 9, 9, 9]:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr()[0])
    assert lrs == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    assert scheduler.get_last_lr()[1] == 0.125


def test_reduce_on_plateau_cooldown_min_lr_and_max_mode():
    optimizer = two_group_sgd(1.0, 1.0)
    scheduler = lr_scheduler.ReduceLROnPlateau(
        optimizer,
        mode="max",
        factor=0.1,
        patience=0,
        threshold=0.5,
        threshold_mode="abs",
        cooldown=1,
        min_lr=[0.05, 0.0],
    )
    lrs = []
    # 2.0 improves on -inf; 2.4 is not 0.5 better: bad, reduce, one cooldown epoch (3.0 improves
    # during it); from then on 3.1 is bad every epoch, and every second one (after the cooldown
    # epoch) reduces; the first group stops at its min_lr 0.05
    for metric in [2.0, 2.4, 3.0, 3.1, 3.1, 3.1, 3.1]:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr())
    first = [lr[0] for lr in lrs]
    second = [lr[1] for lr in lrs]
    assert first == pytest.approx([1.0, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05], rel=RELATIVE)
    assert second == pytest.approx([1.0, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001], rel=RELATIVE)
    assert scheduler.best == 3.0


def test_reduce_on_plateau_skips_changes_below_eps():
    optimizer = two_group_sgd(1e-9, 1e-9)
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, eps=1e-8)
    for metric in [1.0, 2.0, 3.0]:
        scheduler.step(metric)
    assert scheduler.get_last_lr() == [1e-9, 1e-9]


@pytest.mark.parametrize("anneal_strategy", ["cos", "linear"])
def test_one_cycle_rises_to_max_lr_then_anneals_with_inverse_momentum(anneal_strategy):
    optimizer = two_group_sgd(momentum=0.9)
    total, max_lr = 100, [1.0, 0.2]
    scheduler = lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, total_steps=total, anneal_strategy=anneal_strategy
    )
    lrs, momenta = [], []
    for _ in range(total):
        lrs.append(scheduler.get_last_lr())
        momenta.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        if len(lrs) < total:
            scheduler.step()
    lrs = np.array(lrs)
    peak = 29  # pct_start · total − 1
    np.testing.assert_allclose(lrs[0], np.array(max_lr) / 25, rtol=RELATIVE)
    np.testing.assert_allclose(lrs[peak], max_lr, rtol=RELATIVE)
    # the end value, 4e-6·max_lr, is a difference of numbers near max_lr: exact to max_lr's ulp
    np.testing.assert_allclose(lrs[-1], np.array(max_lr) / 25 / 1e4, rtol=0, atol=1e-16)
    for step in range(total):
        start, end, first, last = (
            (0, peak, 1 / 25, 1.0) if step <= peak else (peak, total - 1, 1.0, 1 / 25 / 1e4)
        )
        fraction = (step - start) / (end - start)
        if anneal_strategy == "cos":
            expected = last + (first - last) * (1 + math.cos(math.pi * fraction)) / 2
        else:
            expected = first + (last - first) * fraction
        np.testing.assert_allclose(lrs[step], expected * np.array(max_lr), rtol=0, atol=1e-15)
    assert np.all(np.diff(lrs[: peak + 1, 0]) > 0) and np.all(np.diff(lrs[peak:, 0]) < 0)
    assert momenta[0] == pytest.approx(0.95) and momenta[peak] == pytest.approx(0.85)
    assert momenta[-1] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="stepped 101 times; total_steps is 100"):
        scheduler.step()
        scheduler.step()


def test_one_cycle_cycles_adam_beta1_and_three_phases():
    weight = Parameter(np.zeros(2))
    optimizer = optim.Adam([weight], betas=(0.9, 0.99))
    scheduler = lr_scheduler.OneCycleLR(
        optimizer, max_lr=0.01, epochs=4, steps_per_epoch=10, three_phase=True, pct_start=0.25
    )
    lrs = lr_sequence(scheduler, 39)
    assert lrs[9][0] == pytest.approx(0.01, rel=RELATIVE)  # end of phase 1: 0.25·40 − 1
    assert lrs[18][0] == pytest.approx(0.01 / 25, rel=RELATIVE)  # end of phase 2: 2·0.25·40 − 2
    assert lrs[39][0] == pytest.approx(0.01 / 25 / 1e4, rel=RELATIVE)
    assert optimizer.param_groups[0]["betas"] == (pytest.approx(0.95), 0.99)


def test_one_cycle_needs_momentum_to_cycle():
    optimizer = optim.Adagrad([Parameter(np.zeros(2))])
    with pytest.raises(ValueError, match="cycle_momentum=False"):
        lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=10)
    lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=10, cycle_momentum=False)


SCHEDULERS = {
    "StepLR": lambda o: lr_scheduler.StepLR(o, step_size=4, gamma=0.3),
    "ExponentialLR": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.95),
    "CosineAnnealingLR": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
    "OneCycleLR": lambda o: lr_scheduler.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=30),
    "ReduceLROnPlateau": lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=1, cooldown=1),
}
METRICS = [5.0, 4.0, 4.0, 4.5, 3.9, 3.95, 3.99, 4.2, 3.0, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6] * 2


def advance(scheduler, epochs: range) -> list[list[float]]:
    lrs = []
    for epoch in epochs:
        scheduler.optimizer.step()
        if isinstance(scheduler, lr_scheduler.ReduceLROnPlateau):
            scheduler.step(METRICS[epoch])
        else:
            scheduler.step()
        lrs.append(scheduler.get_last_lr())
    return lrs


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_state_dict_round_trip_through_json(name):
    uninterrupted = SCHEDULERS[name](two_group_sgd(momentum=0.9))
    expected = advance(uninterrupted, range(25))

    optimizer = two_group_sgd(momentum=0.9)
    scheduler = SCHEDULERS[name](optimizer)
    first = advance(scheduler, range(10))
    saved_optimizer = json.loads(json.dumps(optimizer.state_dict()))
    saved_scheduler = json.loads(json.dumps(scheduler.state_dict()))

    resumed_optimizer = two_group_sgd(0.7, 0.7)
    resumed = SCHEDULERS[name](resumed_optimizer)
    resumed_optimizer.load_state_dict(saved_optimizer)
    resumed.load_state_dict(saved_scheduler)
    assert first + advance(resumed, range(10, 25)) == expected
