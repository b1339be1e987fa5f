"""Forged and replayed envelopes injected into Redis: refused, counted, reported."""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from typing import Any

import pytest

import actors
from actors import gater, messages
from actors.pubsub import PubSub, PubSubManager
from actors.testing import ANY, Probe
from tests.cluster.conftest import make_node
from tests.cluster.harness import RedisServer

SECURE_DURABLE = "secure_durable"
SECURE_EPHEMERAL = "secure_ephemeral"


def _two_nodes(
    factory: Callable[..., actors.ActorSystem], url: str
) -> tuple[actors.ActorSystem, actors.ActorSystem]:
    delivery = {SECURE_DURABLE: "durable", SECURE_EPHEMERAL: "ephemeral"}
    sender = make_node(factory, url, cluster_delivery=delivery)
    receiver = make_node(factory, url, cluster_delivery=delivery)
    for system in (sender, receiver):
        gater.install(system)  # the catalogue's signing, verification and reports
        manager = PubSubManager.of(system)
        manager.ensure("ex_esdb_security")
        manager.ensure(SECURE_DURABLE, secure=True)
        manager.ensure(SECURE_EPHEMERAL, secure=True)
    return sender, receiver


def _instance(system: actors.ActorSystem, name: str) -> PubSub:
    """The handle of an instance ``_two_nodes`` created."""
    handle = PubSubManager.of(system).get(name)
    assert handle is not None, name
    return handle


def _forge(raw: bytes) -> bytes:
    """The same envelope with its payload changed and the signature kept."""
    envelope = json.loads(raw)
    signed = json.loads(envelope["p"])
    signed["payload"]["value"] = "transfer everything"
    envelope["p"] = json.dumps(signed, sort_keys=True, separators=(",", ":"))  # canonical
    envelope["s"] += 1000
    return json.dumps(envelope).encode()


@pytest.mark.parametrize("instance", [SECURE_DURABLE, SECURE_EPHEMERAL])
def test_forged_and_replayed_envelopes_are_refused_and_reported(
    redis_server: RedisServer,
    actor_system_factory: Callable[..., actors.ActorSystem],
    instance: str,
) -> None:
    sender, receiver = _two_nodes(actor_system_factory, redis_server.url())
    redis = redis_server.client()
    captured: list[bytes] = []
    if instance == SECURE_EPHEMERAL:
        spy = redis.pubsub()
        spy.subscribe(f"actors:ps:{instance}")
        assert "subscribe" == spy.get_message(timeout=10)["type"]
    subscriber = Probe(receiver)
    alarms = Probe(receiver)
    _instance(receiver, instance).subscribe("orders", subscriber)
    _instance(receiver, "ex_esdb_security").subscribe("access_violations", alarms)

    assert _instance(sender, instance).broadcast("orders", ("order", "legit"))
    assert ("order", "legit") == subscriber.receive(20)
    if instance == SECURE_DURABLE:
        # The client does not decode responses: ids, field names and values are bytes.
        entries = typing.cast(
            list[tuple[bytes, dict[bytes, bytes]]], redis.xrange(f"actors:ds:{instance}")
        )
        captured = [fields[b"e"] for _, fields in entries]
    else:
        message = spy.get_message(timeout=10)
        captured = [message["data"]]
        spy.close()
    (legit,) = captured

    def inject(raw: bytes) -> None:
        if instance == SECURE_DURABLE:
            redis.xadd(f"actors:ds:{instance}", {"e": raw})
        else:
            assert 2 == redis.publish(f"actors:ps:{instance}", raw)  # both nodes listen

    inject(_forge(legit))
    forged = alarms.receive(20)
    inject(legit)  # a replay, byte for byte
    replayed = alarms.receive(20)

    for (tag, violation), reason in ((forged, "invalid_signature"), (replayed, "replayed")):
        assert messages.AccessViolation.TAG == tag
        assert (f"{instance}:orders", reason) == (violation.resource, violation.metadata["reason"])
    subscriber.refute(ANY, timeout=0.5)
    assert 2 == _instance(receiver, instance).statistics().forged
    assert 2 == actors.cluster.statistics(receiver).refused

    # The real traffic still flows (a forged sequence number moved nothing).
    assert _instance(sender, instance).broadcast("orders", ("order", "next"))
    assert ("order", "next") == subscriber.receive(20)


def test_garbage_on_the_wire_is_counted_and_dropped(
    redis_server: RedisServer, actor_system_factory: Callable[..., actors.ActorSystem]
) -> None:
    receiver = make_node(actor_system_factory, redis_server.url())
    probe = Probe(receiver)
    PubSubManager.of(receiver).ensure("test_durable").subscribe("t", probe)
    redis = redis_server.client()
    entries: list[Any] = [b"not json", b"[1, 2]", json.dumps({"v": 99, "k": "b"}).encode()]
    for raw in entries:
        redis.xadd("actors:ds:test_durable", {"e": raw})
    sender = make_node(actor_system_factory, redis_server.url())
    PubSubManager.of(sender).ensure("test_durable").broadcast("t", "after the garbage")
    assert "after the garbage" == probe.receive(20)
    assert 3 == actors.cluster.statistics(receiver).malformed
