"""Wake-ups from the committing thread to the actors that follow the store.

Subscriptions and group managers do not receive events from the writer:
they read them from the store themselves, from where they are, at their
own pace (which is what bounds their memory). The hub only tells them that
something was committed that concerns them: one ``("$eventstore_wake",)``
message at a time per follower (a wake-up still in its mailbox is not
repeated), sent by the thread that committed, after the commit.

A follower clears its flag *before* it reads, so a commit that lands while
it reads sends a fresh wake-up: it can fall asleep only when it has seen
everything committed before its last wake-up.
"""

from __future__ import annotations

import threading
from typing import Any, Final

from actors.eventstore._types import EventFilter

__all__ = ["WAKE", "Hub", "Waiter"]

WAKE: Final = ("$eventstore_wake",)


class Waiter:
    """One follower's registration: what it follows and its wake-up flag."""

    __slots__ = ("filter", "pending", "proc", "stream")

    def __init__(self, proc: Any, stream: str | None, filter: EventFilter | None) -> None:
        self.proc = proc
        self.stream = stream
        self.filter = filter
        self.pending = False

    def clear(self) -> None:
        """Called by the follower before it reads."""
        self.pending = False

    def wake(self) -> bool:
        """Send a wake-up unless one is pending; ``False`` if the follower is gone."""
        if self.pending:
            return True
        self.pending = True
        return bool(self.proc.deliver(WAKE))


class Hub:
    """Who follows which stream. Thread-safe; :meth:`notify` takes no lock
    (it reads immutable snapshots)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_stream: dict[str, tuple[Waiter, ...]] = {}
        self._everything: tuple[Waiter, ...] = ()

    def add(self, proc: Any, stream: str | None, filter: EventFilter | None = None) -> Waiter:
        """Follow ``stream``, or every stream (``None``, optionally filtered)."""
        waiter = Waiter(proc, stream, filter)
        with self._lock:
            if stream is None:
                self._everything = (*self._everything, waiter)
            else:
                self._by_stream[stream] = (*self._by_stream.get(stream, ()), waiter)
        return waiter

    def remove(self, waiter: Waiter) -> None:
        with self._lock:
            if waiter.stream is None:
                self._everything = tuple(w for w in self._everything if w is not waiter)
                return
            left = tuple(w for w in self._by_stream.get(waiter.stream, ()) if w is not waiter)
            if left:
                self._by_stream[waiter.stream] = left
            else:
                self._by_stream.pop(waiter.stream, None)

    def notify(self, streams: tuple[str, ...], last_position: int) -> None:
        """A commit touched ``streams``: wake their followers (runs in the
        committing thread; the signature is the backend's commit callback)."""
        gone = []
        by_stream = self._by_stream
        for stream in streams:
            for waiter in by_stream.get(stream, ()):
                if not waiter.wake():
                    gone.append(waiter)
        for waiter in self._everything:
            wanted = waiter.filter
            if (wanted is None or any(map(wanted.matches_stream, streams))) and not waiter.wake():
                gone.append(waiter)
        for waiter in gone:
            self.remove(waiter)

    def count(self) -> int:
        """Followers registered (for statistics)."""
        with self._lock:
            return len(self._everything) + sum(len(v) for v in self._by_stream.values())
