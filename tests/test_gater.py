"""The gater tree: mirrors the original ExESDB Gater test suite (``system/test/``)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import actors
import supervision as sv
from actors import Ok, gater, pubsub
from actors.pubsub import PubSubManager, instances
from actors.testing import ANY, Probe
from tests.supervised import Boom, Worker, exit_child, started

BROADCASTER_NAMES = (
    gater.integration.HEALTH_BROADCASTER_NAME,
    gater.integration.METRICS_BROADCASTER_NAME,
)


@pytest.fixture
def tree(actor_system: actors.ActorSystem) -> Any:
    return gater.start(actor_system, audit=False)


def test_all_ten_instances_run_as_distinct_registered_actors(
    actor_system: actors.ActorSystem, tree: Any
) -> None:
    refs = [actors.whereis(name, actor_system) for name in instances.ALL]

    assert all(ref is not None and ref.is_alive() for ref in refs)
    assert 10 == len({ref.id for ref in refs})
    assert [
        *((name, ANY, "worker") for name in instances.ALL),
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


def test_consumer_patterns_from_the_architecture_seed_use_wildcards(
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

    pubsub.subscribe(instances.SYSTEM, "crash_test", probe, system=actor_system)
    assert Ok(delivered=1) == pubsub.broadcast(
        instances.SYSTEM, "crash_test", "after", system=actor_system
    )
    assert "after" == probe.receive()


def test_invalid_broadcasts_do_not_crash_an_instance(
    actor_system: actors.ActorSystem, tree: Any, probe: Probe
) -> None:
    pubsub.subscribe(instances.DIAGNOSTICS, "invalid_test", probe, system=actor_system)

    results = [
        pubsub.broadcast(instances.DIAGNOSTICS, "invalid_test", payload, system=actor_system)
        for payload in (None, {}, [], "invalid_message")
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
        ("health_broadcaster", None, "worker"),
        ("metrics_broadcaster", None, "worker"),
    ] == sv.which_children(other)
    broadcasters = [actors.whereis(n, actor_system) for n in BROADCASTER_NAMES]
    actors.stop(other)
    assert before == {name: actors.whereis(name, actor_system) for name in instances.ALL}
    assert broadcasters == [actors.whereis(n, actor_system) for n in BROADCASTER_NAMES]
    assert all(ref is not None and ref.is_alive() for ref in broadcasters)


def test_a_crashed_instance_is_restarted_with_its_subscriptions(
    actor_system: actors.ActorSystem, tree: Any, probe: Probe
) -> None:
    pubsub.subscribe(instances.HEALTH, "cluster:health", probe, system=actor_system)
    first = actors.whereis(instances.HEALTH, actor_system)
    probe.monitor(first)

    actors.exit(first, "kill")
    probe.expect(("DOWN", ANY, "process", first, "killed"))
    pubsub.subscribe(instances.HEALTH, "barrier", Probe(actor_system), system=actor_system)

    assert actors.whereis(instances.HEALTH, actor_system) is not first
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

    seen = []
    while len(seen) < 5:
        tag, event = events.receive(timeout=5)
        assert "process_lifecycle_event" == tag
        seen.append(event.event_type)

    assert ["started", "crashed", "started", "restarted", "stopped"] == seen


def test_the_lifecycle_instance_does_not_report_on_itself(
    actor_system: actors.ActorSystem, tree: Any
) -> None:
    everything = Probe(actor_system)
    pubsub.subscribe(instances.LIFECYCLE, "process_lifecycle:*", everything, system=actor_system)
    lifecycle_ref = actors.whereis(instances.LIFECYCLE, actor_system)
    everything.monitor(lifecycle_ref)

    actors.exit(lifecycle_ref, "kill")
    everything.expect(("DOWN", ANY, "process", lifecycle_ref, "killed"))
    pubsub.subscribe(instances.LIFECYCLE, "barrier", Probe(actor_system), system=actor_system)

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
