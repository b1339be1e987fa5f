"""Bad input and security defaults of the catalogue.

A wrong argument or a misconfigured verifier is the caller's bug: it raises a
TypeError or ValueError that names the problem. Whatever bytes are *received*
never make the verifier raise (see test_messages_fuzz.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import actors
from actors import messages as m
from actors.messages import compat
from tests.test_messages_strategies import any_message

SECRET = "a secret_key_base for these tests, at least sixty-four bytes long........"
NOW = datetime(2026, 1, 1, 12, 0, 0, 250000, tzinfo=UTC)


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
    return actor_system_factory(clock=clock, config={"secret_key_base": SECRET})


def _wire(system: actors.ActorSystem, **options: Any) -> bytes:
    health = compat.node_health("a@host", "healthy", system=system)
    where = {"instance": m.HEALTH, "topic": "cluster:health"} | options
    return m.to_wire(m.sign((health.TAG, health), system=system, **where))


# Wrong arguments -----------------------------------------------------------------


@pytest.mark.parametrize("value", [None, b"bytes", ("secure_message", b"", ("t", 1))])
def test_to_wire_and_signed_bytes_name_what_they_need(value: Any) -> None:
    with pytest.raises(TypeError, match=r"to_wire\(\) needs a SecureMessage \(from sign\(\)\)"):
        m.to_wire(value)
    with pytest.raises(TypeError, match=r"signed_bytes\(\) needs a SecureMessage"):
        m.signed_bytes(value)


@pytest.mark.parametrize(
    ("options", "error", "text"),
    [
        ({"max_entries": "10"}, TypeError, "max_entries must be an int, got str '10'"),
        ({"max_entries": 2.5}, TypeError, "max_entries must be an int, got float 2.5"),
        ({"max_entries": True}, TypeError, "max_entries must be an int, got bool"),
        ({"window": "300"}, TypeError, "window must be a number of seconds, got str"),
        ({"window": math.inf}, ValueError, "window must be positive and finite"),
        ({"window": math.nan}, ValueError, "window must be positive and finite"),
        ({"window": -1}, ValueError, "window must be positive and finite"),
        ({"window": 1e20}, ValueError, "window must be at most"),
    ],
)
def test_nonce_cache_limits_of_the_wrong_type_or_range_are_refused(
    options: dict[str, Any], error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=text):
        m.NonceCache(**options)


def test_a_nonce_cache_with_a_huge_window_still_accepts_genuine_messages(
    system: actors.ActorSystem,
) -> None:
    cache = m.NonceCache(window=1e12)  # about 31,700 years: reaches before the year 1

    assert "ok" == m.validate_secure_message(_wire(system), system=system, nonce_cache=cache)[0]


def _deep(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = [value]
    return value


def _recursive() -> Any:
    loop: list[Any] = []
    loop.append(loop)
    return {"loop": loop}


@pytest.mark.parametrize("payload", [_deep(10_000), _recursive()], ids=["deep", "recursive"])
def test_payloads_too_deep_to_encode_are_format_errors_not_recursion_errors(
    system: actors.ActorSystem, payload: Any
) -> None:
    with pytest.raises(m.MessageFormatError, match="nested deeper than 100 levels"):
        m.sign(("tag", payload), instance="i", topic="t", system=system)
    with pytest.raises(m.MessageFormatError, match="nested deeper than 100 levels"):
        m.canonical_bytes(payload)


def test_a_payload_nested_a_hundred_levels_deep_still_signs(system: actors.ActorSystem) -> None:
    wire = m.to_wire(m.sign(("tag", _deep(99)), instance="i", topic="t", system=system))

    assert ("ok", ("tag", _deep(99))) == m.validate_secure_message(wire, system=system)


# A misconfigured verifier raises; received bytes never do -------------------------------


@pytest.mark.parametrize(
    ("options", "error", "text"),
    [
        ({"max_age": "300"}, TypeError, "max_age must be a number of seconds"),
        ({"max_age": True}, TypeError, "max_age must be a number of seconds"),
        ({"max_age": 0}, ValueError, "max_age must be positive and finite"),
        ({"max_age": -5}, ValueError, "max_age must be positive and finite"),
        ({"max_age": math.nan}, ValueError, "max_age must be positive and finite"),
        ({"max_age": math.inf}, ValueError, "max_age must be positive and finite"),
        ({"system": "prod"}, TypeError, "system must be an ActorSystem or None, got str"),
        ({"secret": 42}, TypeError, "secret= must be a Secret, str or bytes, got int"),
        ({"secret": "short"}, ValueError, "secret= is 5 bytes; a signing secret must be at least"),
        ({"nonce_cache": set()}, TypeError, "nonce_cache must be a NonceCache or None, got set"),
        (
            {"nonce_cache": m.NonceCache(window=60)},
            ValueError,
            r"nonce_cache.window \(60 s\) is shorter than max_age \(300 s\)",
        ),
        ({"instance": 5}, TypeError, "instance must be a str, got int"),
        ({"topic": b"t"}, TypeError, "topic must be a str, got bytes"),
    ],
)
def test_a_misconfigured_verifier_raises_instead_of_refusing_the_message(
    system: actors.ActorSystem, options: dict[str, Any], error: type[Exception], text: str
) -> None:
    wire = _wire(system)

    with pytest.raises(error, match=text):
        m.validate_secure_message(wire, **({"system": system} | options))
    with pytest.raises(error, match=text):
        m.verifier(**({"system": system} | options))


@pytest.mark.parametrize(
    ("config", "error", "text"),
    [
        ({"secret_key_base": "x"}, ValueError, r"system.config\['secret_key_base'\] is 1 bytes"),
        ({"secret_key_base": 12345}, TypeError, r"system.config\['secret_key_base'\] must be"),
    ],
)
def test_a_configured_secret_that_cannot_work_is_reported_where_it_is_used(
    actor_system_factory: Callable[..., actors.ActorSystem],
    clock: actors.ManualClock,
    config: dict[str, Any],
    error: type[Exception],
    text: str,
) -> None:
    bad = actor_system_factory(clock=clock, config=config)
    health = compat.node_health("a@host", "healthy", system=bad)

    with pytest.raises(error, match=text):
        m.sign((health.TAG, health), instance="i", topic="t", system=bad)
    with pytest.raises(error, match=text):
        m.seal((health.TAG, health), instance="i", topic="t", system=bad)
    with pytest.raises(error, match=text):
        m.validate_secure_message(("unsecured_message", (health.TAG, health)), system=bad)


def test_a_secret_shorter_than_phoenix_allows_is_refused_and_the_error_says_why(
    actor_system_factory: Callable[..., actors.ActorSystem],
    clock: actors.ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SECRET_KEY_BASE", "s" * 63)
    bare = actor_system_factory(clock=clock)

    with pytest.raises(ValueError) as caught:
        m.sign(("tag", 1), instance="i", topic="t", system=bare)

    assert str(caught.value).startswith(
        "the SECRET_KEY_BASE environment variable is 63 bytes; a signing secret must be at "
        "least 64 bytes (as Phoenix requires of secret_key_base): anyone holding one signed "
        "message can guess a shorter one offline. Generate one with: "
    )
    assert "s" * 63 not in str(caught.value)
    with pytest.raises(ValueError, match="at least 64 bytes"):
        m.Secret("s" * 63)
    assert m.Secret("s" * 64).reveal() == b"s" * 64


# Timestamps with more digits than the catalogue keeps ---------------------------------


def _zone(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(message=any_message, micros=st.integers(0, 999_999), offset=st.integers(-14 * 60, 14 * 60))
def test_sub_millisecond_timestamps_are_truncated_on_decode_so_messages_round_trip(
    message: Any, micros: int, offset: int
) -> None:
    data = m.to_dict(message)
    precise = message.timestamp.replace(microsecond=micros).astimezone(_zone(offset))
    data["timestamp"] = precise.isoformat()  # six fractional digits, any offset

    decoded = m.from_dict(data)

    assert micros // 1000 * 1000 == decoded.timestamp.microsecond
    assert decoded == m.from_dict(m.to_dict(decoded))
    assert decoded == m.from_json(m.to_json(decoded))


def test_a_message_made_with_a_sub_millisecond_timestamp_keeps_milliseconds() -> None:
    precise = datetime(2026, 1, 1, 12, 0, 0, 250999, tzinfo=UTC)

    health = m.NodeHealth(node="a", status="healthy", timestamp=precise)

    assert NOW == health.timestamp
    assert health == m.from_dict(m.to_dict(health))


# Replays are refused by default -------------------------------------------------------


def test_a_replay_is_refused_without_a_nonce_cache_being_passed(
    system: actors.ActorSystem,
) -> None:
    wire = _wire(system)

    first = m.validate_secure_message(wire, system=system)
    again = m.validate_secure_message(wire, system=system)

    assert ("ok", "replayed") == (first[0], again[1])
    assert "actors.messages.nonces" in system.extensions
    assert 1 == len(m.NonceCache.of(system))


class _Verifier(actors.GenServer):
    """Checks what it is sent with the default nonce cache (its own)."""

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        return m.validate_secure_message(request)


def test_each_actor_that_receives_a_broadcast_accepts_it_once(
    system: actors.ActorSystem,
) -> None:
    wire = _wire(system)
    first, second = _Verifier.start(system=system), _Verifier.start(system=system)

    verdicts = [actors.call(ref, wire) for ref in (first, second, first, second)]

    assert ["ok", "ok", "error", "error"] == [status for status, _ in verdicts]
    assert ["replayed", "replayed"] == [reason for _, reason in verdicts[2:]]
    assert "ok" == m.validate_secure_message(wire, system=system)[0]  # code outside actors


def test_without_expiry_there_is_no_default_replay_check(
    system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    wire = _wire(system)
    clock.advance(3600)

    verdicts = [m.validate_secure_message(wire, system=system, max_age=None) for _ in range(2)]

    assert ["ok", "ok"] == [status for status, _ in verdicts]


def test_by_default_any_instance_and_topic_is_accepted_but_a_receiver_can_insist(
    system: actors.ActorSystem,
) -> None:
    wire = _wire(system, instance="partner_feed", topic="orders")
    signed_for = json.loads(wire)

    default = m.validate_secure_message(wire, system=system)
    elsewhere = m.validate_secure_message(
        wire, system=system, instance=m.HEALTH, nonce_cache=m.NonceCache()
    )

    assert ("partner_feed", "orders") == (signed_for["instance"], signed_for["topic"])
    assert "ok" == default[0]
    assert ("error", "invalid_signature") == elsewhere
