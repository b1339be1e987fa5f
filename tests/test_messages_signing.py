"""Signing and verification: every outcome of validate_secure_message."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import pickle
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

import actors
from actors import messages as m
from actors.messages import compat

SECRET = "correct horse battery staple, and then some more words to reach 64 bytes"
OTHER = "Tr0ub4dor&3 is a password, not a secret_key_base: this one is long enough"
NOW = datetime(2026, 1, 1, 12, 0, 0, 250000, tzinfo=UTC)


@pytest.fixture
def actor_runtime() -> str:
    """Signing runs no actors: one runtime is enough."""
    return "pooled"


@pytest.fixture(autouse=True)
def _no_secret_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY_BASE", raising=False)


@pytest.fixture
def clock() -> actors.ManualClock:
    return actors.ManualClock(now=NOW)


@pytest.fixture
def system(
    actor_system_factory: Callable[..., actors.ActorSystem], clock: actors.ManualClock
) -> actors.ActorSystem:
    """A system whose config holds the secret."""
    return actor_system_factory(clock=clock, node="n1@host", config={"secret_key_base": SECRET})


@pytest.fixture
def bare(
    actor_system_factory: Callable[..., actors.ActorSystem], clock: actors.ManualClock
) -> actors.ActorSystem:
    """A system with no secret configured."""
    return actor_system_factory(clock=clock, node="n2@host")


@pytest.fixture
def health(system: actors.ActorSystem) -> tuple[str, m.NodeHealth]:
    payload = compat.node_health("a@host", "healthy", checks={"db": "pass"}, system=system)
    return (m.NodeHealth.TAG, payload)


def sign(message: tuple[str, Any], system: actors.ActorSystem, **kwargs: Any) -> m.SecureMessage:
    options = {"instance": m.HEALTH, "topic": "cluster:health"} | kwargs
    return m.sign(message, system=system, **options)


# Signing -----------------------------------------------------------------------


def test_a_signed_message_carries_instance_topic_time_nonce_and_a_raw_signature(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    secure = sign(health, system)

    assert (m.HEALTH, "cluster:health", health[0], health[1], NOW) == (
        secure.instance,
        secure.topic,
        secure.tag,
        secure.payload,
        secure.timestamp,
    )
    assert re.fullmatch("[0-9a-f]{32}", secure.nonce)
    assert 32 == len(secure.signature)
    assert health == secure.message


def test_the_signature_is_hmac_sha256_over_the_documented_canonical_bytes(
    system: actors.ActorSystem,
) -> None:
    secure = sign(("ping", {"n": 1}), system)

    expected = (
        '{"instance":"ex_esdb_health","nonce":"' + secure.nonce + '",'
        '"payload":{"kind":"json","value":{"n":1}},"tag":"ping",'
        '"timestamp":"2026-01-01T12:00:00.250Z","topic":"cluster:health"}'
    ).encode()
    assert expected == m.signed_bytes(secure)
    assert hmac.new(SECRET.encode(), expected, hashlib.sha256).digest() == secure.signature


def test_the_signed_bytes_of_a_catalogue_payload_hold_its_codec_dict(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    secure = sign(health, system)

    signed = json.loads(m.signed_bytes(secure))

    assert m.to_dict(health[1]) == signed["payload"]


def test_nonces_differ_between_signatures(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    nonces = {sign(health, system).nonce for _ in range(100)}

    assert 100 == len(nonces)


def test_signing_without_a_secret_raises(
    bare: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    with pytest.raises(m.NoSecretError, match="no secret configured"):
        sign(health, bare)
    with pytest.raises(m.NoSecretError):
        compat.sign_legacy(health, system=bare)


@pytest.mark.parametrize("message", [["tag", 1], ("tag",), (1, "payload"), "tag", ("a", "b", "c")])
def test_signing_needs_a_tag_and_payload_tuple(system: actors.ActorSystem, message: Any) -> None:
    with pytest.raises(TypeError, match=r"a message is a \(tag, payload\) tuple"):
        sign(message, system)


def test_signing_refuses_payloads_without_a_canonical_form(system: actors.ActorSystem) -> None:
    with pytest.raises(m.MessageFormatError, match="set is not a JSON value"):
        sign(("tag", {"x": {1}}), system)


# Accepting -----------------------------------------------------------------------


def test_a_signed_message_is_accepted_as_an_object_and_as_wire_bytes(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    secure = sign(health, system)

    # Three receivers (each accepts a message once): one gets the object, one
    # the wire bytes, one a bytearray of them.
    for raw in (secure, m.to_wire(secure), bytearray(m.to_wire(secure))):
        assert ("ok", health) == m.validate_secure_message(
            raw, system=system, nonce_cache=m.NonceCache()
        )


def test_the_wire_form_is_canonical_json_with_a_hex_signature(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    secure = sign(health, system)

    wire = json.loads(m.to_wire(secure))

    assert "secure_message" == wire["envelope"]
    assert secure.signature.hex() == wire["signature"]
    assert json.loads(m.signed_bytes(secure)) == {
        k: v for k, v in wire.items() if k not in ("envelope", "signature")
    }


def test_json_payloads_travel_too_with_tuples_as_lists(system: actors.ActorSystem) -> None:
    secure = sign(("subscription_health", {"store_id": "s", "pair": (1, 2)}), system)

    assert ("ok", ("subscription_health", {"store_id": "s", "pair": [1, 2]})) == (
        m.validate_secure_message(m.to_wire(secure), system=system)
    )


def test_the_receiver_can_insist_on_its_instance_and_topic(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    wire = m.to_wire(sign(health, system))

    assert ("ok", health) == m.validate_secure_message(
        wire, system=system, instance=m.HEALTH, topic="cluster:health"
    )
    assert ("error", "invalid_signature") == m.validate_secure_message(
        wire, system=system, topic="vehicle_store:health"
    )
    assert ("error", "invalid_signature") == m.validate_secure_message(
        wire, system=system, instance=m.ALERTS
    )


# Refusing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"tag": "cluster_health_updated"},
        {"topic": "vehicle_store:health"},
        {"instance": "ex_esdb_alerts"},
        {"timestamp": NOW + timedelta(milliseconds=1)},
        {"nonce": "0" * 32},
        {"payload": "something else"},
        {"signature": bytes(32)},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_changing_any_signed_field_breaks_the_signature(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth], changes: dict[str, Any]
) -> None:
    forged = attrs.evolve(sign(health, system), **changes)

    assert ("error", "invalid_signature") == m.validate_secure_message(forged, system=system)
    assert ("error", "invalid_signature") == m.validate_secure_message(
        m.to_wire(forged), system=system
    )


def test_a_changed_payload_field_breaks_the_signature(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    secure = sign(health, system)
    forged = attrs.evolve(secure, payload=attrs.evolve(health[1], status="unhealthy"))  # type: ignore[misc]

    assert ("error", "invalid_signature") == m.validate_secure_message(forged, system=system)


@pytest.mark.parametrize("signature", [b"", bytes(31), bytes(33), "00" * 32, None, 42])
def test_signatures_of_the_wrong_size_or_type_are_invalid_not_exceptions(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth], signature: Any
) -> None:
    forged = attrs.evolve(sign(health, system), signature=signature)
    legacy = ("secure_message", signature, health)

    assert ("error", "invalid_signature") == m.validate_secure_message(forged, system=system)
    assert ("error", "invalid_signature") == m.validate_secure_message(legacy, system=system)


def test_a_message_signed_with_another_key_is_refused(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    secure = sign(health, system, secret=OTHER)

    assert ("error", "invalid_signature") == m.validate_secure_message(secure, system=system)
    assert ("ok", health) == m.validate_secure_message(secure, system=system, secret=OTHER)


def test_signed_messages_need_a_secret_on_the_receiving_side(
    system: actors.ActorSystem, bare: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    secure = sign(health, system)

    assert ("error", "no_secret_configured") == m.validate_secure_message(secure, system=bare)
    assert ("error", "no_secret_configured") == m.validate_secure_message(
        m.to_wire(secure), system=bare
    )
    assert ("error", "no_secret_configured") == m.validate_secure_message(
        ("secure_message", bytes(32), health), system=bare
    )


@pytest.mark.parametrize(
    "raw",
    [
        ("invalid", "format"),
        "a string",
        {},
        [],
        None,
        42,
        ("secure_message",),
        ["secure_message", bytes(32), ("tag", None)],
        ("unsecured_message", ("tag", None), "extra"),
        m.SecureMessage,
    ],
)
def test_anything_that_is_not_an_envelope_is_invalid_format(
    system: actors.ActorSystem, raw: Any
) -> None:
    assert ("error", "invalid_format") == m.validate_secure_message(raw, system=system)


def test_wire_envelopes_are_accepted_only_in_their_canonical_form(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    wire = m.to_wire(sign(health, system))
    data = json.loads(wire)

    pretty = json.dumps(data, indent=1, sort_keys=True).encode()
    upper = json.dumps(data | {"signature": data["signature"].upper()}, sort_keys=True)
    extra = m.canonical_bytes(data | {"key_id": 1})

    for variant in (pretty, upper.encode(), extra, wire[:-1], wire + b" ", b"", b"\x00"):
        assert ("error", "invalid_format") == m.validate_secure_message(variant, system=system)


def test_an_authentic_payload_the_reader_cannot_decode_is_invalid_format(
    system: actors.ActorSystem,
) -> None:
    secure = sign(("x", {"n": 1}), system)
    data = json.loads(m.to_wire(secure))
    data["payload"] = {"kind": "from_the_future", "schema": 1}
    unsigned = {k: v for k, v in data.items() if k not in ("envelope", "signature")}
    mac = hmac.new(SECRET.encode(), m.canonical_bytes(unsigned), hashlib.sha256).hexdigest()

    wire = m.canonical_bytes(data | {"signature": mac})

    assert ("error", "invalid_format") == m.validate_secure_message(wire, system=system)


# Time and replay -----------------------------------------------------------------------


def test_a_message_expires_after_max_age(
    system: actors.ActorSystem, clock: actors.ManualClock, health: tuple[str, m.NodeHealth]
) -> None:
    wire = m.to_wire(sign(health, system))

    clock.advance(300.0)
    at_limit = m.validate_secure_message(wire, system=system)
    clock.advance(0.001)
    after = m.validate_secure_message(wire, system=system)

    assert ("ok", health) == at_limit
    assert ("error", "expired") == after
    assert ("ok", health) == m.validate_secure_message(wire, system=system, max_age=None)


def test_max_age_is_the_callers_choice(
    system: actors.ActorSystem, clock: actors.ManualClock, health: tuple[str, m.NodeHealth]
) -> None:
    secure = sign(health, system)

    clock.advance(10.0)

    assert ("error", "expired") == m.validate_secure_message(secure, system=system, max_age=5)
    assert ("ok", health) == m.validate_secure_message(secure, system=system, max_age=15)


@pytest.mark.parametrize(("ahead", "verdict"), [(4.9, "ok"), (5.1, "error")])
def test_a_timestamp_from_the_future_counts_as_expired_beyond_a_small_skew(
    actor_system_factory: Callable[..., actors.ActorSystem],
    system: actors.ActorSystem,
    health: tuple[str, m.NodeHealth],
    ahead: float,
    verdict: str,
) -> None:
    fast = actor_system_factory(
        clock=actors.ManualClock(now=NOW + timedelta(seconds=ahead)),
        config={"secret_key_base": SECRET},
    )

    status, _ = m.validate_secure_message(sign(health, fast), system=system, max_age=None)

    assert verdict == status


def test_a_receiver_with_a_nonce_cache_accepts_a_message_once(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    wire = m.to_wire(sign(health, system))
    mine, theirs = m.NonceCache(), m.NonceCache()

    first = m.validate_secure_message(wire, system=system, nonce_cache=mine)
    again = m.validate_secure_message(wire, system=system, nonce_cache=mine)
    as_object = m.validate_secure_message(sign(health, system), system=system, nonce_cache=mine)
    elsewhere = m.validate_secure_message(wire, system=system, nonce_cache=theirs)

    assert ("ok", health) == first
    assert ("error", "replayed") == again
    assert ("ok", health) == as_object
    assert ("ok", health) == elsewhere


def test_forged_messages_do_not_use_up_a_nonce(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    secure = sign(health, system)
    cache = m.NonceCache()

    forged = m.validate_secure_message(
        attrs.evolve(secure, tag="other"), system=system, nonce_cache=cache
    )
    genuine = m.validate_secure_message(secure, system=system, nonce_cache=cache)

    assert ("error", "invalid_signature") == forged
    assert ("ok", health) == genuine


def test_the_nonce_cache_forgets_nonces_once_their_messages_expire() -> None:
    cache = m.NonceCache(window=60.0)

    assert cache.remember("a", NOW, NOW)
    assert not cache.remember("a", NOW, NOW + timedelta(seconds=59))
    assert not cache.remember("a", NOW, NOW + timedelta(seconds=61))
    assert 0 == len(cache)


def test_a_full_nonce_cache_refuses_what_it_can_no_longer_vouch_for() -> None:
    cache = m.NonceCache(max_entries=2)
    times = [NOW + timedelta(seconds=i) for i in range(4)]

    accepted = [cache.remember(f"n{i}", t, times[-1]) for i, t in enumerate(times[:3])]

    assert [True, True, True] == accepted
    assert 2 == len(cache)
    assert not cache.remember("n0", times[0], times[-1])
    assert not cache.remember("new-but-old", times[0], times[-1])
    assert cache.remember("new", times[3], times[-1])


def test_the_nonce_cache_admits_each_nonce_once_across_threads() -> None:
    cache = m.NonceCache()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: cache.remember("same", NOW, NOW), range(64)))

    assert 1 == results.count(True)


def test_nonce_cache_limits_must_make_sense() -> None:
    with pytest.raises(ValueError, match="max_entries must be at least 1"):
        m.NonceCache(max_entries=0)
    with pytest.raises(ValueError, match="window must be positive"):
        m.NonceCache(window=0)


# Legacy and unsecured envelopes -------------------------------------------------------


def test_the_legacy_tuple_is_signed_over_the_tag_and_payload_only(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    envelope = compat.sign_legacy(health, system=system)
    tag, payload = health

    expected = hmac.new(
        SECRET.encode(), m.canonical_bytes([tag, m.to_dict(payload)]), hashlib.sha256
    ).digest()
    assert ("secure_message", expected, health) == envelope
    assert ("ok", health) == m.validate_secure_message(envelope, system=system)


def test_a_tampered_legacy_tuple_is_refused(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    _, signature, _ = compat.sign_legacy(health, system=system)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]

    assert ("error", "invalid_signature") == m.validate_secure_message(
        ("secure_message", flipped, health), system=system
    )
    assert ("error", "invalid_signature") == m.validate_secure_message(
        ("secure_message", signature, ("cluster_health_updated", health[1])), system=system
    )
    assert ("error", "invalid_format") == m.validate_secure_message(
        ("secure_message", signature, list(health)), system=system
    )
    assert ("error", "invalid_format") == m.validate_secure_message(
        ("secure_message", signature, ("tag", {1, 2})), system=system
    )


def test_unsecured_messages_are_accepted_with_a_warning_only_without_a_secret(
    system: actors.ActorSystem,
    bare: actors.ActorSystem,
    health: tuple[str, m.NodeHealth],
    caplog: pytest.LogCaptureFixture,
) -> None:
    envelope = ("unsecured_message", health)

    with caplog.at_level(logging.WARNING, logger="actors.messages"):
        accepted = m.validate_secure_message(envelope, system=bare)
        rejected = m.validate_secure_message(envelope, system=system)
        malformed = m.validate_secure_message(("unsecured_message", "x"), system=bare)

    assert ("ok", health) == accepted
    assert ("error", "unsecured_message_rejected") == rejected
    assert ("error", "invalid_format") == malformed
    assert [
        "Accepting unsecured message - no SECRET_KEY_BASE configured (tag 'node_health_updated')"
    ] == [r.getMessage() for r in caplog.records]


def test_seal_signs_when_it_can_and_warns_when_it_cannot(
    system: actors.ActorSystem,
    bare: actors.ActorSystem,
    health: tuple[str, m.NodeHealth],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="actors.messages"):
        signed = m.seal(health, instance=m.HEALTH, topic="t:h", system=system)
        unsigned = m.seal(health, instance=m.HEALTH, topic="t:h", system=bare)

    assert isinstance(signed, m.SecureMessage)
    assert ("ok", health) == m.validate_secure_message(signed, system=system)
    assert ("unsecured_message", health) == unsigned
    assert ["Broadcasting unsecured message - no SECRET_KEY_BASE configured"] == [
        r.getMessage() for r in caplog.records
    ]


# Where the secret comes from ---------------------------------------------------------


def test_the_secret_comes_from_the_environment_when_the_config_has_none(
    bare: actors.ActorSystem,
    health: tuple[str, m.NodeHealth],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SECRET_KEY_BASE", OTHER)

    secure = sign(health, bare)

    assert ("ok", health) == m.validate_secure_message(secure, system=bare, secret=OTHER)


def test_the_config_secret_wins_over_the_environment(
    system: actors.ActorSystem,
    bare: actors.ActorSystem,
    health: tuple[str, m.NodeHealth],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SECRET_KEY_BASE", OTHER)

    secure = sign(health, system)

    assert ("ok", health) == m.validate_secure_message(secure, system=system)
    assert ("error", "invalid_signature") == m.validate_secure_message(secure, system=bare)


def test_empty_strings_are_not_secrets(
    actor_system_factory: Callable[..., actors.ActorSystem],
    clock: actors.ManualClock,
    health: tuple[str, m.NodeHealth],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    empty = actor_system_factory(clock=clock, config={"secret_key_base": ""})
    monkeypatch.setenv("SECRET_KEY_BASE", "")
    envelope = ("unsecured_message", health)

    assert ("ok", health) == m.validate_secure_message(envelope, system=empty)
    assert ("ok", health) == m.validate_secure_message(envelope, system=empty, secret="")
    with pytest.raises(m.NoSecretError):
        sign(health, empty)
    monkeypatch.setenv("SECRET_KEY_BASE", OTHER)
    assert ("error", "unsecured_message_rejected") == m.validate_secure_message(
        envelope, system=empty
    )


def test_the_secret_is_read_again_on_every_call(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    secure = sign(health, system)

    system.config["secret_key_base"] = OTHER

    assert ("error", "invalid_signature") == m.validate_secure_message(secure, system=system)
    assert ("ok", health) == m.validate_secure_message(sign(health, system), system=system)


# The secret stays secret -----------------------------------------------------------------


def test_a_secret_never_shows_itself() -> None:
    secret = m.Secret(SECRET)

    assert "Secret(***)" == repr(secret) == str(secret) == f"{secret}" == f"{secret!r}"
    assert SECRET.encode() == secret.reveal()
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret)
    with pytest.raises(AttributeError, match="immutable"):
        secret._value = b"x"
    with pytest.raises(ValueError, match="must not be empty"):
        m.Secret("")


def test_the_secret_appears_in_no_repr_log_line_or_error(
    system: actors.ActorSystem,
    bare: actors.ActorSystem,
    health: tuple[str, m.NodeHealth],
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG):
        secure = sign(health, system)
        legacy = compat.sign_legacy(health, system=system)
        seen += [repr(secure), str(secure), repr(legacy), m.to_wire(secure).decode()]
        seen += [repr(m.validate_secure_message(x, system=system)) for x in (secure, legacy)]
        seen.append(repr(m.validate_secure_message(attrs.evolve(secure, tag="x"), system=system)))
        seen.append(repr(m.validate_secure_message(("unsecured_message", health), system=bare)))
        seen.append(repr(m.seal(health, instance="i", topic="t", system=bare)))
        seen.append(repr(m.validate_secure_message(object(), system=system)))
        for attempt in (
            lambda: sign(health, bare),
            lambda: sign(("tag", {1}), system),
            lambda: sign(("tag", None), system, secret=b"\x00" * 3, topic=1),
            lambda: m.Secret(42),  # type: ignore[arg-type]
        ):
            with pytest.raises(Exception) as caught:
                attempt()
            seen += [str(caught.value), repr(caught.value)]

    text = "\n".join(seen + [r.getMessage() for r in caplog.records] + [caplog.text])
    assert SECRET not in text
    assert SECRET.encode().hex() not in text


def test_a_verifier_gives_ok_or_error_and_refuses_replays_by_default(
    system: actors.ActorSystem, health: tuple[str, m.NodeHealth]
) -> None:
    verify = m.verifier(instance=m.HEALTH, system=system)
    wire = m.to_wire(sign(health, system))

    first, again = verify(wire), verify(wire)
    elsewhere = m.verifier(instance=m.ALERTS, system=system)(m.to_wire(sign(health, system)))

    assert actors.Ok(health) == first
    assert actors.Error("replayed") == again
    assert actors.Error("invalid_signature") == elsewhere
