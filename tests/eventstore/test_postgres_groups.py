"""Persistent subscription state shared by several PostgreSQL backend instances.

Each instance stands for one process (its own pool, feed and heartbeat);
closing one without releasing its claims is what a killed process leaves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from actors.eventstore import ALL, ANY, MaxSubscribersReached, PersistentSettings
from actors.eventstore._postgres import PostgresBackend
from tests.eventstore.conftest import T0, PgSchema, at, batch

Open = Callable[..., PostgresBackend]


@pytest.fixture
def open_instance(pg_schema: PgSchema) -> Iterator[Open]:
    opened: list[PostgresBackend] = []

    def make(**options: object) -> PostgresBackend:
        backend = pg_schema.backend(**options)
        assert isinstance(backend, PostgresBackend)
        opened.append(backend)
        return backend

    yield make
    for backend in opened:
        backend.close()


def keys(deliveries: object) -> list[int]:
    return [d.key for d in deliveries]  # type: ignore[attr-defined]


def test_instances_claiming_at_once_share_the_work_without_overlap(open_instance: Open):
    instances = [open_instance() for _ in range(3)]
    instances[0].append("s", batch(300), ANY, T0)
    instances[0].create_group("s", "g", PersistentSettings(), T0)
    got: list[list[int]] = [[] for _ in instances]
    start = threading.Barrier(len(instances) * 2)

    def claimer(i: int, backend: PostgresBackend) -> Callable[[], None]:
        def run() -> None:
            start.wait()
            while claimed := backend.claim("s", "g", "manager", 7, T0):
                got[i].extend(keys(claimed))
                backend.ack("s", "g", keys(claimed))

        return run

    threads = [
        threading.Thread(target=claimer(i, b)) for i, b in enumerate(instances) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert list(range(300)) == sorted(k for part in got for k in part)
    assert all(part for part in got)  # every instance took some


def test_the_same_owner_name_in_two_instances_is_two_owners(open_instance: Open):
    a, b = open_instance(), open_instance()
    a.append("s", batch(4), ANY, T0)
    a.create_group("s", "g", PersistentSettings(), T0)
    a.claim("s", "g", "node:eventstore", 2, T0)
    b.claim("s", "g", "node:eventstore", 2, T0)

    assert 2 == b.release("s", "g", "node:eventstore")  # only its own
    assert (2, 2) == (a.get_group("s", "g").in_flight, a.get_group("s", "g").waiting)


def test_a_dead_instances_claims_come_back_after_the_timeout_counted(open_instance: Open):
    dead, alive = open_instance(), open_instance()
    dead.append("s", batch(3), ANY, T0)
    dead.create_group("s", "g", PersistentSettings(message_timeout=5), T0)
    assert [0, 1] == keys(dead.claim("s", "g", "m", 2, at(0)))
    dead.close()  # killed: nothing released

    assert [2] == keys(alive.claim("s", "g", "m", 5, at(1)))
    assert (0, 1) == alive.expire("s", "g", at(5)).retried
    redelivered = alive.claim("s", "g", "m", 5, at(5))

    assert [(0, 1), (1, 1)] == [(d.key, d.retry_count) for d in redelivered]


def test_recovery_releases_only_dead_instances_claims(open_instance: Open):
    live, dead = open_instance(), open_instance()
    live.append("s", batch(4), ANY, T0)
    live.create_group("s", "g", PersistentSettings(), T0)
    live.register_consumer("s", "g", "live-consumer", T0)
    dead.register_consumer("s", "g", "dead-consumer", T0)
    live.claim("s", "g", "m", 2, T0)
    dead.claim("s", "g", "m", 2, T0)
    dead.close()

    recovering = open_instance(recover=True)
    state = recovering.get_group("s", "g")

    assert (2, 2, 1) == (state.in_flight, state.waiting, state.consumers)
    assert [(2, 0), (3, 0)] == [
        (d.key, d.retry_count) for d in recovering.claim("s", "g", "m", 5, T0)
    ]


def test_consumers_of_instances_without_a_heartbeat_stop_counting(
    open_instance: Open, pg_schema: PgSchema
):
    a, b = open_instance(instance_timeout=30), open_instance(instance_timeout=30)
    a.create_group("s", "g", PersistentSettings(max_subscriber_count=1), T0)
    a.register_consumer("s", "g", "a1", T0)
    with pytest.raises(MaxSubscribersReached):
        b.register_consumer("s", "g", "b1", T0)

    # What a killed process leaves: its row, with a heartbeat that stopped.
    pg_schema.execute(
        "UPDATE {s}.instances SET heartbeat = now() - interval '1 minute' WHERE instance = %s",
        a.instance,
    )
    a._feed.stop()  # type: ignore[union-attr]  # its heartbeat must not come back

    assert 1 == b.register_consumer("s", "g", "b1", T0)
    assert 1 == b.get_group("s", "g").consumers


def test_pinned_claims_split_streams_between_instances(open_instance: Open):
    a, b = open_instance(), open_instance()
    for i in range(6):
        a.append(f"acct-{i}", batch(3), ANY, T0)
    a.create_group(ALL, "g", PersistentSettings(consumer_strategy="pinned"), T0)
    a.register_consumer(ALL, "g", "ca", T0)
    b.register_consumer(ALL, "g", "cb", T0)

    from_a = a.claim(ALL, "g", "m", 100, T0)
    from_b = b.claim(ALL, "g", "m", 100, T0)
    streams_a = {d.event.stream for d in from_a}
    streams_b = {d.event.stream for d in from_b}

    assert 18 == len(from_a) + len(from_b)
    assert set() == streams_a & streams_b
    assert {f"acct-{i}" for i in range(6)} == streams_a | streams_b
    for part in (from_a, from_b):
        for stream in {d.event.stream for d in part}:
            assert [0, 1, 2] == [d.event.version for d in part if d.event.stream == stream]
