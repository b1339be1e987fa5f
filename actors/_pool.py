"""The worker pool of the pooled runtime.

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

Two limits keep one bad actor from freezing everyone:

* **Stalls.** A watchdog notices a worker that has spent more than
  ``stall_threshold`` real seconds in one actor's turn without declaring it
  blocking (a callback that blocks on I/O or loops). It reports the actor
  and the worker's stack through ``on_stall`` and counts the worker as
  blocked, so a replacement runs the other actors; the stuck worker rejoins
  when its turn ends. A Python thread cannot be interrupted, so a killed
  actor's running callback still keeps its worker until it returns.
* **The blocked-call cap.** At most ``max_blocked`` workers may be blocked
  (compensated) at once. Past it, a new blocking call from a pooled actor
  fails at once with :class:`~actors.PoolExhausted` instead of starving
  every actor until timeouts.
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Final

from actors._blocking import bind_worker
from actors._errors import PoolExhausted
from actors._process import current_slot
from actors._runqueue import TIMED_OUT, RunQueue, new_parking_lot

__all__ = ["DEFAULT_MAX_BLOCKED", "DEFAULT_STALL_THRESHOLD", "StallHook", "WorkerPool"]

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

DEFAULT_STALL_THRESHOLD: Final = 2.0
"""Real seconds in one turn, without ``actors.blocking()``, that count as a stall."""
DEFAULT_MAX_BLOCKED: Final = 1024
"""Workers that may be blocked (and compensated) at once, by default."""

StallHook = Callable[[Any, float, str], None]
"""``on_stall(process, seconds, stack)``: called in the watchdog thread."""


class _Worker:
    """What the watchdog reads about one worker (written by that worker)."""

    __slots__ = ("blocked", "seen_at", "seen_turns", "slot", "stalled", "thread", "turns")

    def __init__(self, thread: threading.Thread) -> None:
        self.thread = thread
        self.turns = 0  # turns started; the watchdog compares samples
        self.slot: list[Any] = [None]
        self.stalled = False  # counted as blocked by the watchdog
        self.blocked = 0  # depth of declared blocking (compensated)
        self.seen_turns = -1
        self.seen_at = 0.0


class WorkerPool:
    """Worker threads serving the run queue of one actor system.

    Args:
        size: workers kept runnable (not blocked).
        thread_prefix: worker threads are named ``f"{thread_prefix}-{n}"``.
        batch: messages an actor may handle per turn before yielding.
        max_blocked: workers that may be blocked at once; past it a new
            blocking call from a pooled actor raises :class:`PoolExhausted`.
        stall_threshold: real seconds in one turn that count as a stall
            (``None``: no stall detection).
        on_stall: called once per stall, in the watchdog thread.
    """

    def __init__(
        self,
        size: int,
        thread_prefix: str,
        *,
        batch: int = 64,
        max_blocked: int = DEFAULT_MAX_BLOCKED,
        stall_threshold: float | None = DEFAULT_STALL_THRESHOLD,
        on_stall: StallHook | None = None,
    ) -> None:
        if size < 1:
            msg = f"pool_size must be at least 1, got {size}"
            raise ValueError(msg)
        if batch < 1:
            msg = f"batch size must be at least 1, got {batch}"
            raise ValueError(msg)
        self.size = size
        self.batch = batch
        self.max_blocked = max_blocked
        self.stall_threshold = stall_threshold
        self.on_stall = on_stall
        self._prefix = thread_prefix
        self.runq = RunQueue()
        self.submit = self.runq.put
        self._lock = threading.Lock()
        self._workers: dict[threading.Thread, _Worker] = {}
        self._blocked = 0
        self._stalls = 0
        self._refused = 0
        self._numbers = itertools.count(1)
        self._closed = False
        self._started = False
        self._watchdog_stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def start(self) -> None:
        if self._started:
            return  # every pooled spawn calls this: skip the lock once started
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            for _ in range(self.size):
                self._spawn_locked()
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

    @property
    def stalls(self) -> int:
        """Stalls detected so far."""
        return self._stalls

    @property
    def refused(self) -> int:
        """Blocking calls refused because ``max_blocked`` workers were blocked."""
        return self._refused

    def queued(self) -> int:
        return len(self.runq)

    def _update_wake_at(self) -> None:
        active = len(self._workers) - self._blocked
        self.runq.wake_at[0] = max(1, active) if GIL else 1

    # The watchdog ------------------------------------------------------------

    def _watch(self) -> None:
        """Wake a parked worker when queued actors made no progress for a
        while, and notice workers stuck in one turn.

        Under the GIL only one worker is kept awake (see ``wake_at``); if its
        current callback runs long, this gives the other actors a worker that
        the interpreter's GIL switching lets run every few milliseconds.
        """
        items = self.runq.items
        last_head: Any = None
        wake_stalled = GIL and self.size > 1
        while not self._watchdog_stop.wait(STALL_CHECK if items else IDLE_CHECK):
            if self.stall_threshold is not None:
                self._check_stalls(time.monotonic())
            if not wake_stalled:
                continue
            try:
                head = items[0]
            except IndexError:
                last_head = None
                continue
            if head is last_head:
                self.runq.wake_one()
            last_head = head

    def _check_stalls(self, now: float) -> None:
        threshold = self.stall_threshold
        assert threshold is not None
        with self._lock:
            states = list(self._workers.values())
        for state in states:
            proc = state.slot[0]
            turns = state.turns
            if proc is None or state.blocked or state.stalled:
                state.seen_turns = -1
                continue
            if turns != state.seen_turns:
                state.seen_turns, state.seen_at = turns, now
                continue
            waited = now - state.seen_at
            if waited >= threshold:
                self._stalled(state, proc, waited)

    def _stalled(self, state: _Worker, proc: Any, waited: float) -> None:
        with self._lock:
            if state.stalled or state.slot[0] is not proc or state.blocked:
                return
            state.stalled = True
            self._stalls += 1
            self._blocked += 1  # it runs nothing else until its turn ends
            self._update_wake_at()
            self._compensate_locked()
        frame = sys._current_frames().get(state.thread.ident or -1)
        stack = "".join(traceback.format_stack(frame)) if frame is not None else ""
        logger.warning(
            "actor pool %s: %s has run one turn for %.1fs without actors.blocking(); "
            "a replacement worker serves the other actors. Stack:\n%s",
            self._prefix,
            proc,
            waited,
            stack,
        )
        if self.on_stall is not None:
            try:
                self.on_stall(proc, waited, stack)
            except BaseException:
                logger.exception("actor pool %s: the stall hook failed", self._prefix)

    # Workers -------------------------------------------------------------------

    def _spawn_locked(self) -> None:
        thread = threading.Thread(
            target=self._work, name=f"{self._prefix}-{next(self._numbers)}", daemon=True
        )
        self._workers[thread] = _Worker(thread)
        try:
            thread.start()
        except RuntimeError:
            del self._workers[thread]
            raise
        self._update_wake_at()

    def _work(self) -> None:
        me = threading.current_thread()
        with self._lock:
            state = self._workers.get(me)
        if state is None:  # pragma: no cover - spawned and retired at once
            return
        slot = current_slot()
        state.slot = slot
        bind_worker(self, state)
        get = self.runq.get
        items = self.runq.items
        popleft = items.popleft
        parking = new_parking_lot()
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
                state.turns += 1
                try:
                    proc.run_turn(batch, slot)
                except BaseException:
                    # A worker serves every pooled actor: nothing may end it.
                    logger.exception("internal error while running %r", proc)
                if state.stalled:
                    self._unstall(state)
        finally:
            bind_worker(None, None)
            with self._lock:
                self._workers.pop(me, None)
                self._update_wake_at()

    def _unstall(self, state: _Worker) -> None:
        with self._lock:
            if state.stalled:
                state.stalled = False
                self._blocked -= 1
                self._update_wake_at()

    def _retire(self) -> bool:
        with self._lock:
            if len(self._workers) - self._blocked > self.size:
                self._workers.pop(threading.current_thread(), None)
                return True
            return False

    # Compensation (called from actors._blocking) -------------------------------

    def enter_blocking(self, state: Any) -> None:
        """The calling worker is about to block.

        Raises:
            PoolExhausted: ``max_blocked`` workers are blocked already.
        """
        with self._lock:
            if self._blocked >= self.max_blocked and not self._closed:
                self._refused += 1
                msg = (
                    f"actor pool {self._prefix}: {self._blocked} workers are blocked "
                    f"(max_blocked={self.max_blocked}); refusing another blocking call"
                )
                raise PoolExhausted(msg)
            self._blocked += 1
            if state is not None:
                state.blocked += 1
            self._update_wake_at()
            if self.runq.items:
                # This worker may have been the awake one (see wake_at): work
                # already queued must not wait for the watchdog.
                self.runq.wake_one()
            self._compensate_locked()

    def check_capacity(self) -> None:
        """Raise :class:`PoolExhausted` if no more workers may block."""
        if self._blocked >= self.max_blocked and not self._closed:
            with self._lock:
                self._refused += 1
            msg = (
                f"actor pool {self._prefix}: {self._blocked} workers are blocked "
                f"(max_blocked={self.max_blocked}); refusing another blocking call"
            )
            raise PoolExhausted(msg)

    def exit_blocking(self, state: Any) -> None:
        with self._lock:
            self._blocked -= 1
            if state is not None:
                state.blocked -= 1
            self._update_wake_at()

    def _compensate_locked(self) -> None:
        if self._closed or len(self._workers) - self._blocked >= self.size:
            return
        try:
            self._spawn_locked()
        except RuntimeError:  # the OS refused a thread: the others carry on
            logger.exception("actor pool %s: could not start a worker", self._prefix)

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
