"""An event store in Extreme's vocabulary (placeholder, filled in below)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actors.eventstore._aio import AsyncEventSubscription, asubscribe
from actors.eventstore._api import (
    ack,
    connect_to_persistent_subscription,
    disconnect,
    nack,
    read_and_stay_subscribed,
    subscribe_to,
    subscription_statistics,
    unsubscribe,
)
from actors.eventstore._backend import Backend, CommitCallback
from actors.eventstore._codec import decode, encode, encode_event
from actors.eventstore._core import AppendedListener, StoreCore, open_postgres
from actors.eventstore._errors import (
    DuplicateEventId,
    EventNotFound,
    EventStoreError,
    GroupExists,
    GroupNotFound,
    MaxSubscribersReached,
    StoreClosed,
    StoreUnavailable,
    StreamDeleted,
    StreamNotFound,
    WrongExpectedVersion,
)
from actors.eventstore._listener import FanoutListener, Listener, ProjectionDB, pause, resume
from actors.eventstore._persistent import GroupManager, GroupStats, PersistentSubscription
from actors.eventstore._pg_url import is_postgres_url, mask_url
from actors.eventstore._settings import (
    CONSUMER_STRATEGIES,
    NACK_ACTIONS,
    Delivery,
    GroupState,
    ParkedMessage,
    PersistentSettings,
    RetryOutcome,
)
from actors.eventstore._sqlite import SqliteBackend
from actors.eventstore._store import (
    DEFAULT_NAME,
    GROUP_DELETED,
    EventStore,
    group_name,
    resolve_store,
    start_link_store,
)
from actors.eventstore._subscription import Subscription, SubscriptionStats
from actors.eventstore._types import (
    ALL,
    ANY,
    END,
    NO_STREAM,
    STREAM_EXISTS,
    AllSlice,
    AppendResult,
    DeleteResult,
    EventData,
    EventFilter,
    NewEvent,
    RecordedEvent,
    StreamInfo,
    StreamMetadata,
    StreamSlice,
)

if TYPE_CHECKING:
    from actors.eventstore._postgres import PostgresBackend


def __getattr__(name: str) -> Any:
    # PostgresBackend needs psycopg (the ``postgres`` extra): imported on use.
    if name == "PostgresBackend":
        from actors.eventstore._postgres import PostgresBackend

        return PostgresBackend
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    "ALL",
    "ANY",
    "CONSUMER_STRATEGIES",
    "DEFAULT_NAME",
    "END",
    "GROUP_DELETED",
    "NACK_ACTIONS",
    "NO_STREAM",
    "STREAM_EXISTS",
    "AllSlice",
    "AppendResult",
    "AppendedListener",
    "AsyncEventSubscription",
    "Backend",
    "CommitCallback",
    "DeleteResult",
    "Delivery",
    "DuplicateEventId",
    "EventData",
    "EventFilter",
    "EventNotFound",
    "EventStore",
    "EventStoreError",
    "FanoutListener",
    "GroupExists",
    "GroupManager",
    "GroupNotFound",
    "GroupState",
    "GroupStats",
    "Listener",
    "MaxSubscribersReached",
    "NewEvent",
    "ParkedMessage",
    "PersistentSettings",
    "PersistentSubscription",
    "PostgresBackend",
    "ProjectionDB",
    "RecordedEvent",
    "RetryOutcome",
    "SqliteBackend",
    "StoreClosed",
    "StoreCore",
    "StoreUnavailable",
    "StreamDeleted",
    "StreamInfo",
    "StreamMetadata",
    "StreamNotFound",
    "StreamSlice",
    "Subscription",
    "SubscriptionStats",
    "WrongExpectedVersion",
    "ack",
    "asubscribe",
    "connect_to_persistent_subscription",
    "decode",
    "disconnect",
    "encode",
    "encode_event",
    "group_name",
    "is_postgres_url",
    "mask_url",
    "nack",
    "open_postgres",
    "pause",
    "read_and_stay_subscribed",
    "resolve_store",
    "resume",
    "start_link_store",
    "subscribe_to",
    "subscription_statistics",
    "unsubscribe",
]
