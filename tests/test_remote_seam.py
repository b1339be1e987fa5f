"""The core's seam for clusters: (name, node) targets, node functions, and
the connector plugin (the Redis cluster itself is tested in its own suite)."""

from __future__ import annotations

from typing import Any

import pytest

import actors
from actors.lowlevel import Process
from actors.testing import Probe, settle


class FakeRemote:
    """A stand-in cluster: remote processes are probes of this system."""

    def __init__(self, system: actors.ActorSystem) -> None:
        self.system = system
        self.proxies: dict[tuple[Any, str], Probe] = {}
        self.watching: list[tuple[Process, str, bool]] = []
        self.closed = False

    def process(self, name: Any, node: str) -> Process:
        return self.proxies.setdefault((name, node), Probe(self.system))

    def nodes(self) -> list[str]:
        return ["b@host"]

    def monitor_node(self, watcher: Process, node: str, enable: bool) -> None:
        self.watching.append((watcher, node, enable))

    def close(self) -> None:
        self.closed = True


def test_without_a_cluster_a_name_node_tuple_is_an_ordinary_name(
    actor_system: actors.ActorSystem,
) -> None:
    probe = Probe(actor_system, name=("svc", "b@host"))

    actors.send(("svc", "b@host"), "local after all")

    assert "local after all" == probe.receive()
    assert [] == actors.nodes()
    assert actor_system.node == actors.node()


def test_with_a_cluster_other_nodes_resolve_through_it(actor_system: actors.ActorSystem) -> None:
    remote = FakeRemote(actor_system)
    actor_system.remote = remote
    local = Probe(actor_system, name="svc")

    actors.send(("svc", "b@host"), "over the wire")
    actors.cast(("svc", "b@host"), ("hello",))
    actors.send(("svc", actor_system.node), "this node, named explicitly")

    proxy = remote.proxies[("svc", "b@host")]
    assert ["over the wire", ("cast", ("hello",))] == [proxy.receive(), proxy.receive()]
    assert "this node, named explicitly" == local.receive()
    assert ["b@host"] == actors.nodes()
    actor_system.remote = None


def test_monitor_node_without_a_cluster_reports_nodedown_at_once(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    class Watcher(actors.GenServer):
        def init(self, probe: Any) -> None:
            self.probe = probe
            actors.monitor_node("b@host")
            actors.monitor_node(actors.node())  # this node: nothing

        def handle_info(self, message: Any) -> None:
            actors.send(self.probe, message)

    Watcher.start(probe)

    assert ("nodedown", "b@host", "noconnection") == probe.receive()
    settle(actor_system)
    probe.refute(("nodedown", actor_system.node, object), timeout=0)


def test_an_unknown_cluster_scheme_names_the_missing_extra() -> None:
    with pytest.raises(ValueError, match="no cluster connector for 'nats' URLs"):
        actors.ActorSystem(cluster="nats://127.0.0.1:4222")
    with pytest.raises(ValueError, match="cluster must be a URL"):
        actors.ActorSystem(cluster="redis")
