"""A run queue with last-in first-out wake-ups of parked threads.

Used by the worker pool (many threads, many actors) and by a thread-runtime
actor (one thread, one actor): a runnable actor is appended; a thread that
finds the queue empty parks on its own lock and is woken by the next put. The
most recently parked thread is woken first, so one hot thread keeps serving a
ping-pong exchange instead of alternating threads across cores (which doubled
call latency with a FIFO ``SimpleQueue``).

Actors are woken by ``Mailbox.push``/``submit`` only when at least
``wake_at[0]`` threads are parked. Under the GIL the pool sets it to the
number of active workers, i.e. "wake someone only if nobody is awake": a
second awake worker cannot run Python in parallel and only fights for the GIL
(15% fewer deliveries per second at 100,000 subscribers). The pool's
watchdog wakes a parked worker when the awake ones stall on a long callback.
"""

from __future__ import annotations

from _thread import LockType, allocate_lock
from collections import deque
from typing import Any, Final

__all__ = ["TIMED_OUT", "RunQueue", "new_parking_lot"]


class _TimedOut:
    __slots__ = ()

    def __repr__(self) -> str:
        return "TIMED_OUT"


TIMED_OUT: Final = _TimedOut()
"""What :meth:`RunQueue.get` returns when its ``timeout`` passes with no work."""


def new_parking_lot() -> LockType:
    """A lock that a thread holds and blocks on to park."""
    lock = allocate_lock()
    lock.acquire()
    return lock


class RunQueue:
    """FIFO of runnable items; parked threads are woken LIFO."""

    __slots__ = ("idle", "items", "wake_at")

    def __init__(self) -> None:
        self.items: deque[Any] = deque()
        self.idle: list[LockType] = []
        self.wake_at = [1]

    def wake_one(self) -> bool:
        """Wake the most recently parked thread, if any."""
        try:
            self.idle.pop().release()
        except IndexError:
            return False
        return True

    def put(self, item: Any) -> None:
        """Append ``item`` and wake the most recently parked thread. Any thread.

        Used for control tokens, which must reach a thread whatever
        ``wake_at`` says; actors are scheduled by ``Mailbox.submit``.
        """
        self.items.append(item)
        idle = self.idle
        if idle:
            try:
                idle.pop().release()
            except IndexError:
                pass

    def get(self, parking: LockType, timeout: float | None = None) -> Any:
        """Pop the next item, parking on ``parking`` while the queue is empty;
        :data:`TIMED_OUT` if ``timeout`` real seconds pass without work."""
        items = self.items
        idle = self.idle
        wait = -1 if timeout is None else timeout
        while True:
            if items:
                try:
                    return items.popleft()
                except IndexError:
                    pass
            idle.append(parking)
            if items:
                # A put raced with us going idle: take the work.
                try:
                    idle.remove(parking)
                except ValueError:
                    parking.acquire()  # a putter popped us; absorb its wake-up
                continue
            if parking.acquire(True, wait):
                continue
            try:
                idle.remove(parking)
            except ValueError:
                parking.acquire()  # popped just as we timed out: take the wake-up
                continue
            return TIMED_OUT

    def __len__(self) -> int:
        return len(self.items)
