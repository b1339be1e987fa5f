"""The hooks the gater gives pub/sub instances, and :func:`install`.

Pub/sub knows no message catalogue, secret or alert instance; the gater
does. :func:`install` puts the gater's instance defaults and this hooks
factory into a system's :class:`~actors.pubsub.PubSubManager`:

* secure instances (``secure=True``) verify with the catalogue's
  :func:`~actors.messages.validate_secure_message` (their own nonce cache,
  bound to the instance and topic), sign with
  :func:`~actors.messages.sign`, and report each refused envelope as an
  ``AccessViolation`` on ``ex_esdb_security`` topic ``"access_violations"``
  (this node only, so a report never comes back as another external message);
* every instance reports a stalled (or recovered) subscriber as a
  ``SystemAlert`` on ``ex_esdb_alerts`` topic :data:`STALL_TOPIC`.

Reports go through the :class:`~actors.gater._relay.Relay`, so the thread
that triggered them (a publisher, an adapter receiving messages) never waits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import actors
from actors import Error, Ok, messages
from actors.gater import instances
from actors.gater._relay import Relay
from actors.lowlevel import resolve_system
from actors.pubsub import (
    HooksFactory,
    InstanceConfig,
    InstanceHooks,
    PubSubManager,
    SubscriberStalled,
)

__all__ = ["FORGERY_TOPIC", "STALL_TOPIC", "hooks_factory", "install"]

STALL_TOPIC: Final = "subscriber_stalled"
"""The ``ex_esdb_alerts`` topic stalled and recovered subscribers are reported on."""
FORGERY_TOPIC: Final = "access_violations"
"""The ``ex_esdb_security`` topic refused external messages are reported on."""

_INSTALLED: Final = "actors.gater.installed"


def install(system: actors.ActorSystem | None = None) -> None:
    """Make ``system``'s pub/sub manager create the gater's instances with
    their defaults (:data:`actors.gater.instances.DEFAULTS`) and every new
    instance with the gater's hooks. Idempotent; :func:`actors.gater.start`
    calls it. Instances created before keep what they have."""
    system = resolve_system(system)
    if system.extensions.get(_INSTALLED):
        return
    manager = PubSubManager.of(system)
    manager.set_defaults(instances.DEFAULTS)
    manager.set_hooks(hooks_factory(system))
    system.extensions[_INSTALLED] = True


def hooks_factory(system: actors.ActorSystem) -> HooksFactory:
    """``factory(name, config)``: the gater's hooks for one new instance."""
    relay = Relay.of(system)
    on_stall = _stall_reporter(system, relay)

    def factory(name: str, config: InstanceConfig) -> InstanceHooks:
        if not config.secure:
            return InstanceHooks(on_stall=on_stall)
        return InstanceHooks(
            verifier=_verifier(name, system),
            signer=_signer(name, system),
            on_forgery=_forgery_reporter(name, system, relay),
            on_stall=on_stall,
        )

    return factory


def _verifier(name: str, system: actors.ActorSystem) -> Callable[[Any, str], Ok | Error]:
    """``verify(raw, topic)`` for one secure instance, with its own nonce cache
    (so a replay to this receiver is refused)."""
    cache = messages.NonceCache()

    def verify(raw: Any, topic: str) -> Ok | Error:
        status, detail = messages.validate_secure_message(
            raw, system=system, nonce_cache=cache, instance=name, topic=topic
        )
        return Ok(detail) if status == "ok" else Error(detail)

    return verify


def _signer(name: str, system: actors.ActorSystem) -> Callable[[str, tuple[str, Any]], Ok | Error]:
    def sign(topic: str, message: tuple[str, Any]) -> Ok | Error:
        try:
            envelope = messages.sign(message, instance=name, topic=topic, system=system)
        except messages.NoSecretError:
            return Error("no_secret_configured")
        return Ok(messages.to_wire(envelope))

    return sign


def _forgery_reporter(
    name: str, system: actors.ActorSystem, relay: Relay
) -> Callable[[str, Any], None]:
    def report(topic: str, reason: Any) -> None:
        violation = messages.new(
            messages.AccessViolation,
            "invalid_token",
            f"{name}:{topic}",
            "accept_external",
            severity="high",
            metadata={"instance": name, "topic": topic, "reason": str(reason)},
            system=system,
        )
        relay.post(instances.SECURITY, FORGERY_TOPIC, (violation.TAG, violation), local=True)

    return report


def _stall_reporter(
    system: actors.ActorSystem, relay: Relay
) -> Callable[[SubscriberStalled], None]:
    def report(stall: SubscriberStalled) -> None:
        if stall.recovered:
            severity, title = "info", "Pub/sub subscriber recovered"
            text = (
                f"{stall.subscriber} has room again on {stall.instance} after missing "
                f"{stall.missed} message(s), each reported to its publisher"
            )
        else:
            severity, title = "error", "Pub/sub subscriber stalled"
            text = (
                f"{stall.subscriber} made no room on {stall.instance} ({stall.depth} queued, "
                f"limit {stall.limit}); publishers no longer wait for it and get an Error "
                "for each message it misses"
            )
        alert = messages.new(
            messages.SystemAlert,
            severity,
            "system",
            title,
            text,
            stall.instance,
            metadata={
                "instance": stall.instance,
                "topic": stall.topic,
                "subscriber": str(stall.subscriber),
                "depth": stall.depth,
                "limit": stall.limit,
                "missed": stall.missed,
                "recovered": stall.recovered,
            },
            system=system,
        )
        relay.post(instances.ALERTS, STALL_TOPIC, (alert.TAG, alert))

    return report
