"""Gradient sharding: each batch split into a fixed number of shards whose gradients are summed
in shard order, so that the result does not depend on how many processes computed them.

With B rows in the batch, ``shards`` = S, shard s holds rows ``bounds[s]:bounds[s+1]``
(``np.array_split``'s sizes: the first B mod S shards one row longer). Its loss is its share of
the batch mean, so that the shares add up to the batch loss:

    L_s = Σ_{i∈s} ℓᵢ / B            (L_s = Σ_{i∈s} wᵢ·ℓᵢ / Σ_{i∈batch} wᵢ with row weights)
    g   = (…((g_0 + g_1) + g_2) + …) + g_{S-1},   g_s = ∂L_s/∂θ

ℓᵢ is the row's loss (``reduction="none"``, averaged over the row's outputs). The sum runs in
shard order whoever computed the shards: one process here, several under
``glassnet.distributed.MPISharding``, which ships the shard gradients to rank 0, sums them
with the same ``reduce_table`` and broadcasts the sum. So the weights after training are
bit-identical for any number of processes, given the same S (and the same BLAS thread count).

What does not split into shards exactly:
- dropout draws its masks, shard by shard, from a stream of its own: the generator is reseeded
  with (a key drawn once per step from glassnet's generator, the shard index) before each
  shard, and put back afterwards, so a shard's masks do not depend on which process draws them;
- BatchNorm and any layer with buffers is refused: its batch statistics would be a shard's, and
  its running statistics would differ from process to process;
- a loss that divides by something other than the number of rows (``CrossEntropyLoss(weight=)``
  divides by the sum of the class weights) is refused: ``fit(class_weight=...)`` gives that
  weighted mean in a form that splits.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.autograd import detached
from glassnet.random import default_generator, get_rng_state, set_rng_state
from glassnet.training.losses import ResolvedLoss
from glassnet.training.weights import per_sample_loss, weighted_mean

__all__ = ["GradientSharding", "ShardLayout", "ShardedStep", "reduce_table", "shard_bounds"]

_STREAM_KEYS = 2**63  # the per-step key seeding every shard's random stream


class GradientSharding:
    """Split each batch into ``shards`` parts; the batch gradient is their sum in shard order.

    ``fit(..., gradient_sharding=GradientSharding(4))`` (or ``gradient_sharding=4``) computes
    the four shard gradients in this process; ``glassnet.distributed.MPISharding(4)`` spreads
    them over the ranks of an MPI job and gives the same weights bit for bit.

    Subclasses that spread shards over processes override ``rank``, ``processes``,
    ``reduce``, ``check_same_run`` and ``callbacks_for_this_process``.

    Example:
    >>> X = np.random.default_rng(0).normal(size=(64, 3))
    >>> def train(sharding):
    ...     _ = gn.manual_seed(0)
    ...     model = gn.nn.Linear(3, 1)
    ...     optimizer = gn.optim.SGD(model.parameters(), lr=0.1)
    ...     gn.fit(model, X, X.sum(axis=1), loss="mse", optimizer=optimizer, epochs=2,
    ...            batch_size=16, shuffle=False, gradient_sharding=sharding, verbose=0)
    ...     return model.weight.data
    >>> bool(np.allclose(train(None), train(4)))  # the same gradient, summed in four parts
    True
    """

    rank = 0
    processes = 1

    def __init__(self, shards: int) -> None:
        if isinstance(shards, bool) or not isinstance(shards, numbers.Integral) or shards < 1:
            raise ValueError(f"shards must be a positive integer; got {shards!r}.")
        self.shards = int(shards)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(shards={self.shards})"

    @property
    def is_root(self) -> bool:
        """Whether this process logs, shows progress and writes files (rank 0)."""
        return self.rank == 0

    def local_shards(self) -> range:
        """The shards this process computes: a contiguous block of shards / processes."""
        per_process = self.shards // self.processes
        return range(self.rank * per_process, (self.rank + 1) * per_process)

    def reduce(self, local: np.ndarray, layout: ShardLayout, where: str) -> np.ndarray:
        """The summed batch from this process's rows of the shard table (one row per local
        shard): here every shard is local, so it is ``reduce_table`` of them. ``where`` names
        the step for error messages."""
        return reduce_table(local, layout)

    def check_same_run(self, model: Any, arrays: Sequence[np.ndarray | None],
                       settings: dict[str, Any]) -> None:
        """Refuse a run whose processes differ (weights, random state, the arrays (None for
        one not given), settings): one process cannot differ from itself."""

    def callbacks_for_this_process(self, callbacks: list[Any], backup: Any) -> tuple[list[Any],
                                                                                      Any]:
        """The callbacks and backup this process runs: all of them in a single process."""
        return callbacks, backup


def sharding_from(value: Any) -> GradientSharding | None:
    """fit's ``gradient_sharding``: None, a number of shards, or a GradientSharding."""
    if value is None or isinstance(value, GradientSharding):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return GradientSharding(int(value))
    raise TypeError(f"gradient_sharding must be None, a number of shards or a GradientSharding "
                    f"(e.g. glassnet.distributed.MPISharding); got {type(value).__name__}.")


