"""The gater tree: mirrors the original ExESDB Gater test suite."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import actors
import supervision as sv
from actors import Error, Ok, gater, pubsub
from actors.gater import instances
from actors.pubsub import PubSubManager
from actors.testing import ANY, Probe
from tests.supervised import Boom, Worker, exit_child, started

BROADCASTER_NAMES = (
    gater.integration.HEALTH_BROADCASTER_NAME,
    gater.integration.METRICS_BROADCASTER_NAME,
)


@pytest.fixture
def tree(actor_system: actors.ActorSystem) -> Any:
    return gater.start(actor_system, audit=False)


def _restarted(events: Probe, name: str, first: Any) -> None:
    """Wait until an incarnation after ``first`` of ``name`` has started."""
    events.expect(
        lambda e: (
            isinstance(e, actors.ProcessLifecycle)
            and (e.event_type, e.name) == ("started", name)
            and e.actor_id != first.id
        ),
        timeout=5,
    )


def _relayed(system: actors.ActorSystem) -> gater.RelayStatistics:
    """Wait until the relay has broadcast everything posted so far."""
    return gater.Relay.of(system).flush(timeout=10)


def test_all_ten_instances_run_as_distinct_registered_actors(
    actor_system: actors.ActorSystem, tree: Any
) -> None:
    refs = [actors.whereis(name, actor_system) for name in instances.ALL]

    assert all(ref is not None and ref.is_alive() for ref in refs)
    assert 10 == len({ref.id for ref in refs})
    assert [
        *((name, ANY, "worker") for name in instances.ALL),
        ("relay", ANY, "worker"),
        ("health_broadcaster", ANY, "worker"),
        ("metrics_broadcaster", ANY, "worker"),
    ] == sv.which_children(tree)


def test_the_same_topic_on_every_instance_is_isolated(
    actor_system: actors.ActorSystem, tree: Any
) -> None:
    probes = {name: Probe(actor_system) for name in instances.ALL}
    for name, p in probes.items():
        pubsub.subscribe(name, "isolation_test", p, system=actor_system)

    for name in instances.ALL:
        message = f"only for {name}"
        assert Ok(delivered=1) == pubsub.broadcast(
            name, "isolation_test", message, system=actor_system
        )
        assert message == probes[name].receive()
        for other, p in probes.items():
            if other != name:
                p.refute(ANY, timeout=0.1 if other == instances.EVENTS else 0.0)


def test_different_topics_on_one_instance_are_isolated(
    actor_system: actors.ActorSystem, tree: Any
) -> None:
    one, two = Probe(actor_system), Probe(actor_system)
    pubsub.subscribe(instances.EVENTS, "topic_1", one, system=actor_system)
    pubsub.subscribe(instances.EVENTS, "topic_2", two, system=actor_system)

    pubsub.broadcast(instances.EVENTS, "topic_1", "m1", system=actor_system)
    pubsub.broadcast(instances.EVENTS, "topic_2", "m2", system=actor_system)

    assert ("m1", "m2") == (one.receive(), two.receive())
    one.refute(ANY, timeout=0.1)
    two.refute(ANY, timeout=0.0)


def test_all_instances_handle_concurrent_messages(
    actor_system: actors.ActorSystem, tree: Any
) -> None:
    outcomes: list[Any] = []

    def task(name: str) -> None:
        with Probe(actor_system) as p:
            pubsub.subscribe(name, f"concurrent:{name}", p, system=actor_system)
            pubsub.broadcast(name, f"concurrent:{name}", ("mine", name), system=actor_system)
            outcomes.append(p.expect(("mine", name), timeout=5))

    threads = [threading.Thread(target=task, args=(name,)) for name in instances.ALL]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)

    assert sorted(("mine", name) for name in instances.ALL) == sorted(outcomes)


def test_high_volume_on_metrics_arrives_complete_and_in_order(
    actor_system: actors.ActorSystem, tree: Any, probe: Probe
) -> None:
    pubsub.subscribe(instances.METRICS, "high_volume", probe, system=actor_system)

    for i in range(100):
        pubsub.broadcast(instances.METRICS, "high_volume", ("metric", i), system=actor_system)

    assert [("metric", i) for i in range(100)] == [probe.receive() for _ in range(100)]


PATTERNS = [
    (instances.HEALTH, "subscription_health:test_store:test_subscription", "subscription_health"),
    (
        instances.METRICS,
        "subscription_metrics:test_store:test_subscription",
        "subscription_metrics",
    ),
    (instances.SECURITY, "security_events:authentication", "security_event"),
    (instances.AUDIT, "audit_trail:user_actions", "audit_event"),
    (instances.ALERTS, "system_alerts:critical", "critical_alert"),
    (instances.LIFECYCLE, "process_lifecycle:subscription_proxies", "lifecycle_event"),
]


@pytest.mark.parametrize(("instance", "topic", "tag"), PATTERNS, ids=[p[2] for p in PATTERNS])
def test_usage_patterns_deliver_the_event_unchanged(
    actor_system: actors.ActorSystem, tree: Any, probe: Probe, instance: str, topic: str, tag: str
) -> None:
    event = {
        "store_id": "test_store",
        "event_type": "registration_success",
        "timestamp": 1672531200000,
    }
    pubsub.subscribe(instance, topic, probe, system=actor_system)

    pubsub.broadcast(instance, topic, (tag, event), system=actor_system)

    assert (tag, event) == probe.receive()


def test_consumer_patterns_from_the_architecture_document_use_wildcards(
    actor_system: actors.ActorSystem, tree: Any, probe: Probe
) -> None:
    pubsub.subscribe(instances.HEALTH, "subscription_health:*", probe, system=actor_system)
    pubsub.subscribe(instances.ALERTS, "system_alerts:*", probe, system=actor_system)

    pubsub.broadcast(
        instances.HEALTH, "subscription_health:store:projection", "h", system=actor_system
    )
    pubsub.broadcast(instances.ALERTS, "system_alerts:critical", "a", system=actor_system)

    assert ["h", "a"] == [probe.receive(), probe.receive()]


def test_a_crashed_subscriber_does_not_break_later_broadcasts(
    actor_system: actors.ActorSystem, tree: Any, probe: Probe
) -> None:
    class Crasher(actors.GenServer):
        def init(self) -> None:
            pubsub.subscribe(instances.SYSTEM, "crash_test")

        def handle_info(self, message: Any) -> None:
            raise RuntimeError("subscriber crashed on purpose")

    crasher = Crasher.start(system=actor_system)
    probe.monitor(crasher)
    pubsub.broadcast(instances.SYSTEM, "crash_test", "boom", system=actor_system)
    probe.expect(("DOWN", ANY, "process", crasher, RuntimeError))
    # Its subscription goes when the instance handles the DOWN (asynchronously,
    # as in Phoenix; until then a broadcast counts it as dead).
    handle = PubSubManager.of(actor_system).get(instances.SYSTEM)
    assert handle is not None
    assert handle.sync()

    pubsub.subscribe(instances.SYSTEM, "crash_test", probe, system=actor_system)
    assert Ok(delivered=1) == pubsub.broadcast(
        instances.SYSTEM, "crash_test", "after", system=actor_system
    )
    assert "after" == probe.receive()


def test_invalid_broadcasts_do_not_crash_an_instance(
    actor_system: actors.ActorSystem, tree: Any, probe: Probe
) -> None:
    pubsub.subscribe(instances.DIAGNOSTICS, "invalid_test", probe, system=actor_system)

    payloads: tuple[object, ...] = (None, {}, [], "invalid_message")
    results = [
        pubsub.broadcast(instances.DIAGNOSTICS, "invalid_test", payload, system=actor_system)
        for payload in payloads
    ]

    assert [Ok(delivered=1)] * 4 == results
    assert [None, {}, [], "invalid_message"] == [probe.receive() for _ in range(4)]
    assert actors.whereis(instances.DIAGNOSTICS, actor_system).is_alive()


def test_starting_the_tree_again_returns_the_same_instances(
    actor_system: actors.ActorSystem, tree: Any
) -> None:
    before = {name: actors.whereis(name, actor_system) for name in instances.ALL}

    again = gater.start(actor_system, audit=False)
    other = gater.start(actor_system, name="second_gater", audit=False)

    assert again is tree
    # The second tree finds the shared children running: they are ignored
    # (None) in it, so stopping it stops nothing shared.
    assert [
        *((name, None, "worker") for name in instances.ALL),
        ("relay", None, "worker"),
        ("health_broadcaster", None, "worker"),
        ("metrics_broadcaster", None, "worker"),
    ] == sv.which_children(other)
    broadcasters = [actors.whereis(n, actor_system) for n in BROADCASTER_NAMES]
    actors.stop(other)
    assert before == {name: actors.whereis(name, actor_system) for name in instances.ALL}
    assert broadcasters == [actors.whereis(n, actor_system) for n in BROADCASTER_NAMES]
    assert all(ref is not None and ref.is_alive() for ref in broadcasters)


def test_a_crashed_instance_is_restarted_with_its_subscriptions(
    actor_system: actors.ActorSystem, tree: Any, probe: Probe, events: Probe
) -> None:
    pubsub.subscribe(instances.HEALTH, "cluster:health", probe, system=actor_system)
    first = actors.whereis(instances.HEALTH, actor_system)
    probe.monitor(first)

    actors.exit(first, "kill")
    probe.expect(("DOWN", ANY, "process", first, "killed"))
    _restarted(events, instances.HEALTH, first)

    assert actors.whereis(instances.HEALTH, actor_system) not in (None, first)
    assert Ok(delivered=1) == pubsub.broadcast(
        instances.HEALTH, "cluster:health", "x", system=actor_system
    )
    assert "x" == probe.receive()


def test_lifecycle_events_of_a_supervised_worker_reach_ex_esdb_lifecycle(
    actor_system: actors.ActorSystem, tree: Any, probe: Probe
) -> None:
    events = Probe(actor_system)
    pubsub.subscribe(instances.LIFECYCLE, "process_lifecycle:Worker", events, system=actor_system)
    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w")], name="app", system=actor_system
    )
    exit_child(started(probe, "w"), Boom("crash once"))
    started(probe, "w")
    sv.terminate_child(sup, "w")

    seen: list[str] = []
    while len(seen) < 5:
        tag, event = events.receive(timeout=5)
        assert "process_lifecycle_event" == tag
        seen.append(event.event_type)

    assert ["started", "crashed", "started", "restarted", "stopped"] == seen


def test_the_lifecycle_instance_does_not_report_on_itself(
    actor_system: actors.ActorSystem, tree: Any, events: Probe
) -> None:
    everything = Probe(actor_system)
    pubsub.subscribe(instances.LIFECYCLE, "process_lifecycle:*", everything, system=actor_system)
    lifecycle_ref = actors.whereis(instances.LIFECYCLE, actor_system)
    everything.monitor(lifecycle_ref)

    actors.exit(lifecycle_ref, "kill")
    everything.expect(("DOWN", ANY, "process", lifecycle_ref, "killed"))
    _restarted(events, instances.LIFECYCLE, lifecycle_ref)
    _relayed(actor_system)

    reports = [
        m
        for m in everything.messages()
        if isinstance(m, tuple) and m[0] == "process_lifecycle_event"
    ]
    assert [] == [e for _, e in reports if e.actor_id == lifecycle_ref.id]


def test_unknown_instances_in_config_are_rejected(actor_system: actors.ActorSystem) -> None:
    with pytest.raises(ValueError, match="unknown gater instance"):
        gater.start(actor_system, {"ex_esdb_typo": {}}, audit=False)


def test_per_instance_config_applies(actor_system: actors.ActorSystem) -> None:
    gater.start(actor_system, {instances.METRICS: {"mailbox_limit": 7}}, audit=False)

    handle = PubSubManager.of(actor_system).get(instances.METRICS)

    assert handle is not None
    assert (7, "drop_oldest") == (handle.config.mailbox_limit, handle.config.overflow)


def test_the_defaults_follow_the_volume_and_criticality_table() -> None:
    never_drop = {instances.SECURITY, instances.AUDIT, instances.ALERTS, instances.LIFECYCLE}
    lossy = {instances.METRICS, instances.LOGGING, instances.DIAGNOSTICS}
    generous = set(instances.ALL) - never_drop - lossy

    assert {instances.EVENTS, instances.SYSTEM, instances.HEALTH} == generous
    assert {("block", 100_000)} == {
        (instances.DEFAULTS[n].overflow, instances.DEFAULTS[n].mailbox_limit) for n in never_drop
    }
    assert {("drop_oldest", 10_000)} == {
        (instances.DEFAULTS[n].overflow, instances.DEFAULTS[n].mailbox_limit) for n in lossy
    }
    # Issue #12: "generous" was the very same config as "never drop".
    assert {("block", 1_000_000)} == {
        (instances.DEFAULTS[n].overflow, instances.DEFAULTS[n].mailbox_limit) for n in generous
    }


def test_the_manager_creates_gater_instances_with_their_defaults_once_installed(
    actor_system: actors.ActorSystem,
) -> None:
    manager = PubSubManager.of(actor_system)
    assert "block" == manager.ensure(instances.LOGGING).config.overflow  # not installed yet

    gater.install(actor_system)

    assert instances.LOSSY == manager.ensure(instances.METRICS).config


class Stuck(actors.GenServer):
    """A subscriber that stops consuming: its first message holds it until
    ``gate`` opens; then it reports what it handles to ``probe``."""

    def init(self, probe: Any, gate: threading.Event, entered: threading.Event) -> None:
        self.probe, self.gate, self.entered = probe, gate, entered

    def handle_info(self, message: Any) -> None:
        if message == "hold":
            self.entered.set()
            self.gate.wait(120)  # not actors.blocking(): the mailbox must fill
            return
        actors.send(self.probe, ("handled", message))


@pytest.fixture
def stuck(actor_system: actors.ActorSystem) -> Any:
    probe = Probe(actor_system)
    gate, entered = threading.Event(), threading.Event()
    ref = Stuck.start(probe, gate, entered, system=actor_system)
    actors.send(ref, "hold")
    assert entered.wait(5)
    yield ref, gate, probe
    gate.set()


def test_supervision_never_waits_for_a_stuck_lifecycle_subscriber(
    actor_system: actors.ActorSystem, probe: Probe, stuck: Any
) -> None:
    """Issue #11: lifecycle events were broadcast in the emitting thread with
    the block policy, so once a stuck subscriber's mailbox was full every
    restart waited block_timeout. Here a wait would be a minute per event:
    thirty crash/restart cycles and a shutdown must all go through."""
    ref, gate, _ = stuck
    tree = gater.start(
        actor_system,
        {instances.LIFECYCLE: {"mailbox_limit": 4, "block_timeout": 60}},
        audit=False,
        broadcasters=False,
    )
    pubsub.subscribe(instances.LIFECYCLE, "process_lifecycle:*", ref, system=actor_system)
    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w")],
        max_restarts=1000,
        max_seconds=1,
        name="storm",
        system=actor_system,
    )
    worker = started(probe, "w")
    for _ in range(30):
        exit_child(worker, Boom("crash"))
        worker = started(probe, "w", timeout=5)  # a wait would take 60 s

    actors.stop(sup, timeout=5)
    actors.stop(tree, timeout=10)  # the relay, waiting for room, is not waited for long
    gate.set()
    assert not tree.is_alive()


def test_a_stuck_never_drop_subscriber_is_reported_and_every_message_accounted_for(
    actor_system: actors.ActorSystem, stuck: Any
) -> None:
    """Issue #11, the never-drop guarantee: a subscriber that stops consuming
    gets every message in order up to its stall and from its recovery on;
    each message it missed was reported to its publisher as an Error naming
    it; the stall and the recovery are reported on ex_esdb_alerts."""
    ref, gate, handled = stuck
    gater.start(
        actor_system,
        {instances.SECURITY: {"mailbox_limit": 3, "block_timeout": 0.1}},
        audit=False,
        broadcasters=False,
    )
    soc, fast = Probe(actor_system), Probe(actor_system)
    pubsub.subscribe(instances.ALERTS, gater.STALL_TOPIC, soc, system=actor_system)
    pubsub.subscribe(instances.SECURITY, "auth_events", ref, system=actor_system)
    pubsub.subscribe(instances.SECURITY, "auth_events", fast, system=actor_system)

    results = [
        pubsub.broadcast(instances.SECURITY, "auth_events", ("auth_event", n), system=actor_system)
        for n in range(20)
    ]
    _, stalled = soc.receive(timeout=5)
    gate.set()
    seen = [handled.receive(timeout=5) for _ in range(3)]
    results.append(
        pubsub.broadcast(instances.SECURITY, "auth_events", ("auth_event", 20), system=actor_system)
    )
    seen.append(handled.receive(timeout=5))
    _, recovered = soc.receive(timeout=5)

    missed = [n for n, result in enumerate(results) if not result]
    assert all(
        results[n] == Error("timeout", delivered=1, failed=1, undelivered=(ref,)) for n in missed
    )
    assert [("handled", ("auth_event", n)) for n in range(21) if n not in missed] == seen
    assert [("auth_event", n) for n in range(21)] == fast.flush()
    assert ("error", instances.SECURITY, str(ref)) == (
        stalled.severity,
        stalled.metadata["instance"],
        stalled.metadata["subscriber"],
    )
    assert (True, len(missed)) == (recovered.metadata["recovered"], recovered.metadata["missed"])
    handle = PubSubManager.of(actor_system).get(instances.SECURITY)
    assert handle is not None
    stats = handle.statistics()
    assert (len(missed), 0) == (stats.failed, stats.stalled)


def test_a_relay_overflow_is_counted_and_reported(
    actor_system: actors.ActorSystem, stuck: Any
) -> None:
    """The relay never waits for a poster, so its queue is bounded: what it
    refuses is counted and reported on ex_esdb_alerts, never silent."""
    ref, gate, _ = stuck
    gater.start(
        actor_system,
        {instances.LIFECYCLE: {"mailbox_limit": 1, "block_timeout": 60}},
        audit=False,
        broadcasters=False,
        relay_limit=3,
    )
    alerts = Probe(actor_system)
    pubsub.subscribe(instances.ALERTS, gater.RELAY_TOPIC, alerts, system=actor_system)
    pubsub.subscribe(instances.LIFECYCLE, "process_lifecycle:Worker", ref, system=actor_system)

    with Probe(actor_system) as reports:
        workers = [Worker.start(reports, f"w{i}", system=actor_system) for i in range(10)]
    gate.set()
    stats = _relayed(actor_system)  # (it reports any overflow first)
    reported = 0
    while reported < stats.overflowed:
        _, alert = alerts.receive(timeout=5)
        reported += alert.metadata["missed"]

    assert stats.overflowed >= 10 - 1 - 1 - 3  # one delivered, one waited for, three queued
    assert stats.overflowed == reported
    assert (stats.posted, 0) == (stats.relayed, stats.pending)
    for worker in workers:
        actors.stop(worker)


def test_what_a_stopped_relay_had_queued_still_reaches_the_bus(
    actor_system: actors.ActorSystem, stuck: Any
) -> None:
    """The relay is waiting (a minute) for room in a stuck subscriber's
    mailbox, with events queued behind; the tree is stopped. The relay is
    killed after its 1 s shutdown, and the events it had queued are still
    broadcast, without waiting, before the instances stop: an unbounded
    subscriber such as the auditor gets all of them."""
    ref, gate, _ = stuck
    tree = gater.start(
        actor_system,
        {instances.LIFECYCLE: {"mailbox_limit": 1, "block_timeout": 60}},
        audit=False,
        broadcasters=False,
    )
    everything = Probe(actor_system)
    pubsub.subscribe(instances.LIFECYCLE, "process_lifecycle:Worker", ref, system=actor_system)
    pubsub.subscribe(
        instances.LIFECYCLE, "process_lifecycle:Worker", everything, system=actor_system
    )
    with Probe(actor_system) as reports:
        workers = [Worker.start(reports, f"w{i}", system=actor_system) for i in range(10)]
    assert 8 <= gater.Relay.of(actor_system).statistics().pending  # behind the waiting one

    actors.stop(tree, timeout=10)

    started_events = [everything.receive(timeout=5)[1] for _ in range(10)]
    assert [w.id for w in workers] == [e.actor_id for e in started_events]
    assert 8 <= gater.Relay.of(actor_system).statistics().drained
    gate.set()
    for worker in workers:
        actors.stop(worker)
