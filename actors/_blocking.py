"""Compensation for blocking inside a pooled actor.

A pool worker that blocks (waiting for a call's reply, a stop, a probe's
receive, or user code inside :func:`blocking`) tells its pool, which adds or
unparks a worker for as long as the block lasts. This is what keeps chains of
calls between pooled actors from deadlocking a pool of two workers. The pool
caps how many workers may be blocked at once (``ActorSystem(max_blocked=)``):
past the cap, entering a block raises :class:`~actors.PoolExhausted`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = [
    "Compensator",
    "bind_worker",
    "blocking",
    "check_can_block",
    "is_pool_worker",
    "waiting",
]


class Compensator(Protocol):
    def enter_blocking(self, state: Any) -> None: ...

    def check_capacity(self) -> None: ...

    def exit_blocking(self, state: Any) -> None: ...


class _WorkerState(threading.local):
    pool: Compensator | None = None
    worker: Any = None
    depth: int = 0


_state = _WorkerState()


def bind_worker(pool: Compensator | None, worker: Any) -> None:
    """Mark the current thread as ``worker`` of ``pool`` (``None`` to unmark)."""
    _state.pool = pool
    _state.worker = worker
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

    Raises:
        PoolExhausted: on a pool worker, when the pool's ``max_blocked``
            workers are blocked already (nothing was blocked for this call).

    Example::

        def handle_call(self, request, caller):
            with actors.blocking():
                return requests.get(request.url).json()
    """
    state = _state
    pool = state.pool
    _no_more_inline_calls()
    if pool is None:
        yield
        return
    if state.depth == 0:
        pool.enter_blocking(state.worker)  # may raise PoolExhausted
    state.depth += 1
    try:
        yield
    finally:
        state.depth -= 1
        if state.depth == 0:
            pool.exit_blocking(state.worker)


def _no_more_inline_calls() -> None:
    """The running callback declares it blocks: from now on its actor's
    calls go through a worker (see ``GenServer.inline_calls``)."""
    from actors._process import current_process

    proc = current_process()
    if proc is not None and getattr(proc, "inline_calls", False):
        proc.inline_calls = False  # type: ignore[attr-defined]


def check_can_block() -> None:
    """Fail fast, before sending anything, if this pool worker could not
    block now (``max_blocked`` reached). Does nothing elsewhere.

    Raises:
        PoolExhausted: the pool's blocked-call cap is reached.
    """
    state = _state
    if state.pool is not None and state.depth == 0:
        state.pool.check_capacity()


@contextmanager
def waiting() -> Iterator[None]:
    """Like :func:`blocking`, for a wait that must happen whatever the cap
    (a reply to a request already sent): past the cap it waits without
    compensation rather than abandoning the request."""
    from actors._errors import PoolExhausted

    state = _state
    pool = state.pool
    if pool is None or state.depth:
        yield  # not a pool worker, or already compensated
        return
    try:
        pool.enter_blocking(state.worker)
    except PoolExhausted:
        yield  # over the cap: wait uncompensated
        return
    state.depth = 1
    try:
        yield
    finally:
        state.depth = 0
        pool.exit_blocking(state.worker)
