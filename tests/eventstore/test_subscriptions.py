"""Live and catch-up subscriptions, in Extreme's vocabulary."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import actors
from actors import eventstore as es
from actors.eventstore import ALL, EventData, EventFilter, EventStore
from actors.eventstore._mailbox import mailbox_depth
from actors.lowlevel import process_of
from actors.testing import ANY, Probe


def batch(n: int, start: int = 0, event_type: str = "E") -> list[EventData]:
    return [EventData(event_type, {"n": start + i}) for i in range(n)]


@pytest.fixture(params=["file", "memory"])
def store(
    request: pytest.FixtureRequest, actor_system: actors.ActorSystem, tmp_path: Path
) -> Iterator[EventStore]:
    url = str(tmp_path / "events.db") if request.param == "file" else ":memory:"
    with EventStore.open(url, system=actor_system) as opened:
        yield opened


def receive_events(probe: Probe, n: int, timeout: float = 5.0) -> list[Any]:
    """The next ``n`` events (other messages are skipped and discarded)."""
    got: list[Any] = []
    while len(got) < n:
        message = probe.expect(("on_event", ANY), timeout)
        got.append(message[1])
    return got


def test_subscribe_to_delivers_only_live_events(store: EventStore, probe: Probe):
    store.append("people", batch(2))

    es.subscribe_to(store, "people", probe)
    store.append("people", batch(3, start=2))
    store.append("others", batch(1))

    assert [2, 3, 4] == [e.data["n"] for e in receive_events(probe, 3)]
    probe.refute(("caught_up",))
    probe.refute(("on_event", ANY))


def test_read_and_stay_subscribed_history_caught_up_then_live(store: EventStore, probe: Probe):
    store.append("people", batch(5))

    es.read_and_stay_subscribed(store, "people", 2, probe)
    history = receive_events(probe, 3)
    probe.expect(("caught_up",))
    store.append("people", batch(2, start=5))

    assert [2, 3, 4] == [e.version for e in history]
    assert [5, 6] == [e.version for e in receive_events(probe, 2)]
    probe.refute(ANY)


def test_the_subscriber_gets_recorded_events(store: EventStore, probe: Probe):
    store.append("people", EventData("PersonCreated", {"name": "Pera"}, {"by": "me"}, id="i1"))

    es.read_and_stay_subscribed(store, "people", 0, probe)

    (event,) = receive_events(probe, 1)
    assert ("people", 0, 0, "i1", "PersonCreated", {"name": "Pera"}, {"by": "me"}) == (
        event.stream,
        event.event_number,
        event.position,
        event.id,
        event.event_type,
        event.data,
        event.metadata,
    )


@pytest.mark.parametrize("seed", range(6))
def test_catch_up_with_racing_writers_has_no_gap_and_no_duplicate(
    actor_system: actors.ActorSystem, tmp_path: Path, seed: int
):
    rng = random.Random(seed)
    writers = rng.randint(2, 5)
    per_writer = rng.randint(40, 120)
    page_size = rng.choice([1, 3, 7, 50])
    url = str(tmp_path / "race.db") if seed % 2 else ":memory:"
    with EventStore.open(url, system=actor_system) as store, Probe(actor_system) as probe:
        store.append("race", batch(rng.randint(0, 60)))
        go = threading.Barrier(writers + 1)

        def write(w: int) -> None:
            local = random.Random(seed * 100 + w)
            go.wait()
            done = 0
            while done < per_writer:
                size = min(per_writer - done, local.choice([1, 1, 2, 5]))
                store.append("race", batch(size, start=done, event_type=f"w{w}"))
                if local.random() < 0.3:
                    store.append(f"noise-{w}", batch(1))
                done += size

        threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
        for t in threads:
            t.start()
        go.wait()
        if rng.random() < 0.5:
            store.append("race", batch(rng.randint(1, 10)))
        es.read_and_stay_subscribed(store, "race", 0, probe, page_size=page_size)
        for t in threads:
            t.join()
        total = store.read_stream("race", -1, 1, backwards=True).last_version + 1

        received: list[Any] = []
        caught_up = 0
        while len(received) < total:
            message = probe.receive(timeout=10)
            if message == ("caught_up",):
                caught_up += 1
            else:
                received.append(message[1])
        probe.refute(("on_event", ANY), timeout=0.2)

        assert list(range(total)) == [e.version for e in received]
        assert caught_up <= 1
        for w in range(writers):
            mine = [e.data["n"] for e in received if e.type == f"w{w}"]
            assert sorted(mine) == mine  # each writer's events in its order
        assert store.read_stream("race", 0, 100_000).events == tuple(received)


def test_all_and_filters(store: EventStore, probe: Probe, actor_system: actors.ActorSystem):
    store.append("orders-1", batch(1, start=0, event_type="Placed"))
    store.append("people-1", batch(1, start=1, event_type="Created"))

    with Probe(actor_system) as everything:
        es.read_and_stay_subscribed(store, ALL, 0, everything)
        es.read_and_stay_subscribed(
            store, ALL, 0, probe, filter=EventFilter(stream_prefix="orders-")
        )
        store.append("orders-2", batch(1, start=2, event_type="Shipped"))
        store.append("people-2", batch(1, start=3, event_type="Created"))

        assert [0, 1, 2, 3] == [e.data["n"] for e in receive_events(everything, 4)]
        assert [0, 2] == [e.data["n"] for e in receive_events(probe, 2)]
        probe.refute(("on_event", ANY))


def test_live_all_with_an_event_type_filter(store: EventStore, probe: Probe):
    store.append("a", batch(1, event_type="Wanted"))

    es.subscribe_to(store, ALL, probe, filter=EventFilter(event_types=["Wanted"]))
    store.append("b", batch(1, start=1, event_type="Other"))
    store.append("c", batch(1, start=2, event_type="Wanted"))

    assert [2] == [e.data["n"] for e in receive_events(probe, 1)]
    probe.refute(("on_event", ANY))


def test_a_missing_stream_warns_then_catches_up_and_goes_live(store: EventStore, probe: Probe):
    es.read_and_stay_subscribed(store, "later", 0, probe)

    probe.expect(("extreme", "warn", "no_stream", "later"))
    probe.expect(("caught_up",))
    store.append("later", batch(1))
    assert [0] == [e.version for e in receive_events(probe, 1)]


def test_a_soft_deleted_stream_warns_once_and_goes_on(store: EventStore, probe: Probe):
    store.append("s", batch(2))
    store.delete_stream("s")

    es.read_and_stay_subscribed(store, "s", 0, probe)

    assert ("extreme", "warn", "stream_soft_deleted", "s") == probe.receive()
    assert ("caught_up",) == probe.receive()
    store.append("s", batch(1, start=9))
    assert [(2, 9)] == [(e.version, e.data["n"]) for e in receive_events(probe, 1)]
    probe.refute(("caught_up",))


def test_a_hard_deleted_stream_is_an_error_and_ends_the_subscription(
    store: EventStore, probe: Probe, events: Probe
):
    store.append("s", batch(1))
    store.delete_stream("s", hard=True)

    sub = es.read_and_stay_subscribed(store, "s", 0, probe)

    probe.expect(("extreme", "error", "stream_deleted", "s"))
    stopped = events.expect(lambda e: e.actor_id == sub.id and e.event_type == "stopped")
    assert "('shutdown', 'stream_deleted')" == stopped.reason
    probe.refute(("caught_up",))


def test_a_hard_delete_while_subscribed_ends_the_subscription(store: EventStore, probe: Probe):
    store.append("s", batch(1))
    sub = es.subscribe_to(store, "s", probe)
    probe.monitor(sub)

    store.delete_stream("s", hard=True)

    probe.expect(("extreme", "stream_hard_deleted"))
    probe.expect(("DOWN", ANY, "process", sub, ("shutdown", "stream_hard_deleted")))


def test_a_soft_delete_while_subscribed_keeps_the_subscription(store: EventStore, probe: Probe):
    store.append("s", batch(2))
    sub = es.subscribe_to(store, "s", probe)
    store.delete_stream("s")
    store.append("s", batch(1, start=5))

    assert [(2, 5)] == [(e.version, e.data["n"]) for e in receive_events(probe, 1)]
    proc = process_of(sub)
    assert proc is not None
    assert proc.alive


def test_the_subscription_ends_with_its_subscriber(
    store: EventStore, probe: Probe, actor_system: actors.ActorSystem
):
    subscriber = Probe(actor_system)
    sub = es.subscribe_to(store, "s", subscriber)
    probe.monitor(sub)

    subscriber.close()

    probe.expect(("DOWN", ANY, "process", sub, "normal"))


def test_unsubscribe(store: EventStore, probe: Probe):
    sub = es.subscribe_to(store, "s", probe)

    assert "unsubscribed" == es.unsubscribe(sub)
    probe.expect(("extreme", "unsubscribed"))
    store.append("s", batch(1))
    probe.refute(("on_event", ANY))
    assert "noproc" == es.unsubscribe(sub)


def test_closing_the_store_ends_its_subscriptions(actor_system: actors.ActorSystem, probe: Probe):
    store = EventStore.open(":memory:", system=actor_system)
    sub = es.subscribe_to(store, "s", probe)
    probe.monitor(sub)

    store.close()

    probe.expect(("DOWN", ANY, "process", sub, "shutdown"))


class StreamSubscriber(actors.GenServer):
    """Extreme's README StreamSubscriber: catch up from the last processed event,
    and subscribe again when the subscription goes down."""

    def init(self, store: EventStore, stream: str, report: Probe) -> None:
        self.store, self.stream, self.report = store, stream, report
        self.last_event = -1
        self.subscription: Any = None
        actors.cast(self.ref, ("subscribe",))

    def handle_cast(self, request: Any) -> None:
        match request:
            case ("subscribe",):
                self.subscription = es.read_and_stay_subscribed(
                    self.store, self.stream, self.last_event + 1
                )
                self.subscription_ref = actors.monitor(self.subscription)
                actors.send(self.report, ("subscribed", self.last_event + 1))

    def handle_info(self, message: Any) -> None:
        match message:
            case ("DOWN", ref, "process", _, _) if ref is self.subscription_ref:
                actors.cast(self.ref, ("subscribe",))
            case ("on_event", event) if event.version > self.last_event:
                self.last_event = event.version
                actors.send(self.report, ("processed", event.version))
            case ("caught_up",):
                actors.send(self.report, ("caught_up",))

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        return self.subscription


def test_resubscribing_on_down_loses_nothing(store: EventStore, probe: Probe):
    store.append("people", batch(3))
    subscriber = StreamSubscriber.start(store, "people", probe)
    probe.expect(("subscribed", 0))
    assert [("processed", v) for v in range(3)] == [probe.receive() for _ in range(3)]
    probe.expect(("caught_up",))

    actors.exit(actors.call(subscriber, ("subscription",)), "kill")
    probe.expect(("subscribed", 3))
    store.append("people", batch(2, start=3))

    assert [("processed", 3), ("processed", 4)] == [
        probe.expect(("processed", ANY)) for _ in range(2)
    ]
    probe.refute(("processed", ANY))


class Slow(actors.GenServer):
    """Blocks on its first event until released, then counts."""

    def init(self, release: threading.Event, done: Probe, total: int) -> None:
        self.release, self.done, self.total = release, done, total
        self.seen: list[int] = []

    def handle_info(self, message: Any) -> None:
        match message:
            case ("on_event", event):
                with actors.blocking():
                    self.release.wait(30)
                self.seen.append(event.version)
                if len(self.seen) == self.total:
                    actors.send(self.done, ("done", list(self.seen)))


def test_a_slow_subscriber_is_fed_at_its_pace_with_a_bounded_mailbox(
    store: EventStore, probe: Probe
):
    total, limit = 400, 20
    release = threading.Event()
    slow = Slow.start(release, probe, total)
    store.append("s", batch(total))

    sub = es.read_and_stay_subscribed(store, "s", 0, slow, mailbox_limit=limit, page_size=50)
    stats = actors.call(sub, ("statistics",))
    while stats.throttled == 0:
        stats = actors.call(sub, ("statistics",))

    assert mailbox_depth(process_of(slow)) <= limit  # type: ignore[arg-type]
    assert stats.buffered <= 50
    assert stats.delivered < total
    release.set()
    assert ("done", list(range(total))) == probe.expect(("done", ANY), timeout=30)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda st, p: es.subscribe_to(st, "s"), TypeError, "give a subscriber"),
        (lambda st, p: es.subscribe_to(st, "s", "nobody"), ValueError, "not a running actor"),
        (lambda st, p: es.subscribe_to(st, 5, p), TypeError, "stream name"),  # type: ignore[arg-type]
        (
            lambda st, p: es.subscribe_to(st, "s", p, filter=EventFilter(event_types="x")),
            ValueError,
            "needs the stream",
        ),
        (lambda st, p: es.read_and_stay_subscribed(st, "s", -1, p), ValueError, "from_version"),
        (
            lambda st, p: es.read_and_stay_subscribed(st, "s", 0, p, page_size=0),
            ValueError,
            "page_size",
        ),
        (lambda st, p: es.subscribe_to(st, "s", p, mailbox_limit=0), ValueError, "mailbox_limit"),
        (lambda st, p: es.subscribe_to(42, "s", p), TypeError, "EventStore handle"),  # type: ignore[arg-type]
        (lambda st, p: es.subscribe_to("no-such-store", "s", p), es.StoreClosed, "not running"),
    ],
)
def test_bad_subscription_arguments(store: EventStore, probe: Probe, call, error, match):
    with pytest.raises(error, match=match):
        call(store, probe)
