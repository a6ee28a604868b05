"""Whether operations record a graph: ``no_grad`` turns recording off inside a ``with`` block.

The mode belongs to the thread, as in PyTorch: a ``no_grad`` block in one thread leaves the
graphs of every other thread alone, and a new thread starts with recording on, whatever the
thread that started it is doing. (It is kept in a context variable, so each asyncio task has
its own as well; on Python builds whose new threads copy their starter's context, the free-
threaded 3.14 ones, a new thread starts with its starter's mode instead.)
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# A context variable rather than a threading.local: each thread has its own context, which a
# new thread starts empty (so with the default, True), and get() is a cheaper read than a
# threading.local's (or even a plain attribute's), made by every op with an input that requires
# grad. asyncio tasks each get their own copy as well, so a no_grad block that awaits does not
# switch recording off in the other tasks meanwhile.
_ENABLED: ContextVar[bool] = ContextVar("glassnet_grad_enabled", default=True)
grad_enabled: Callable[[], bool] = _ENABLED.get
_set_enabled = _ENABLED.set


def is_grad_enabled() -> bool:
    """Whether operations in the calling thread record a graph."""
    return _ENABLED.get()


class _GradModeBlock:
    """A ``with`` block (or decorator) that sets the calling thread's mode and restores it.

    What to restore is kept per thread and as a stack, so one object may guard blocks in several
    threads at once, or nested blocks in one thread, and each exit restores its own entry's mode.
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous: dict[int, list[bool]] = {}

    def __enter__(self) -> None:
        self._previous.setdefault(threading.get_ident(), []).append(grad_enabled())
        _set_enabled(self.mode)

    def __exit__(self, *exc_info: object) -> None:
        thread = threading.get_ident()
        saved = self._previous[thread]
        _set_enabled(saved.pop())
        if not saved:
            del self._previous[thread]

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeBlock):
    """``with gn.no_grad():`` (or ``@gn.no_grad()``) computes values without building a graph,
    in the calling thread."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_GradModeBlock):
    """Re-enables graph recording inside a ``no_grad`` block (calling thread only)."""

    def __init__(self) -> None:
        super().__init__(True)


class set_grad_enabled(_GradModeBlock):
    """Turn graph recording on or off in the calling thread, as PyTorch's does.

    As a statement, ``gn.set_grad_enabled(False)`` sets the mode at once (until set again). In a
    ``with`` block or as a decorator, the mode before it is restored on exit.
    """

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        # the block the object may open next restores the mode from before this call
        self._set_by_init: tuple[int, bool] | None = (threading.get_ident(), grad_enabled())
        _set_enabled(self.mode)

    def _take_mode_before_init(self) -> bool | None:
        """The mode this thread had before ``__init__`` set it, once; None if not this thread's."""
        set_by_init, self._set_by_init = self._set_by_init, None
        if set_by_init is not None and set_by_init[0] == threading.get_ident():
            return set_by_init[1]
        return None

    def __enter__(self) -> None:
        before_init = self._take_mode_before_init()
        super().__enter__()
        if before_init is not None:
            self._previous[threading.get_ident()][-1] = before_init

    def __call__(self, func: F) -> F:
        before_init = self._take_mode_before_init()  # decorating must not change the mode
        if before_init is not None:
            _set_enabled(before_init)
        return super().__call__(func)
