"""Compensation for blocking inside a pooled actor (D2).

A pool worker that blocks (waiting for a call's reply, a stop, a probe's
receive, or user code inside :func:`blocking`) tells its pool, which adds or
unparks a worker for as long as the block lasts. This is what keeps chains of
calls between pooled actors from deadlocking a pool of two workers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

__all__ = ["Compensator", "bind_worker", "blocking", "is_pool_worker"]


class Compensator(Protocol):
    def enter_blocking(self) -> None: ...

    def exit_blocking(self) -> None: ...


class _WorkerState(threading.local):
    pool: Compensator | None = None
    depth: int = 0


_state = _WorkerState()


def bind_worker(pool: Compensator | None) -> None:
    """Mark the current thread as a worker of ``pool`` (``None`` to unmark)."""
    _state.pool = pool
    _state.depth = 0


def is_pool_worker() -> bool:
    """Whether the current thread is a worker of some actor pool."""
    return _state.pool is not None


@contextmanager
def blocking() -> Iterator[None]:
    """Declare that the code inside may block for a while.

    Inside a pooled actor, the pool keeps enough other workers running while
    this thread blocks, so other actors are not starved. Anywhere else
    (thread-runtime actors, plain threads) it does nothing. Nested uses count
    once.

    Example::

        def handle_call(self, request, caller):
            with actors.blocking():
                return requests.get(request.url).json()
    """
    state = _state
    pool = state.pool
    if pool is None:
        yield
        return
    state.depth += 1
    if state.depth == 1:
        pool.enter_blocking()
    try:
        yield
    finally:
        state.depth -= 1
        if state.depth == 0:
            pool.exit_blocking()
