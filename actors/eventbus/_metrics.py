"""Metrics: frozen snapshots of the bus, per topic and per listener.

Counters only ever grow (from the bus's start, across restarts of its
actor); ``unprocessed`` and ``lag`` are gauges read when the snapshot is
taken. ``lag`` is how long the oldest unprocessed event (or delivery) has
been waiting, in seconds of the system clock's wall time.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import attrs

from actors.eventbus._subscribers import parse_subscriber

__all__ = [
    "Counters",
    "EventBusMetrics",
    "ListenerDown",
    "ListenerMetrics",
    "TopicMetrics",
    "Watcher",
]


@attrs.frozen(kw_only=True)
class Watcher:
    """One unprocessed event and who is done with it (event_bus's watcher
    ``{subscribers, completers, skippers}``).

    Subscribers appear as subscribed (``listener`` or ``(listener, config)``);
    one this bus no longer knows appears as rebuilt from its stored key (a
    name, or an actor id string for a ref).

    Attributes:
        topic, id: the event's shadow.
        subscribers: every subscriber it was delivered to, in delivery order.
        completers: those that completed it, in the same order.
        skippers: those that skipped it (or were skipped by the bus), likewise.
        pending: those that have done neither.
        stored_at: when it was stored (system clock, as a UTC datetime).
    """

    topic: str
    id: str | int
    subscribers: tuple[Any, ...]
    completers: tuple[Any, ...]
    skippers: tuple[Any, ...]
    pending: tuple[Any, ...]
    stored_at: datetime


@attrs.frozen(kw_only=True)
class TopicMetrics:
    """One registered topic.

    Attributes:
        topic: its name.
        subscribers: subscribers whose patterns match it now.
        notified: events stored for it (notified while it had subscribers).
        no_subscribers: events notified while it had none (not stored).
        rejected: events refused because their id was still unprocessed.
        delivered: shadows sent.
        completed, skipped: marks recorded (skips made by the bus for
            listeners that exited included).
        finished: events deleted because every subscriber was done.
        unprocessed: events stored now.
        lag: seconds the oldest unprocessed event has waited (0.0 if none).
    """

    topic: str
    subscribers: int
    notified: int
    no_subscribers: int
    rejected: int
    delivered: int
    completed: int
    skipped: int
    finished: int
    unprocessed: int
    lag: float


@attrs.frozen(kw_only=True)
class ListenerMetrics:
    """One subscriber (``listener`` or ``(listener, config)``).

    Attributes:
        subscriber: as subscribed.
        key: its stored identity.
        patterns: its patterns (empty if it is no longer subscribed but
            still holds deliveries).
        topics: the registered topics its patterns match.
        delivered: shadows sent to it.
        completed, skipped: its marks recorded.
        skipped_on_exit: deliveries the bus skipped for it because its
            actor exited (or could not be found) before marking them.
        unprocessed: deliveries it has neither completed nor skipped.
        lag: seconds its oldest unprocessed delivery has waited (0.0 if none).
    """

    subscriber: Any
    key: str
    patterns: tuple[str, ...]
    topics: tuple[str, ...]
    delivered: int
    completed: int
    skipped: int
    skipped_on_exit: int
    unprocessed: int
    lag: float


@attrs.frozen(kw_only=True)
class EventBusMetrics:
    """The whole bus (``eventbus.metrics()``).

    Attributes:
        topics: per registered topic, in registration order.
        listeners: per subscriber, in subscription order, then those that
            only still hold deliveries.
        notified, delivered, completed, skipped, finished, unprocessed:
            totals over the topics.
        duplicate_marks: marks ignored because that subscriber had already
            completed or skipped the event.
        stray_marks: marks ignored because the marker is not one of the
            event's subscribers.
        unknown_marks: marks ignored because no such event is stored.
        undeliverable: deliveries skipped at once because the listener's
            actor did not exist.
        listeners_down: listener actors seen exiting while holding deliveries.
        orphans_skipped: stored deliveries to actors of an earlier process,
            skipped when the bus started.
        store_failures: writes the store refused (disk full, locked...).
        transactions: write transactions committed.
        restarts: times the bus actor was restarted by its supervisor.
        timestamp: when the snapshot was taken (system clock).
    """

    topics: tuple[TopicMetrics, ...]
    listeners: tuple[ListenerMetrics, ...]
    notified: int
    delivered: int
    completed: int
    skipped: int
    finished: int
    unprocessed: int
    duplicate_marks: int
    stray_marks: int
    unknown_marks: int
    undeliverable: int
    listeners_down: int
    orphans_skipped: int
    store_failures: int
    transactions: int
    restarts: int
    timestamp: datetime

    def topic(self, name: str) -> TopicMetrics | None:
        """The metrics of topic ``name``, or ``None``."""
        return next((t for t in self.topics if t.topic == name), None)

    def listener(self, subscriber: Any) -> ListenerMetrics | None:
        """The metrics of ``subscriber`` (as subscribed), or ``None``."""
        key = parse_subscriber(subscriber).key
        return next((x for x in self.listeners if x.key == key), None)


@attrs.frozen(kw_only=True)
class ListenerDown:
    """A listener actor exited while holding deliveries; the bus skipped them.

    Given to the hooks registered with :func:`~actors.eventbus.on_listener_down`.

    Attributes:
        listener: the ref or name it was subscribed as.
        actor_id: the id of the actor that exited.
        reason: its exit reason, formatted.
        skipped: ``(subscriber, topic, id)`` of every delivery skipped.
        timestamp: when the bus saw it exit (system clock).
    """

    listener: Any
    actor_id: str
    reason: str
    skipped: tuple[tuple[Any, str, str | int], ...]
    timestamp: datetime


class Counters:
    """The cumulative counters; mutated only by the bus actor's thread."""

    def __init__(self) -> None:
        self.topic: dict[str, Counter[str]] = {}
        self.key: dict[str, Counter[str]] = {}
        self.bus: Counter[str] = Counter()

    def of_topic(self, topic: str) -> Counter[str]:
        found = self.topic.get(topic)
        if found is None:
            found = self.topic[topic] = Counter()
        return found

    def of_key(self, key: str) -> Counter[str]:
        found = self.key.get(key)
        if found is None:
            found = self.key[key] = Counter()
        return found
