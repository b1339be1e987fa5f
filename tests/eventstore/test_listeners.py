"""Listener (checkpointed, exactly-once with ProjectionDB) and FanoutListener."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import actors
import supervision as sv
from actors import eventstore as es
from actors.eventstore import EventData, EventStore, FanoutListener, Listener, ProjectionDB
from actors.testing import ANY, Probe


def people(n: int, start: int = 0) -> list[EventData]:
    return [EventData("PersonCreated", {"name": f"p{start + i}"}) for i in range(n)]


class PeopleProjection(Listener):
    """Writes each person to its own SQLite table with the checkpoint."""

    def on_init(self, db: ProjectionDB, report: Probe, poison: set[str] | None = None) -> None:
        self.db, self.report, self.poison = db, report, poison if poison is not None else set()
        self.db.connection.execute("CREATE TABLE IF NOT EXISTS people (name TEXT)")

    def get_last_event(self, stream: str) -> int:
        last = self.db.last_event(stream)
        actors.send(self.report, ("resumed_after", last))
        return last

    def process_push(self, event: Any, stream: str) -> tuple[str, int]:
        with self.db.transaction(stream, event.version) as conn:
            conn.execute("INSERT INTO people VALUES (?)", (event.data["name"],))
            if event.data["name"] in self.poison:
                self.poison.discard(event.data["name"])  # fails once, then succeeds
                raise RuntimeError(f"cannot project {event.data['name']}")
        actors.send(self.report, ("projected", event.version))
        return ("ok", event.version)

    def caught_up(self) -> None:
        actors.send(self.report, ("caught_up",))


def names_in(db: ProjectionDB) -> list[str]:
    return [row[0] for row in db.connection.execute("SELECT name FROM people ORDER BY rowid")]


@pytest.fixture
def store(actor_system: actors.ActorSystem, tmp_path: Path) -> Iterator[EventStore]:
    with EventStore.open(tmp_path / "events.db", system=actor_system) as opened:
        yield opened


@pytest.fixture
def db(tmp_path: Path) -> Iterator[ProjectionDB]:
    with ProjectionDB(tmp_path / "projection.db", "PeopleProjection") as opened:
        yield opened


def expect_projected(probe: Probe, versions: range) -> None:
    assert [("projected", v) for v in versions] == [
        probe.expect(("projected", ANY)) for _ in versions
    ]


def test_listener_processes_history_then_live(store: EventStore, db: ProjectionDB, probe: Probe):
    store.append("people", people(3))

    PeopleProjection.start(store, "people", db, probe, name="MyListener")
    probe.expect(("resumed_after", -1))
    expect_projected(probe, range(3))
    probe.expect(("caught_up",))
    store.append("people", people(2, start=3))
    expect_projected(probe, range(3, 5))

    assert ["p0", "p1", "p2", "p3", "p4"] == names_in(db)
    assert 4 == db.last_event("people")
    assert 4 == actors.call("MyListener", ("last_event",))


def test_a_crash_resumes_at_the_checkpoint_exactly_once(
    store: EventStore, db: ProjectionDB, probe: Probe, actor_system: actors.ActorSystem
):
    store.append("people", people(5))

    sv.Supervisor.start(
        [sv.child_spec("listener", PeopleProjection, store, "people", db, probe, {"p2"})],
        system=actor_system,
    )

    probe.expect(("resumed_after", -1))
    expect_projected(probe, range(2))
    probe.expect(("resumed_after", 1))  # crashed on p2, restarted by its supervisor
    expect_projected(probe, range(2, 5))
    assert ["p0", "p1", "p2", "p3", "p4"] == names_in(db)


def test_a_process_restart_resumes_at_the_checkpoint(tmp_path: Path):
    events_path, projection_path = tmp_path / "events.db", tmp_path / "projection.db"
    with actors.ActorSystem() as system, Probe(system) as probe:
        store = EventStore.open(events_path, system=system)
        store.append("people", people(3))
        with ProjectionDB(projection_path, "PeopleProjection") as db:
            PeopleProjection.start(store, "people", db, probe, system=system)
            expect_projected(probe, range(3))
            probe.expect(("caught_up",))
            system.shutdown()

    with actors.ActorSystem() as system, Probe(system) as probe:
        store = EventStore.open(events_path, system=system)
        store.append("people", people(2, start=3))
        with ProjectionDB(projection_path, "PeopleProjection") as db:
            PeopleProjection.start(store, "people", db, probe, system=system)
            probe.expect(("resumed_after", 2))
            expect_projected(probe, range(3, 5))
            probe.refute(("projected", ANY))
            assert ["p0", "p1", "p2", "p3", "p4"] == names_in(db)
            system.shutdown()


def test_pause_and_resume_lose_nothing(store: EventStore, db: ProjectionDB, probe: Probe):
    store.append("people", people(2))
    listener = PeopleProjection.start(store, "people", db, probe)
    expect_projected(probe, range(2))
    probe.expect(("caught_up",))

    assert ("ok", 1) == es.pause(listener)
    store.append("people", people(3, start=2))
    probe.refute(("projected", ANY), timeout=0.2)
    assert "ok" == es.resume(listener)

    probe.expect(("resumed_after", 1))
    expect_projected(probe, range(2, 5))
    assert 5 == len(names_in(db))


def test_a_wrong_push_result_crashes_the_listener(store: EventStore, probe: Probe):
    class Sloppy(Listener):
        def get_last_event(self, stream: str) -> int:
            return -1

        def process_push(self, event: Any, stream: str) -> Any:
            return "ok"

    store.append("people", people(1))
    listener = Sloppy.start(store, "people")
    probe.monitor(listener)

    _, _, _, _, reason = probe.expect(("DOWN", ANY, "process", listener, TypeError))
    assert "must return ('ok', event_number)" in str(reason)


def test_a_listener_on_all_counts_positions(store: EventStore, probe: Probe):
    class Everything(Listener):
        def get_last_event(self, stream: str) -> int:
            return 1

        def process_push(self, event: Any, stream: str) -> tuple[str, int]:
            actors.send(probe, ("got", stream, event.stream, event.position))
            return ("ok", event.position)

    store.append("a", people(2))
    store.append("b", people(2))

    Everything.start(store, "$all")

    assert [("got", "$all", "b", 2), ("got", "$all", "b", 3)] == [
        probe.receive(),
        probe.receive(),
    ]


class Forwarder(FanoutListener):
    def on_init(self, socket: Probe) -> None:
        self.socket = socket

    def process_push(self, event: Any) -> None:
        actors.send(self.socket, ("pushed", event.data["name"]))


def test_fanout_listener_forwards_live_events_only(store: EventStore, probe: Probe):
    store.append("people", people(2))

    Forwarder.start(store, "people", probe)
    store.append("people", people(2, start=2))

    assert [("pushed", "p2"), ("pushed", "p3")] == [probe.receive(), probe.receive()]
    probe.refute(ANY)


def test_fanout_listener_resubscribes_when_its_subscription_goes_down(
    store: EventStore, probe: Probe, actor_system: actors.ActorSystem
):
    forwarder = Forwarder.start(store, "people", probe)
    before = actors.whereis(("eventstore", "eventstore", "subscriptions"), actor_system)
    (sub,) = [ref for _, ref, _ in sv.which_children(before)]

    actors.exit(sub, "kill")
    # Wait until it has subscribed again: a second subscription child exists.
    while not [r for _, r, _ in sv.which_children(before) if r != sub]:
        actors.call(forwarder, ("resubscribe",))
    store.append("people", people(1, start=7))

    assert ("pushed", "p7") == probe.receive()
    assert "ok" == actors.call(forwarder, ("unsubscribe",))
    store.append("people", people(1, start=8))
    probe.refute(("pushed", ANY))
