"""examples/larger_than_memory.py, scaled down: still more data than its worker may hold."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "larger_than_memory.py"
MIB = 2**20


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("larger_than_memory", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_over_data_larger_than_the_workers_memory_limit(tmp_path):
    pytest.importorskip("distributed", reason="needs glassnet's dask extra: pip install "
                        "'glassnet[dask]'")
    pytest.importorskip("dask_ml", reason="needs glassnet's dask extra")
    pytest.importorskip("pyarrow", reason="needs glassnet's dask extra")
    example = load_example()
    # 700 MiB: the worker needs ~360 MiB before it reads data and peaked near 510 MiB with
    # partitions of 12,500 rows, under the 80 % at which Dask pauses a worker
    result = example.run(tmp_path / "data", blocks=58, rows=12_500, features=256, held_out=2,
                         memory_limit=700 * MIB)
    assert result["data_bytes"] > result["memory_limit"]
    # Dask holds a worker to its limit by watching its size (pausing it at 80 %, restarting it
    # at 95 %), not by refusing allocations, and a process's size also counts memory freed but
    # not yet returned: the worker was never restarted for its memory, and the data it held at
    # once (Dask's managed memory, sampled every 50 ms) stayed a small part of the data set
    assert not result["worker_restarted"]
    assert 0 < result["most_data_held"] < result["data_bytes"] / 4, result
    assert result["epochs"] == 56  # one partial_fit per training partition
    assert result["accuracy"] > 0.85  # 5 % of the labels are random: at most ~96 %


def test_without_dask_the_example_names_the_extra(monkeypatch):
    example = load_example()
    monkeypatch.setitem(sys.modules, "dask_ml.wrappers", None)  # import fails: ImportError
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[dask\]'"):
        example.require_dask()
