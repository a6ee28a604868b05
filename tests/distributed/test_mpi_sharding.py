"""Gradient sharding in one process (training/sharding.py, what MPISharding builds on), and
glassnet.distributed without mpi4py. No MPI needed here."""

from __future__ import annotations

import doctest
import importlib
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd import detached
from glassnet.training.losses import resolve_loss
from glassnet.training.sharding import (
    GradientSharding,
    ShardedStep,
    ShardLayout,
    reduce_table,
    shard_bounds,
)


def small_model(dtype=np.float64) -> gn.nn.Module:
    gn.manual_seed(0)
    model = gn.nn.Sequential(gn.nn.Linear(3, 5), gn.nn.Tanh(), gn.nn.Linear(5, 2))
    for parameter in model.parameters():
        parameter.data = parameter.data.astype(dtype)
    return model


def batch(rows: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.normal(size=(rows, 3)), rng.integers(0, 2, size=rows), rng.uniform(0, 2, rows)


def whole_batch_gradients(model, X, y, weights=None) -> list[np.ndarray]:
    """The reference: one backward of the batch's (weighted) mean loss."""
    model.zero_grad()
    losses = gn.functional.cross_entropy(model(detached(X)), detached(y), reduction="none")
    if weights is None:
        losses.mean().backward()
    else:
        ((losses * detached(weights)).sum() * (1.0 / weights.sum())).backward()
    return [parameter.grad.copy() for parameter in model.parameters()]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample-weighted"])
@pytest.mark.parametrize("rows", [10, 13])
def test_the_shard_gradients_add_up_to_the_batch_gradient(weighted, rows):
    model = small_model()
    X, y, weights = batch(rows)
    weights = weights if weighted else None
    expected = whole_batch_gradients(model, X, y, weights)
    step = ShardedStep(GradientSharding(4), model, resolve_loss("cross_entropy"),
                       list(model.parameters()), keep_outputs=True)
    outputs, loss = step(X, y, weights, "a test")
    for parameter, gradient in zip(model.parameters(), expected, strict=True):
        np.testing.assert_allclose(parameter.grad, gradient, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(outputs, model(detached(X)).data, rtol=1e-13)
    reference = gn.functional.cross_entropy(model(detached(X)), detached(y), reduction="none").data
    mean = reference.mean() if weights is None else (reference * weights).sum() / weights.sum()
    assert loss == pytest.approx(mean, rel=1e-12)


def test_a_short_last_batch_leaves_the_empty_shards_out():
    model = small_model()
    X, y, _ = batch(2)  # four shards, two of them empty
    expected = whole_batch_gradients(model, X, y)
    step = ShardedStep(GradientSharding(4), model, resolve_loss("cross_entropy"),
                       list(model.parameters()), keep_outputs=True)
    step.output_tail = (2,)  # learnt from an earlier, full batch in fit
    outputs, loss = step(X, y, None, "a test")
    assert np.isfinite(loss) and outputs.shape == (2, 2)
    for parameter, gradient in zip(model.parameters(), expected, strict=True):
        np.testing.assert_allclose(parameter.grad, gradient, rtol=1e-12)


def test_the_sum_runs_in_shard_order_over_the_shards_that_gave_a_gradient():
    layout = ShardLayout(shards=3, sizes=(2, 1), dtype=np.dtype(np.float32), rows_per_shard=1,
                         output_tail=None)
    # rows: [gradient of p0 (2) | of p1 (1) | present p0, p1 | loss]
    table = np.array([[1e8, 1.0, 5.0, 1, 1, 0.5],
                      [-1e8, 2.0, 0.0, 1, 0, 0.25],
                      [1.0, 3.0, 7.0, 1, 1, 0.125]], dtype=np.float32)
    reduced = reduce_table(table, layout)
    # (1e8 + -1e8) + 1 = 1 in float32; another order would give 0
    np.testing.assert_array_equal(reduced[:2], np.float32([1.0, 6.0]))
    assert reduced[2] == 12.0  # shard 1 gave p1 no gradient: 5 + 7, no zero added
    np.testing.assert_array_equal(reduced[3:5], [1, 1])
    np.testing.assert_array_equal(reduced[5:], [0.5, 0.25, 0.125])
    table[:, 4] = 0  # p1 absent everywhere: marked absent, so fit leaves its .grad None
    assert reduce_table(table, layout)[4] == 0


def test_shard_bounds_follow_array_split():
    for rows, shards in [(10, 4), (3, 4), (8, 8), (128, 2)]:
        sizes = [len(part) for part in np.array_split(np.arange(rows), shards)]
        assert np.diff(shard_bounds(rows, shards)).tolist() == sizes


def fit_with(model, sharding, X=None, y=None, **options):
    X, y = (batch(40)[:2]) if X is None else (X, y)
    optimizer = gn.optim.SGD(model.parameters(), lr=0.1)
    return gn.fit(model, X, y, loss=options.pop("loss", "cross_entropy"), optimizer=optimizer,
                  epochs=2, batch_size=options.pop("batch_size", 8), verbose=0,
                  gradient_sharding=sharding, **options)


def test_fit_with_shards_trains_as_the_whole_batch_does_without_dropout():
    X, y, _ = batch(40)
    plain, sharded = small_model(), small_model()
    gn.manual_seed(5)
    fit_with(plain, None, X, y, shuffle=False)
    gn.manual_seed(5)
    history = fit_with(sharded, 4, X, y, shuffle=False, metrics=["accuracy"])
    for a, b in zip(plain.parameters(), sharded.parameters(), strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-10)
    assert all(parameter.grad is None for parameter in sharded.parameters())
    assert len(history.history["accuracy"]) == 2


class Captured(Exception):
    """Stops a step at its exchange, carrying this process's rows of the shard table."""


class CapturingRank(GradientSharding):
    """Rank ``rank`` of ``processes``, whose exchange only records what it would send."""

    def __init__(self, shards: int, rank: int, processes: int) -> None:
        super().__init__(shards)
        self.rank, self.processes = rank, processes

    def reduce(self, local, layout, where):
        raise Captured(local.copy())


def shard_rows(rank: int, processes: int) -> np.ndarray:
    gn.manual_seed(0)
    model = gn.nn.Sequential(gn.nn.Linear(3, 64), gn.nn.Dropout(0.5), gn.nn.Linear(64, 2))
    step = ShardedStep(CapturingRank(4, rank, processes), model, resolve_loss("cross_entropy"),
                       list(model.parameters()), keep_outputs=True)
    X, y, _ = batch(12)
    with pytest.raises(Captured) as captured:
        step(X.astype(np.float32), y, None, "a test")
    return captured.value.args[0]


def test_a_shard_draws_the_same_dropout_masks_whichever_process_computes_it():
    alone = shard_rows(0, 1)  # all four shards, in order, in one process
    assert shard_rows(1, 2).tobytes() == alone[2:].tobytes()  # shards 2 and 3 on rank 1 of 2
    assert shard_rows(3, 4).tobytes() == alone[3:].tobytes()


class TwoProcesses(GradientSharding):
    processes = 2


@pytest.mark.parametrize(("sharding", "options", "message"), [
    pytest.param(TwoProcesses(3), {}, "shards=3 must be a multiple of the number of processes",
                 id="shards-not-shared"),
    pytest.param(16, {}, "at least one row per shard in a full batch: shards=16, but "
                 "batch_size=8", id="too-many-shards"),
    pytest.param(2, {"loss": gn.nn.CrossEntropyLoss(weight=np.array([1.0, 2.0]))},
                 "fit (class_weight={class: weight})", id="loss-with-class-weights"),
])
def test_what_does_not_shard_is_refused_before_anything_changes(sharding, options, message):
    model = small_model()
    before = {name: value.copy() for name, value in model.state_dict().items()}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("{", r"\{").replace("}", r"\}")):
        fit_with(model, sharding, **options)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_a_loss_without_reduction_is_refused_with_the_reason():
    def mean_squares(output, target):
        return ((output - target) ** 2).mean()

    X, _, _ = batch(16)
    with pytest.raises(TypeError, match="gradient sharding adds up the shards' per-row losses.*"
                                        "'mean_squares' has no 'reduction' keyword"):
        fit_with(small_model(), 2, X, X[:, :2], loss=mean_squares)


def test_batchnorm_with_running_statistics_is_refused():
    model = gn.nn.Sequential(gn.nn.Linear(3, 4), gn.nn.BatchNorm1d(4), gn.nn.Linear(4, 2))
    with pytest.raises(ValueError, match="a model with buffers .*running_mean"):
        fit_with(model, 2)


@pytest.mark.parametrize("value", [0, -2, True, 2.0, "4"])
def test_shards_must_be_a_positive_integer(value):
    with pytest.raises((TypeError, ValueError), match="shards|gradient_sharding"):
        fit_with(small_model(), value)


def test_without_mpi4py_the_import_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py now raises ImportError
    monkeypatch.delitem(sys.modules, "glassnet.distributed.mpi", raising=False)
    distributed = importlib.import_module("glassnet.distributed")  # needs no engine itself
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[distributed\]'"):
        from glassnet.distributed import MPISharding  # noqa: F401
    with pytest.raises(ImportError, match="mpi4py"):
        distributed.MPISharding  # noqa: B018


def test_the_docstring_example_runs_and_shows_what_it_says():
    found = doctest.DocTestFinder(recurse=False).find(GradientSharding, "GradientSharding",
                                                      globs={"gn": gn, "np": np})
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in found:
        runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert attempted >= 3 and failed == 0
