"""The EventBus on PostgreSQL: ``EventBus.start(URL)``, marks from several
backend instances at once (as several processes make them), topics removed
while another instance writes, and the schema migration that adds its tables.

The backend contract itself runs in ``tests/eventbus`` (its
``backend_factory`` has a ``postgresql`` param).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

import actors
from actors import eventbus
from actors.eventbus import Event, EventBus, EventBusStoreError, Mark, NewEvent
from actors.eventbus._postgres import PostgresBackend as BusBackend
from actors.eventstore import StoreUnavailable
from actors.eventstore._postgres import PostgresBackend as StoreBackend
from actors.testing import ANY, Probe
from tests.eventbus.listeners import Listener
from tests.eventstore.conftest import PgSchema


@pytest.fixture
def buses(pg_schema: PgSchema) -> Iterator[list[BusBackend]]:
    opened = [BusBackend(pg_schema.url) for _ in range(2)]
    yield opened
    for backend in opened:
        backend.close()


def test_a_bus_started_on_a_url_delivers_and_forgets_finished_events(
    actor_system: actors.ActorSystem, pg_schema: PgSchema, probe: Probe
):
    with EventBus.start(pg_schema.url, system=actor_system) as bus:
        bus.register_topic("t")
        bus.subscribe((Listener.start(probe, "complete"), [".*"]))
        for i in range(5):
            bus.notify(Event(i, "t", {"i": i}))
        for _ in range(5):
            probe.expect(("handled", ANY, ANY))
        bus.sync()
        watchers = bus.watchers("t")
        shared = bus._registry.backend.shared

    assert ([], True) == (watchers, shared)
    assert [] == BusBackend(pg_schema.url).stored()


def test_topics_registered_by_one_instance_are_the_others(buses: list[BusBackend]):
    first, second = buses
    assert first.add_topic("orders", 1.0)
    assert not second.add_topic("orders", 2.0)

    assert ["orders"] == second.topics()


def test_marks_from_two_instances_at_once_finish_each_event_exactly_once(
    buses: list[BusBackend],
):
    first, second = buses
    first.add_topic("t", 1.0)
    count = 150
    first.write([NewEvent(Event(i, "t", i), ("a", "b"), 1.0) for i in range(count)], [])
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(2)

    def marker(backend: BusBackend, subscriber: str) -> None:
        start.wait()
        for i in range(count):
            _, (outcome,) = backend.write([], [Mark("t", i, subscriber, "completed")])
            with lock:
                outcomes.append(outcome)

    threads = [
        threading.Thread(target=marker, args=(first, "a")),
        threading.Thread(target=marker, args=(second, "b")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert {"applied": count, "finished": count} == Counter(outcomes)
    assert ([], []) == (first.stored(), second.pending())


def test_a_topic_removed_by_one_instance_keeps_no_event_written_by_another(
    buses: list[BusBackend],
):
    first, second = buses
    stop = threading.Event()
    written: list[str] = []

    def writer() -> None:
        i = 0
        while not stop.is_set():
            (outcome,), _ = first.write([NewEvent(Event(i, "t", i), ("s",), 1.0)], [])
            written.append(outcome)
            i += 1

    second.add_topic("t", 1.0)
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(20):
            second.remove_topic("t")
            second.add_topic("t", 1.0)
        second.remove_topic("t")
    finally:
        stop.set()
        thread.join()

    assert {"stored", "unknown_topic"} >= set(written)
    assert [] == [e for e in first.stored() if e.topic == "t"]


def test_a_schema_without_the_bus_tables_is_refused_until_migrated(pg_schema: PgSchema):
    # What a store initialised by the first version looks like.
    pg_schema.execute(
        "DROP TABLE {s}.eventbus_topics, {s}.eventbus_events, {s}.eventbus_deliveries"
    )
    pg_schema.execute(
        "DROP TABLE {s}.audit_events, {s}.lifecycle_events, {s}.audit_runs, {s}.audit_sequence"
    )
    pg_schema.execute("DELETE FROM {s}.schema_migrations WHERE version >= 2")

    with pytest.raises(
        EventBusStoreError, match=r"at version 2 or later .* run `actors store migrate"
    ):
        BusBackend(pg_schema.url)
    with pytest.raises(
        StoreUnavailable, match=r"older than this code's \d+: run `actors store migrate"
    ):
        StoreBackend(pg_schema.url)
    from actors.cli import main

    assert 0 == main(["store", "migrate", pg_schema.url])
    bus = BusBackend(pg_schema.url)
    store = StoreBackend(pg_schema.url)
    try:
        assert bus.add_topic("t", 1.0)
        assert -1 == store.last_position()
    finally:
        bus.close()
        store.close()


def test_the_bus_shows_no_password(pg_schema: PgSchema):
    url = pg_schema.url.replace("postgresql://", "postgresql://root:Sekr1t@", 1)
    backend = BusBackend(url)
    backend.close()

    with pytest.raises(EventBusStoreError, match="is closed") as caught:
        backend.topics()
    with pytest.raises(EventBusStoreError) as down:
        BusBackend("postgresql://root:Sekr1t@127.0.0.1:1/test", connect_timeout=1)

    for text in (repr(backend), backend.description, str(caught.value), str(down.value)):
        assert "Sekr1t" not in text
    assert "root:***@" in backend.description


def test_module_functions_work_on_a_postgres_bus(
    actor_system: actors.ActorSystem, pg_schema: PgSchema
):
    with EventBus.start(pg_schema.url, system=actor_system):
        eventbus.register_topic("webhook_received")
        assert eventbus.topic_exist("webhook_received")


def test_a_topic_registered_by_another_process_is_known_without_a_restart(
    actor_system_factory: Any, pg_schema: PgSchema
) -> None:
    one, two = actor_system_factory(), actor_system_factory()
    probe = Probe(two)
    with (
        EventBus.start(pg_schema.url, system=one) as first,
        EventBus.start(pg_schema.url, system=two) as second,
    ):
        second.subscribe((Listener.start(probe, "complete", system=two), ["late.*"]))
        assert [] == second.topics()

        first.register_topic("late_orders")  # after the second bus started

        assert second.topic_exist("late_orders")
        assert ["late_orders"] == second.topics()
        assert 1 == second.notify(Event(1, "late_orders", {"n": 1}))
        probe.expect(("handled", ANY, ANY))
        with pytest.raises(eventbus.UnknownTopic):
            second.notify(Event(2, "never_registered", {}))
