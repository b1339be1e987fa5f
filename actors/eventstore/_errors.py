"""The error family of the event store.

Every error says which stream (or group) it is about, in its message and as
attributes, so a caller can both log it and branch on it. Bad arguments are
``TypeError`` / ``ValueError`` raised at the call, before anything is written.
"""

from __future__ import annotations

from typing import Any

from actors.eventstore._types import expected_name

__all__ = [
    "DuplicateEventId",
    "EventNotFound",
    "EventStoreError",
    "GroupExists",
    "GroupNotFound",
    "MaxSubscribersReached",
    "StoreClosed",
    "StoreUnavailable",
    "StreamDeleted",
    "StreamNotFound",
    "WrongExpectedVersion",
]


class EventStoreError(Exception):
    """Base of the event store's errors.

    Attributes:
        sqlite_error: the ``sqlite3`` exception behind a storage failure, if any.
    """

    sqlite_error: Any = None


class StoreUnavailable(EventStoreError):
    """The storage could not be opened, read or written (a file that is not
    an event store, a locked database, a full disk). Nothing was written."""

    def __init__(self, message: str, *, url: str | None = None, sqlite_error: Any = None) -> None:
        super().__init__(message)
        self.url = url
        self.sqlite_error = sqlite_error


class StoreClosed(EventStoreError):
    """The store was closed (or is not running under that name)."""


class WrongExpectedVersion(EventStoreError):
    """An append or delete found the stream at another version than expected.

    Attributes:
        stream: the stream.
        expected: the expected version given (``ANY`` = -2, ``NO_STREAM`` = -1,
            ``STREAM_EXISTS`` = -4, or a version).
        actual: the stream's last version (``-1`` if it has no events).
    """

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        self.stream = stream
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"wrong expected version for stream {stream!r}: expected "
            f"{expected_name(expected)}, actual {actual}"
        )

    def __reduce__(self) -> Any:
        return (type(self), (self.stream, self.expected, self.actual))


class StreamNotFound(EventStoreError):
    """The stream has no events: it never existed, or it was soft-deleted.

    Attributes:
        stream: the stream.
        soft_deleted: whether it exists but was soft-deleted.
    """

    def __init__(self, stream: str, *, soft_deleted: bool = False) -> None:
        self.stream = stream
        self.soft_deleted = soft_deleted
        why = " (it was soft-deleted)" if soft_deleted else ""
        super().__init__(f"stream {stream!r} not found{why}")

    def __reduce__(self) -> Any:
        return (_stream_not_found, (self.stream, self.soft_deleted))


def _stream_not_found(stream: str, soft_deleted: bool) -> StreamNotFound:
    return StreamNotFound(stream, soft_deleted=soft_deleted)


class StreamDeleted(EventStoreError):
    """The stream was hard-deleted (tombstoned): it cannot be read or written again."""

    def __init__(self, stream: str) -> None:
        self.stream = stream
        super().__init__(f"stream {stream!r} is deleted (hard delete: it cannot be written again)")

    def __reduce__(self) -> Any:
        return (type(self), (self.stream,))


class EventNotFound(EventStoreError):
    """``read_event`` found no event at that version (the stream exists)."""

    def __init__(self, stream: str, version: int) -> None:
        self.stream = stream
        self.version = version
        super().__init__(f"stream {stream!r} has no event at version {version}")

    def __reduce__(self) -> Any:
        return (type(self), (self.stream, self.version))


class DuplicateEventId(EventStoreError, ValueError):
    """An event id is already stored, and not as a retry of the same append.

    Attributes:
        stream: the stream being appended to.
        event_id: the id.
        existing_stream, existing_version: where the id is stored.
    """

    def __init__(
        self, stream: str, event_id: str, existing_stream: str, existing_version: int
    ) -> None:
        self.stream = stream
        self.event_id = event_id
        self.existing_stream = existing_stream
        self.existing_version = existing_version
        super().__init__(
            f"cannot append to stream {stream!r}: event id {event_id} is already stored "
            f"in {existing_stream!r} at version {existing_version}"
        )

    def __reduce__(self) -> Any:
        return (
            type(self),
            (self.stream, self.event_id, self.existing_stream, self.existing_version),
        )


class GroupNotFound(EventStoreError):
    """No persistent subscription group of that name on that stream."""

    def __init__(self, stream: str, group: str) -> None:
        self.stream = stream
        self.group = group
        super().__init__(f"no persistent subscription group {group!r} on stream {stream!r}")

    def __reduce__(self) -> Any:
        return (type(self), (self.stream, self.group))


class GroupExists(EventStoreError):
    """A persistent subscription group of that name already exists on that stream."""

    def __init__(self, stream: str, group: str) -> None:
        self.stream = stream
        self.group = group
        super().__init__(f"persistent subscription group {group!r} on stream {stream!r} exists")

    def __reduce__(self) -> Any:
        return (type(self), (self.stream, self.group))


class MaxSubscribersReached(EventStoreError):
    """The group already has ``max_subscriber_count`` consumers."""

    def __init__(self, stream: str, group: str, limit: int) -> None:
        self.stream = stream
        self.group = group
        self.limit = limit
        super().__init__(
            f"persistent subscription group {group!r} on stream {stream!r} already has "
            f"its maximum of {limit} consumer(s)"
        )

    def __reduce__(self) -> Any:
        return (type(self), (self.stream, self.group, self.limit))
