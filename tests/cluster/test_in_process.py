"""Two or more nodes in the test's own process, on a redis-server of the
test's own: global names, the outbox during an outage, half-open sockets,
the gater's cluster health."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

import pytest

import actors
from actors import cluster, gater, messages
from actors.gater import instances
from actors.lowlevel import lifecycle_event_types
from actors.pubsub import PubSubManager
from actors.testing import ANY, Probe
from tests.cluster.conftest import DURABLE_INSTANCE, EPHEMERAL_INSTANCE, eventually, make_node
from tests.cluster.harness import RedisServer

Factory = Callable[..., actors.ActorSystem]


def _event(kind: str) -> Callable[[Any], bool]:
    return lambda event: getattr(event, "event_type", None) == kind


def test_the_cluster_event_types_are_registered() -> None:
    assert set(cluster.EVENT_TYPES) <= lifecycle_event_types()
    assert {"nodeup", "nodedown", "redis_disconnected", "redis_reconnected", "pubsub_gap"} == set(
        cluster.EVENT_TYPES
    )


def test_global_names_are_unique_in_the_cluster(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    one = make_node(actor_system_factory, redis_server.url())
    two = make_node(actor_system_factory, redis_server.url())
    leader = Probe(one)
    rival = Probe(two)
    assert cluster.register_global("leader", leader, system=one)
    assert not cluster.register_global("leader", rival, system=two)  # the first one wins
    assert ["leader"] == cluster.registered_globals(system=one)

    found = cluster.whereis_global("leader", system=two)
    assert isinstance(found, cluster.RemotePid)
    assert one.node == found.node
    actors.send(found, "hello, leader", system=two)
    assert "hello, leader" == leader.receive(10)
    assert leader is cluster.whereis_global("leader", system=one)

    leader.close()  # its exit frees the name
    eventually(lambda: cluster.whereis_global("leader", system=two) is None)
    assert cluster.register_global("leader", rival, system=two)
    with pytest.raises(TypeError, match="non-empty str"):
        cluster.register_global("", rival, system=two)


def test_an_outage_fills_the_outbox_then_refuses_and_drains_on_reconnect(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    url = redis_server.url(outbox_limit=5, heartbeat_timeout=30)
    sender = make_node(actor_system_factory, url)
    receiver = make_node(actor_system_factory, url)
    events = Probe(sender)
    sender.add_lifecycle_listener(events.deliver)
    probe = Probe(receiver)
    PubSubManager.of(receiver).ensure(DURABLE_INSTANCE).subscribe("t", probe)
    handle = PubSubManager.of(sender).ensure(DURABLE_INSTANCE)

    redis_server.stop()
    events.expect(_event("redis_disconnected"), timeout=30)
    results = [handle.broadcast("t", ("n", i)) for i in range(6)]
    assert [True] * 5 + [False] == [bool(r) for r in results]
    assert "cluster_outbox_full" == results[5].reason
    stats = cluster.statistics(sender)
    assert (5, 1, "disconnected") == (stats.outbox, stats.dropped, stats.state)

    redis_server.start()
    events.expect(_event("redis_reconnected"), timeout=60)
    assert [("n", i) for i in range(5)] == [probe.receive(30) for _ in range(5)]
    assert 0 == cluster.statistics(sender).outbox
    probe.refute(ANY, timeout=0.5)


def test_ephemeral_publishes_during_an_outage_wait_in_the_outbox(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    url = redis_server.url(heartbeat_timeout=30)
    sender = make_node(actor_system_factory, url)
    receiver = make_node(actor_system_factory, url)
    events = Probe(sender)
    sender.add_lifecycle_listener(events.deliver)
    probe = Probe(receiver)
    PubSubManager.of(receiver).ensure(EPHEMERAL_INSTANCE).subscribe("t", probe)
    handle = PubSubManager.of(sender).ensure(EPHEMERAL_INSTANCE)
    assert handle.broadcast("t", "before")
    assert "before" == probe.receive(10)

    redis_server.stop()
    events.expect(_event("redis_disconnected"), timeout=30)
    for i in range(3):
        assert handle.broadcast("t", ("during", i))  # queued, not refused
    assert 3 == cluster.statistics(sender).outbox
    redis_server.start()
    events.expect(_event("redis_reconnected"), timeout=60)
    # At most once: each one arrives, or the receiver reports it missing.
    seen: set[int] = set()
    while len(seen) < 3:
        message = probe.receive(30)
        if message[0] == "during":
            seen.add(message[1])
        else:
            assert ("pubsub_gap", EPHEMERAL_INSTANCE, sender.node) == message[:3]
            seen.update(range(message[3] - 2, message[4] - 1))  # sequence 1 was "before"
    assert {0, 1, 2} == seen


def test_a_half_open_connection_is_found_by_ping(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    url = redis_server.url(socket_timeout=1.0, ping_interval=0.2, heartbeat_timeout=30)
    system = make_node(actor_system_factory, url)
    events = Probe(system)
    system.add_lifecycle_listener(events.deliver)
    assert redis_server.process is not None
    pid = redis_server.process.pid
    os.kill(pid, signal.SIGSTOP)  # sockets stay open, nothing answers
    try:
        disconnected = events.expect(_event("redis_disconnected"), timeout=30)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert "Timeout" in disconnected.reason or "PING" in disconnected.reason
    events.expect(_event("redis_reconnected"), timeout=60)


def test_the_gater_reports_the_health_of_every_node(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    config = {"health_broadcast_interval": 0.2}
    one = make_node(actor_system_factory, redis_server.url(), **config)
    two = make_node(actor_system_factory, redis_server.url(), **config)
    assert cluster.EPHEMERAL == cluster.delivery_class(instances.HEALTH, one)
    assert cluster.DURABLE == cluster.delivery_class(instances.LIFECYCLE, one)
    for system in (one, two):
        gater.start(system, audit=False)
    probe = Probe(one)
    health_bus = PubSubManager.of(one).get(instances.HEALTH)
    assert health_bus is not None
    health_bus.subscribe("cluster:health", probe)

    def whole(message: tuple[str, Any]) -> bool:
        if message[0] != "cluster_health_updated":
            return False
        payload: messages.ClusterHealth = message[1]  # that tag's payload
        return payload.total_nodes == 2 and payload.healthy_nodes == 2

    _, health = probe.expect(whole, timeout=30)
    assert ("healthy", "available", (), ()) == (
        health.status,
        health.quorum_status,
        health.degraded_nodes,
        health.unhealthy_nodes,
    )
    # Node health from the other node arrives here too (ephemeral, cross-node).
    node_health = probe.expect(
        lambda m: m[0] == "node_health_updated" and m[1].node == two.node, timeout=30
    )
    assert "healthy" == node_health[1].status
    # (That ClusterHealth may be either node's: each reads the other's
    # status from its heartbeats, one interval later.)
    expected = {one.node: (True, "healthy"), two.node: (True, "healthy")}
    eventually(lambda: expected == {m.node: (m.alive, m.status) for m in cluster.members(one)})
