"""Signed messages: every verdict of ``validate_secure_message``, and a secure instance.

    python examples/secure_messages.py

Messages that cross a process boundary are signed (HMAC-SHA256 over the
instance, topic, tag, payload, timestamp and a nonce) with the system's
``secret_key_base`` (else ``SECRET_KEY_BASE``). A receiver gets
``("ok", (tag, payload))`` or ``("error", reason)``, never an exception.

An instance started with ``secure=True`` verifies whatever reaches it from
outside (``accept_external``; ``broadcast_signed`` signs and goes through the
same door), drops forgeries and replays, counts them, and reports each as an
``AccessViolation`` on ``ex_esdb_security``. Its local subscribers receive
the plain ``(tag, payload)`` tuple.

The system runs on a ManualClock so "ten minutes later" takes no time.

In Elixir (ExESDB's PubSub quick reference):
    secure_msg = PubSubSecurity.sign_message(message)
    case PubSubSecurity.validate_secure_message(secure_msg) do
      {:ok, original} -> handle(original)
      {:error, reason} -> Logger.warning("rejected: #{reason}")
    end
"""

from __future__ import annotations

from typing import Any

import actors
from actors import gater, messages, pubsub
from actors.pubsub import PubSubManager, instances

SECRET = "a-long-random-secret-from-your-vault-at-least-64-bytes-like-phoenix-wants"


class Receiver(actors.GenServer):
    """Collects what its subscriptions deliver; ``("wait", n)`` replies once
    ``n`` messages have arrived (so nothing here sleeps or polls)."""

    def init(self) -> None:
        self.received: list[Any] = []
        self.waiting: list[tuple[int, actors.Caller]] = []

    def handle_info(self, message: Any) -> None:
        self.received.append(message)
        self._answer()

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("wait", n):
                self.waiting.append((n, caller))
                self._answer()
                return actors.NO_REPLY
            case _:
                return super().handle_call(request, caller)

    def _answer(self) -> None:
        for n, caller in [w for w in self.waiting if w[0] <= len(self.received)]:
            self.waiting.remove((n, caller))
            actors.reply(caller, self.received[:n])


def show(what: str, verdict: tuple[str, Any]) -> None:
    status, detail = verdict
    shown = detail[0] if status == "ok" else detail  # the tag, or the reason
    print(f"  {what:<44} {status:<5} {shown}")


def verdicts(system: actors.ActorSystem, clock: actors.ManualClock) -> None:
    print("validate_secure_message:")
    health = messages.new(
        messages.NodeHealth, "a@cluster", "healthy", {"disk": "pass"}, system=system
    )
    signed = messages.sign(
        (health.TAG, health), instance=instances.HEALTH, topic="cluster:health", system=system
    )
    wire = messages.to_wire(signed)  # what goes on the wire: canonical JSON bytes
    cache = messages.NonceCache()  # one per receiver: remembers accepted nonces

    def check(raw: Any, **options: Any) -> tuple[str, Any]:
        options.setdefault("system", system)
        return messages.validate_secure_message(raw, **options)

    show("a signed message", check(wire, nonce_cache=cache))
    show("the same bytes again (a replay)", check(wire, nonce_cache=cache))

    tampered = wire.replace(b'"status":"healthy"', b'"status":"unhealthy"')
    assert tampered != wire
    show("the payload changed in transit", check(tampered))
    show("signed with another secret", check(wire, secret="not-the-secret-" * 5))
    show("signed for another topic", check(wire, topic="cluster:config"))
    show("a truncated envelope", check(wire[: len(wire) // 2]))
    show("not an envelope at all", check(12345))
    show("sent unsigned", check(("unsecured_message", (health.TAG, health))))
    with actors.ActorSystem("no-secret", clock=clock) as bare:
        show("a receiver with no secret", check(wire, system=bare))

    clock.advance(600)  # ten minutes later; the default max_age is 300 s
    show("ten minutes later", check(wire))
    show("ten minutes later, max_age=None", check(wire, max_age=None))


def secure_instance(system: actors.ActorSystem) -> None:
    print("\na secure instance (refusals are also logged as warnings):")
    partner_feed = PubSubManager.of(system).ensure("partner_feed", secure=True)
    consumer = Receiver.start(system=system)
    soc = Receiver.start(system=system)  # a security operations centre
    pubsub.subscribe(partner_feed, "orders", consumer, system=system)
    pubsub.subscribe(instances.SECURITY, "access_violations", soc, system=system)

    change = messages.new(
        messages.DataChange, "partner-7", "order", "o-42", "update", system=system
    )
    result = partner_feed.broadcast_signed("orders", (change.TAG, change))
    print(f"  broadcast_signed          -> {result}")

    envelope = messages.to_wire(
        messages.sign((change.TAG, change), instance="partner_feed", topic="orders", system=system)
    )
    print(f"  accept_external(signed)   -> {partner_feed.accept_external('orders', envelope)}")
    print(f"  accept_external(replayed) -> {partner_feed.accept_external('orders', envelope)}")
    forged = envelope.replace(b"partner-7", b"mallory-1")
    print(f"  accept_external(forged)   -> {partner_feed.accept_external('orders', forged)}")

    delivered = actors.call(consumer, ("wait", 2))
    print(f"  the subscriber received plain tuples: {[tag for tag, _ in delivered]}")
    violations = actors.call(soc, ("wait", 2))
    for _, violation in violations:
        reason = violation.metadata["reason"]
        print(f"  AccessViolation on ex_esdb_security: {violation.resource}, {reason}")
    print(f"  statistics: forged={partner_feed.statistics().forged}")


def main() -> None:
    clock = actors.ManualClock()
    config = {"secret_key_base": SECRET}
    with actors.ActorSystem("secure", clock=clock, config=config) as system:
        gater.start(system, audit=False)  # for ex_esdb_security; no audit file here
        verdicts(system, clock)
        secure_instance(system)


if __name__ == "__main__":
    main()
