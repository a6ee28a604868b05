"""MPISharding under ``mpiexec``: the weights bit-identical for N = 1, 2 and one plain process,
a resumed run on another N, a dead rank that stops the other with an error, the refusals.

Each test runs tests/distributed/mpi_train.py as subprocesses (one BLAS thread each, so that
every process computes a shard the same way). Without mpi4py or mpiexec they are skipped, unless
the environment variable CI is set: there a missing MPI is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).with_name("mpi_train.py")
SOURCE = Path(__file__).resolve().parents[2] / "src"
ENVIRONMENT = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCE),
                                                           os.environ.get("PYTHONPATH")]))}
DEAD_RANK_TIMEOUT = 3.0
ABORT_EXIT_CODE = 70  # glassnet.distributed.mpi's (not imported here: it initialises MPI)
GENEROUS_BOUND = 60.0  # seconds for any one mpiexec: start-up, training, a timeout and abort


def find_mpiexec() -> str | None:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return None
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPIEXEC = find_mpiexec()
if MPIEXEC is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI is set but mpi4py or mpiexec is missing: install the distributed "
                           "extra (pip install 'glassnet[distributed]'), which brings both.")
    pytest.skip("needs mpi4py and mpiexec: pip install 'glassnet[distributed]'",
                allow_module_level=True)


def launch(out: Path, *options: str, processes: int | None = None,
           launcher: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """mpi_train.py alone (processes None) or under ``mpiexec -n processes``."""
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(SCRIPT), str(out), *options]
    if processes is not None:
        command = [MPIEXEC, *launcher, "-n", str(processes), *command, "--mpi"]
    return subprocess.run(command, capture_output=True, text=True, env=ENVIRONMENT,
                          timeout=GENEROUS_BOUND, check=False)


def trained(out: Path, *options: str, processes: int | None = None) -> dict[str, np.ndarray]:
    finished = launch(out, *options, processes=processes)
    assert finished.returncode == 0, finished.stderr
    return dict(np.load(out / "rank0.npz"))


def assert_bit_identical(first: dict[str, np.ndarray], second: dict[str, np.ndarray]) -> None:
    assert sorted(first) == sorted(second)
    for key in first:
        assert first[key].dtype == second[key].dtype, key
        assert first[key].tobytes() == second[key].tobytes(), key


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    """One process without MPI, GradientSharding(4)."""
    return trained(tmp_path_factory.mktemp("plain"))


def test_two_ranks_give_the_weights_of_one_plain_process_bit_for_bit(tmp_path, plain):
    finished = launch(tmp_path, "--verbose", "2", processes=2)
    assert finished.returncode == 0, finished.stderr
    two = dict(np.load(tmp_path / "rank0.npz"))
    assert_bit_identical(plain, two)
    assert_bit_identical(two, dict(np.load(tmp_path / "rank1.npz")))  # every rank ends alike
    assert "history:val_accuracy" in two and len(two["history:loss"]) == 4
    # rank 0 alone showed its progress and wrote its checkpoint
    assert [line.split(" - ")[0] for line in finished.stdout.splitlines()] == [
        f"Epoch {epoch}/4" for epoch in range(1, 5)]
    assert (tmp_path / "checkpoint-rank0.safetensors").exists()
    assert not (tmp_path / "checkpoint-rank1.safetensors").exists()


def test_one_rank_gives_the_weights_of_one_plain_process_bit_for_bit(tmp_path, plain):
    assert_bit_identical(plain, trained(tmp_path, processes=1))


def test_other_shard_counts_give_other_weights(tmp_path, plain):
    """The comparisons above could not fail if the shards changed nothing."""
    two_shards = trained(tmp_path, "--shards", "2", processes=2)
    assert any(plain[key].tobytes() != two_shards[key].tobytes() for key in plain)


def test_a_run_interrupted_on_two_ranks_resumes_on_one_bit_for_bit(tmp_path, plain):
    backup = str(tmp_path / "backup")
    first = launch(tmp_path, "--backup", backup, "--interrupt-after", "1", processes=2)
    assert first.returncode == 0, first.stderr
    assert "rank 0 interrupted" in first.stdout and "rank 1 interrupted" in first.stdout
    assert not (tmp_path / "rank0.npz").exists()
    assert os.listdir(backup) == ["backup.safetensors"]  # epoch 0's, written by rank 0 alone
    resumed = trained(tmp_path, "--backup", backup, processes=1)
    assert_bit_identical(plain, resumed)
    assert not os.path.exists(backup)  # deleted when the resumed run completed


def test_a_rank_that_dies_stops_the_other_with_an_error_within_the_timeout(tmp_path):
    # -disable-auto-cleanup: mpiexec would otherwise kill rank 0 itself when rank 1 exits; this
    # stands in for a rank lost without the launcher noticing (a node gone, a hung process).
    started = time.monotonic()
    finished = launch(tmp_path, "--die-at-step", "5", "--timeout", str(DEAD_RANK_TIMEOUT),
                      processes=2, launcher=("-disable-auto-cleanup",))
    elapsed = time.monotonic() - started
    assert finished.returncode == ABORT_EXIT_CODE, finished.stderr  # MPI_Abort ended the job
    # read from the file the rank wrote: hydra may drop an aborted job's last stderr under load
    error = (tmp_path / "error-rank0.txt").read_text()
    assert "RankTimeout: MPI rank 0: rank 1 did not answer within 3 s" in error
    assert "epoch 2, batch 1" in error  # step 5: 5 batches of 30 per epoch
    assert elapsed < GENEROUS_BOUND
    assert not (tmp_path / "rank0.npz").exists()


def test_the_ranks_refuse_shards_they_cannot_share_and_runs_that_differ(tmp_path):
    finished = launch(tmp_path, "--refusals", "--timeout", str(DEAD_RANK_TIMEOUT),
                      processes=2)
    assert finished.returncode == 0, finished.stderr
    for rank in (0, 1):
        assert (f"rank {rank} refused: shards=3 must be a multiple of the number of MPI ranks "
                "(2)") in finished.stdout
        assert (f"rank {rank} mismatch: MPI rank 1 differs from rank 0 in its training "
                "data") in finished.stdout
