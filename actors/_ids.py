"""Actor identities: URNs that are unique without a syscall per actor.

``uuid.uuid4()`` reads 16 bytes from the OS for every actor (a third of the
cost of spawning one). Instead each process draws 80 random bits once and
appends a counter, still formatted as a version-4 UUID URN so logs and audit
records look as they would with pykka's ids.
"""

from __future__ import annotations

import itertools
import os
import threading

__all__ = ["ExitFlag", "next_urn"]

_random = os.urandom(10).hex()
_prefix = f"urn:uuid:{_random[:8]}-{_random[8:12]}-4{_random[13:16]}-{_random[16:20]}-"
_counter = itertools.count(1)


def next_urn() -> str:
    """A new actor URN (thread-safe: ``itertools.count`` is atomic)."""
    return f"{_prefix}{next(_counter):012x}"


class ExitFlag(threading.Event):
    """pykka's ``actor_stopped`` event, built on one lock instead of a condition.

    It behaves like :class:`threading.Event` for what pykka and we use
    (``is_set``, ``set``, ``wait``) but costs a single lock allocation: actors
    are created by the hundred thousand. It is never cleared.
    """

    def __init__(self) -> None:  # deliberately not calling Event.__init__
        self._flag = False
        self._gate = threading.Lock()
        self._gate.acquire()

    def is_set(self) -> bool:
        return self._flag

    isSet = is_set  # threading.Event's old alias

    def set(self) -> None:
        if not self._flag:
            self._flag = True
            self._gate.release()

    def clear(self) -> None:
        msg = "an actor's exit flag cannot be cleared"
        raise RuntimeError(msg)

    def wait(self, timeout: float | None = None) -> bool:
        if self._flag:
            return True
        if timeout is not None and timeout <= 0:
            return False
        if self._gate.acquire(True, -1 if timeout is None else timeout):
            self._gate.release()
            return True
        return self._flag

    def __repr__(self) -> str:
        return f"<ExitFlag {'set' if self._flag else 'unset'}>"
