"""Argument checks: a bad call fails at once with a message naming the problem.

Everything is checked in the caller's thread before a request reaches the
writer or a backend, so bad input can never leave half a write behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from actors.eventstore._types import ALL, ANY, NO_STREAM, STREAM_EXISTS, EventData

__all__ = [
    "MAX_NAME_LENGTH",
    "check_count",
    "check_events",
    "check_expected",
    "check_group",
    "check_int",
    "check_stream",
]

MAX_NAME_LENGTH: Final = 1000


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        msg = f"{what} must be a str, got {type(value).__name__}"
        raise TypeError(msg)
    if not value:
        msg = f"{what} must not be empty"
        raise ValueError(msg)
    if len(value) > MAX_NAME_LENGTH:
        msg = f"{what} is longer than {MAX_NAME_LENGTH} characters"
        raise ValueError(msg)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        msg = f"{what} {value!r} is not valid Unicode text (it holds a lone surrogate)"
        raise ValueError(msg) from None
    return value


def check_stream(stream: Any, *, allow_all: bool = False) -> str:
    """A stream name: a non-empty str of valid text; ``"$all"`` only where
    reading every stream makes sense."""
    name = _text(stream, "stream name")
    if name == ALL and not allow_all:
        msg = f"{ALL!r} is the stream of every event: it can be read, not written or deleted"
        raise ValueError(msg)
    return name


def check_group(group: Any) -> str:
    return _text(group, "group name")


def check_int(value: Any, what: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"{what} must be an int, got {type(value).__name__}"
        raise TypeError(msg)
    if value < minimum:
        msg = f"{what} must be at least {minimum}, got {value}"
        raise ValueError(msg)
    return value


def check_count(count: Any) -> int:
    return check_int(count, "count", minimum=1)


def check_expected(expected: Any) -> int:
    """ANY (-2), NO_STREAM (-1), STREAM_EXISTS (-4) or a version (>= 0)."""
    if isinstance(expected, bool) or not isinstance(expected, int):
        msg = (
            "expected_version must be ANY, NO_STREAM, STREAM_EXISTS or a version (int), "
            f"got {type(expected).__name__}"
        )
        raise TypeError(msg)
    if expected < 0 and expected not in (ANY, NO_STREAM, STREAM_EXISTS):
        msg = (
            f"expected_version {expected} is not ANY (-2), NO_STREAM (-1), "
            "STREAM_EXISTS (-4) or a version (>= 0)"
        )
        raise ValueError(msg)
    return expected


def check_events(events: Any) -> list[EventData]:
    """One :class:`EventData` or an iterable of them, as a list; ids unique."""
    if isinstance(events, EventData):
        return [events]
    if isinstance(events, str | bytes | dict) or not isinstance(events, Iterable):
        msg = f"events must be an EventData or a list of them, got {type(events).__name__}"
        raise TypeError(msg)
    found = list(events)
    seen: set[str] = set()
    for index, event in enumerate(found):
        if not isinstance(event, EventData):
            msg = f"events[{index}] must be an EventData, got {type(event).__name__}"
            raise TypeError(msg)
        if event.id in seen:
            msg = f"event id {event.id} appears twice in one append"
            raise ValueError(msg)
        seen.add(event.id)
    return found