def shard_bounds(rows: int, shards: int) -> np.ndarray:
    """(shards + 1,) row offsets: shard s is rows bounds[s]:bounds[s + 1] (array_split's)."""
    base, longer = divmod(rows, shards)
    sizes = np.full(shards, base, dtype=np.int64)
    sizes[:longer] += 1
    return np.concatenate(([0], np.cumsum(sizes)))


@dataclass(frozen=True)
class ShardLayout:
    """One row of the shard table, in the parameters' dtype:

        [ gradient (P,) | present (n_parameters,) | loss (1,) | outputs (rows_per_shard·tail,) ]

    ``present`` is 1 where the shard gave the parameter a gradient; the outputs (only when
    metrics need them) are padded to the longest shard. The reduced batch is

        [ Σ gradient (P,) | present in any shard (n_parameters,) | losses (S,) | outputs ]
    """

    shards: int
    sizes: tuple[int, ...]  # of each parameter
    dtype: np.dtype
    rows_per_shard: int
    output_tail: tuple[int, ...] | None  # one row's output shape; None: outputs not kept

    @property
    def gradient_width(self) -> int:
        return sum(self.sizes)

    @property
    def output_width(self) -> int:
        return 0 if self.output_tail is None else self.rows_per_shard * _size(self.output_tail)

    @property
    def row_width(self) -> int:
        return self.gradient_width + len(self.sizes) + 1 + self.output_width

    @property
    def reduced_width(self) -> int:
        return self.gradient_width + len(self.sizes) + self.shards * (1 + self.output_width)


def _size(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape, dtype=np.int64))


def reduce_table(table: np.ndarray, layout: ShardLayout) -> np.ndarray:
    """The reduced batch (see ShardLayout) from the whole table (shards, row_width): each
    parameter's gradient summed over the shards that gave one, in shard order."""
    gradients, parameters = layout.gradient_width, len(layout.sizes)
    present = table[:, gradients : gradients + parameters] != 0
    reduced = np.empty(layout.reduced_width, dtype=layout.dtype)
    total = reduced[:gradients]
    if present.all():  # the usual case: the whole vector at once, same order per element
        total[:] = table[0, :gradients]
        for shard in range(1, layout.shards):
            total += table[shard, :gradients]
    else:
        offsets = np.concatenate(([0], np.cumsum(layout.sizes)))
        for index in range(parameters):
            segment = total[offsets[index] : offsets[index + 1]]
            contributors = np.flatnonzero(present[:, index])
            for order, shard in enumerate(contributors):
                values = table[shard, offsets[index] : offsets[index + 1]]
                if order == 0:
                    segment[:] = values
                else:
                    segment += values
    reduced[gradients : gradients + parameters] = present.any(axis=0)
    per_shard = reduced[gradients + parameters :].reshape(layout.shards, 1 + layout.output_width)
    per_shard[:] = table[:, gradients + parameters :]
    return reduced


