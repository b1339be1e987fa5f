"""Three node processes and the test's own node: pub/sub delivery rules,
remote actors with every failure reason, links and monitors across nodes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import actors
from actors import pubsub
from actors.cluster import EncodeError, RemoteError
from actors.pubsub import PubSubManager
from actors.testing import ANY, Probe
from tests.cluster.conftest import (
    DURABLE_INSTANCE,
    EPHEMERAL_INSTANCE,
    make_node,
    wait_until_seen,
)
from tests.cluster.harness import NodeProcess, RedisServer

pytestmark = pytest.mark.slow

A, B, C = "a@test", "b@test", "c@test"


@pytest.fixture
def node(
    shared_redis: RedisServer,
    workers: dict[str, NodeProcess],
    actor_system_factory: Callable[..., actors.ActorSystem],
) -> Iterator[actors.ActorSystem]:
    system = make_node(actor_system_factory, shared_redis.url())
    with system:
        assert [A, B, C] == [n for n in actors.nodes() if n in (A, B, C)]
        wait_until_seen(system, [A, B, C])
        yield system


def control(node: str, *request: Any) -> Any:
    return actors.call(("control", node), request, timeout=20)


@pytest.mark.parametrize("instance", [EPHEMERAL_INSTANCE, DURABLE_INSTANCE])
def test_broadcast_rules_across_nodes(node: actors.ActorSystem, instance: str) -> None:
    probe = Probe(node)
    topic = f"rules-{instance}"
    for worker in (A, B, C):
        control(worker, "subscribe", instance, topic, probe, f"sub-{instance}-{topic}")
    mine = Probe(node)
    PubSubManager.of(node).ensure(instance).subscribe(topic, mine)

    # broadcast from A: every node's subscribers, once each.
    # The result counts A's own deliveries (the other nodes' are asynchronous).
    assert "Ok(delivered=1)" == control(
        A, "publish", "broadcast", instance, topic, ("all", 1), None
    )
    got = sorted(probe.receive(10)[:2] for _ in range(3))
    assert [(A, "got"), (B, "got"), (C, "got")] == got
    assert ("all", 1) == mine.receive(10)

    # local_broadcast on A: A's subscriber only.
    control(A, "publish", "local", instance, topic, ("local", 2), None)
    assert (A, "got", ("local", 2)) == probe.receive(10)

    # direct_broadcast from A to C: C only.
    control(A, "publish", "direct", instance, topic, ("direct", 3), C)
    assert (C, "got", ("direct", 3)) == probe.receive(10)

    # broadcast_from A's subscriber: everyone but that subscriber.
    control(A, "publish", "from", instance, topic, ("from", 4), f"sub-{instance}-{topic}")
    got = sorted(probe.receive(10)[:2] for _ in range(2))
    assert [(B, "got"), (C, "got")] == got
    assert ("from", 4) == mine.receive(10)

    # Nothing twice, nothing where it should not be.
    probe.refute(ANY, timeout=1.0)
    mine.refute(ANY, timeout=0.2)


def test_a_broadcast_from_this_node_reaches_the_workers_once(node: actors.ActorSystem) -> None:
    probe = Probe(node)
    for worker in (B, C):
        control(worker, "subscribe", DURABLE_INSTANCE, "from-test", probe, "sub-from-test")
    PubSubManager.of(node).ensure(DURABLE_INSTANCE)
    for i in range(20):
        assert pubsub.broadcast(DURABLE_INSTANCE, "from-test", ("n", i))
    received: dict[str, list[Any]] = {B: [], C: []}
    for _ in range(40):
        who, _, message = probe.receive(10)
        received[who].append(message[1])
    assert {B: list(range(20)), C: list(range(20))} == received
    probe.refute(ANY, timeout=0.5)


def test_remote_call_and_its_failure_reasons(node: actors.ActorSystem) -> None:
    control(B, "start_echo", "echo")
    assert ("echo", [1, (2, 3), {"k": None}]) == actors.call(
        ("echo", B), [1, (2, 3), {"k": None}], timeout=10
    )
    assert B == actors.call(("echo", B), ("whoami",), timeout=10)

    with pytest.raises(actors.CallError) as noproc:
        actors.call(("nobody", B), ("whoami",), timeout=10)
    assert "noproc" == noproc.value.reason

    with pytest.raises(actors.CallError) as timeout:
        actors.call(("echo", B), ("sleep", 3.0), timeout=0.3)
    assert "timeout" == timeout.value.reason

    control(B, "start_echo", "fragile")
    with pytest.raises(actors.CallError) as crashed:
        actors.call(("fragile", B), ("crash", "bad input"), timeout=10)
    assert isinstance(crashed.value.reason, ValueError)
    assert ("bad input",) == crashed.value.reason.args

    with pytest.raises(actors.CallError) as down:
        actors.call(("echo", "nowhere@test"), ("whoami",), timeout=10)
    assert "noconnection" == down.value.reason


def test_an_unencodable_payload_is_refused_at_the_sender(node: actors.ActorSystem) -> None:
    control(B, "start_echo", "echo_enc")

    class Opaque:
        pass

    with pytest.raises(EncodeError, match="Opaque"):
        actors.send(("echo_enc", B), ("data", Opaque()))
    with pytest.raises(EncodeError, match="Opaque"):
        actors.call(("echo_enc", B), Opaque(), timeout=5)
    PubSubManager.of(node).ensure(EPHEMERAL_INSTANCE)
    result = pubsub.broadcast(EPHEMERAL_INSTANCE, "x", ("data", Opaque()))
    assert "unencodable" == result.reason
    assert "Opaque" in result.detail


def test_sends_and_casts_between_two_actors_arrive_in_order(node: actors.ActorSystem) -> None:
    probe = Probe(node)
    control(C, "start_forwarder", "collector", probe)
    for i in range(100):
        if i % 2:
            actors.cast(("collector", C), ("n", i))
        else:
            assert actors.send(("collector", C), ("n", i))
    received = [probe.receive(10) for _ in range(100)]
    assert [(C, "cast" if i % 2 else "got", ("n", i)) for i in range(100)] == received


def test_monitor_a_remote_actor(node: actors.ActorSystem) -> None:
    probe = Probe(node)
    control(B, "start_echo", "watched")
    mref = probe.monitor(("watched", B))
    missing = probe.monitor(("missing", B))
    assert ("DOWN", missing, "process", ("missing", B), "noproc") == probe.receive(10)

    actors.stop(("watched", B), "normal", timeout=10)  # a remote stop waits, as locally
    assert ("DOWN", mref, "process", ("watched", B), "normal") == probe.receive(10)

    with pytest.raises(actors.CallError) as gone:
        actors.stop(("watched", B), timeout=10)
    assert "noproc" == gone.value.reason


def test_a_remote_crash_reaches_monitors_with_its_reason(node: actors.ActorSystem) -> None:
    probe = Probe(node)
    control(C, "start_echo", "crasher")
    mref = probe.monitor(("crasher", C))
    with pytest.raises(actors.CallError):
        actors.call(("crasher", C), ("crash", "kaput"), timeout=10)
    down = probe.receive(10)
    assert ("DOWN", mref, "process", ("crasher", C)) == down[:4]
    assert isinstance(down[4], ValueError)


def test_monitors_and_links_set_up_on_a_worker_see_a_remote_exit(
    node: actors.ActorSystem,
) -> None:
    probe = Probe(node)
    control(C, "start_echo", "target_c")
    control(A, "watch", ("target_c", C), probe, "monitor")
    control(A, "watch", ("target_c", C), probe, "link")
    actors.call(("control", A), ("nodes",), timeout=10)  # both watchers are set up
    actors.exit(("target_c", C), "kill")
    got = sorted(probe.receive(10) for _ in range(2))
    assert [
        (A, "watch", ("DOWN", "process", ("target_c", C), "killed")),
        (A, "watch", ("EXIT", ("target_c", C), "killed")),
    ] == got


def test_a_supervisor_restarts_a_worker_whose_remote_dependency_died(
    node: actors.ActorSystem,
) -> None:
    probe = Probe(node)
    control(B, "start_dependency_tree", "dep")
    control(A, "start_dependent_tree", ("dep", B), probe)
    first = probe.expect((A, "dependent_started", ANY), timeout=20)
    actors.exit(("dep", B), "kill")  # B's supervisor restarts dep; A's worker dies with it
    second = probe.expect((A, "dependent_started", ANY), timeout=20)
    assert first[2] != second[2]  # a new incarnation, linked to the new dep
    assert ("echo", "still there") == actors.call(("dep", B), "still there", timeout=10)


def test_remote_references_travel_in_payloads(node: actors.ActorSystem) -> None:
    probe = Probe(node)
    control(B, "start_echo", "echo_ref")
    # The probe crosses to B and back: it still names the same process.
    assert ("echo", probe) == actors.call(("echo_ref", B), probe, timeout=10)
    # A worker's forwarder addressed by a reference to the probe delivers here.
    control(C, "start_forwarder", "fwd_ref", probe)
    actors.send(("fwd_ref", C), "hello")
    assert (C, "got", "hello") == probe.receive(10)


def test_errors_of_remote_classes_arrive_as_remote_errors(node: actors.ActorSystem) -> None:
    control(B, "start_echo", "echo_err")
    reply = actors.call(("echo_err", B), EncodeError("pkg.Thing", "$"), timeout=10)
    assert (
        "echo",
        RemoteError("actors.cluster._errors.EncodeError", str(EncodeError("pkg.Thing", "$"))),
    ) == reply
