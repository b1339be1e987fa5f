"""gater.start(system, store=PATH): the gater is the gateway of the event store."""

from __future__ import annotations

from pathlib import Path

import actors
import supervision as sv
from actors import gater, pubsub
from actors.eventstore import EventData, EventStore
from actors.gater import instances
from actors.testing import ANY, Probe


def test_every_append_is_broadcast_on_ex_esdb_events(
    actor_system: actors.ActorSystem, probe: Probe, tmp_path: Path
):
    tree = gater.start(actor_system, store=tmp_path / "events.db", audit=False, broadcasters=False)
    pubsub.subscribe(instances.EVENTS, "event_stream:people", probe)
    with Probe(actor_system) as everything:
        pubsub.subscribe(instances.EVENTS, "event_stream:*", everything)
        store = EventStore.connect()

        store.append("people", [EventData("PersonCreated", {"name": "Pera"}), EventData("X", 2)])
        store.append("orders", EventData("OrderPlaced", {"id": 7}))

        stored = store.read_stream("people").events
        assert [("event_appended", e) for e in stored] == [probe.receive(), probe.receive()]
        probe.refute(ANY)
        assert ["people", "people", "orders"] == [
            everything.expect(("event_appended", ANY))[1].stream for _ in range(3)
        ]
    assert "eventstore" in [child_id for child_id, _, _ in sv.which_children(tree)]


def test_without_a_store_the_gater_runs_none(actor_system: actors.ActorSystem):
    tree = gater.start(actor_system, audit=False, broadcasters=False)

    assert "eventstore" not in [child_id for child_id, _, _ in sv.which_children(tree)]
