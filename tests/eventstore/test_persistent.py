"""Persistent subscriptions: competing consumers, ack/nack, timeouts, parking."""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import actors
from actors import eventstore as es
from actors.eventstore import (
    ALL,
    EventData,
    EventStore,
    GroupExists,
    GroupNotFound,
    MaxSubscribersReached,
)
from actors.testing import ANY, Probe
from tests.eventstore.conftest import advance_past_timers


def batch(n: int, start: int = 0) -> list[EventData]:
    return [EventData("E", {"n": start + i}) for i in range(n)]


@pytest.fixture(params=["file", "memory"])
def store(
    request: pytest.FixtureRequest, actor_system: actors.ActorSystem, tmp_path: Path
) -> Iterator[EventStore]:
    url = str(tmp_path / "events.db") if request.param == "file" else ":memory:"
    with EventStore.open(url, system=actor_system) as opened:
        yield opened


@pytest.fixture
def manual_store(manual_system: actors.ActorSystem) -> Iterator[EventStore]:
    with EventStore.open(":memory:", system=manual_system, trim_interval=None) as opened:
        yield opened


def on_event(probe: Probe, timeout: float = 5.0) -> tuple[Any, str]:
    _, event, correlation = probe.expect(("on_event", ANY, ANY), timeout)
    return event, correlation


def numbers(probe: Probe, n: int) -> list[int]:
    return [on_event(probe)[0].data["n"] for _ in range(n)]


def info(store: EventStore, stream: str = "s", group: str = "g") -> Any:
    return store.persistent_subscription_info(stream, group)


def settle(sub: es.PersistentSubscription) -> None:
    """Return once the manager has handled everything sent to it so far."""
    actors.call(sub.manager, ("statistics",))


def test_create_list_update_delete(store: EventStore):
    created = store.create_persistent_subscription("s", "g", max_retry_count=3)

    assert (3, "round_robin", 30.0) == (
        created.settings.max_retry_count,
        created.settings.consumer_strategy,
        created.settings.message_timeout,
    )
    with pytest.raises(GroupExists, match="'g'"):
        store.create_persistent_subscription("s", "g")
    updated = store.update_persistent_subscription("s", "g", message_timeout=5)
    assert (5, 3) == (updated.settings.message_timeout, updated.settings.max_retry_count)
    assert [("s", "g")] == [(g.stream, g.group) for g in store.list_persistent_subscriptions()]
    store.delete_persistent_subscription("s", "g")
    with pytest.raises(GroupNotFound):
        info(store)


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        ({"consumer_strategy": "random"}, ValueError, "consumer_strategy"),
        ({"max_retry_count": -1}, ValueError, "max_retry_count"),
        ({"message_timeout": 0}, ValueError, "message_timeout"),
        ({"message_timeout": "30s"}, TypeError, "message_timeout"),
        ({"read_batch_size": 500}, ValueError, "less than buffer_size"),
        ({"start_from": -2}, ValueError, "start_from"),
        ({"prefer_round_robin": True}, TypeError, "unknown persistent subscription setting"),
    ],
)
def test_bad_settings_are_refused(store: EventStore, settings: dict[str, Any], error, match):
    with pytest.raises(error, match=match):
        store.create_persistent_subscription("s", "g", **settings)
    assert [] == store.list_persistent_subscriptions()


def test_consume_and_ack(store: EventStore, probe: Probe):
    store.append("s", batch(3))
    store.create_persistent_subscription("s", "g", checkpoint_min_count=1, checkpoint_max_count=3)

    sub = es.connect_to_persistent_subscription(store, "g", "s", probe)
    got = [on_event(probe) for _ in range(3)]
    for event, correlation in got:
        assert "ok" == es.ack(sub, event, correlation)
    settle(sub)

    assert [0, 1, 2] == [e.data["n"] for e, _ in got]
    assert {sub.correlation_id} == {c for _, c in got}
    state = info(store)
    assert (0, 2, 0) == (state.in_flight, state.checkpoint, state.lag)
    store.append("s", batch(1, start=3))
    assert [3] == numbers(probe, 1)


