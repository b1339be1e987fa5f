"""The values of the event store: what is appended, what is read back.

Everything here is a frozen attrs class (trio-style snapshots), shared by the
backends, the store actors and the subscriptions. Versions are 0-based per
stream; positions are 0-based over the whole store, in commit order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final

import attrs

__all__ = [
    "ALL",
    "ANY",
    "END",
    "NO_STREAM",
    "STREAM_EXISTS",
    "AllSlice",
    "AppendResult",
    "DeleteResult",
    "EventData",
    "EventFilter",
    "NewEvent",
    "RecordedEvent",
    "StreamInfo",
    "StreamMetadata",
    "StreamSlice",
    "expected_name",
]

ANY: Final = -2
"""Expected version: append whatever the stream's state (EventStoreDB's ``-2``)."""
NO_STREAM: Final = -1
"""Expected version: the stream must not exist yet (``-1``)."""
STREAM_EXISTS: Final = -4
"""Expected version: the stream must exist, at any version (``-4``)."""
END: Final = -1
"""``from_version`` / ``from_position`` of a backwards read: start at the last event."""
ALL: Final = "$all"
"""The name of the stream of every event, in commit order."""

_EXPECTED_NAMES: Final = {ANY: "ANY", NO_STREAM: "NO_STREAM", STREAM_EXISTS: "STREAM_EXISTS"}


def expected_name(expected: int) -> str:
    """``"ANY"``, ``"NO_STREAM"``, ``"STREAM_EXISTS"`` or the number, for messages."""
    return _EXPECTED_NAMES.get(expected, str(expected))


def _event_id(value: Any) -> str:
    if value is None:
        return str(uuid.uuid4())
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and value:
        return value
    msg = f"EventData.id must be a UUID, a non-empty str or None, got {type(value).__name__}"
    raise TypeError(msg)


def _event_type(value: Any) -> str:
    if not isinstance(value, str):
        msg = f"EventData.type must be a str, got {type(value).__name__}"
        raise TypeError(msg)
    if not value:
        msg = "EventData.type must not be empty"
        raise ValueError(msg)
    return value


@attrs.frozen(slots=True)
class EventData:
    """An event to append.

    Args:
        type: the event type, e.g. ``"PersonCreated"`` (non-empty).
        data: JSON-safe values (dicts, lists, str, int, float, bool, None)
            or a message class of :mod:`actors.messages`; anything else is
            refused by ``append`` with a ``TypeError`` naming the type.
        metadata: the same kinds of values, or ``None``.
        id: a UUID or string; a random UUID when ``None``. Appending the same
            ids again at the same place is a no-op (idempotent retries).
    """

    type: str = attrs.field(converter=_event_type)
    data: Any = None
    metadata: Any = None
    id: str = attrs.field(default=None, converter=_event_id)


@attrs.frozen(slots=True)
class NewEvent:
    """An event encoded for a backend: JSON text and the codec's format flags
    (bit 0: ``data`` holds messages, bit 1: ``metadata`` does)."""

    id: str
    type: str
    data: str
    metadata: str | None
    format: int


@attrs.frozen(slots=True)
class RecordedEvent:
    """An event as stored.

    Attributes:
        stream: the stream it was appended to.
        version: its number in that stream, from 0 (Extreme's ``event_number``).
        position: its place in the whole store (``$all``), from 0, in commit order.
        id: the event id (a UUID string unless the writer chose another).
        type: the event type (Extreme's ``event_type``).
        data, metadata: decoded back into Python values (catalogue messages
            come back as their classes).
        created: when it was committed (UTC, from the store's system clock).
    """

    stream: str
    version: int
    position: int
    id: str
    type: str
    data: Any
    metadata: Any
    created: datetime

    @property
    def event_number(self) -> int:
        """Extreme's name for :attr:`version`."""
        return self.version

    @property
    def event_type(self) -> str:
        """Extreme's name for :attr:`type`."""
        return self.type


@attrs.frozen(slots=True)
class AppendResult:
    """What an append returns.

    Attributes:
        next_expected_version: the stream's last version after the append
            (pass it as ``expected_version`` to the next append).
        position: the position of the last event written (or already there,
            for an idempotent retry); ``-1`` for an empty append to an empty store.
        written: how many events this call wrote (0 for an idempotent retry).
    """

    stream: str
    next_expected_version: int
    position: int
    written: int


@attrs.frozen(slots=True)
class StreamSlice:
    """A page of one stream (``read_stream``). Iterable over its events.

    Attributes:
        next_version: where the next page starts (forwards: the version after
            the last one read; backwards: the one before, ``-1`` at the start).
        end_of_stream: no more events in this direction (for now).
        last_version: the stream's last version when read.
    """

    stream: str
    events: tuple[RecordedEvent, ...]
    next_version: int
    end_of_stream: bool
    last_version: int

    def __iter__(self) -> Iterator[RecordedEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)


@attrs.frozen(slots=True)
class AllSlice:
    """A page of ``$all`` (``read_all``). Iterable over its events.

    Attributes:
        next_position: where the next page starts.
        end_of_all: no more events in this direction (for now).
    """

    events: tuple[RecordedEvent, ...]
    next_position: int
    end_of_all: bool

    def __iter__(self) -> Iterator[RecordedEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)


@attrs.frozen(slots=True)
class DeleteResult:
    """What ``delete_stream`` returns: the stream's last version when deleted."""

    stream: str
    last_version: int
    hard: bool


def _optional_positive_int(name: str) -> Any:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            msg = f"{name} must be a positive int or None, got {type(value).__name__}"
            raise TypeError(msg)
        if value < 1:
            msg = f"{name} must be at least 1, got {value}"
            raise ValueError(msg)

    return check


def _optional_positive_seconds(instance: Any, attribute: Any, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"max_age must be seconds (int or float) or None, got {type(value).__name__}"
        raise TypeError(msg)
    if not value > 0:
        msg = f"max_age must be more than 0 seconds, got {value}"
        raise ValueError(msg)


@attrs.frozen(slots=True)
class StreamMetadata:
    """A stream's settings (EventStoreDB's ``$maxCount``, ``$maxAge``, ``$tb``).

    Attributes:
        max_count: keep only the last ``max_count`` events (older ones are
            hidden from reads at once and deleted by the trimmer).
        max_age: keep only events younger than this many seconds.
        truncate_before: versions below it are gone (set by a soft delete).
        custom: any JSON-safe value the application keeps with the stream.
    """

    max_count: int | None = attrs.field(default=None, validator=_optional_positive_int("max_count"))
    max_age: float | None = attrs.field(default=None, validator=_optional_positive_seconds)
    truncate_before: int = 0
    custom: Any = None


@attrs.frozen(slots=True)
class StreamInfo:
    """One stream in a listing (``list_streams``).

    Attributes:
        state: ``"live"``, ``"soft_deleted"`` or ``"hard_deleted"``.
        last_version: the last version written (``-1`` if none).
        count: events currently stored.
        last_position: the position of its last stored event (``-1`` if none).
    """

    stream: str
    state: str
    last_version: int
    count: int
    last_position: int
    metadata: StreamMetadata


def _strings(name: str, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = (value,)
    items = tuple(value)
    for item in items:
        if not isinstance(item, str) or not item:
            msg = f"EventFilter.{name} must be non-empty strings, got {item!r}"
            raise TypeError(msg)
    if not items:
        msg = f"EventFilter.{name} must not be empty (use None for no filter)"
        raise ValueError(msg)
    return items


def _prefixes(value: Any) -> tuple[str, ...] | None:
    return _strings("stream_prefix", value)


def _types(value: Any) -> tuple[str, ...] | None:
    return _strings("event_types", value)


@attrs.frozen(slots=True)
class EventFilter:
    """Which events of ``$all`` a read or subscription wants.

    Args:
        stream_prefix: one prefix or several; an event matches if its stream
            starts with one of them (``"orders-"`` for a category).
        event_types: exact event types; an event matches if its type is one.

    Both given: an event must match both.
    """

    stream_prefix: tuple[str, ...] | None = attrs.field(default=None, converter=_prefixes)
    event_types: tuple[str, ...] | None = attrs.field(default=None, converter=_types)

    def matches(self, event: RecordedEvent) -> bool:
        """Whether ``event`` passes the filter (the same rule as the backends' SQL)."""
        if self.stream_prefix is not None and not event.stream.startswith(self.stream_prefix):
            return False
        return self.event_types is None or event.type in self.event_types

    def matches_stream(self, stream: str) -> bool:
        """Whether events of ``stream`` can pass (for wake-ups)."""
        return self.stream_prefix is None or stream.startswith(self.stream_prefix)
