"""Fixtures of the cluster tests: real redis-servers, real node processes."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import actors
from tests.cluster.harness import NodeProcess, RedisServer

TEST_SECRET = "cluster-test-secret-" + "x" * 60
"""At least 64 bytes: signing refuses shorter secrets."""

DURABLE_INSTANCE = "test_durable"
EPHEMERAL_INSTANCE = "test_ephemeral"
DELIVERY = {DURABLE_INSTANCE: "durable", EPHEMERAL_INSTANCE: "ephemeral"}

_names = itertools.count(1)


@pytest.fixture
def actor_runtime() -> str:
    return "pooled"  # the cluster's own actors choose their runtime


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test only (it may stop and restart it)."""
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shared_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def workers(shared_redis: RedisServer) -> Iterator[dict[str, NodeProcess]]:
    """Three nodes ``a@test``, ``b@test``, ``c@test`` in their own processes."""
    url = shared_redis.url()
    options = [f"{k}={v}" for k, v in DELIVERY.items()]
    started = {name: NodeProcess(f"{name}@test", url, *options) for name in ("a", "b", "c")}
    try:
        for process in started.values():
            process.expect_line("ready", timeout=60)
        yield started
    finally:
        for process in started.values():
            process.stop()


def make_node(
    factory: Callable[..., actors.ActorSystem], url: str, **config: Any
) -> actors.ActorSystem:
    """This test's own node (a system in the test process)."""
    return factory(
        node=f"t{next(_names)}@test",
        cluster=url,
        config={"cluster_delivery": DELIVERY, "secret_key_base": TEST_SECRET, **config},
    )


def two_nodes(
    factory: Callable[..., actors.ActorSystem], url: str, **config: Any
) -> tuple[actors.ActorSystem, actors.ActorSystem]:
    """Two nodes of this test's own on ``url``; the first has seen the
    second come up (its ``nodeup`` lifecycle event) when this returns."""
    from actors.testing import Probe

    one = make_node(factory, url, **config)
    events = Probe(one)
    remove = one.add_lifecycle_listener(events.deliver)
    two = make_node(factory, url, **config)
    events.expect(lambda e: e.event_type == "nodeup" and e.name == two.node, timeout=30)
    remove()
    events.close()
    return one, two


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait until ``check()`` holds, for state kept in Redis or counters
    that no message announces."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)  # polling Redis-backed state, bounded by the deadline


def wait_until_seen(system: actors.ActorSystem, nodes: list[str], timeout: float = 30.0) -> None:
    """Wait until each of ``nodes`` lists ``system``'s node (asking them)."""
    deadline = time.monotonic() + timeout
    for node in nodes:
        while True:
            seen = actors.call(("control", node), ("nodes",), timeout=10, system=system)
            if system.node in seen:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{node} never saw {system.node}: it sees {seen}")
            time.sleep(0.05)  # polling another node's view, bounded by the deadline
