"""The exceptions of the EventBus.

Every one names the problem in its message. Wrong argument *types* raise
the built-in :class:`TypeError`, impossible values :class:`ValueError`;
what is specific to the bus derives from :class:`EventBusError`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

__all__ = [
    "DuplicateEvent",
    "EventBusError",
    "EventBusStoreError",
    "EventFormatError",
    "NotRunning",
    "UnknownTopic",
]


class EventBusError(Exception):
    """Base of the bus's own errors."""


class NotRunning(EventBusError):
    """No EventBus runs in the actor system an operation resolved to."""


class UnknownTopic(EventBusError, LookupError):
    """The topic is not registered.

    Attributes:
        topic: the topic as given.
    """

    def __init__(self, topic: Any, message: str | None = None) -> None:
        self.topic = topic
        super().__init__(message or f"topic {topic!r} is not registered (register_topic first)")


class DuplicateEvent(EventBusError):
    """An event with the same id is still unprocessed on that topic.

    The stored event is kept as it was: an id is unique per topic until
    every subscriber has completed or skipped the event that holds it.

    Attributes:
        topic, id: the event's shadow.
    """

    def __init__(self, topic: str, event_id: str | int) -> None:
        self.topic = topic
        self.id = event_id
        super().__init__(
            f"event {event_id!r} is already stored on topic {topic!r} and not yet processed "
            "by every subscriber; ids are unique per topic"
        )


class EventBusStoreError(EventBusError):
    """The store cannot be opened, read or written.

    Attributes:
        path: the database as given (``None`` for stores without one).
        sqlite_error: the underlying :class:`sqlite3.Error`, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        sqlite_error: sqlite3.Error | None = None,
    ) -> None:
        self.path = path
        self.sqlite_error = sqlite_error
        super().__init__(message)


class EventFormatError(EventBusError, ValueError):
    """An event dict or JSON text could not be encoded or decoded.

    Attributes:
        errors: one readable line per problem (``"required field missing @ $.topic"``).
    """

    def __init__(self, message: str, errors: Iterable[str] = ()) -> None:
        self.errors: list[str] = list(errors) or [message]
        super().__init__(message)

    def __str__(self) -> str:
        head = str(self.args[0]) if self.args else "invalid event"
        if self.errors == [head]:
            return head
        return f"{head}: " + "; ".join(self.errors)
