"""Per-origin sequence numbers on the receiving side: duplicates and gaps.

Every channel (a pub/sub instance, a durable stream, a node's inbox) numbers
the envelopes of each origin incarnation 1, 2, 3... A receiver remembers the
last number per ``(origin, incarnation, channel)``, in a bounded LRU table:
a number at or below it is a duplicate (or an injected replay), one further
ahead is a gap. The first envelope of an origin sets the baseline (a node
that joins later has not missed the messages sent before it came).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final

__all__ = ["DUPLICATE", "NEW", "SequenceTracker"]

NEW: Final = "new"
DUPLICATE: Final = "duplicate"

Key = tuple[str, str, str]


class SequenceTracker:
    """Last sequence number per ``(origin, incarnation, channel)``; thread-safe.

    Args:
        limit: keys remembered; the least recently used is forgotten first
            (its next envelope then sets a new baseline).
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._last: OrderedDict[Key, int] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._last)

    def check(self, key: Key, seq: int) -> tuple[str, tuple[int, int] | None]:
        """Record ``seq``: ``(NEW, None)``, ``(NEW, (first, last))`` when the
        numbers ``first..last`` were skipped, or ``(DUPLICATE, None)``."""
        with self._lock:
            last = self._last.get(key)
            if last is None:
                self._remember(key, seq)
                return NEW, None
            self._last.move_to_end(key)
            if seq <= last:
                return DUPLICATE, None
            self._last[key] = seq
            return NEW, ((last + 1, seq - 1) if seq > last + 1 else None)

    def advance(self, key: Key, high: int) -> tuple[int, int] | None:
        """The origin says it has sent up to ``high``: the range not received
        (and now given up on), if any. Unknown keys are left alone."""
        with self._lock:
            last = self._last.get(key)
            if last is None or high <= last:
                return None
            self._last[key] = high
            return last + 1, high

    def last(self, key: Key) -> int | None:
        return self._last.get(key)

    def forget_origin(self, origin: str, incarnation: str) -> None:
        """Drop every counter of one origin incarnation (it has left for good)."""
        with self._lock:
            for key in [k for k in self._last if k[0] == origin and k[1] == incarnation]:
                del self._last[key]

    def _remember(self, key: Key, seq: int) -> None:
        self._last[key] = seq
        while len(self._last) > self._limit:
            self._last.popitem(last=False)
