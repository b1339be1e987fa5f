"""Nodes that die: SIGKILL (heartbeat timeout), a clean leave, duplicate names."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import actors
from actors.cluster import NodeNameTaken
from actors.testing import ANY, Probe
from tests.cluster.conftest import make_node, wait_until_seen
from tests.cluster.harness import FAST, NodeProcess, RedisServer

pytestmark = pytest.mark.slow


class Linked(actors.GenServer):
    """Traps exits and links to a remote actor; forwards what it gets."""

    def init(self, target: Any, probe: Any) -> None:
        self.trap_exits = True
        self.probe = probe
        actors.link(target)

    def handle_info(self, message: Any) -> None:
        actors.send(self.probe, message)


def test_a_sigkilled_node_is_down_within_the_heartbeat_timeout(
    redis_server: RedisServer, actor_system_factory: Callable[..., actors.ActorSystem]
) -> None:
    victim = NodeProcess("victim@test", redis_server.url())
    try:
        victim.expect_line("ready", timeout=60)
        system = make_node(actor_system_factory, redis_server.url())
        events = Probe(system)
        system.add_lifecycle_listener(events.deliver)
        with system:
            wait_until_seen(system, ["victim@test"])
            probe = Probe(system)
            assert system.remote is not None  # a clustered node
            system.remote.monitor_node(probe, "victim@test", True)
            actors.call(("control", "victim@test"), ("start_echo", "worker"), timeout=20)
            mref = probe.monitor(("worker", "victim@test"))
            Linked.start(("worker", "victim@test"), probe)
            failures: list[Any] = []

            def pending_call() -> None:
                started = time.monotonic()
                try:
                    actors.call(
                        ("worker", "victim@test"), ("sleep", 60), timeout=120, system=system
                    )
                except actors.CallError as exc:
                    failures.append((exc.reason, time.monotonic() - started))

            caller = threading.Thread(target=pending_call)
            caller.start()
            actors.call(("control", "victim@test"), ("nodes",), timeout=20)  # links are set up

            victim.kill()
            killed = time.monotonic()

            limit = FAST["heartbeat_timeout"] + 10.0  # + generous slack on a loaded machine
            assert ("nodedown", "victim@test", "net_tick_timeout") == probe.expect(
                ("nodedown", "victim@test", ANY), timeout=limit
            )
            noticed = time.monotonic() - killed
            assert ("DOWN", mref, "process", ("worker", "victim@test"), "noconnection") == (
                probe.expect(("DOWN", mref, ANY, ANY, ANY), timeout=5)
            )
            assert ("EXIT", ("worker", "victim@test"), "noconnection") == probe.expect(
                ("EXIT", ANY, ANY), timeout=5
            )
            caller.join(10)
            assert [("noconnection", ANY)] == [(r, ANY) for r, _ in failures]
            assert failures[0][1] < 60  # failed fast, not at the call's own timeout
            assert noticed < limit
            assert "victim@test" not in actors.nodes()

            with pytest.raises(actors.CallError) as fast:
                actors.call(("worker", "victim@test"), ("whoami",), timeout=30)
            assert "noconnection" == fast.value.reason
            down = events.expect(lambda e: getattr(e, "event_type", None) == "nodedown", timeout=5)
            assert ("victim@test", "net_tick_timeout") == (down.name, down.reason)
    finally:
        victim.stop()


def test_a_node_that_leaves_is_down_at_once_and_its_name_is_free(
    redis_server: RedisServer, actor_system_factory: Callable[..., actors.ActorSystem]
) -> None:
    leaver = NodeProcess("leaver@test", redis_server.url())
    try:
        leaver.expect_line("ready", timeout=60)
        system = make_node(actor_system_factory, redis_server.url())
        with system:
            wait_until_seen(system, ["leaver@test"])
            probe = Probe(system)
            assert system.remote is not None  # a clustered node
            system.remote.monitor_node(probe, "leaver@test", True)
            leaver.stop()
            assert ("nodedown", "leaver@test", "connection_closed") == probe.receive(20)
            # The name is free again: a new incarnation joins and is seen.
            again = actor_system_factory(node="leaver@test", cluster=redis_server.url())
            assert ("nodeup", "leaver@test") == probe.receive(20)
            again.shutdown()
            assert ("nodedown", "leaver@test", "connection_closed") == probe.receive(20)
    finally:
        leaver.stop()


def test_a_duplicate_live_node_name_is_refused_when_joining(
    redis_server: RedisServer, actor_system_factory: Callable[..., actors.ActorSystem]
) -> None:
    holder = NodeProcess("dup@test", redis_server.url())
    try:
        holder.expect_line("ready", timeout=60)
        with pytest.raises(NodeNameTaken, match=r"'dup@test' is already used by a live node"):
            actor_system_factory(node="dup@test", cluster=redis_server.url())
    finally:
        holder.stop()


def test_joining_an_unreachable_redis_fails_with_a_clear_error(
    actor_system_factory: Callable[..., actors.ActorSystem],
) -> None:
    from actors.cluster import ClusterUnavailable
    from tests.cluster.harness import cluster_url, free_port

    url = cluster_url(free_port(), connect_timeout=0.5)
    with pytest.raises(ClusterUnavailable, match=r"did not answer within 0\.5s"):
        actor_system_factory(node="lonely@test", cluster=url)
