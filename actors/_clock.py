"""The injectable clock.

Everything in ``actors`` that reads time goes through the clock of its
``ActorSystem``: restart windows, backoff, timers, idle timeouts and
broadcast intervals use :meth:`Clock.monotonic`; event timestamps use
:meth:`Clock.now`. Tests give the system a :class:`ManualClock` and move time
with :meth:`ManualClock.advance` instead of sleeping.

Blocking waits (a call's timeout, a stop's timeout) always use real time:
threads block on real primitives, and a frozen clock must never turn a
timeout into a hang.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """What the actor system needs from a clock."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    def now(self) -> datetime:
        """The current time as a timezone-aware UTC datetime."""
        ...

    def real_delay(self, deadline: float) -> float | None:
        """Real seconds to wait until ``deadline`` (in :meth:`monotonic` time).

        ``None`` means "until woken": a manual clock only moves when told to,
        and then it calls the callbacks given to :meth:`on_advance`.
        """
        ...

    def on_advance(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` whenever the clock jumps (in the thread that moved
        it); returns an unsubscriber."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic`` and ``datetime.now(UTC)``.

    ``time.monotonic`` is captured as a class attribute, which freezegun does
    not rewrite, so restart windows and timers keep working inside
    ``freeze_time()``; :meth:`now` calls ``datetime.now`` each time, so frozen
    wall-clock time does show up in timestamps. freezegun still freezes
    ``time.monotonic`` for every other reader in every thread (plain pykka
    actors' futures, :meth:`actors.testing.Probe.expect`'s deadline, the timeout
    check of a call run inline), so use ``freeze_time(..., tick=True)``, and
    :class:`ManualClock` for time that drives behaviour.
    """

    _monotonic = staticmethod(time.monotonic)

    def monotonic(self) -> float:
        return self._monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def real_delay(self, deadline: float) -> float | None:
        return max(0.0, deadline - self._monotonic())

    def on_advance(self, callback: Callable[[], None]) -> Callable[[], None]:
        return _nothing

    def __repr__(self) -> str:
        return "SystemClock()"


def real_monotonic() -> float:
    """``time.monotonic`` as freezegun cannot freeze it (read through
    :class:`SystemClock`'s class attribute), for real-time deadlines of
    waits: a test that freezes time must not turn a timeout into a hang."""
    return SystemClock._monotonic()


class ManualClock:
    """A clock that moves only when :meth:`advance` is called.

    Thread-safe. Timers of a system that uses it fire when ``advance`` passes
    their deadline (in the system's timer thread, right after the call).

    Args:
        monotonic: the starting :meth:`monotonic` reading.
        now: the starting wall-clock time (timezone-aware); defaults to
            2026-01-01T00:00:00Z so tests are reproducible.
    """

    def __init__(self, monotonic: float = 0.0, now: datetime | None = None) -> None:
        if now is None:
            now = datetime(2026, 1, 1, tzinfo=UTC)
        if now.tzinfo is None:
            msg = "ManualClock(now=...) must be timezone-aware"
            raise ValueError(msg)
        self._lock = threading.Lock()
        self._monotonic = float(monotonic)
        self._now = now.astimezone(UTC)
        self._callbacks: list[Callable[[], None]] = []

    def monotonic(self) -> float:
        return self._monotonic

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (never backwards).

        Returns once the timer thread has been told: timers that are due fire
        in that thread right after, so wait for what they send (a probe's
        ``expect``), not for ``advance`` itself.
        """
        if not seconds >= 0:
            msg = f"ManualClock.advance() needs a non-negative number of seconds, got {seconds!r}"
            raise ValueError(msg)
        with self._lock:
            self._monotonic += seconds
            self._now += timedelta(seconds=seconds)
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback()

    def real_delay(self, deadline: float) -> float | None:
        return 0.0 if deadline <= self._monotonic else None

    def on_advance(self, callback: Callable[[], None]) -> Callable[[], None]:
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    def __repr__(self) -> str:
        return f"ManualClock(monotonic={self._monotonic!r}, now={self._now.isoformat()!r})"


def _nothing() -> None:
    return None
