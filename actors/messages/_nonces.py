"""Replay protection: the nonces a receiver has already accepted."""

from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from actors.lowlevel import Process, current_process, resolve_system

if TYPE_CHECKING:
    from actors import ActorSystem

__all__ = ["DEFAULT_WINDOW", "NonceCache"]

DEFAULT_WINDOW: Final = 300.0
"""Seconds a nonce is remembered unless told otherwise (the verifier's default ``max_age``)."""

_EXTENSION: Final = "actors.messages.nonces"
_EARLIEST: Final = datetime.min.replace(tzinfo=UTC)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class NonceCache:
    """A bounded, thread-safe memory of accepted nonces.

    Each receiver owns one (a broadcast reaches every subscriber with the
    same nonce, so a shared cache would call the second delivery a replay).
    :meth:`of` gives the one :func:`~actors.messages.validate_secure_message`
    uses by default. A nonce is remembered until its message is older than
    ``window`` seconds, when the expiry check refuses the message anyway;
    so ``window`` must be at least the verifier's ``max_age``.

    The cache can only vouch for messages it could still remember. When it
    is full it forgets its oldest entry and from then on refuses messages
    stamped at or before that entry's timestamp; messages older than
    ``window`` are refused too. Under normal load neither happens.

    Args:
        max_entries: how many nonces to keep at most (an int, at least 1).
        window: seconds a nonce is remembered (by its message's timestamp):
            a positive, finite number.

    Raises:
        TypeError: ``max_entries`` is not an int or ``window`` not a number.
        ValueError: they are out of range.
    """

    def __init__(self, max_entries: int = 100_000, window: float = DEFAULT_WINDOW) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int):
            msg = f"max_entries must be an int, got {type(max_entries).__name__} {max_entries!r}"
            raise TypeError(msg)
        if max_entries < 1:
            msg = f"max_entries must be at least 1, got {max_entries!r}"
            raise ValueError(msg)
        if not _number(window):
            msg = f"window must be a number of seconds, got {type(window).__name__} {window!r}"
            raise TypeError(msg)
        if not (window > 0 and math.isfinite(window)):
            msg = f"window must be positive and finite (seconds), got {window!r}"
            raise ValueError(msg)
        try:
            span = timedelta(seconds=window)
        except OverflowError:
            msg = f"window must be at most {timedelta.max.total_seconds():.0f} seconds"
            raise ValueError(msg) from None
        self.max_entries = max_entries
        self.window = float(window)
        self._span = span
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, datetime] = OrderedDict()
        self._floor: datetime | None = None

    @classmethod
    def of(cls, system: ActorSystem | None = None, *, window: float = DEFAULT_WINDOW) -> NonceCache:
        """The default cache of the calling receiver in ``system``.

        One per actor (the one running the calling callback) and one for
        code outside actors, for each ``window``; kept in
        ``system.extensions`` and forgotten with the actor. Runs in the
        caller's thread.
        """
        system = resolve_system(system)
        caches = system.extensions.get(_EXTENSION)
        if caches is None:
            # dict.setdefault is atomic: two threads get the same registry.
            caches = system.extensions.setdefault(_EXTENSION, _Receivers())
        assert isinstance(caches, _Receivers)
        return caches.cache(current_process(), window)

    def remember(self, nonce: str, timestamp: datetime, now: datetime) -> bool:
        """Record ``nonce``; ``False`` if it was seen before or cannot be
        proven new (see the class docstring).

        Args:
            nonce: the message's nonce.
            timestamp: the message's (signed) timestamp.
            now: the receiver's current time.
        """
        try:
            horizon = now - self._span
        except OverflowError:  # a clock near the year 1
            horizon = _EARLIEST
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


class _Receivers:
    """The default caches of one system, by receiver and window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outside: dict[float, NonceCache] = {}
        self._actors: weakref.WeakKeyDictionary[Process, dict[float, NonceCache]] = (
            weakref.WeakKeyDictionary()
        )

    def cache(self, receiver: Process | None, window: float) -> NonceCache:
        with self._lock:
            caches = self._outside if receiver is None else self._actors.setdefault(receiver, {})
            cache = caches.get(window)
            if cache is None:
                cache = caches[window] = NonceCache(window=window)
            return cache
