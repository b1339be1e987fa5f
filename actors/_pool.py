"""The worker pool of the pooled runtime (D2).

Many actors share a few worker threads, as BEAM schedulers share cores. A
runnable actor sits in one run queue (a deque); a worker takes it, handles a
bounded batch of its messages (fairness), and puts it back at the end of the
queue if it still has work.

Idle workers park on a stack and are woken last-in first-out (see
:mod:`actors._runqueue`).

A worker that blocks inside the framework (a call, a stop, a probe receive,
:func:`actors.blocking`) reports it; the pool then makes sure ``size``
workers stay runnable, starting one only if no spare is parked. Workers
beyond ``size`` stay parked as spares and retire after
:data:`SPARE_IDLE` seconds without work, so short blocks (a supervisor
waiting for a child to stop) reuse threads instead of creating them.
Spawning and stopping actors never creates or joins threads.
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
import time
from typing import Any, Final

from actors._blocking import bind_worker
from actors._process import current_slot
from actors._runqueue import TIMED_OUT, RunQueue, new_parking_lot

__all__ = ["WorkerPool"]

logger = logging.getLogger("actors")


class _Token:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<pool {self.name}>"


_STOP: Final = _Token("stop")

SPARE_IDLE: Final = 30.0
"""Real seconds a worker beyond the pool size stays parked before it retires."""

GIL: Final = bool(getattr(sys, "_is_gil_enabled", lambda: True)())
"""Whether only one thread runs Python at a time (every CPython before 3.13t)."""

STALL_CHECK: Final = 0.01
"""Real seconds between watchdog checks while actors wait to run."""
IDLE_CHECK: Final = 0.05


class WorkerPool:
    """Worker threads serving the run queue of one actor system.

    Args:
        size: workers kept runnable (not blocked).
        thread_prefix: worker threads are named ``f"{thread_prefix}-{n}"``.
        batch: messages an actor may handle per turn before yielding.
        max_workers: upper bound on workers, blocked ones included; past it a
            blocking worker is not compensated (and a warning is logged).
    """

    def __init__(
        self, size: int, thread_prefix: str, *, batch: int = 64, max_workers: int = 1024
    ) -> None:
        if size < 1:
            msg = f"pool_size must be at least 1, got {size}"
            raise ValueError(msg)
        if batch < 1:
            msg = f"batch size must be at least 1, got {batch}"
            raise ValueError(msg)
        self.size = size
        self.batch = batch
        self.max_workers = max(size, max_workers)
        self._prefix = thread_prefix
        self.runq = RunQueue()
        self.submit = self.runq.put
        self._lock = threading.Lock()
        self._workers: set[threading.Thread] = set()
        self._blocked = 0
        self._numbers = itertools.count(1)
        self._closed = False
        self._started = False
        self._warned = False
        self._watchdog_stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            for _ in range(self.size):
                self._spawn_locked()
            if GIL and self.size > 1:
                self._watchdog = threading.Thread(
                    target=self._watch, name=f"{self._prefix}-watchdog", daemon=True
                )
                self._watchdog.start()

    @property
    def workers(self) -> int:
        return len(self._workers)

    @property
    def blocked(self) -> int:
        return self._blocked

    def queued(self) -> int:
        return len(self.runq)

    def _update_wake_at(self) -> None:
        active = len(self._workers) - self._blocked
        self.runq.wake_at[0] = max(1, active) if GIL else 1

    def _watch(self) -> None:
        """Wake a parked worker when queued actors made no progress for a while.

        Under the GIL only one worker is kept awake (see ``wake_at``); if its
        current callback runs long, this gives the other actors a worker that
        the interpreter's GIL switching lets run every few milliseconds.
        """
        items = self.runq.items
        last_head: Any = None
        while not self._watchdog_stop.wait(STALL_CHECK if items else IDLE_CHECK):
            try:
                head = items[0]
            except IndexError:
                last_head = None
                continue
            if head is last_head:
                self.runq.wake_one()
            last_head = head

    def _spawn_locked(self) -> None:
        thread = threading.Thread(
            target=self._work, name=f"{self._prefix}-{next(self._numbers)}", daemon=True
        )
        self._workers.add(thread)
        self._update_wake_at()
        thread.start()

    def _work(self) -> None:
        bind_worker(self)
        get = self.runq.get
        items = self.runq.items
        popleft = items.popleft
        parking = new_parking_lot()
        slot = current_slot()
        batch = self.batch
        try:
            while True:
                # Busy: pop without a method call. Test first: a raised
                # IndexError on every idle transition cost ~9 us per call.
                if items:
                    try:
                        proc = popleft()
                    except IndexError:  # another worker took it
                        proc = get(parking, SPARE_IDLE)
                else:
                    proc = get(parking, SPARE_IDLE)
                if proc is TIMED_OUT:
                    if self._retire():
                        return
                    continue
                if proc is _STOP:
                    return
                try:
                    proc.run_turn(batch, slot)
                except BaseException:
                    # A worker serves every pooled actor: nothing may end it.
                    logger.exception("internal error while running %r", proc)
        finally:
            bind_worker(None)
            with self._lock:
                self._workers.discard(threading.current_thread())
                self._update_wake_at()

    def _retire(self) -> bool:
        with self._lock:
            if len(self._workers) - self._blocked > self.size:
                self._workers.discard(threading.current_thread())
                return True
            return False

    # Compensation (called from actors._blocking) -------------------------------

    def enter_blocking(self) -> None:
        with self._lock:
            self._blocked += 1
            self._update_wake_at()
            if self.runq.items:
                # This worker may have been the awake one (see wake_at): work
                # already queued must not wait for the watchdog.
                self.runq.wake_one()
            if self._closed or len(self._workers) - self._blocked >= self.size:
                return
            if len(self._workers) >= self.max_workers:
                if not self._warned:
                    self._warned = True
                    logger.warning(
                        "actor pool %s: %d workers are blocked; not adding more (max_workers=%d)",
                        self._prefix,
                        self._blocked,
                        self.max_workers,
                    )
                return
            self._spawn_locked()

    def exit_blocking(self) -> None:
        with self._lock:
            self._blocked -= 1
            self._update_wake_at()

    # Shutdown ------------------------------------------------------------------

    def shutdown(self, timeout: float | None = None) -> bool:
        """Stop every worker; returns whether all of them ended in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            self._closed = True
            workers = list(self._workers)
        self._watchdog_stop.set()
        if self._watchdog is not None:
            workers.append(self._watchdog)
        for _ in workers:
            self.submit(_STOP)
        current = threading.current_thread()
        for thread in workers:
            if thread is current:
                continue
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(remaining)
        return not any(t.is_alive() for t in workers if t is not current)
