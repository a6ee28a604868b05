"""Grad mode belongs to a thread: no_grad in one thread never changes what another records."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import numpy as np
import pytest

import glassnet as gn

WAIT = 10.0  # seconds; a handshake that takes this long has deadlocked


def run_in_thread(target: Callable[[], None]) -> Callable[[], None]:
    """Start ``target`` in a thread; the returned join() re-raises what the thread raised."""
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            target()
        except BaseException as error:  # handed to the test's thread
            errors.append(error)

    thread = threading.Thread(target=guarded, daemon=True)
    thread.start()

    def join() -> None:
        thread.join(WAIT)
        assert not thread.is_alive(), "the thread did not finish: a handshake deadlocked"
        if errors:
            raise errors[0]

    return join


def wait(event: threading.Event) -> None:
    assert event.wait(WAIT), "the other thread never reached its step"


def records_graph() -> bool:
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    return (x * 2.0).requires_grad


def test_no_grad_in_one_thread_leaves_another_thread_recording():
    inside, done = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def without_graph() -> None:
        with gn.no_grad():
            inside.set()
            wait(done)
            seen["no_grad thread records"] = records_graph()

    join = run_in_thread(without_graph)
    wait(inside)
    assert gn.is_grad_enabled() is True
    assert records_graph() is True
    done.set()
    join()
    assert seen == {"no_grad thread records": False}


def test_a_new_thread_starts_recording_even_from_inside_no_grad():
    seen: list[bool] = []
    with gn.no_grad():
        run_in_thread(lambda: seen.append(gn.is_grad_enabled()))()
        assert gn.is_grad_enabled() is False
    assert seen == [True]


def test_a_new_thread_starts_recording_as_in_torch():
    torch = pytest.importorskip("torch")
    seen: list[bool] = []
    with torch.no_grad():
        run_in_thread(lambda: seen.append(torch.is_grad_enabled()))()
    with gn.no_grad():
        run_in_thread(lambda: seen.append(gn.is_grad_enabled()))()
    assert seen == [True, True]


def make_block(kind: str) -> Callable[[Callable[[], None]], None]:
    """Run a body inside a no_grad block made as ``kind`` says."""
    if kind == "with":
        def run(body: Callable[[], None]) -> None:
            with gn.no_grad():
                body()
        return run
    if kind == "decorator":
        return gn.no_grad()(lambda body: body())
    shared = SHARED_BLOCK  # one object guarding both threads' blocks
    def run_shared(body: Callable[[], None]) -> None:
        with shared:
            body()
    return run_shared


SHARED_BLOCK = gn.no_grad()


@pytest.mark.parametrize("kind", ["with", "decorator", "one-shared-object"])
@pytest.mark.parametrize("first_out", ["first-in", "last-in"])
def test_overlapping_blocks_in_two_threads_restore_each_threads_mode(kind, first_out):
    """Thread 1 enters, then thread 2 enters; they exit in either order. Each thread records
    again after its own exit, and the main thread records throughout."""
    block = make_block(kind)
    entered = [threading.Event(), threading.Event()]
    leave = [threading.Event(), threading.Event()]
    left = [threading.Event(), threading.Event()]
    seen: dict[str, bool] = {}

    def worker(number: int) -> None:
        def body() -> None:
            seen[f"inside {number}"] = gn.is_grad_enabled()
            entered[number].set()
            wait(leave[number])
        block(body)
        seen[f"after {number}"] = gn.is_grad_enabled()
        seen[f"records after {number}"] = records_graph()
        left[number].set()

    join_first = run_in_thread(lambda: worker(0))
    wait(entered[0])
    join_second = run_in_thread(lambda: worker(1))
    wait(entered[1])
    assert gn.is_grad_enabled() is True
    order = (0, 1) if first_out == "first-in" else (1, 0)
    for number in order:
        leave[number].set()
        wait(left[number])
    join_first()
    join_second()
    assert seen == {
        "inside 0": False, "inside 1": False,
        "after 0": True, "after 1": True,
        "records after 0": True, "records after 1": True,
    }
    assert gn.is_grad_enabled() is True
    assert records_graph() is True


def test_one_no_grad_object_nested_in_one_thread_restores_the_outer_mode():
    block = gn.no_grad()
    with block:
        with block:
            assert gn.is_grad_enabled() is False
        assert gn.is_grad_enabled() is False  # still inside the outer block
    assert gn.is_grad_enabled() is True


def test_a_recursive_no_grad_function_restores_recording():
    @gn.no_grad()
    def depth(n: int) -> int:
        assert gn.is_grad_enabled() is False
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(3) == 3
    assert gn.is_grad_enabled() is True


def test_the_mode_is_restored_when_the_block_raises():
    with pytest.raises(KeyError), gn.no_grad():
        raise KeyError("inside")
    assert gn.is_grad_enabled() is True


def test_set_grad_enabled_as_a_statement_sets_the_mode_as_in_torch():
    try:
        gn.set_grad_enabled(False)
        assert gn.is_grad_enabled() is False
        assert records_graph() is False
    finally:
        gn.set_grad_enabled(True)
    assert gn.is_grad_enabled() is True


def test_set_grad_enabled_in_a_with_block_restores_the_mode_before_it():
    with gn.no_grad():
        with gn.set_grad_enabled(True):
            assert records_graph() is True
        assert gn.is_grad_enabled() is False
    assert gn.is_grad_enabled() is True


def test_set_grad_enabled_as_a_decorator_leaves_the_mode_alone_until_called():
    @gn.set_grad_enabled(False)
    def double(t: gn.Tensor) -> gn.Tensor:
        return t * 2.0

    assert gn.is_grad_enabled() is True
    out = double(gn.tensor(np.ones(2), requires_grad=True))
    assert out.requires_grad is False
    assert gn.is_grad_enabled() is True


def test_a_no_grad_block_that_awaits_leaves_other_tasks_recording():
    async def main() -> dict[str, bool]:
        inside, done = asyncio.Event(), asyncio.Event()
        seen: dict[str, bool] = {}

        async def without_graph() -> None:
            with gn.no_grad():
                inside.set()
                await done.wait()
                seen["no_grad task records"] = records_graph()

        async def with_graph() -> None:
            await inside.wait()
            seen["other task records"] = records_graph()
            done.set()

        await asyncio.gather(without_graph(), with_graph())
        return seen

    assert asyncio.run(main()) == {"no_grad task records": False, "other task records": True}
    assert gn.is_grad_enabled() is True