def check_shardable(model: Any, loss: ResolvedLoss, sharding: GradientSharding,
                    batch_size: int, rows: int) -> list[Any]:
    """The trainable parameters, after refusing what does not split into shards exactly."""
    if sharding.shards % sharding.processes:
        raise ValueError(f"shards={sharding.shards} must be a multiple of the number of "
                         f"processes ({sharding.processes}), so that each computes as many.")
    smallest = min(batch_size, rows)
    if smallest < sharding.shards:
        raise ValueError(f"gradient sharding needs at least one row per shard in a full batch: "
                         f"shards={sharding.shards}, but batch_size={batch_size} and the "
                         f"training data has {rows} rows. Use fewer shards or larger batches.")
    named_buffers = getattr(model, "named_buffers", None)
    buffers = [name for name, _ in named_buffers()] if callable(named_buffers) else []
    if buffers:
        raise ValueError(f"gradient sharding cannot split a model with buffers ({buffers[0]}): "
                         "BatchNorm's running statistics would be updated shard by shard, "
                         "differently in each process. Use LayerNorm, or BatchNorm with "
                         "track_running_stats=False (which normalises each shard by its own "
                         "statistics), or train without gradient_sharding.")
    if getattr(loss.function, "weight", None) is not None:
        raise ValueError(f"gradient sharding averages the per-row losses over the batch; "
                         f"{loss.name} with class weights divides by their sum instead, which "
                         "does not split into shards. Give the class weights to fit "
                         "(class_weight={class: weight}) and a loss without them.")
    parameters = [p for p in model.parameters() if getattr(p, "requires_grad", True)]
    dtypes = {np.dtype(p.data.dtype) for p in parameters}
    if len(dtypes) > 1:
        raise ValueError(f"gradient sharding sends the gradients as one array, so the trainable "
                         f"parameters must share one dtype; got {sorted(map(str, dtypes))}.")
    return parameters


