"""settle(system): wait until an actor system has nothing left to do.

A negative check ("no restart happened", "nothing else arrived") is only
meaningful once the system is quiet. ``probe.refute(template, timeout=0.1)``
waits an arbitrary time and hopes; ``settle(system)`` then
``probe.refute(template, timeout=0)`` waits exactly until every mailbox is
empty and no actor is running a callback, then looks once.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Final

from actors._clock import real_monotonic
from actors._server import ServerProcess

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = ["settle"]

QUIET_ROUNDS: Final = 3
"""Consecutive quiet looks that count as settled (work may hop between
actors between two looks)."""

POLL: Final = 0.0005
"""Real seconds between looks while something is still running."""


def settle(system: ActorSystem, timeout: float = 10.0) -> None:
    """Return once every actor of ``system`` is idle: its mailbox is empty,
    no thread is running one of its callbacks, and the pool's run queue is
    empty, seen :data:`QUIET_ROUNDS` times in a row.

    Timers are not waited for: with a :class:`~actors.ManualClock` they fire
    only when the test advances the clock, which is the point.

    Raises:
        AssertionError: still busy after ``timeout`` real seconds; the
            message names the busy actors.
    """
    deadline = real_monotonic() + timeout
    quiet = 0
    pause = threading.Event()
    while True:
        busy = _busy(system)
        if not busy:
            quiet += 1
            if quiet >= QUIET_ROUNDS:
                return
        else:
            quiet = 0
        if real_monotonic() > deadline:
            names = ", ".join(str(p) for p in busy[:10])
            msg = f"actor system {system.name!r} did not settle within {timeout}s: busy {names}"
            raise AssertionError(msg)
        pause.wait(POLL)


def _busy(system: ActorSystem) -> list[ServerProcess]:
    busy = []
    for ref in system.actors():
        proc = ref._process
        if not isinstance(proc, ServerProcess) or not proc.alive:
            continue
        if proc.queue:
            busy.append(proc)
        elif proc.acquire():  # nobody runs it right now
            if proc.release():
                proc.submit()  # a message arrived meanwhile: hand it on
                busy.append(proc)
        else:
            busy.append(proc)
    if not busy and system.pool.queued():
        return [p for p in (r._process for r in system.actors()) if isinstance(p, ServerProcess)]
    return busy
