"""A run queue with last-in first-out wake-ups of parked threads.

Used by the worker pool (many threads, many actors) and by a thread-runtime
actor (one thread, one actor): a runnable actor is appended; a thread that
finds the queue empty parks on its own lock and is woken by the next put. The
most recently parked thread is woken first, so one hot thread keeps serving a
ping-pong exchange instead of alternating threads across cores (which doubled
call latency with a FIFO ``SimpleQueue``).
"""

from __future__ import annotations

from _thread import LockType, allocate_lock
from collections import deque
from typing import Any

__all__ = ["RunQueue", "new_parking_lot"]


def new_parking_lot() -> LockType:
    """A lock that a thread holds and blocks on to park."""
    lock = allocate_lock()
    lock.acquire()
    return lock


class RunQueue:
    """FIFO of runnable items; parked threads are woken LIFO."""

    __slots__ = ("idle", "items")

    def __init__(self) -> None:
        self.items: deque[Any] = deque()
        self.idle: list[LockType] = []

    def put(self, item: Any) -> None:
        """Append ``item`` and wake the most recently parked thread. Any thread.

        ``Mailbox.push`` inlines these lines on the delivery hot path.
        """
        self.items.append(item)
        idle = self.idle
        if idle:
            try:
                idle.pop().release()
            except IndexError:
                pass

    def get(self, parking: LockType) -> Any:
        """Pop the next item, parking on ``parking`` while the queue is empty."""
        items = self.items
        idle = self.idle
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
            parking.acquire()

    def __len__(self) -> int:
        return len(self.items)
