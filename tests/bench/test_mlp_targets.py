"""mlp.py judges every target the bench documents, each on the rounds of its own pair."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import mlp  # noqa: E402
from harness import Rounds  # noqa: E402

ROUNDS = 5


def constant_rounds(rates: dict[str, float]) -> Rounds:
    return Rounds({name: [rate] * ROUNDS for name, rate in rates.items()}, redone=0)


@pytest.fixture
def results():
    return {
        "train": constant_rounds({"numpy_fused": 100.0, "torch_eager": 80.0,
                                  "glassnet": 96.0, "glassnet_fit": 76.0}),  # fmt: skip
        "infer": constant_rounds({"numpy": 200.0, "glassnet": 198.0}),
        "latency": constant_rounds({"torch": 1000.0, "glassnet": 2000.0}),
    }


def test_every_documented_target_is_judged(results):
    targets = {t.label: t for t in mlp.glassnet_targets(results)}
    expected = {
        "train: glassnet speed >= 0.9x numpy_fused": (0.96, "met"),
        "train: glassnet_fit speed >= 0.9x numpy_fused": (0.76, "missed"),
        "train: glassnet speed >= 1.0x torch_eager": (1.2, "met"),
        "train: glassnet_fit speed >= 1.0x torch_eager": (0.95, "missed"),
        "infer: glassnet speed >= 0.95x numpy": (0.99, "met"),
        "latency: glassnet time <= 0.75x torch": (0.5, "met"),
    }
    assert targets.keys() == expected.keys()
    for label, (ratio, verdict) in expected.items():
        assert targets[label].ratio == pytest.approx(ratio), label
        assert targets[label].verdict == verdict, label


def test_a_target_whose_contenders_did_not_run_is_left_out(results):
    del results["train"].rates["torch_eager"]
    labels = [t.label for t in mlp.glassnet_targets(results)]
    assert not any("torch_eager" in label for label in labels)
    assert len(labels) == 4
