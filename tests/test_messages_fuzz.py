"""validate_secure_message against random and mutated envelopes.

Ten thousand envelopes under the ``fuzz`` Hypothesis profile (500 in a
normal run; see tests/conftest.py): bit flips, truncations, insertions, fields
replaced, swapped, dropped or added, re-signed with another key, wrong
types, random bytes and random tuples. The verifier must never raise, must
answer with one of its reasons, and must accept only what was genuinely
signed: accepted wire bytes are byte-identical to the original, accepted
objects and tuples are equal to it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import actors
from actors import messages as m
from actors.messages import compat
from tests.test_messages_golden import CURRENT
from tests.test_messages_strategies import json_values, texts

SECRET = "correct horse battery staple, and then some more words to reach 64 bytes"
OTHER = "Tr0ub4dor&3 is a password, not a secret_key_base: this one is long enough"
REASONS = {
    "invalid_signature",
    "no_secret_configured",
    "unsecured_message_rejected",
    "invalid_format",
    "expired",
    "replayed",
}
WIRE_KEYS = ("envelope", "instance", "topic", "tag", "payload", "timestamp", "nonce", "signature")
OBJECT_FIELDS = tuple(a.name for a in attrs.fields(m.SecureMessage))

GENUINE: list[tuple[str, Any]] = [
    (m.spec_for(message).tag, message)  # type: ignore[union-attr]
    for message in CURRENT.values()
] + [
    ("subscription_health", {"store_id": "s", "event_type": "registration_success"}),
    ("events", [{"id": 1, "data": "é"}]),
    ("ping", None),
]

anything = (
    json_values
    | st.binary(max_size=40)
    | st.tuples(texts, json_values)
    | st.datetimes()
    | st.just(object())
)


@pytest.fixture
def actor_runtime() -> str:
    """Verification runs no actors: one runtime is enough."""
    return "pooled"


@pytest.fixture
def system(actor_system_factory: Callable[..., actors.ActorSystem]) -> actors.ActorSystem:
    clock = actors.ManualClock(now=datetime(2026, 1, 1, tzinfo=UTC))
    return actor_system_factory(clock=clock, config={"secret_key_base": SECRET})


def _resign(data: dict[str, Any], key: str) -> bytes:
    unsigned = {k: v for k, v in data.items() if k not in ("envelope", "signature")}
    mac = hmac.new(key.encode(), m.canonical_bytes(unsigned), hashlib.sha256).hexdigest()
    return m.canonical_bytes(data | {"signature": mac})


@st.composite
def mutate_wire(draw: st.DrawFn, wire: bytes) -> bytes:
    how = draw(
        st.sampled_from(
            ["flip", "truncate", "insert", "delete", "replace", "swap", "drop", "add", "resign"]
        )
    )
    if how == "flip":
        i = draw(st.integers(0, len(wire) - 1))
        return wire[:i] + bytes([wire[i] ^ (1 << draw(st.integers(0, 7)))]) + wire[i + 1 :]
    if how == "truncate":
        return wire[: draw(st.integers(0, len(wire) - 1))]
    if how == "insert":
        i = draw(st.integers(0, len(wire)))
        return wire[:i] + draw(st.binary(min_size=1, max_size=4)) + wire[i:]
    if how == "delete":
        i = draw(st.integers(0, len(wire) - 1))
        return wire[:i] + wire[i + draw(st.integers(1, 8)) :]
    data = json.loads(wire)
    if how == "replace":
        data[draw(st.sampled_from(WIRE_KEYS))] = draw(json_values)
    elif how == "swap":
        a, b = draw(st.lists(st.sampled_from(WIRE_KEYS), min_size=2, max_size=2, unique=True))
        data[a], data[b] = data[b], data[a]
    elif how == "drop":
        del data[draw(st.sampled_from(WIRE_KEYS))]
    elif how == "add":
        data[draw(texts.filter(lambda k: k not in WIRE_KEYS))] = draw(json_values)
    else:  # resign: an attacker changes a signed field and signs with their own key
        field = draw(st.sampled_from(["instance", "topic", "tag", "timestamp", "nonce"]))
        data[field] = draw(texts) if field != "nonce" else "f" * 32
        return _resign(data, OTHER)
    try:
        return m.canonical_bytes(data)
    except m.MessageFormatError:
        return json.dumps(data).encode()


@st.composite
def candidates(draw: st.DrawFn, system: actors.ActorSystem) -> tuple[str, Any, Any, Any]:
    """(how it was made, the candidate, what a correct acceptance returns, the genuine one)."""
    message = draw(st.sampled_from(GENUINE))
    secure = m.sign(message, instance=m.HEALTH, topic="cluster:health", system=system)
    wire = m.to_wire(secure)
    expected = ("ok", message)  # the JSON payloads above hold no tuples: they decode equal
    legacy = compat.sign_legacy(message, system=system)
    how = draw(st.sampled_from(["genuine", "wire", "object", "legacy", "other_key", "random"]))
    if how == "genuine":
        index = draw(st.integers(0, 2))
        genuine = (wire, secure, legacy)[index]
        return how, genuine, expected, genuine
    if how == "wire":
        return how, draw(mutate_wire(wire)), expected, wire
    if how == "object":
        field = draw(st.sampled_from(OBJECT_FIELDS))
        return how, attrs.evolve(secure, **{field: draw(anything)}), expected, secure  # type: ignore[arg-type]
    if how == "legacy":
        mutated = list(legacy)
        mutated[draw(st.integers(0, 2))] = draw(anything)  # type: ignore[call-overload]
        return how, tuple(mutated), expected, legacy
    if how == "other_key":
        forged = m.sign(
            message, instance=m.HEALTH, topic="cluster:health", system=system, secret=OTHER
        )
        return how, draw(st.sampled_from([forged, m.to_wire(forged)])), None, None
    raw = draw(
        st.binary(max_size=64)
        | json_values
        | st.tuples(st.sampled_from(["secure_message", "unsecured_message", "x"]), anything)
        | st.tuples(st.just("secure_message"), anything, anything)
    )
    return how, raw, None, None


FUZZ_EXAMPLES = max(500, settings().max_examples)
"""500 envelopes in a normal run; 10,000 under the ``fuzz`` profile (a CI step of its own)."""


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_envelope_makes_the_verifier_raise_or_accept_a_forgery(
    system: actors.ActorSystem, data: st.DataObject
) -> None:
    how, candidate, accepted, genuine = data.draw(candidates(system))

    verdict = m.validate_secure_message(candidate, system=system)

    event(f"{how}: {verdict[0]} {verdict[1] if verdict[0] == 'error' else ''}")
    assert tuple is type(verdict)
    status, detail = verdict
    if status == "error":
        assert detail in REASONS
    else:
        assert "ok" == status
        assert accepted == verdict
        assert genuine == candidate
