"""A demo-like application and a parked message, for the dashboard tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import actors
import supervision as sv
from actors import eventstore, gater
from actors.eventstore import EventData, EventStore
from actors.testing import ANY, Probe


class Ticker(actors.GenServer):
    """Broadcasts on ex_esdb_health every 50 ms so the counters move."""

    def init(self) -> None:
        self.n = 0
        actors.send_after(self.ref, ("tick",), 0.05)

    def handle_info(self, message: Any) -> None:
        from actors import pubsub

        self.n += 1
        pubsub.broadcast("ex_esdb_health", "cluster:health", ("tick", self.n))
        actors.send_after(self.ref, ("tick",), 0.05)


class Listener(actors.GenServer):
    def init(self) -> None:
        from actors import pubsub

        pubsub.subscribe("ex_esdb_health", "cluster:*")

    def handle_info(self, message: Any) -> None:
        pass


@pytest.fixture
def app_system(
    actor_system_factory: Any, tmp_path: Any
) -> Iterator[tuple[actors.ActorSystem, EventStore]]:
    system = actor_system_factory(runtime="pooled")
    gater.start(system, audit=str(tmp_path / "audit.db"), broadcasters=False)
    sv.Supervisor.start(
        [
            sv.child_spec("ticker", Ticker, name="ticker"),
            sv.child_spec("listener", Listener, name="listener"),
        ],
        name="app",
        max_restarts=3,
        max_seconds=5,
        system=system,
    )
    store = EventStore.open(str(tmp_path / "events.db"), system=system, name="orders")
    store.create_persistent_subscription("orders-1", "billing")
    store.append("orders-1", [EventData("Placed", {"n": n}) for n in range(3)])
    with Probe(system) as consumer:
        connection = eventstore.connect_to_persistent_subscription(
            store, "billing", "orders-1", consumer
        )
        _, event, correlation_id = consumer.expect(("on_event", ANY, ANY), 5)
        eventstore.nack(connection, event, correlation_id, "park", "poisoned")
        eventstore.subscription_statistics(connection)  # the nack is handled
    yield system, store
    store.close()
