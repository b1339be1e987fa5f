"""Periodic health and metrics broadcasters, driven by a ManualClock (nothing sleeps)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import actors
import supervision as sv
from actors import gater, messages, pubsub
from actors.gater import integration
from actors.pubsub import instances
from actors.testing import ANY, Probe, settle

HEALTH = integration.HEALTH_BROADCASTER_NAME
METRICS = integration.METRICS_BROADCASTER_NAME


@pytest.fixture
def tree(manual_system: actors.ActorSystem) -> Any:
    return gater.start(manual_system, audit=False, broadcasters=False)


@pytest.fixture
def listener(manual_system: actors.ActorSystem) -> Probe:
    probe = Probe(manual_system)
    pubsub.subscribe(instances.HEALTH, "cluster:health", probe, system=manual_system)
    pubsub.subscribe(instances.METRICS, "performance", probe, system=manual_system)
    pubsub.subscribe(instances.METRICS, "throughput", probe, system=manual_system)
    return probe


def advance_past_ticks(
    system: actors.ActorSystem, clock: actors.ManualClock, seconds: float
) -> None:
    """Advance the clock and return once every timer due by then has fired.

    The marker timer is scheduled after the broadcasters' own, so it fires
    after them (same deadline, later id): once it arrives, their ticks are in
    their mailboxes, and a later ``actors.call`` is handled after the ticks.
    """
    with Probe(system) as marker:
        actors.send_after(marker, "fired", seconds, system=system)
        clock.advance(seconds)
        marker.expect("fired")


def stats(system: actors.ActorSystem, name: str) -> integration.BroadcasterStatistics:
    result: integration.BroadcasterStatistics = actors.call(name, ("statistics",), system=system)
    return result


def receive_where(probe: Probe, predicate: Callable[[Any], bool], limit: int = 100) -> Any:
    """The first message whose payload (the last element of a tuple, or the
    message itself) satisfies ``predicate``; earlier ones are discarded."""
    for _ in range(limit):
        message = probe.receive()
        payload = message[-1] if isinstance(message, tuple) else message
        if predicate(payload):
            return message
    raise AssertionError("no matching message")


# Health ------------------------------------------------------------------------------


def test_the_health_broadcaster_publishes_nothing_before_its_interval(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, tree: Any, listener: Probe
) -> None:
    integration.start_broadcasters(manual_system, health_interval=30, metrics_interval=1000)

    advance_past_ticks(manual_system, clock, 29.9)

    settle(manual_system)
    listener.refute(ANY, timeout=0)


def test_the_health_broadcaster_publishes_node_then_cluster_health_every_interval(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, tree: Any, listener: Probe
) -> None:
    integration.start_broadcasters(manual_system, health_interval=30, metrics_interval=1000)
    received = []

    for _ in range(2):
        clock.advance(30)
        received += [listener.receive()[0], listener.receive()[0]]

    assert ["node_health_updated", "cluster_health_updated"] * 2 == received
    assert 2 == stats(manual_system, HEALTH).ticks


def test_a_healthy_node_reports_every_instance_and_mailbox_check_as_passing(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, tree: Any, listener: Probe
) -> None:
    integration.start_broadcasters(manual_system, health_interval=30, metrics_interval=1000)

    clock.advance(30)
    _, node = listener.expect(("node_health_updated", ANY))
    _, cluster = listener.expect(("cluster_health_updated", ANY))

    assert (manual_system.node, "healthy") == (node.node, node.status)
    assert {**dict.fromkeys(instances.ALL, "pass"), "mailbox_pressure": "pass"} == node.checks
    assert node.memory_usage is None or 0 < node.memory_usage <= 100
    assert ("healthy", 1, 1, (), (), "available") == (
        cluster.status,
        cluster.healthy_nodes,
        cluster.total_nodes,
        cluster.degraded_nodes,
        cluster.unhealthy_nodes,
        cluster.quorum_status,
    )
    assert messages.validate(node)
    assert messages.validate(cluster)


def test_a_stopped_instance_fails_its_check_and_degrades_the_node(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, tree: Any, listener: Probe
) -> None:
    integration.start_broadcasters(manual_system, health_interval=30, metrics_interval=1000)
    sv.terminate_child(tree, instances.EVENTS)

    clock.advance(30)
    _, node = listener.expect(("node_health_updated", ANY))
    _, cluster = listener.expect(("cluster_health_updated", ANY))

    assert ("degraded", "fail", "pass") == (
        node.status,
        node.checks[instances.EVENTS],
        node.checks[instances.SYSTEM],
    )
    assert ("degraded", 0, 1, (manual_system.node,)) == (
        cluster.status,
        cluster.healthy_nodes,
        cluster.total_nodes,
        cluster.degraded_nodes,
    )


def test_most_instances_stopped_make_the_node_unhealthy_and_lose_quorum(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, tree: Any, listener: Probe
) -> None:
    integration.start_broadcasters(manual_system, health_interval=30, metrics_interval=1000)
    for name in instances.ALL:
        if name != instances.HEALTH:
            sv.terminate_child(tree, name)

    clock.advance(30)
    _, node = listener.expect(("node_health_updated", ANY))
    _, cluster = listener.expect(("cluster_health_updated", ANY))

    assert ("unhealthy", "unhealthy", "lost", (manual_system.node,)) == (
        node.status,
        cluster.status,
        cluster.quorum_status,
        cluster.unhealthy_nodes,
    )


def test_broadcast_now_publishes_at_once_and_returns_the_results(
    manual_system: actors.ActorSystem, tree: Any, listener: Probe
) -> None:
    integration.start_broadcasters(manual_system)

    results = actors.call(HEALTH, ("broadcast_now",), system=manual_system)

    assert ["ok", "ok"] == results
    assert ("node_health_updated", ANY) == listener.receive()


def test_the_health_interval_comes_from_the_config(
    actor_system_factory: Callable[..., actors.ActorSystem], clock: actors.ManualClock
) -> None:
    system = actor_system_factory(clock=clock, config={"health_broadcast_interval": 5})
    gater.start(system, audit=False, broadcasters=False)
    probe = Probe(system)
    pubsub.subscribe(instances.HEALTH, "cluster:health", probe, system=system)
    integration.start_broadcasters(system)

    clock.advance(5)

    assert ("node_health_updated", ANY) == probe.receive()
    assert 5.0 == stats(system, HEALTH).interval


# Metrics -----------------------------------------------------------------------------


def test_the_metrics_broadcaster_publishes_nothing_before_its_interval(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, tree: Any, listener: Probe
) -> None:
    integration.start_broadcasters(manual_system, health_interval=1000, metrics_interval=60)

    advance_past_ticks(manual_system, clock, 59.9)

    settle(manual_system)
    listener.refute(ANY, timeout=0)


def test_metrics_report_each_instances_broadcasts_since_the_last_tick(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, tree: Any, listener: Probe
) -> None:
    integration.start_broadcasters(manual_system, health_interval=1000, metrics_interval=60)
    with Probe(manual_system) as subscriber:
        pubsub.subscribe(instances.EVENTS, "orders", subscriber, system=manual_system)
        for i in range(3):
            pubsub.broadcast(instances.EVENTS, "orders", ("event", i), system=manual_system)

        clock.advance(60)
        _, performance = receive_where(
            listener, lambda p: getattr(p, "component", None) == instances.EVENTS
        )
        _, throughput = receive_where(
            listener, lambda p: getattr(p, "operation", None) == f"broadcast:{instances.EVENTS}"
        )

    assert ("published", 3.0, "messages") == (
        performance.metric_name,
        performance.value,
        performance.unit,
    )
    assert {
        "delivered": 3,
        "dropped": 0,
        "failed": 0,
        "rejected": 0,
        "dead": 0,
        "subscribers": 1,
        "subscriptions": 1,
        "largest_mailbox": 0,
    } == performance.tags
    assert (3, 60_000.0, 0.05) == (
        throughput.count,
        throughput.duration_ms,
        throughput.rate_per_sec,
    )


def test_a_forced_metrics_tick_reports_the_window_it_really_covers(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, tree: Any, listener: Probe
) -> None:
    integration.start_broadcasters(manual_system, health_interval=1000, metrics_interval=60)
    pubsub.broadcast(instances.EVENTS, "orders", "first", system=manual_system)
    advance_past_ticks(manual_system, clock, 12.5)

    actors.call(METRICS, ("broadcast_now",), system=manual_system)
    _, forced = receive_where(
        listener, lambda p: getattr(p, "operation", None) == "broadcast:ex_esdb_events"
    )
    advance_past_ticks(manual_system, clock, 47.5)  # the regular tick, 60 s after the start
    _, regular = receive_where(
        listener, lambda p: getattr(p, "operation", None) == "broadcast:ex_esdb_events"
    )

    assert (1, 12_500.0) == (forced.count, forced.duration_ms)
    assert (0, 47_500.0) == (regular.count, regular.duration_ms)


def test_metrics_count_only_what_happened_since_the_previous_tick(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, tree: Any, listener: Probe
) -> None:
    integration.start_broadcasters(manual_system, health_interval=1000, metrics_interval=60)
    pubsub.broadcast(instances.EVENTS, "orders", "first", system=manual_system)
    clock.advance(60)
    receive_where(listener, lambda p: getattr(p, "operation", None) == "broadcast:ex_esdb_events")

    pubsub.broadcast(instances.EVENTS, "orders", "second", system=manual_system)
    pubsub.broadcast(instances.EVENTS, "orders", "third", system=manual_system)
    clock.advance(60)
    _, throughput = receive_where(
        listener, lambda p: getattr(p, "operation", None) == "broadcast:ex_esdb_events"
    )

    assert 2 == throughput.count


def test_metrics_cover_every_running_instance_on_two_topics(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, tree: Any, listener: Probe
) -> None:
    integration.start_broadcasters(manual_system, health_interval=1000, metrics_interval=60)

    clock.advance(60)
    received = [listener.receive() for _ in range(2 * len(instances.ALL))]

    assert set(instances.ALL) == {p.component for tag, p in received if tag == "performance_metric"}
    assert {f"broadcast:{name}" for name in instances.ALL} == {
        p.operation for tag, p in received if tag == "throughput_metric"
    }


# Disabled, failures, supervision --------------------------------------------------------


def test_disabled_broadcasters_publish_nothing_and_count_the_skipped_ticks(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, tree: Any, listener: Probe
) -> None:
    integration.start_broadcasters(manual_system, health_interval=30, metrics_interval=30)
    integration.disable(manual_system)

    advance_past_ticks(manual_system, clock, 30)
    settle(manual_system)
    listener.refute(ANY, timeout=0)

    assert (1, 1, 0) == _counts(stats(manual_system, HEALTH))
    assert (1, 1, 0) == _counts(stats(manual_system, METRICS))


def test_broadcasters_publish_again_once_the_integration_is_enabled(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, tree: Any, listener: Probe
) -> None:
    integration.start_broadcasters(manual_system, health_interval=30, metrics_interval=1000)
    integration.disable(manual_system)
    advance_past_ticks(manual_system, clock, 30)

    integration.enable(manual_system)
    clock.advance(30)

    assert ("node_health_updated", ANY) == listener.receive()


def _counts(s: integration.BroadcasterStatistics) -> tuple[int, int, int]:
    return s.ticks, s.skipped, s.failed


def test_broadcasters_survive_failed_broadcasts_and_count_them(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    supervisor = integration.start_broadcasters(
        manual_system, health_interval=30, metrics_interval=30
    )
    health_before = actors.whereis(HEALTH, manual_system)

    advance_past_ticks(manual_system, clock, 30)
    health, metrics = stats(manual_system, HEALTH), stats(manual_system, METRICS)

    assert ((1, 2, 0), (1, 1, 0)) == (
        (health.ticks, health.failed, health.published),
        (metrics.ticks, metrics.failed, metrics.published),
    )
    assert health_before == actors.whereis(HEALTH, manual_system)
    assert supervisor.is_alive()
    assert "Failed to broadcast node_health" in caplog.text


def test_integration_children_are_the_two_broadcasters_for_any_tree(
    manual_system: actors.ActorSystem, tree: Any
) -> None:
    specs = integration.integration_children(manual_system)
    supervisor = sv.Supervisor.start(specs, system=manual_system)

    assert ["health_broadcaster", "metrics_broadcaster"] == [s.id for s in specs]
    assert [
        ("health_broadcaster", ANY, "worker"),
        ("metrics_broadcaster", ANY, "worker"),
    ] == sv.which_children(supervisor)
    assert (30.0, 60.0) == (
        stats(manual_system, HEALTH).interval,
        stats(manual_system, METRICS).interval,
    )


def test_integration_children_refuse_a_bad_configured_interval(
    actor_system_factory: Callable[..., actors.ActorSystem],
) -> None:
    system = actor_system_factory(config={"metrics_broadcast_interval": 0})

    with pytest.raises(ValueError, match="metrics_broadcast_interval"):
        integration.integration_children(system)


def test_start_broadcasters_twice_returns_the_running_supervisor(
    manual_system: actors.ActorSystem,
) -> None:
    first = integration.start_broadcasters(manual_system)

    assert first == integration.start_broadcasters(manual_system)


def test_a_crashed_broadcaster_is_restarted_and_keeps_its_interval(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, tree: Any, listener: Probe
) -> None:
    integration.start_broadcasters(manual_system, health_interval=30, metrics_interval=1000)
    old = actors.whereis(HEALTH, manual_system)
    events = Probe(manual_system)
    manual_system.add_lifecycle_listener(events.deliver)

    actors.exit(old, "kill")
    receive_where(
        events, lambda e: (e.event_type, e.child_id) == ("restarted", "health_broadcaster")
    )
    new = actors.whereis(HEALTH, manual_system)
    clock.advance(30)

    assert new is not None
    assert old != new
    assert ("node_health_updated", ANY) == listener.receive()


# In the gater tree ----------------------------------------------------------------------


def test_the_gater_tree_runs_both_broadcasters_at_the_configured_intervals(
    actor_system_factory: Callable[..., actors.ActorSystem], clock: actors.ManualClock
) -> None:
    system = actor_system_factory(
        clock=clock,
        config={"health_broadcast_interval": 5, "metrics_broadcast_interval": 7},
    )
    tree = gater.start(system, audit=False)
    with Probe(system) as probe:
        pubsub.subscribe(instances.HEALTH, "cluster:health", probe, system=system)
        pubsub.subscribe(instances.METRICS, "throughput", probe, system=system)

        advance_past_ticks(system, clock, 5)
        probe.expect(("node_health_updated", ANY))
        probe.expect(("cluster_health_updated", ANY))
        probe.refute(("throughput_metric", ANY), timeout=0.05)

        advance_past_ticks(system, clock, 2)
        probe.expect(("throughput_metric", ANY))

    assert 5 == stats(system, HEALTH).interval
    assert 7 == stats(system, METRICS).interval
    assert {"health_broadcaster", "metrics_broadcaster"} <= {
        child_id for child_id, _, _ in sv.which_children(tree)
    }


def test_gater_broadcasters_false_leaves_them_out(actor_system: actors.ActorSystem) -> None:
    tree = gater.start(actor_system, audit=False, broadcasters=False)

    assert actors.whereis(HEALTH, actor_system) is None
    assert actors.whereis(METRICS, actor_system) is None
    assert 10 == len(sv.which_children(tree))