class ShardedStep:
    """One batch's gradient, shard by shard: sets every trainable parameter's ``.grad`` to the
    batch gradient and returns (the batch's outputs or None, the batch loss Σ_s L_s)."""

    def __init__(self, sharding: GradientSharding, model: Any, loss: ResolvedLoss,
                 parameters: list[Any], keep_outputs: bool) -> None:
        self.sharding, self.model, self.parameters = sharding, model, parameters
        try:
            self.per_row: Callable[..., Any] = per_sample_loss(loss)
        except TypeError:
            raise TypeError(
                f"gradient sharding adds up the shards' per-row losses, so fit calls the loss "
                f"with reduction='none', but {loss.name!r} has no 'reduction' keyword. Give it "
                "one (returning the (N,) losses for reduction='none'), or use a built-in loss "
                "name."
            ) from None
        self.keep_outputs = keep_outputs
        self.sizes = tuple(int(p.data.size) for p in parameters)
        self.dtype = np.dtype(parameters[0].data.dtype) if parameters else np.dtype(np.float64)
        self.output_tail: tuple[int, ...] | None = None  # learnt from the first shard's output
        self.local_layout: ShardLayout | None = None
        self.local = np.empty((0, 0), dtype=self.dtype)

    def __call__(self, x_batch: np.ndarray, y_batch: np.ndarray,
                 batch_weights: np.ndarray | None, where: str) -> tuple[np.ndarray | None, float]:
        sharding, rows = self.sharding, len(x_batch)
        bounds = shard_bounds(rows, sharding.shards)
        total_weight = rows if batch_weights is None else float(np.add.reduce(batch_weights))
        key = int(default_generator().integers(_STREAM_KEYS))
        main_stream = get_rng_state()
        rows_per_shard = int(bounds[1] - bounds[0])
        local: np.ndarray | None = None
        try:
            for row, shard in enumerate(sharding.local_shards()):
                start, stop = int(bounds[shard]), int(bounds[shard + 1])
                if start == stop:  # a short last batch: this shard and the next add nothing
                    output, loss = None, None
                else:
                    set_rng_state(np.random.PCG64([key, shard]).state)
                    output, loss = self._shard_gradients(
                        x_batch[start:stop], y_batch[start:stop],
                        None if batch_weights is None else batch_weights[start:stop],
                        total_weight or 1.0)
                if local is None:  # now that a shard has shown the output's shape
                    layout = self._layout(rows_per_shard)
                    local = self._local_table(layout)
                self._write_row(local[row], layout, output, loss)
        finally:
            set_rng_state(main_stream)
        reduced = sharding.reduce(local, layout, where)
        return self._unpack(reduced, layout, bounds)

    def _shard_gradients(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None,
                         total_weight: float) -> tuple[np.ndarray, np.ndarray]:
        """Leave ∂L_s/∂θ in the parameters' .grad; return the shard's (output, L_s)."""
        for parameter in self.parameters:
            parameter.grad = None
        output = self.model(detached(x))
        losses = self.per_row(output, detached(y))
        if weights is None:
            loss = losses.sum() * (1.0 / total_weight)
        else:
            loss = weighted_mean(losses, weights, total_weight)
        loss.backward()
        if self.keep_outputs:
            self.output_tail = tuple(output.data.shape[1:])
        return output.data, loss.data

    def _local_table(self, layout: ShardLayout) -> np.ndarray:
        """This process's rows of the shard table, reused from step to step (they are copied
        into the reduced batch before the next step)."""
        if self.local_layout != layout:
            self.local_layout = layout
            self.local = np.empty((len(self.sharding.local_shards()), layout.row_width),
                                  dtype=layout.dtype)
        return self.local

    def _write_row(self, row: np.ndarray, layout: ShardLayout, output: np.ndarray | None,
                   loss: np.ndarray | None) -> None:
        """[gradient | present | loss | outputs] of one shard: from the parameters' .grad, or
        zeros (nothing present) for an empty shard."""
        offset, flags = 0, layout.gradient_width
        for index, parameter in enumerate(self.parameters):
            size = layout.sizes[index]
            grad = None if output is None else parameter.grad
            if grad is None:
                row[offset : offset + size] = 0
            else:
                row[offset : offset + size] = grad.reshape(-1)
            row[flags + index] = grad is not None
            offset += size
        after = flags + len(layout.sizes)
        row[after] = 0 if loss is None else loss
        if layout.output_tail is not None:
            written = 0 if output is None else output.size
            if written:
                row[after + 1 : after + 1 + written] = output.reshape(-1)
            row[after + 1 + written :] = 0

    def _layout(self, rows_per_shard: int) -> ShardLayout:
        tail = None
        if self.keep_outputs:
            if self.output_tail is None:
                raise RuntimeError("no shard of this process has had rows yet, so the shape of "
                                   "the model's output is unknown")
            tail = self.output_tail
        return ShardLayout(self.sharding.shards, self.sizes, self.dtype, rows_per_shard, tail)

    def _unpack(self, reduced: np.ndarray, layout: ShardLayout,
                bounds: np.ndarray) -> tuple[np.ndarray | None, float]:
        gradients, count = layout.gradient_width, len(layout.sizes)
        present = reduced[gradients : gradients + count]
        offset = 0
        for index, parameter in enumerate(self.parameters):
            size = layout.sizes[index]
            parameter.grad = (reduced[offset : offset + size].reshape(parameter.data.shape)
                              if present[index] else None)
            offset += size
        per_shard = reduced[gradients + count :].reshape(layout.shards, 1 + layout.output_width)
        loss = 0.0
        for value in per_shard[:, 0].tolist():  # in shard order, as the gradients
            loss += value
        if layout.output_tail is None:
            return None, loss
        pieces = [per_shard[shard, 1 : 1 + (bounds[shard + 1] - bounds[shard])
                            * _size(layout.output_tail)] for shard in range(layout.shards)]
        outputs = np.concatenate(pieces).reshape(-1, *layout.output_tail)
        return outputs, loss
