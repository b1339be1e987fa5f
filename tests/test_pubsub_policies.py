"""Delivery policies: bounds, overflow behaviour, counters."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import actors
from actors import Error, Ok, pubsub
from actors.pubsub import InstanceConfig, PubSub, PubSubManager
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

    assert Error("timeout", delivered=0, failed=1) == bus.broadcast(TOPIC, 3)
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

    assert Error("mailbox_full", delivered=0, rejected=1) == bus.broadcast(TOPIC, 2)
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


def test_the_gater_defaults_follow_the_volume_and_criticality_table() -> None:
    from actors.pubsub import instances

    never_drop = {instances.SECURITY, instances.AUDIT, instances.ALERTS, instances.LIFECYCLE}
    lossy = {instances.METRICS, instances.LOGGING, instances.DIAGNOSTICS}

    assert all(instances.DEFAULTS[n].overflow == "block" for n in never_drop)
    assert all(instances.DEFAULTS[n].overflow == "drop_oldest" for n in lossy)
    assert all(
        instances.DEFAULTS[n].overflow == "block" for n in set(instances.ALL) - never_drop - lossy
    )


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
