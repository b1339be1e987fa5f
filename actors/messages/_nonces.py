"""Replay protection: the nonces a receiver has already accepted."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timedelta

__all__ = ["NonceCache"]


class NonceCache:
    """A bounded, thread-safe memory of accepted nonces.

    Each receiver owns one (a broadcast reaches every subscriber with the
    same nonce, so a shared cache would call the second delivery a replay).
    A nonce is remembered until its message is older than ``window``
    seconds, when the expiry check refuses the message anyway; so
    ``window`` should be at least the verifier's ``max_age``.

    The cache can only vouch for messages it could still remember. When it
    is full it forgets its oldest entry and from then on refuses messages
    stamped at or before that entry's timestamp; messages older than
    ``window`` are refused too. Under normal load neither happens.

    Args:
        max_entries: how many nonces to keep at most.
        window: seconds a nonce is remembered (by its message's timestamp).
    """

    def __init__(self, max_entries: int = 100_000, window: float = 300.0) -> None:
        if max_entries < 1:
            msg = f"max_entries must be at least 1, got {max_entries!r}"
            raise ValueError(msg)
        if not window > 0:
            msg = f"window must be positive, got {window!r}"
            raise ValueError(msg)
        self.max_entries = max_entries
        self.window = float(window)
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, datetime] = OrderedDict()
        self._floor: datetime | None = None

    def remember(self, nonce: str, timestamp: datetime, now: datetime) -> bool:
        """Record ``nonce``; ``False`` if it was seen before or cannot be
        proven new (see the class docstring).

        Args:
            nonce: the message's nonce.
            timestamp: the message's (signed) timestamp.
            now: the receiver's current time.
        """
        horizon = now - timedelta(seconds=self.window)
        with self._lock:
            seen = self._seen
            while seen:
                first = next(iter(seen.values()))
                if first >= horizon:
                    break
                seen.popitem(last=False)
            if timestamp < horizon:
                return False
            if self._floor is not None and timestamp <= self._floor:
                return False
            if nonce in seen:
                return False
            seen[nonce] = timestamp
            if len(seen) > self.max_entries:
                _, dropped = seen.popitem(last=False)
                if self._floor is None or dropped > self._floor:
                    self._floor = dropped
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)

    def __repr__(self) -> str:
        return f"NonceCache(max_entries={self.max_entries}, window={self.window}, size={len(self)})"
