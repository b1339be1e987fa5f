"""The bounded outbox between publishers and the Redis writer.

Publishers (any thread) put framed envelopes here; the writer actor takes
them in order and sends them in pipelines. The outbox numbers each
channel's envelopes as they enter (under its lock, so a channel's numbers
follow the order of its entries) and never grows past its limit: a full
outbox refuses the entry, which the caller reports (an ``Error`` to a
publisher, ``False`` to a sender) and the counters record as dropped.
A batch that failed on the wire is put back at the front, durable entries
only: ephemeral ones are at most once. A batch taken by the writer still
counts (in :func:`len` and against the limit) until it is sent or put back,
so the outbox's size and its bound include what is on the wire.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Final

import attrs

__all__ = ["APPEND", "PUBLISH", "PUSH", "Entry", "Outbox"]

PUBLISH: Final = "publish"
"""Redis Pub/Sub: at most once."""
APPEND: Final = "append"
"""A Redis stream, through the idempotent append script: at least once."""
PUSH: Final = "push"
"""A caller's reply list (``RPUSH``; ``BLPOP`` reads it first in, first out):
at least once (the caller skips repeats)."""


@attrs.define(slots=True)
class Entry:
    """One framed envelope waiting for the wire."""

    mode: str
    key: str
    """The channel (``PUBLISH``), stream (``APPEND``) or list (``PUSH``) name."""
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
        self._in_flight = 0
        """Entries taken by the writer and not yet sent or put back."""
        self.peak = 0
        self.on_ready: Callable[[bool], None] | None = None
        """Called (outside the lock) with ``urgent`` when an entry arrives in
        an empty outbox, or with ``True`` for every urgent entry."""

    def __len__(self) -> int:
        """Entries waiting, and taken but not yet sent."""
        return len(self._entries) + self._in_flight

    def put(self, mode: str, key: str, frame: Framer, urgent: bool = False) -> int | None:
        """Number the next envelope of channel ``key``, frame it with
        ``frame(seq)`` and queue it; its ``seq``, or ``None`` if full.
        ``urgent`` entries (calls and replies) ask to be sent at once."""
        with self._lock:
            if len(self._entries) + self._in_flight >= self.limit:
                return None
            seq = self._seqs.get(key, 0) + 1
            entry = Entry(mode, key, seq, frame(seq))
            self._seqs[key] = seq
            self._entries.append(entry)
            queued = len(self._entries)
            size = queued + self._in_flight
            if size > self.peak:
                self.peak = size
        if (queued == 1 or urgent) and self.on_ready is not None:
            self.on_ready(urgent)
        return seq

    def number_if_idle(self, key: str) -> int | None:
        """The next number of channel ``key`` for an entry sent around the
        outbox (by a caller holding the send lock), or ``None`` if anything
        waits or is in flight: then it must queue behind."""
        with self._lock:
            if self._entries or self._in_flight:
                return None
            seq = self._seqs.get(key, 0) + 1
            self._seqs[key] = seq
            return seq

    def take(self, n: int) -> list[Entry]:
        """Up to ``n`` entries from the front, in flight until :meth:`sent`
        or :meth:`put_back` says what became of them."""
        with self._lock:
            entries = self._entries
            count = min(n, len(entries))
            self._in_flight += count
            return [entries.popleft() for _ in range(count)]

    def sent(self, batch: list[Entry]) -> None:
        """A taken batch left (sent, or lost on the wire and counted)."""
        with self._lock:
            self._in_flight -= len(batch)

    def put_back(self, batch: list[Entry], taken: int | None = None) -> None:
        """Return the entries of a failed batch to the front, in their order;
        ``taken``: how many were taken with them (default: ``len(batch)``),
        the rest being given up (ephemeral entries lost in flight)."""
        with self._lock:
            self._in_flight -= len(batch) if taken is None else taken
            self._entries.extendleft(reversed(batch))

    def last_seq(self, key: str) -> int:
        """The last number given out on channel ``key`` (0: none yet)."""
        return self._seqs.get(key, 0)

    def last_seqs(self) -> dict[str, int]:
        """The last number given out per channel."""
        with self._lock:
            return dict(self._seqs)