def test_start_from_live_only_sees_new_events(store: EventStore, probe: Probe):
    store.append("s", batch(3))
    store.create_persistent_subscription("s", "g", start_from=-1)

    es.connect_to_persistent_subscription(store, "g", "s", probe)
    store.append("s", batch(1, start=3))

    assert [3] == numbers(probe, 1)


def test_retry_nack_redelivers_then_parks_after_max_retry_count(store: EventStore, probe: Probe):
    store.append("s", batch(1))
    store.create_persistent_subscription("s", "g", max_retry_count=2)
    sub = es.connect_to_persistent_subscription(store, "g", "s", probe)

    deliveries = 0
    for _ in range(3):
        event, correlation = on_event(probe)
        deliveries += 1
        es.nack(sub, event, correlation, "retry", "try again")
    settle(sub)

    probe.refute(("on_event", ANY, ANY))
    assert 3 == deliveries  # max_retry_count + 1
    (parked,) = store.parked_messages("s", "g")
    assert (0, "try again", 2) == (parked.key, parked.reason, parked.retry_count)
    assert 1 == info(store).parked


def test_park_skip_and_replay_parked(store: EventStore, probe: Probe):
    store.append("s", batch(3))
    store.create_persistent_subscription("s", "g")
    sub = es.connect_to_persistent_subscription(store, "g", "s", probe)
    (e0, c), (e1, _), (e2, _) = [on_event(probe) for _ in range(3)]

    es.nack(sub, e0, c, "park")
    es.nack(sub, e1, c, "skip")
    es.ack(sub, e2, c)
    settle(sub)
    assert ["Client explicitly NAK'ed message"] == [
        p.reason for p in store.parked_messages("s", "g")
    ]
    store.append("s", batch(1, start=3))
    assert [3] == numbers(probe, 1)

    assert 1 == store.replay_parked_messages("s", "g")
    assert [0] == numbers(probe, 1)
    probe.refute(("on_event", ANY, ANY))
    assert [] == store.parked_messages("s", "g")


def test_replayed_parked_messages_go_before_new_events(store: EventStore, probe: Probe):
    store.append("s", batch(2))
    store.create_persistent_subscription("s", "g")
    sub = es.connect_to_persistent_subscription(store, "g", "s", probe, buffer_size=1)
    event, correlation = on_event(probe)
    es.nack(sub, event, correlation, "park")
    event, correlation = on_event(probe)
    assert 1 == event.data["n"]
    store.append("s", batch(2, start=2))

    store.replay_parked_messages("s", "g")
    es.ack(sub, event, correlation)

    assert [0] == numbers(probe, 1)


def test_message_timeout_redelivers_with_the_clock(
    manual_store: EventStore, manual_system: actors.ActorSystem, clock: actors.ManualClock
):
    manual_store.append("s", batch(1))
    manual_store.create_persistent_subscription("s", "g", message_timeout=10, max_retry_count=1)
    with Probe(manual_system) as probe:
        sub = es.connect_to_persistent_subscription(manual_store, "g", "s", probe)
        on_event(probe)

        advance_past_timers(manual_system, clock, 5)
        settle(sub)
        probe.refute(("on_event", ANY, ANY))
        advance_past_timers(manual_system, clock, 6)
        event, _ = on_event(probe)  # retried once
        assert 0 == event.data["n"]
        settle(sub)  # its next tick is armed before the clock moves on

        advance_past_timers(manual_system, clock, 11)
        settle(sub)
        probe.refute(("on_event", ANY, ANY))
        (parked,) = manual_store.parked_messages("s", "g")
        assert ("message timeout", 1) == (parked.reason, parked.retry_count)


def test_a_crashed_consumers_messages_go_to_the_others(
    store: EventStore, actor_system: actors.ActorSystem, probe: Probe
):
    store.append("s", batch(4))
    store.create_persistent_subscription("s", "g")
    crashing = Probe(actor_system)
    es.connect_to_persistent_subscription(store, "g", "s", crashing, buffer_size=4)
    assert 4 == len([on_event(crashing) for _ in range(4)])
    sub = es.connect_to_persistent_subscription(store, "g", "s", probe, buffer_size=10)

    crashing.close("boom")

    redelivered = [on_event(probe)[0] for _ in range(4)]
    assert [0, 1, 2, 3] == [e.data["n"] for e in redelivered]
    for event in redelivered:
        es.ack(sub, event, sub.correlation_id)
    settle(sub)
    assert (0, 0) == (info(store).in_flight, info(store).waiting)


