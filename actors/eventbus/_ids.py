"""Event ids: 16 base62 characters that sort by creation time.

event_bus's ``EventBus.Util.Base62.unique_id/0``: the current time in
microseconds (9 characters), a node part chosen once per process (3), and
4 random characters (from :mod:`secrets`). Here the time part never
repeats within a process: two ids made in the same microsecond get
consecutive times, so ids of one process are strictly increasing and never
collide, however fast they are made (the original relied on its 4 random
characters for that).
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Final

__all__ = ["ALPHABET", "base62", "base62_id"]

ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
"""In ASCII order, so fixed-width ids sort as their numbers do."""

_TIME_WIDTH: Final = 9  # 62**9 microseconds is about 428 years after 1970
_NODE: Final = "".join(secrets.choice(ALPHABET) for _ in range(3))
_lock = threading.Lock()
_last_us = 0


def base62(number: int, width: int = 0) -> str:
    """``number`` (>= 0) in base 62, left-padded with ``"0"`` to ``width``."""
    if number < 0:
        msg = f"base62() takes a non-negative int, got {number!r}"
        raise ValueError(msg)
    digits: list[str] = []
    while number:
        number, digit = divmod(number, 62)
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits)).rjust(width, "0") or "0"


def base62_id() -> str:
    """A new 16-character id (thread-safe); the default ``id_generator``."""
    global _last_us
    now = time.time_ns() // 1000
    with _lock:
        now = max(now, _last_us + 1)
        _last_us = now
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(4))
    return base62(now, _TIME_WIDTH) + _NODE + random_part
