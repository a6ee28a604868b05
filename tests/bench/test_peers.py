"""The bench's NumPy bar measures the computation glassnet does, in the layout glassnet uses."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import glassnet_contenders  # noqa: E402
import peers  # noqa: E402

import glassnet as gn  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return peers.make_mlp_data(n_samples=1024)


def numpy_train_peers():
    return [c for c in peers.PEERS if c.kind == "train" and c.name.startswith("numpy")]


def test_the_numpy_bars_hold_activations_in_the_layout_glassnet_computes(data):
    model = glassnet_contenders.GlassnetLoop(data).model
    hidden = model[0](gn.from_numpy(data.train_batches[0][0]))
    assert hidden.data.flags.c_contiguous  # glassnet: (batch, features), row-major
    assert numpy_train_peers(), "the bar, numpy_fused, is missing"
    for contender in numpy_train_peers():
        runner = contender.make(data)
        runner.run(1)
        buffers = (runner.hidden1, runner.hidden2, runner.dhidden1, runner.dhidden2)
        assert all(buffer.flags.c_contiguous for buffer in buffers), contender.name


def test_the_bar_and_glassnets_loop_make_the_same_updates(data):
    bar = peers.find("train", "numpy_fused").make(data)
    ours = glassnet_contenders.GlassnetLoop(data)
    bar.run(3)
    ours.run(3)
    arrays = zip(bar.weights(), ours.weights(), data.parameters, strict=True)
    for theirs, mine, start in arrays:
        assert not np.array_equal(theirs, start)  # three steps moved every weight and bias
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


def test_a_missing_glassnet_contender_names_the_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "glassnet_contenders", None)  # the import now fails
    monkeypatch.setattr(peers, "GLASSNET_IMPORT_ERROR", "")
    with pytest.raises(KeyError) as refused:
        peers.find("infer", "glassnet")
    message = refused.value.args[0]
    assert message.startswith("no contender 'glassnet' of kind 'infer'")
    assert "not available: ModuleNotFoundError: import of glassnet_contenders halted" in message
    assert peers.find("infer", "numpy").name == "numpy"  # the peers still run


def test_the_import_error_is_forgotten_once_the_import_works(monkeypatch):
    monkeypatch.setattr(peers, "GLASSNET_IMPORT_ERROR", "ImportError: half-built")
    assert peers.find("infer", "glassnet").name == "glassnet"
    assert peers.GLASSNET_IMPORT_ERROR == ""
