"""What the bench tests share: bench/ on the import path, and rounds that neither pause nor read
the machine's load."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import harness  # noqa: E402


class QuietMachine:
    """OtherLoad without psutil (a bench extra): no other process is ever busy."""

    def cores(self) -> float:
        return 0.0


@pytest.fixture
def quick_rounds(monkeypatch):
    """harness.interleaved_rates without its pause before each run or its load readings."""
    monkeypatch.setattr(harness, "SETTLE_SECONDS", 0.0)
    monkeypatch.setattr(harness, "OtherLoad", QuietMachine)
