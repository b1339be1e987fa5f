"""What the EventBus needs from a store: topics, events, and their watchers.

One small interface (:class:`EventBusBackend`) with one contract suite in
the tests; :class:`~actors.eventbus.SqliteBackend` is the implementation
shipped. It is designed so that a PostgreSQL backend can implement it for
several processes that share topics, events and watchers: every write is
one transaction whose outcome is decided by the database (a duplicate id, a
topic unregistered meanwhile, a second mark by the same subscriber are all
answered per item, atomically), and nothing depends on the bus process
holding state the database does not.

Subscribers are identified by their key (a str, see
:mod:`actors.eventbus._subscribers`); the backend never interprets it.
Times are wall-clock seconds since the Unix epoch, from the bus's clock.

A backend is used by one thread at a time (the bus actor's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, TypeAlias, runtime_checkable

import attrs

from actors.eventbus._event import Event, EventId

__all__ = [
    "EventBusBackend",
    "Mark",
    "MarkOutcome",
    "MarkStatus",
    "NewEvent",
    "PendingDelivery",
    "StoreOutcome",
    "StoredEvent",
    "WatcherRecord",
]

MarkStatus: TypeAlias = Literal["completed", "skipped"]

StoreOutcome: TypeAlias = Literal["stored", "duplicate", "unknown_topic"]
"""Per event of a write: stored with its watcher; refused because the id is
still unprocessed on that topic (the stored one is untouched); refused
because the topic is not registered."""

MarkOutcome: TypeAlias = Literal[
    "applied", "finished", "duplicate", "not_subscriber", "unknown_event"
]
"""Per mark of a write: recorded; recorded and it was the last one, so the
event and its watcher were deleted; ignored because that subscriber already
completed or skipped it; ignored because the key is not one of the event's
subscribers; ignored because no such event is stored."""


@attrs.frozen
class NewEvent:
    """An event to store with the subscribers it is delivered to.

    Attributes:
        event: the event.
        subscribers: their keys, distinct, in delivery order (at least one).
        stored_at: wall-clock seconds.
    """

    event: Event
    subscribers: tuple[str, ...]
    stored_at: float


@attrs.frozen
class Mark:
    """A subscriber's verdict on one event."""

    topic: str
    id: EventId
    subscriber: str
    status: MarkStatus


@attrs.frozen
class WatcherRecord:
    """One unprocessed event's watcher as stored (event_bus's
    ``{subscribers, completers, skippers}``), keys in subscriber order."""

    topic: str
    id: EventId
    subscribers: tuple[str, ...]
    completers: tuple[str, ...]
    skippers: tuple[str, ...]
    stored_at: float


@attrs.frozen
class PendingDelivery:
    """A subscriber that has neither completed nor skipped a stored event."""

    topic: str
    id: EventId
    subscriber: str
    stored_at: float


@attrs.frozen
class StoredEvent:
    """A stored (so unprocessed) event's place: topic, id and when."""

    topic: str
    id: EventId
    stored_at: float


@runtime_checkable
class EventBusBackend(Protocol):
    """The store behind an EventBus.

    Every method either does all it says or nothing, and raises
    :class:`~actors.eventbus.EventBusStoreError` when the database fails.

    Attributes:
        shared: whether other processes may use the same tables at the same
            time (a PostgreSQL backend). When false the bus owns them, and at
            start it skips stored deliveries to actors of processes that no
            longer exist (refs never outlive their process).
        description: where the data lives, for logs and errors.
    """

    shared: bool
    description: str

    def topics(self) -> list[str]:
        """Registered topics, oldest registration first."""
        ...

    def add_topic(self, topic: str, registered_at: float) -> bool:
        """Register ``topic``; ``False`` if it already was (nothing changes)."""
        ...

    def remove_topic(self, topic: str) -> int:
        """Unregister ``topic`` and delete its events and watchers; returns how
        many unprocessed events were dropped (0 for an unknown topic)."""
        ...

    def write(
        self, events: Sequence[NewEvent], marks: Sequence[Mark]
    ) -> tuple[list[StoreOutcome], list[MarkOutcome]]:
        """Store ``events``, then apply ``marks``, in one transaction; one
        outcome per item, in order. A mark may refer to an event of the same
        write. When the last subscriber of an event marks it, the event and
        its watcher are deleted in the same transaction."""
        ...

    def fetch(self, topic: str, event_id: EventId) -> Event | None:
        """The stored event, or ``None``."""
        ...

    def watchers(self, topic: str) -> list[WatcherRecord]:
        """The watchers of ``topic``'s unprocessed events, oldest first."""
        ...

    def pending(self) -> list[PendingDelivery]:
        """Every delivery not yet completed or skipped, oldest event first,
        then in subscriber order."""
        ...

    def stored(self) -> list[StoredEvent]:
        """Every stored event, oldest first."""
        ...

    def close(self) -> None:
        """Release the store; idempotent."""
        ...
