"""The bounded outbox between publishers and the Redis writer.

Publishers (any thread) put framed envelopes here; the writer actor takes
them in order and sends them in pipelines. The outbox numbers each
channel's envelopes as they enter (under its lock, so a channel's numbers
follow the order of its entries) and never grows past its limit: a full
outbox refuses the entry, which the caller reports (an ``Error`` to a
publisher, ``False`` to a sender) and the counters record as dropped.
A batch that failed on the wire is put back at the front, durable entries
only: ephemeral ones are at most once.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Final

import attrs

__all__ = ["APPEND", "PUBLISH", "Entry", "Outbox"]

PUBLISH: Final = "publish"
"""Redis Pub/Sub: at most once."""
APPEND: Final = "append"
"""A Redis stream, through the idempotent append script: at least once."""


@attrs.define(slots=True)
class Entry:
    """One framed envelope waiting for the wire."""

    mode: str
    key: str
    """The channel (``PUBLISH``) or stream (``APPEND``) name."""
    seq: int
    data: bytes


Framer = Callable[[int], bytes]


class Outbox:
    """FIFO of :class:`Entry`, bounded by ``limit``; thread-safe."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: deque[Entry] = deque()
        self._lock = threading.Lock()
        self._seqs: dict[str, int] = {}
        self.peak = 0
        self.on_ready: Callable[[bool], None] | None = None
        """Called (outside the lock) with ``urgent`` when an entry arrives in
        an empty outbox, or with ``True`` for every urgent entry."""

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, mode: str, key: str, frame: Framer, urgent: bool = False) -> int | None:
        """Number the next envelope of channel ``key``, frame it with
        ``frame(seq)`` and queue it; its ``seq``, or ``None`` if full.
        ``urgent`` entries (calls and replies) ask to be sent at once."""
        with self._lock:
            if len(self._entries) >= self.limit:
                return None
            seq = self._seqs.get(key, 0) + 1
            entry = Entry(mode, key, seq, frame(seq))
            self._seqs[key] = seq
            self._entries.append(entry)
            size = len(self._entries)
            if size > self.peak:
                self.peak = size
        if (size == 1 or urgent) and self.on_ready is not None:
            self.on_ready(urgent)
        return seq

    def take(self, n: int) -> list[Entry]:
        """Up to ``n`` entries from the front (removed)."""
        with self._lock:
            entries = self._entries
            count = min(n, len(entries))
            return [entries.popleft() for _ in range(count)]

    def put_back(self, batch: list[Entry]) -> None:
        """Return a failed batch to the front, in its order."""
        with self._lock:
            self._entries.extendleft(reversed(batch))
            if len(self._entries) > self.peak:
                self.peak = len(self._entries)

    def last_seqs(self) -> dict[str, int]:
        """The last number given out per channel."""
        with self._lock:
            return dict(self._seqs)
