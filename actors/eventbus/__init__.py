"""EventBus (Elixir event_bus on the actor system): events, topic patterns, a store.

This first layer holds the data model and the storage: :class:`Event` and
its codec, event_bus's combined-regex topic patterns, time-sortable ids,
the backend interface and its SQLite implementation.
"""

from __future__ import annotations

from actors.eventbus._backend import (
    EventBusBackend,
    Mark,
    MarkOutcome,
    MarkStatus,
    NewEvent,
    PendingDelivery,
    StoredEvent,
    StoreOutcome,
    WatcherRecord,
)
from actors.eventbus._codec import KIND, SCHEMA, from_dict, from_json, to_dict, to_json
from actors.eventbus._errors import (
    DuplicateEvent,
    EventBusError,
    EventBusStoreError,
    EventFormatError,
    NotRunning,
    UnknownTopic,
)
from actors.eventbus._event import Event, EventId, Shadow
from actors.eventbus._ids import base62_id
from actors.eventbus._patterns import combined_regex
from actors.eventbus._sqlite import SqliteBackend

__all__ = [
    "KIND",
    "SCHEMA",
    "DuplicateEvent",
    "Event",
    "EventBusBackend",
    "EventBusError",
    "EventBusStoreError",
    "EventFormatError",
    "EventId",
    "Mark",
    "MarkOutcome",
    "MarkStatus",
    "NewEvent",
    "NotRunning",
    "PendingDelivery",
    "Shadow",
    "SqliteBackend",
    "StoreOutcome",
    "StoredEvent",
    "UnknownTopic",
    "WatcherRecord",
    "base62_id",
    "combined_regex",
    "from_dict",
    "from_json",
    "to_dict",
    "to_json",
]
