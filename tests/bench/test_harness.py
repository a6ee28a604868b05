"""The benchmark's verdicts: a target is met or missed only when its whole interval says so."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import harness  # noqa: E402
from harness import Target, interleaved_rates, ratio_interval, ratio_target  # noqa: E402


@pytest.mark.parametrize(
    "low, high, at_least, verdict",
    [
        (0.91, 0.97, True, "met"),
        (0.85, 0.89, True, "missed"),
        (0.88, 0.93, True, "within noise"),
        (0.50, 0.70, False, "met"),
        (0.80, 0.90, False, "missed"),
        (0.70, 0.80, False, "within noise"),
    ],
)
def test_verdict_needs_the_whole_interval_on_one_side(low, high, at_least, verdict):
    bar = 0.9 if at_least else 0.75
    assert Target("t", (low + high) / 2, low, high, bar, at_least).verdict == verdict


def test_ratio_interval_covers_the_true_ratio_and_narrows_with_more_rounds():
    rng = np.random.default_rng(1)

    def rounds(count):
        slow_spells = rng.uniform(0.7, 1.0, count)  # the machine's speed, shared by a round
        fused = 100 * slow_spells * rng.normal(1, 0.05, count)
        ours = 93 * slow_spells * rng.normal(1, 0.05, count)
        return ours, fused

    few_low, few_high = ratio_interval(*rounds(11))
    many_low, many_high = ratio_interval(*rounds(201))
    assert few_low < 0.93 < few_high and many_low < 0.93 < many_high
    assert many_high - many_low < 0.75 * (few_high - few_low)


def test_ratio_target_is_the_median_of_the_rounds_ratios_and_shows_the_ratio_of_medians():
    # per round: 2, 4, 1.5 -> median 2; medians 3 / 1 = 3
    target = ratio_target("t", [2.0, 4.0, 3.0], [1.0, 1.0, 2.0], 1.0)
    assert target.ratio == pytest.approx(2.0)
    assert target.ratio_of_medians == pytest.approx(3.0)
    assert target.low <= target.ratio <= target.high


def test_pairing_the_rounds_cancels_a_slow_spell_they_share():
    rng = np.random.default_rng(2)
    slow_spells = rng.uniform(0.6, 1.0, 41)
    fused = 100 * slow_spells * rng.normal(1, 0.03, 41)
    ours = 93 * slow_spells * rng.normal(1, 0.03, 41)
    low, high = ratio_interval(ours, fused)
    draws = rng.integers(0, 41, size=(4000, 41))
    of_medians = np.median(ours[draws], axis=1) / np.median(fused[draws], axis=1)
    unpaired_low, unpaired_high = np.quantile(of_medians, [0.025, 0.975])
    assert low < 0.93 < high
    assert high - low < 0.5 * (unpaired_high - unpaired_low)


def test_ratio_interval_wants_paired_rounds():
    with pytest.raises(ValueError, match="paired rounds"):
        ratio_interval([1.0, 2.0], [1.0])


def test_a_target_survives_the_json_the_scripts_hand_to_run_all():
    target = Target("t", 0.93, 0.9, 0.96, 0.9, at_least=True, ratio_of_medians=0.92)
    entry = target.to_json()
    assert entry["verdict"] == "met"
    assert Target.from_json(entry) == target


def test_no_contender_always_runs_right_after_the_same_one(quick_rounds):
    calls = []

    def run(name):
        def runner():
            calls.append(name)
            return 1

        return runner

    names = ["a", "b", "c", "d"]
    result = interleaved_rates({name: run(name) for name in names}, rounds=24, warmup_rounds=0,
                               collect_garbage=False)  # a full collection walks the suite's heap
    assert all(len(result.rates[name]) == 24 for name in names)
    rounds = [calls[i : i + 4] for i in range(0, len(calls), 4)]
    assert all(sorted(order) == names for order in rounds)  # each once per round
    followed = {name: {order[order.index(name) - 1] for order in rounds if order[0] != name}
                for name in names}  # fmt: skip
    assert all(followed[name] == set(names) - {name} for name in names)
    assert {order[0] for order in rounds} == set(names)


@pytest.mark.parametrize("collect_garbage, collections", [(True, 3 * 2), (False, 0)])
def test_garbage_is_collected_before_each_timed_run_unless_turned_off(
    monkeypatch, quick_rounds, collect_garbage, collections
):
    events = []
    monkeypatch.setattr(harness.gc, "collect", lambda: events.append("collect"))

    def run(name):
        def runner():
            events.append(name)
            return 1

        return runner

    interleaved_rates({name: run(name) for name in "ab"}, rounds=2, warmup_rounds=1,
                      collect_garbage=collect_garbage)  # fmt: skip
    assert events.count("collect") == collections  # 3 rounds (1 warm-up) x 2 runs
    if collect_garbage:  # right before each run, so its garbage is not on the next one's clock
        assert events[0::2] == ["collect"] * collections
