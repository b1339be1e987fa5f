"""Delivery policies: bounds, overflow behaviour, counters, stalled subscribers."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import actors
from actors import Error, Ok, pubsub
from actors.pubsub import InstanceConfig, InstanceHooks, PubSub, PubSubManager, SubscriberStalled
from actors.testing import ANY, Probe

TOPIC = "load"


class Held(actors.GenServer):
    """Blocks in its first message until the test opens the gate, then reports
    everything it handles."""

    def init(self, probe: Any, gate: threading.Event, entered: threading.Event) -> None:
        self.probe = probe
        self.gate = gate
        self.entered = entered

    def handle_info(self, message: Any) -> None:
        if message == "hold":
            self.entered.set()
            self.gate.wait(10)  # deliberately not actors.blocking(): the mailbox fills
            return
        actors.send(self.probe, ("handled", message))


@pytest.fixture
def held(actor_system: actors.ActorSystem, probe: Probe) -> Any:
    gate, entered = threading.Event(), threading.Event()
    ref = Held.start(probe, gate, entered, system=actor_system)
    actors.send(ref, "hold")
    entered.wait(5)
    yield ref, gate
    gate.set()


def _bus(system: actors.ActorSystem, name: str, **config: Any) -> PubSub:
    return PubSubManager.of(system).ensure(name, **config)


def test_block_waits_then_reports_a_timeout(
    actor_system: actors.ActorSystem, probe: Probe, held: Any
) -> None:
    ref, _ = held
    bus = _bus(actor_system, "blocking", mailbox_limit=2, overflow="block")
    bus.subscribe(TOPIC, ref, block_timeout=0.1)
    assert Ok(delivered=1) == bus.broadcast(TOPIC, 1)
    assert Ok(delivered=1) == bus.broadcast(TOPIC, 2)

    assert Error("timeout", delivered=0, failed=1, undelivered=(ref,)) == bus.broadcast(TOPIC, 3)
    assert 1 == bus.statistics().failed


def test_a_publisher_that_must_not_wait_skips_a_full_blocking_mailbox(
    actor_system: actors.ActorSystem, probe: Probe, held: Any
) -> None:
    ref, gate = held
    # A long block_timeout: waiting would show up as a 30 s stall and a
    # "timeout" error, not as the drop asserted below.
    bus = _bus(actor_system, "no_wait", mailbox_limit=2, overflow="block", block_timeout=30)
    bus.subscribe(TOPIC, ref)
    bus.subscribe(TOPIC, probe)  # unbounded: still gets everything
    bus.broadcast(TOPIC, 1)
    bus.broadcast(TOPIC, 2)

    result = bus.broadcast(TOPIC, 3, wait=False)
    module_result = pubsub.local_broadcast(bus, TOPIC, 4, wait=False, system=actor_system)

    assert Ok(delivered=1, dropped=1) == result == module_result
    stats = bus.statistics()
    assert (2, 0) == (stats.dropped, stats.failed)
    assert [1, 2, 3, 4] == [probe.receive() for _ in range(4)]
    gate.set()
    assert [("handled", 1), ("handled", 2)] == [probe.receive() for _ in range(2)]
    probe.refute(("handled", ANY), timeout=0.05)


def test_block_delivers_once_the_subscriber_makes_room(
    actor_system: actors.ActorSystem, probe: Probe, held: Any
) -> None:
    ref, gate = held
    bus = _bus(actor_system, "patient", mailbox_limit=2, overflow="block", block_timeout=10)
    bus.subscribe(TOPIC, ref)
    bus.broadcast(TOPIC, 1)
    bus.broadcast(TOPIC, 2)
    outcome: list[Any] = []
    publisher = threading.Thread(target=lambda: outcome.append(bus.broadcast(TOPIC, 3)))
    publisher.start()

    gate.set()  # the subscriber drains; the waiting publisher is woken
    publisher.join(10)

    assert [Ok(delivered=1)] == outcome
    assert [("handled", n) for n in (1, 2, 3)] == [probe.receive() for _ in range(3)]


def test_drop_oldest_takes_back_the_oldest_queued_message(
    actor_system: actors.ActorSystem, probe: Probe, held: Any
) -> None:
    ref, gate = held
    bus = _bus(actor_system, "lossy", mailbox_limit=3, overflow="drop_oldest")
    bus.subscribe(TOPIC, ref)
    results = [bus.broadcast(TOPIC, n) for n in range(1, 6)]

    gate.set()

    assert [Ok(delivered=1)] * 3 + [Ok(delivered=1, dropped=1)] * 2 == results
    assert [("handled", n) for n in (3, 4, 5)] == [probe.receive() for _ in range(3)]
    probe.refute(ANY, timeout=0.05)
    stats = bus.statistics()
    # The books balance: 5 published to 1 subscriber = 3 delivered + 2 taken back.
    assert (5, 3, 2) == (stats.published, stats.delivered, stats.dropped)


def test_drop_newest_keeps_the_queue_and_counts(
    actor_system: actors.ActorSystem, probe: Probe, held: Any
) -> None:
    ref, gate = held
    bus = _bus(actor_system, "newest", mailbox_limit=2, overflow="drop_newest")
    bus.subscribe(TOPIC, ref)
    results = [bus.broadcast(TOPIC, n) for n in range(1, 5)]

    gate.set()

    assert [Ok(delivered=1)] * 2 + [Ok(delivered=0, dropped=1)] * 2 == results
    assert [("handled", 1), ("handled", 2)] == [probe.receive() for _ in range(2)]
    assert 2 == bus.statistics().per_topic[TOPIC].dropped


def test_reject_reports_mailbox_full(actor_system: actors.ActorSystem, held: Any) -> None:
    ref, _ = held
    bus = _bus(actor_system, "strict", mailbox_limit=1, overflow="reject")
    bus.subscribe(TOPIC, ref)
    bus.broadcast(TOPIC, 1)

    assert Error("mailbox_full", delivered=0, rejected=1, undelivered=(ref,)) == bus.broadcast(
        TOPIC, 2
    )
    assert 1 == bus.statistics().rejected


def test_a_subscription_can_override_the_instance_policy(
    actor_system: actors.ActorSystem, probe: Probe, held: Any
) -> None:
    ref, gate = held
    bus = _bus(actor_system, "override", mailbox_limit=1, overflow="reject")
    bus.subscribe(TOPIC, ref, mailbox_limit=None)  # unbounded for this subscriber

    results = [bus.broadcast(TOPIC, n) for n in range(5)]
    gate.set()

    assert [Ok(delivered=1)] * 5 == results
    assert 5 == len([probe.receive() for _ in range(5)])


def test_largest_mailbox_shows_consumer_lag(actor_system: actors.ActorSystem, held: Any) -> None:
    ref, _ = held
    bus = _bus(actor_system, "lag", mailbox_limit=None)
    bus.subscribe(TOPIC, ref)
    for n in range(7):
        bus.broadcast(TOPIC, n)

    assert 7 == bus.statistics().largest_mailbox


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"mailbox_limit": 0}, "mailbox_limit"),
        ({"overflow": "sometimes"}, "overflow must be one of"),
        ({"block_timeout": -1}, "block_timeout"),
        ({"colour": "blue"}, "unknown pub/sub instance option"),
    ],
)
def test_bad_policy_options_are_rejected(
    actor_system: actors.ActorSystem, options: dict[str, Any], match: str
) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        InstanceConfig().merged(**options)
    with pytest.raises((ValueError, TypeError), match=match):
        PubSubManager.of(actor_system).ensure(f"bad-{sorted(options)[0]}", **options)


@pytest.mark.parametrize("overflow", ["block", "drop_oldest", "drop_newest", "reject"])
def test_the_books_balance_for_every_policy_while_subscribers_fall_behind(
    actor_system: actors.ActorSystem, probe: Probe, held: Any, overflow: str
) -> None:
    """published x subscribers == delivered + dropped + failed + rejected +
    dead, in total and per topic, even when drop_oldest takes back messages
    booked as delivered by earlier broadcasts."""
    ref, gate = held
    bus = _bus(actor_system, f"books_{overflow}", mailbox_limit=4, overflow=overflow)
    for topic in ("a", "b"):
        bus.subscribe(topic, ref, block_timeout=0.0)  # the stuck one
        bus.subscribe(topic, probe)
    subscribers = 2

    for n in range(40):
        bus.broadcast("a" if n % 3 else "b", n)
    gate.set()

    stats = bus.statistics()
    outcomes = stats.delivered + stats.dropped + stats.failed + stats.rejected + stats.dead
    assert stats.published * subscribers == outcomes
    for topic, counts in stats.per_topic.items():
        per_topic = counts.delivered + counts.dropped + counts.failed + counts.rejected
        assert counts.published * subscribers == per_topic + counts.dead, topic
    assert stats.published == 40


# Stalled subscribers (the block policy's guarantee) -------------------------------------


def _stalling_bus(
    system: actors.ActorSystem, name: str, reports: list[SubscriberStalled]
) -> PubSub:
    return PubSubManager.of(system).ensure(
        name,
        mailbox_limit=2,
        overflow="block",
        block_timeout=0.05,
        hooks=InstanceHooks(on_stall=reports.append),
    )


def test_a_stalled_subscriber_is_reported_and_nobody_waits_for_it_again(
    actor_system: actors.ActorSystem, probe: Probe, held: Any
) -> None:
    ref, _ = held
    reports: list[SubscriberStalled] = []
    bus = _stalling_bus(actor_system, "stalling", reports)
    bus.subscribe("quick", ref)  # block_timeout 0.05 s: stalls soon
    bus.subscribe("patient", ref, block_timeout=3600)  # would hold a publisher an hour
    bus.subscribe("patient", probe)
    bus.broadcast("quick", 1)
    bus.broadcast("quick", 2)

    stalled = bus.broadcast("quick", 3)
    outcome: list[Any] = []
    publisher = threading.Thread(target=lambda: outcome.append(bus.broadcast("patient", 4)))
    publisher.start()
    publisher.join(10)

    assert not publisher.is_alive(), "a publisher waited for a stalled subscriber"
    assert Error("timeout", delivered=0, failed=1, undelivered=(ref,)) == stalled
    assert [Error("timeout", delivered=1, failed=1, undelivered=(ref,))] == outcome
    assert [SubscriberStalled("stalling", "quick", ref, 2, 2, False, 0)] == reports
    assert 1 == bus.statistics().stalled
    assert 4 == probe.receive()


def test_a_stalled_subscriber_recovers_once_it_has_room_and_says_what_it_missed(
    actor_system: actors.ActorSystem, probe: Probe, held: Any
) -> None:
    ref, gate = held
    reports: list[SubscriberStalled] = []
    bus = _stalling_bus(actor_system, "recovering", reports)
    bus.subscribe(TOPIC, ref)
    results = [bus.broadcast(TOPIC, n) for n in range(1, 6)]  # 3, 4 and 5 missed

    gate.set()
    assert [("handled", 1), ("handled", 2)] == [probe.receive() for _ in range(2)]
    recovered = bus.broadcast(TOPIC, 6)

    assert [Ok(delivered=1)] * 2 == results[:2]
    assert all(
        r == Error("timeout", delivered=0, failed=1, undelivered=(ref,)) for r in results[2:]
    )
    assert Ok(delivered=1) == recovered
    assert ("handled", 6) == probe.receive()
    assert [(False, 0), (True, 3)] == [(r.recovered, r.missed) for r in reports]
    assert 0 == bus.statistics().stalled


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    steps=st.lists(
        st.one_of(st.just("release"), st.integers(min_value=0, max_value=2)),
        min_size=1,
        max_size=40,
    )
)
def test_block_never_loses_a_message_silently(actor_system_factory: Any, steps: list[Any]) -> None:
    """The guarantee of ``block``: each subscriber receives the published
    messages in order, except exactly those whose broadcast returned an
    Error naming it."""
    system = actor_system_factory()
    with Probe(system) as probe:
        gate, entered = threading.Event(), threading.Event()
        ref = Held.start(probe, gate, entered, system=system)
        actors.send(ref, "hold")
        assert entered.wait(5)
        fast = Probe(system)
        bus = PubSubManager.of(system).ensure(
            "guarantee", mailbox_limit=3, overflow="block", block_timeout=0.0
        )
        topics = ["a", "b", "c"]
        for topic in topics:
            bus.subscribe(topic, ref)
            bus.subscribe(topic, fast)
        missed_by_held: list[int] = []
        published: list[int] = []
        for n, step in enumerate(steps):
            if step == "release":
                gate.set()
                continue
            result = bus.broadcast(topics[step], n)
            published.append(n)
            if not result:
                assert "timeout" == result.reason
                assert (ref,) == result.undelivered
                missed_by_held.append(n)
        gate.set()
        actors.send(ref, "done")

        handled = []
        while (message := probe.receive(timeout=5)) != ("handled", "done"):
            handled.append(message[1])
        assert [n for n in published if n not in missed_by_held] == handled
        assert published == fast.flush()


def test_an_error_result_still_counts_every_outcome(
    actor_system: actors.ActorSystem, held: Any
) -> None:
    """The soak found it: a broadcast that was rejected somewhere did not
    report the subscribers it found dead, so results and books disagreed."""
    ref, _ = held
    bus = _bus(actor_system, "every_outcome", mailbox_limit=1, overflow="reject")
    gone = Probe(actor_system)
    bus.subscribe(TOPIC, ref)
    bus.subscribe(TOPIC, gone, mailbox_limit=None)
    bus.broadcast(TOPIC, 1)  # fills the held subscriber's mailbox
    assert bus.sync()
    proc = bus.ref._process  # type: ignore[union-attr]
    assert proc.acquire()  # the instance cannot clean the exited one up meanwhile
    try:
        gone.close()
        result = bus.broadcast(TOPIC, 2)
    finally:
        if proc.release():
            proc.submit()

    assert Error("mailbox_full", delivered=0, rejected=1, dead=1, undelivered=(ref,)) == result
