"""Secure instances: messages from outside the process, verified by a hook.

Pub/sub takes the verifier, signer and forgery reporter as hooks; the gater
installs the message catalogue's (HMAC signing, AccessViolation reports on
``ex_esdb_security``), which most of these tests use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import actors
from actors import Error, Ok, gater, messages, pubsub
from actors.gater import instances
from actors.pubsub import PubSubManager
from actors.testing import ANY, Probe

SECRET = "a test secret that is long enough: at least sixty-four bytes of it"


@pytest.fixture
def secure_system(actor_system_factory: Callable[..., actors.ActorSystem]) -> actors.ActorSystem:
    system = actor_system_factory(clock=actors.ManualClock(), config={"secret_key_base": SECRET})
    gater.install(system)
    manager = PubSubManager.of(system)
    manager.ensure(instances.SECURITY)
    manager.ensure("vault", secure=True)
    return system


def _health(system: actors.ActorSystem) -> tuple[str, Any]:
    health = messages.new(messages.NodeHealth, "node-a", "healthy", system=system)
    return (health.TAG, health)


def _wire(system: actors.ActorSystem, message: tuple[str, Any], topic: str = "t") -> bytes:
    return messages.to_wire(messages.sign(message, instance="vault", topic=topic, system=system))


def test_a_signed_message_reaches_local_subscribers_as_a_plain_tuple(
    secure_system: actors.ActorSystem,
) -> None:
    subscriber = Probe(secure_system)
    pubsub.subscribe("vault", "t", subscriber, system=secure_system)
    message = _health(secure_system)

    assert Ok(delivered=1) == pubsub.broadcast_signed("vault", "t", message, system=secure_system)
    assert message == subscriber.receive()


def test_a_forged_message_is_dropped_counted_and_reported(
    secure_system: actors.ActorSystem,
) -> None:
    subscriber, soc = Probe(secure_system), Probe(secure_system)
    pubsub.subscribe("vault", "t", subscriber, system=secure_system)
    pubsub.subscribe(instances.SECURITY, "access_violations", soc, system=secure_system)
    wire = bytearray(_wire(secure_system, _health(secure_system)))
    wire[wire.index(b'"healthy"') + 1] = ord("H")  # tamper with the payload

    result = pubsub.accept_external("vault", "t", bytes(wire), system=secure_system)

    assert Error("invalid_signature") == result
    subscriber.refute(ANY, timeout=0.05)
    tag, violation = soc.receive()
    assert ("access_violation", "invalid_signature") == (tag, violation.metadata["reason"])
    vault = PubSubManager.of(secure_system).get("vault")
    assert vault is not None
    assert 1 == vault.statistics().forged


def test_a_replayed_message_is_refused(secure_system: actors.ActorSystem) -> None:
    wire = _wire(secure_system, _health(secure_system))

    first = pubsub.accept_external("vault", "t", wire, system=secure_system)
    again = pubsub.accept_external("vault", "t", wire, system=secure_system)

    assert (Ok(delivered=0), Error("replayed")) == (first, again)


def test_an_envelope_signed_for_another_topic_is_refused(secure_system: actors.ActorSystem) -> None:
    wire = _wire(secure_system, _health(secure_system), topic="elsewhere")

    assert Error("invalid_signature") == pubsub.accept_external(
        "vault", "t", wire, system=secure_system
    )


def test_an_old_envelope_has_expired(secure_system: actors.ActorSystem) -> None:
    wire = _wire(secure_system, _health(secure_system))
    clock = secure_system.clock
    assert isinstance(clock, actors.ManualClock)

    clock.advance(301)

    assert Error("expired") == pubsub.accept_external("vault", "t", wire, system=secure_system)


def test_an_unsigned_message_is_refused_by_a_secure_instance(
    secure_system: actors.ActorSystem,
) -> None:
    result = pubsub.accept_external(
        "vault", "t", ("node_health_updated", "plain"), system=secure_system
    )

    assert not result
    assert result.reason in ("invalid_format", "unsecured_message_rejected")


def test_without_a_secret_nothing_is_signed(
    actor_system: actors.ActorSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY_BASE", raising=False)
    gater.install(actor_system)
    PubSubManager.of(actor_system).ensure("vault", secure=True)

    assert Error("no_secret_configured") == pubsub.broadcast_signed(
        "vault", "t", ("tag", None), system=actor_system
    )


def test_an_ordinary_instance_delivers_external_messages_as_they_are(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    bus = PubSubManager.of(actor_system).ensure("open")
    bus.subscribe("t", probe)

    assert Ok(delivered=1) == bus.accept_external("t", ("tag", 1))
    assert ("tag", 1) == probe.receive()


def test_a_secure_instance_needs_a_verifier(actor_system: actors.ActorSystem) -> None:
    with pytest.raises(ValueError, match="secure=True but has no verifier"):
        PubSubManager.of(actor_system).ensure("unguarded", secure=True)


def test_the_hooks_decide_what_a_secure_instance_accepts(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    """Pub/sub itself knows no signature scheme: any verifier will do."""
    refused: list[tuple[str, Any]] = []

    def verifier(raw: Any, topic: str) -> Ok | Error:
        match raw:
            case ("sealed", topic_, message) if topic_ == topic:
                return Ok(message)
        return Error("not_sealed")

    hooks = pubsub.InstanceHooks(
        verifier=verifier,
        signer=lambda topic, message: Ok(("sealed", topic, message)),
        on_forgery=lambda topic, reason: refused.append((topic, reason)),
    )
    bus = PubSubManager.of(actor_system).ensure("sealed", secure=True, hooks=hooks)
    bus.subscribe("t", probe)

    assert Ok(delivered=1) == bus.broadcast_signed("t", ("tag", 1))
    assert Ok(delivered=1) == bus.accept_external("t", ("sealed", "t", ("tag", 2)))
    assert Error("not_sealed") == bus.accept_external("t", ("sealed", "elsewhere", ("tag", 3)))
    assert [("tag", 1), ("tag", 2)] == probe.flush()
    assert [("t", "not_sealed")] == refused
    assert 1 == bus.statistics().forged


def test_without_a_signer_broadcast_signed_says_so(actor_system: actors.ActorSystem) -> None:
    hooks = pubsub.InstanceHooks(verifier=lambda raw, topic: Ok(raw))
    bus = PubSubManager.of(actor_system).ensure("unsigned", secure=True, hooks=hooks)

    assert Error("no_signer") == bus.broadcast_signed("t", ("tag", None))
