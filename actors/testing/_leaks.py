"""Checks that a test left no actor system, actor or thread behind."""

from __future__ import annotations

import threading
import time

__all__ = ["ThreadWatch"]


class ThreadWatch:
    """Remembers the threads alive now; later reports the new ones still alive."""

    def __init__(self) -> None:
        self._before = set(threading.enumerate())

    def leaked(self, grace: float = 2.0) -> list[threading.Thread]:
        """Threads started since construction that are still alive after
        ``grace`` real seconds (threads that are just finishing get joined)."""
        deadline = time.monotonic() + grace
        for thread in self._new():
            thread.join(max(0.0, deadline - time.monotonic()))
        return self._new()

    def _new(self) -> list[threading.Thread]:
        return [
            t
            for t in threading.enumerate()
            if t not in self._before and t.is_alive() and t is not threading.current_thread()
        ]