def test_backpressure_at_most_buffer_size_unacked_per_consumer(store: EventStore, probe: Probe):
    store.append("s", batch(50))
    store.create_persistent_subscription("s", "g")
    sub = es.connect_to_persistent_subscription(store, "g", "s", probe, buffer_size=3)

    first = [on_event(probe) for _ in range(3)]
    settle(sub)
    probe.refute(("on_event", ANY, ANY))
    stats = actors.call(sub.manager, ("statistics",))
    assert ({sub.correlation_id: 3}, 3) == (stats.consumers, stats.in_flight)

    es.ack(sub, first[0][0], first[0][1])
    assert [3] == numbers(probe, 1)
    probe.refute(("on_event", ANY, ANY))


def consume(store: EventStore, probes: list[Probe], total: int, **connect: Any) -> list[list[int]]:
    subs = [es.connect_to_persistent_subscription(store, "g", "s", p, **connect) for p in probes]
    store.append("s", batch(total))
    seen: list[list[int]] = [[] for _ in probes]
    while sum(map(len, seen)) < total:
        for i, p in enumerate(probes):
            for message in p.flush():
                _, event, correlation = message
                seen[i].append(event.data["n"])
                es.ack(subs[i], event, correlation)
        for sub in subs:
            settle(sub)
    return seen


def test_round_robin_spreads_evenly(store: EventStore, actor_system: actors.ActorSystem):
    store.create_persistent_subscription("s", "g", consumer_strategy="round_robin")
    probes = [Probe(actor_system) for _ in range(3)]

    seen = consume(store, probes, 30)

    assert list(range(30)) == sorted(n for part in seen for n in part)
    assert [10, 10, 10] == [len(part) for part in seen]


def test_dispatch_to_single_fills_one_consumer_first(
    store: EventStore, actor_system: actors.ActorSystem
):
    store.create_persistent_subscription("s", "g", consumer_strategy="dispatch_to_single")
    first, second = Probe(actor_system), Probe(actor_system)
    es.connect_to_persistent_subscription(store, "g", "s", first, buffer_size=5)
    sub2 = es.connect_to_persistent_subscription(store, "g", "s", second, buffer_size=5)

    store.append("s", batch(7))

    assert [0, 1, 2, 3, 4] == numbers(first, 5)
    assert [5, 6] == numbers(second, 2)
    settle(sub2)
    first.refute(("on_event", ANY, ANY))


def test_pinned_keeps_each_source_stream_on_one_consumer(
    store: EventStore, actor_system: actors.ActorSystem
):
    store.create_persistent_subscription(ALL, "g", consumer_strategy="pinned")
    probes = [Probe(actor_system) for _ in range(3)]
    subs = [es.connect_to_persistent_subscription(store, "g", ALL, p) for p in probes]
    streams = [f"order-{i}" for i in range(9)]
    for round_ in range(3):
        for stream in streams:
            store.append(stream, EventData("E", {"n": round_}))

    by_consumer: list[Counter[str]] = [Counter() for _ in probes]
    received = 0
    while received < 27:
        for i, p in enumerate(probes):
            for _, event, correlation in p.flush():
                by_consumer[i][event.stream] += 1
                es.ack(subs[i], event, correlation)
                received += 1
        for sub in subs:
            settle(sub)

    for stream in streams:
        owners = [i for i, seen in enumerate(by_consumer) if stream in seen]
        assert [zlib.crc32(stream.encode()) % 3] == owners
        assert 3 == by_consumer[owners[0]][stream]


def test_nack_stop_disconnects_the_consumer_and_keeps_the_message(
    store: EventStore, actor_system: actors.ActorSystem, probe: Probe
):
    store.append("s", batch(1))
    store.create_persistent_subscription("s", "g")
    stopping = Probe(actor_system)
    sub = es.connect_to_persistent_subscription(store, "g", "s", stopping)
    event, correlation = on_event(stopping)

    es.nack(sub, event, correlation, "stop")
    stopping.expect(("extreme", "unsubscribed"))
    es.connect_to_persistent_subscription(store, "g", "s", probe)

    redelivered, _ = on_event(probe)
    assert 0 == redelivered.data["n"]


