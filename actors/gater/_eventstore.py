"""The gater as the gateway of the event store: appends on ``ex_esdb_events``.

``gater.start(system, store=PATH)`` adds the store's tree to the gater
tree, and every committed append is broadcast on ``ex_esdb_events``, topic
``event_stream:<stream>``, as ``("event_appended", RecordedEvent)``, one
message per event in commit order. The broadcast runs in the store's
writer thread right after the commit and never waits (``wait=False``): a
subscriber whose mailbox is full under the ``block`` policy misses the
message (counted as dropped by the instance) rather than slowing appends;
a subscriber that must see every event reads the store instead
(``read_and_stay_subscribed``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Final

import actors
import supervision as sv
from actors import pubsub
from actors.eventstore import DEFAULT_NAME, AppendedListener, EventStore, RecordedEvent
from actors.gater import instances

__all__ = ["EVENT_APPENDED", "event_topic", "on_appended_broadcaster", "store_child"]

EVENT_APPENDED: Final = "event_appended"


def event_topic(stream: str) -> str:
    """The ``ex_esdb_events`` topic an append to ``stream`` is broadcast on."""
    return f"event_stream:{stream}"


def on_appended_broadcaster(system: actors.ActorSystem) -> AppendedListener:
    """An ``on_appended`` hook broadcasting each event on ``ex_esdb_events``."""

    def broadcast(events: Sequence[RecordedEvent]) -> None:
        for event in events:
            pubsub.broadcast(
                instances.EVENTS,
                event_topic(event.stream),
                (EVENT_APPENDED, event),
                system=system,
                wait=False,
            )

    return broadcast


def store_child(
    system: actors.ActorSystem, path: str | os.PathLike[str], *, name: str = DEFAULT_NAME
) -> sv.ChildSpec:
    """The gater's child spec for the store at ``path`` (``EventStore.connect(name)``
    finds it)."""
    return EventStore.child_spec(
        path, name=name, id="eventstore", on_appended=[on_appended_broadcaster(system)]
    )
