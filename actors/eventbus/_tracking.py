"""In-flight bookkeeping: which listener actor holds which delivery.

A *delivery* is one subscriber's share of one stored event, named by
``(subscriber key, topic, id)``. When the bus sends a shadow it records the
actor that received it (its *holder*) and monitors that actor; when the
actor exits while still holding deliveries, the bus marks them skipped.

This lives beside the registry so that a restarted bus actor knows who got
what before the crash: it re-monitors the holders (a holder that died
meanwhile gets a ``DOWN`` with ``noproc`` at once) and reconciles the rest
with what the store says is pending. Only the bus actor's thread touches it.
"""

from __future__ import annotations

from typing import Any

from actors.eventbus._event import EventId, Shadow
from actors.lowlevel import MonitorRef, Process

__all__ = ["DeliveryKey", "Holder", "Tracking"]

DeliveryKey = tuple[str, str, EventId]
"""``(subscriber key, topic, id)``."""


class Holder:
    """A listener actor and the deliveries it has not marked yet."""

    __slots__ = ("deliveries", "listener", "mref", "proc")

    def __init__(self, proc: Process, listener: Any) -> None:
        self.proc = proc
        self.listener = listener
        """The ref or name it was reached as (reported when it exits)."""
        self.mref: MonitorRef | None = None
        self.deliveries: dict[DeliveryKey, None] = {}


class Tracking:
    """See the module docstring."""

    def __init__(self) -> None:
        self.holders: dict[str, Holder] = {}
        """Monitored listener actors, by actor id."""
        self.holder_of: dict[DeliveryKey, Holder] = {}
        self.by_key: dict[str, dict[Shadow, float]] = {}
        """Unprocessed deliveries per subscriber key, oldest first, with when
        their event was stored."""
        self.unprocessed: dict[str, dict[EventId, float]] = {}
        """Stored events per topic, oldest first, with when they were stored."""
        self.recovered: dict[str, dict[Shadow, None]] = {}
        """Pending deliveries found in the store for subscribers not (yet)
        subscribed: sent when such a subscriber subscribes."""
        self.specs: dict[str, Any] = {}
        """The spec of every subscriber key seen, for listings."""

    def add(self, key: str, topic: str, event_id: EventId, stored_at: float) -> None:
        """Count an undone delivery (its holder is set by :meth:`hold`)."""
        self.by_key.setdefault(key, {})[(topic, event_id)] = stored_at

    def hold(self, holder: Holder, delivery: DeliveryKey) -> None:
        holder.deliveries[delivery] = None
        self.holder_of[delivery] = holder

    def release(self, delivery: DeliveryKey) -> None:
        """Forget a delivery that is done (completed or skipped)."""
        holder = self.holder_of.pop(delivery, None)
        if holder is not None:
            holder.deliveries.pop(delivery, None)
        key, topic, event_id = delivery
        pending = self.by_key.get(key)
        if pending is not None:
            pending.pop((topic, event_id), None)
            if not pending:
                del self.by_key[key]
        waiting = self.recovered.get(key)
        if waiting is not None:
            waiting.pop((topic, event_id), None)
            if not waiting:
                del self.recovered[key]

    def stored(self, topic: str, event_id: EventId, stored_at: float) -> None:
        self.unprocessed.setdefault(topic, {})[event_id] = stored_at

    def finished(self, topic: str, event_id: EventId) -> None:
        events = self.unprocessed.get(topic)
        if events is not None:
            events.pop(event_id, None)
            if not events:
                del self.unprocessed[topic]

    def drop_topic(self, topic: str) -> None:
        """Forget everything about ``topic``'s events (it was unregistered)."""
        self.unprocessed.pop(topic, None)
        for delivery in [d for d in self.holder_of if d[1] == topic]:
            self.release(delivery)
        for key in list(self.by_key):
            for shadow in [s for s in self.by_key.get(key, {}) if s[0] == topic]:
                self.release((key, *shadow))
