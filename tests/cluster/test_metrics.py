"""The Prometheus exporter reports a node's cluster counters (two nodes in
the test's process, a redis-server of the test's own)."""

from __future__ import annotations

from collections.abc import Callable

import actors
from actors import cluster, metrics
from tests.cluster.conftest import two_nodes
from tests.cluster.harness import RedisServer
from tests.metrics.test_exporter import scrape, value

Factory = Callable[..., actors.ActorSystem]


class Echo(actors.GenServer):
    def handle_call(self, request: object, caller: actors.Caller) -> object:
        return request


def test_a_scrape_reports_the_cluster_counters(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    caller, server = two_nodes(actor_system_factory, redis_server.url())
    Echo.start(name="echo", system=server)
    for i in range(3):
        assert i == actors.call(("echo", server.node), i, system=caller)
    exporter = metrics.start_http_server(0, system=caller)
    try:
        families = scrape(f"http://127.0.0.1:{exporter.port}/metrics")
    finally:
        exporter.close()
    stats = cluster.statistics(caller)
    node = caller.node
    assert 1 == value(families, "actors_cluster_nodes", node=node)
    assert 0 == value(families, "actors_cluster_pending_calls", node=node)
    assert stats.sent == value(families, "actors_cluster_sent_total", node=node)
    assert 3 <= stats.sent
    assert stats.received == value(families, "actors_cluster_received_total", node=node)
    assert 0 == value(families, "actors_cluster_dropped_total", node=node)
    assert 0 == value(families, "actors_cluster_gaps_total", node=node)


def test_a_system_outside_a_cluster_reports_no_cluster_family(
    actor_system: actors.ActorSystem,
) -> None:
    exporter = metrics.start_http_server(0, system=actor_system)
    try:
        families = scrape(f"http://127.0.0.1:{exporter.port}/metrics")
    finally:
        exporter.close()
    assert "actors_processes" in families
    assert not [name for name in families if name.startswith("actors_cluster_")]
