"""EventBus: topics, regex subscribers, a durable event store and its watcher.

The Python counterpart of Elixir's event_bus, on the actor system and an
SQLite store (its tables are ``eventbus_*``, so they can share a database
file with the rest of the application)::

    from actors import eventbus
    from actors.eventbus import Event, EventBus

    with actors.ActorSystem() as system:
        EventBus.start("app.db", topics=["user_created"])
        eventbus.subscribe((listener_ref, ["user_", "booking_confirmed$"]))
        eventbus.notify(Event("e1", "user_created", {"name": "Jane"}))
        # the listener receives ("event", "user_created", "e1") in handle_info,
        # fetches the event, and marks it:
        eventbus.fetch_event(("user_created", "e1"))
        eventbus.mark_as_completed((listener_ref, ("user_created", "e1")))

* **Topics**: :func:`register_topic`, :func:`unregister_topic` (drops the
  topic's unprocessed events), :func:`topic_exist`, :func:`topics`, and
  ``ActorSystem(config={"eventbus": {"topics": [...]}})``.
* **Subscribers** are actors (a ref, a registered name, a test probe),
  alone or with a config: ``listener`` and ``(listener, config)`` are
  different subscribers. Their patterns are combined into one regular
  expression ``"|".join(f"^({p})" for p in patterns)``, compiled once and
  searched in the topic name (anchored at the start only); an expression
  that does not compile matches nothing.
* **Notify** stores the event and sends each matching subscriber the shadow
  ``("event", topic, id)`` (with a config: ``("event", config, topic,
  id)``); with no subscriber nothing is stored.
* **The watcher**: when every subscriber has completed or skipped an event,
  it is deleted. A listener actor that exits holding shadows it has not
  marked has them skipped and reported (:func:`on_listener_down`).
* :class:`EventSource` builds events around the code that makes their data.
* :func:`metrics` returns frozen snapshots per topic and per listener;
  :func:`add_metrics_publisher` hands them to a callback periodically.
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
from actors.eventbus._bus import (
    SERVER_NAME,
    SUPERVISOR_NAME,
    EventBus,
    add_metrics_publisher,
    fetch_event,
    fetch_event_data,
    mark_as_completed,
    mark_as_skipped,
    metrics,
    notify,
    on_listener_down,
    register_topic,
    subscribe,
    subscribers,
    topic_exist,
    topics,
    unregister_topic,
    unsubscribe,
    watchers,
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
from actors.eventbus._metrics import (
    EventBusMetrics,
    ListenerDown,
    ListenerMetrics,
    TopicMetrics,
    Watcher,
)
from actors.eventbus._patterns import combined_regex
from actors.eventbus._publisher import PublisherStatistics
from actors.eventbus._settings import CONFIG_KEY, TIME_UNITS, Settings
from actors.eventbus._source import EventSource, SourceBlock
from actors.eventbus._sqlite import SqliteBackend
from actors.eventbus._subscribers import subscriber_key

__all__ = [
    "CONFIG_KEY",
    "KIND",
    "SCHEMA",
    "SERVER_NAME",
    "SUPERVISOR_NAME",
    "TIME_UNITS",
    "DuplicateEvent",
    "Event",
    "EventBus",
    "EventBusBackend",
    "EventBusError",
    "EventBusMetrics",
    "EventBusStoreError",
    "EventFormatError",
    "EventId",
    "EventSource",
    "ListenerDown",
    "ListenerMetrics",
    "Mark",
    "MarkOutcome",
    "MarkStatus",
    "NewEvent",
    "NotRunning",
    "PendingDelivery",
    "PublisherStatistics",
    "Settings",
    "Shadow",
    "SourceBlock",
    "SqliteBackend",
    "StoreOutcome",
    "StoredEvent",
    "TopicMetrics",
    "UnknownTopic",
    "Watcher",
    "WatcherRecord",
    "add_metrics_publisher",
    "base62_id",
    "combined_regex",
    "fetch_event",
    "fetch_event_data",
    "from_dict",
    "from_json",
    "mark_as_completed",
    "mark_as_skipped",
    "metrics",
    "notify",
    "on_listener_down",
    "register_topic",
    "subscribe",
    "subscriber_key",
    "subscribers",
    "to_dict",
    "to_json",
    "topic_exist",
    "topics",
    "unregister_topic",
    "unsubscribe",
    "watchers",
]
