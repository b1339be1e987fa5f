"""Redis stopped for seconds and restarted during a steady broadcast.

The publisher is a node process printing the result of each broadcast; the
receiver is the test's own node. Durable: every message the publisher was
told was accepted arrives exactly once, in order. Ephemeral: every such
message arrives at most once or is covered by a reported gap. Nothing
raises into the publisher.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import actors
import actors.cluster
from actors.pubsub import PubSubManager
from actors.testing import ANY, Probe
from tests.cluster.conftest import (
    DELIVERY,
    DURABLE_INSTANCE,
    EPHEMERAL_INSTANCE,
    make_node,
    wait_until_seen,
)
from tests.cluster.harness import NodeProcess, RedisServer

pytestmark = pytest.mark.slow

# Long enough that nobody is declared down during the outage.
SETTINGS = {"heartbeat_timeout": 30.0}


def _results(publisher: NodeProcess, count: int | None, timeout: float = 60.0) -> list[str]:
    """The next ``count`` ``pub`` lines of the publisher, or (``None``) all
    of them up to its ``done`` line; fails on a ``raised`` line."""
    lines: list[str] = []
    while count is None or len(lines) < count:
        line = publisher.expect_line("", timeout=timeout)
        assert not line.startswith("raised"), line
        if line.startswith("pub"):
            lines.append(line)
        elif line.startswith("done"):
            assert count is None, line
            break
    return lines


def _is_event(kind: str) -> Callable[[Any], bool]:
    return lambda event: getattr(event, "event_type", None) == kind


@pytest.mark.parametrize("instance", [DURABLE_INSTANCE, EPHEMERAL_INSTANCE])
def test_redis_restarted_during_a_steady_broadcast(
    redis_server: RedisServer,
    actor_system_factory: Callable[..., actors.ActorSystem],
    instance: str,
) -> None:
    url = redis_server.url(**SETTINGS)
    publisher = NodeProcess("pub@test", url, *(f"{k}={v}" for k, v in DELIVERY.items()))
    try:
        publisher.expect_line("ready", timeout=60)
        system = make_node(actor_system_factory, url)
        events = Probe(system)
        system.add_lifecycle_listener(events.deliver)
        with system:
            wait_until_seen(system, ["pub@test"])
            probe = Probe(system)
            PubSubManager.of(system).ensure(instance).subscribe("ticks", probe)
            actors.call(("control", "pub@test"), ("stream", instance, "ticks", 0.005), timeout=20)
            lines = _results(publisher, 50)
            first = probe.expect(("tick", ANY), timeout=30)  # the steady state reaches us

            redis_server.stop()
            events.expect(_is_event("redis_disconnected"), timeout=30)
            lines += _results(publisher, 600)  # seconds of publishing with Redis down
            redis_server.start()
            events.expect(_is_event("redis_reconnected"), timeout=60)
            lines += _results(publisher, 200)
            actors.call(("control", "pub@test"), ("stream_stop", instance), timeout=30)
            lines += _results(publisher, None)

            results = {int(line.split()[1]): line.split()[2] for line in lines}
            assert list(range(1, len(lines) + 1)) == sorted(results)  # each publish, once
            accepted = sorted(i for i, result in results.items() if result == "ok")
            assert accepted, "the publisher had every message refused"

            received: list[int] = [first[1]]
            gaps: list[tuple[int, int]] = []

            def covered() -> set[int]:
                lost = {n for first, last in gaps for n in range(first, last + 1)}
                return set(received) | lost

            while not set(accepted) <= covered():
                missing = sorted(set(accepted) - covered())
                try:
                    message = probe.receive(60)
                except AssertionError:
                    publisher_stats = actors.call(("control", "pub@test"), ("statistics",))
                    raise AssertionError(
                        f"{len(missing)} accepted messages never arrived: {missing[:10]}...; "
                        f"here: {actors.cluster.statistics(system)}; publisher: {publisher_stats}"
                    ) from None
                if message[0] == "tick":
                    received.append(message[1])
                else:
                    assert ("pubsub_gap", instance, "pub@test") == message[:3]
                    gaps.append((message[3], message[4]))
            probe.refute(("tick", ANY), timeout=1.0)  # and nothing twice

            assert len(received) == len(set(received))
            if instance == DURABLE_INSTANCE:
                assert accepted == received  # all of them, once, in order
                assert [] == gaps
            else:
                assert sorted(received) == received  # in order, at most once
                lost = {n for first, last in gaps for n in range(first, last + 1)}
                assert set() == lost & set(received)
            stats = actors.cluster.statistics(system)
            assert stats.reconnects >= 1
            assert len(received) <= stats.received  # (which counts the calls' replies too)
    finally:
        publisher.stop()