def test_max_subscriber_count(store: EventStore, actor_system: actors.ActorSystem):
    store.create_persistent_subscription("s", "g", max_subscriber_count=1)
    first, second = Probe(actor_system), Probe(actor_system)
    sub = es.connect_to_persistent_subscription(store, "g", "s", first)

    with pytest.raises(MaxSubscribersReached, match="maximum of 1"):
        es.connect_to_persistent_subscription(store, "g", "s", second)
    assert "ok" == es.disconnect(sub)
    es.connect_to_persistent_subscription(store, "g", "s", second)


def test_deleting_the_group_tells_its_consumers(store: EventStore, probe: Probe):
    store.create_persistent_subscription("s", "g")
    sub = es.connect_to_persistent_subscription(store, "g", "s", probe)
    probe.monitor(sub)

    store.delete_persistent_subscription("s", "g")

    probe.expect(("extreme", "persistent_subscription_deleted"))
    probe.expect(("DOWN", ANY, "process", sub.manager, es.GROUP_DELETED))
    store.create_persistent_subscription("s", "g")  # again: a new manager serves it
    store.append("s", batch(1))
    es.connect_to_persistent_subscription(store, "g", "s", probe)
    assert [0] == numbers(probe, 1)


def test_the_position_survives_a_store_restart(actor_system: actors.ActorSystem, tmp_path: Path):
    path = tmp_path / "events.db"
    with EventStore.open(path, system=actor_system) as store, Probe(actor_system) as probe:
        store.append("s", batch(5))
        store.create_persistent_subscription("s", "g")
        sub = es.connect_to_persistent_subscription(store, "g", "s", probe)
        got = [on_event(probe) for _ in range(5)]
        for event, correlation in got[:2] + got[3:4]:
            es.ack(sub, event, correlation)
        settle(sub)

    with EventStore.open(path, system=actor_system) as store, Probe(actor_system) as probe:
        store.append("s", batch(1, start=5))
        es.connect_to_persistent_subscription(store, "g", "s", probe)
        # Unacked 2 and 4 are redelivered (uncounted), then the new event; nothing lost.
        assert [2, 4, 5] == numbers(probe, 3)
        probe.refute(("on_event", ANY, ANY))
        assert 1 == info(store).checkpoint


def test_a_group_on_all(store: EventStore, probe: Probe):
    store.append("a", batch(1))
    store.append("b", batch(1, start=1))
    store.create_persistent_subscription(ALL, "g")

    sub = es.connect_to_persistent_subscription(store, "g", ALL, probe)
    got = [on_event(probe) for _ in range(2)]
    for event, correlation in got:
        es.ack(sub, event, correlation)
    settle(sub)

    assert [("a", 0), ("b", 1)] == [(e.stream, e.position) for e, _ in got]
    assert 0 == info(store, ALL).in_flight


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda st, p: es.connect_to_persistent_subscription(st, "nope", "s", p),
            GroupNotFound,
            "'nope'",
        ),
        (
            lambda st, p: es.connect_to_persistent_subscription(st, "g", "s", p, buffer_size=0),
            ValueError,
            "buffer_size",
        ),
        (
            lambda st, p: es.ack("not a subscription", None, "x"),  # type: ignore[arg-type]
            TypeError,
            "PersistentSubscription",
        ),
    ],
)
def test_bad_persistent_arguments(store: EventStore, probe: Probe, call, error, match):
    store.create_persistent_subscription("s", "g")
    with pytest.raises(error, match=match):
        call(store, probe)


def test_bad_nack_action(store: EventStore, probe: Probe):
    store.append("s", batch(1))
    store.create_persistent_subscription("s", "g")
    sub = es.connect_to_persistent_subscription(store, "g", "s", probe)
    event, correlation = on_event(probe)

    with pytest.raises(ValueError, match="nack action"):
        es.nack(sub, event, correlation, "explode")
    with pytest.raises(TypeError, match="RecordedEvent"):
        es.ack(sub, "event", correlation)
    assert "ok" == es.nack(sub, event, correlation, "Park")  # Extreme's CamelCase works too
