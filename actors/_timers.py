"""Timers on the system clock: ``send_after``, idle timeouts, backoff delays.

One thread per actor system keeps a heap of deadlines in
:meth:`Clock.monotonic` time. With the real clock it sleeps until the next
deadline; with a :class:`~actors.ManualClock` it sleeps until the clock is
advanced. Callbacks run in that timer thread and must be quick (they send a
message; they never call into an actor).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actors._clock import Clock

__all__ = ["TimerRef", "TimerService"]

logger = logging.getLogger("actors")

_COMPACT_AT = 1024


class TimerRef:
    """A pending timer; give it to :func:`actors.cancel_timer` to cancel it."""

    __slots__ = ("_callback", "_service", "_state", "deadline", "id")

    _PENDING = 0
    _FIRED = 1
    _CANCELLED = 2

    def __init__(
        self,
        service: TimerService,
        timer_id: int,
        deadline: float,
        callback: Callable[[], None],
    ) -> None:
        self._service = service
        self.id = timer_id
        self.deadline = deadline
        self._callback = callback
        self._state = TimerRef._PENDING

    def cancel(self) -> float | None:
        """Cancel the timer; see :meth:`TimerService.cancel`."""
        return self._service.cancel(self)

    @property
    def active(self) -> bool:
        """Whether the timer has neither fired nor been cancelled."""
        return self._state == TimerRef._PENDING

    def __repr__(self) -> str:
        state = ("pending", "fired", "cancelled")[self._state]
        return f"<TimerRef #{self.id} {state} at {self.deadline:.3f}>"


class TimerService:
    """The timer heap and thread of one actor system.

    Args:
        clock: the system clock; deadlines are in its ``monotonic`` time.
        thread_name: name of the timer thread (started on first use).
    """

    def __init__(self, clock: Clock, thread_name: str) -> None:
        self._clock = clock
        self._thread_name = thread_name
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, TimerRef]] = []
        self._ids = itertools.count(1)
        self._cancelled = 0
        self._thread: threading.Thread | None = None
        self._closed = False
        self._unsubscribe = clock.on_advance(self._wake)

    def schedule(self, delay: float, callback: Callable[[], None]) -> TimerRef:
        """Run ``callback`` in the timer thread ``delay`` clock-seconds from now."""
        if not delay >= 0:
            msg = f"timer delay must be a non-negative number of seconds, got {delay!r}"
            raise ValueError(msg)
        with self._cond:
            if self._closed:
                msg = "the actor system is shut down; no new timers"
                raise RuntimeError(msg)
            timer_id = next(self._ids)
            ref = TimerRef(self, timer_id, self._clock.monotonic() + delay, callback)
            heapq.heappush(self._heap, (ref.deadline, timer_id, ref))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=self._thread_name, daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is ref:
                self._cond.notify()
        return ref

    def cancel(self, ref: TimerRef) -> float | None:
        """Cancel ``ref``; returns the clock-seconds it had left, or ``None``
        if it already fired or was cancelled."""
        with self._cond:
            if ref._state != TimerRef._PENDING:
                return None
            ref._state = TimerRef._CANCELLED
            ref._callback = _nothing
            self._cancelled += 1
            if self._cancelled > _COMPACT_AT and self._cancelled * 2 > len(self._heap):
                self._heap = [e for e in self._heap if e[2]._state == TimerRef._PENDING]
                heapq.heapify(self._heap)
                self._cancelled = 0
            return max(0.0, ref.deadline - self._clock.monotonic())

    def pending(self) -> int:
        """Number of timers that have neither fired nor been cancelled."""
        with self._cond:
            return sum(1 for e in self._heap if e[2]._state == TimerRef._PENDING)

    def close(self, timeout: float | None = None) -> None:
        """Drop every pending timer and stop the thread."""
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify()
            thread = self._thread
        self._unsubscribe()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify()

    def _run(self) -> None:
        clock = self._clock
        heap = self._heap
        cond = self._cond
        while True:
            due: list[TimerRef] = []
            with cond:
                if self._closed:
                    return
                heap = self._heap
                now = clock.monotonic()
                while heap and heap[0][0] <= now:
                    ref = heapq.heappop(heap)[2]
                    if ref._state == TimerRef._PENDING:
                        ref._state = TimerRef._FIRED
                        due.append(ref)
                    else:
                        self._cancelled = max(0, self._cancelled - 1)
                if not due:
                    cond.wait(clock.real_delay(heap[0][0]) if heap else None)
                    continue
            for ref in due:
                try:
                    ref._callback()
                except BaseException:  # the timer thread serves every actor
                    logger.exception("timer callback %r failed", ref)


def _nothing() -> None:
    return None
