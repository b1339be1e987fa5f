"""Message catalogue: signing, verification and the codec, per message.

* ``sign``: :func:`actors.messages.sign` per message, beside a bare
  ``hmac.new(key, data, sha256).digest()`` over the same canonical bytes
  (what signing costs beyond the HMAC itself: canonical encoding, nonce,
  timestamp).
* ``verify``: :func:`actors.messages.validate_secure_message` per message,
  for the in-process object and for its wire bytes, beside the same bare HMAC.
* ``codec``: ``from_json(to_json(msg))`` per struct, beside
  ``json.loads(json.dumps(d))`` of the same dict (what the typed, validated
  round trip costs beyond plain JSON).

One sample message per catalogue class, every field set (maps and lists
non-empty), averaged over all 36 for ``sign`` and ``verify``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import types
import typing
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
from _harness import Record

import actors
from actors import messages as m

SECRET = "benchmark-secret-key-base-0123456789-0123456789-0123456789-0123456789"


def _sample_value(tp: Any, now: datetime) -> Any:
    simple = {str: "value-text", int: 42, float: 1.5, bool: True, datetime: now}
    if tp in simple:
        return simple[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        return _sample_value(next(a for a in args if a is not type(None)), now)
    if origin is tuple:
        return (_sample_value(args[0], now), _sample_value(args[0], now))
    if origin is dict:
        if args[1] is Any:
            return {"store_id": "vehicle_store", "count": 3, "ok": True, "ratio": 0.25}
        return {"a": _sample_value(args[1], now), "b": _sample_value(args[1], now)}
    raise TypeError(tp)


def samples(now: datetime) -> list[Any]:
    """One fully populated, valid message of each catalogue class."""
    out = []
    for cls in m.MESSAGE_TYPES:
        attrs.resolve_types(cls)
        fields = {a.name: _sample_value(a.type, now) for a in attrs.fields(cls)}
        message = cls(**fields)
        assert m.validate(message), message
        out.append(message)
    return out


def _per_call_us(fn: Callable[[], Any], calls: int, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best / calls * 1e6


def _setup() -> tuple[actors.ActorSystem, list[tuple[str, Any]]]:
    clock = actors.ManualClock(now=datetime(2026, 1, 1, tzinfo=UTC))
    system = actors.ActorSystem("bench-messages", clock=clock, config={"secret_key_base": SECRET})
    pairs = [(m.spec_for(msg).tag, msg) for msg in samples(clock.now())]  # type: ignore[union-attr]
    return system, pairs


def sign(scale: float) -> Iterator[Record]:
    rounds = max(1, int(1000 * scale))
    system, pairs = _setup()
    key = SECRET.encode()
    with system:
        signed = [m.signed_bytes(m.sign(p, instance="i", topic="t", system=system)) for p in pairs]

        def ours() -> None:
            for _ in range(rounds):
                for pair in pairs:
                    m.sign(pair, instance="i", topic="t", system=system)

        def bare() -> None:
            for _ in range(rounds):
                for data in signed:
                    hmac.new(key, data, hashlib.sha256).digest()

        calls = rounds * len(pairs)
        yield Record(
            "sign",
            _per_call_us(ours, calls),
            "us/message",
            "hmac.new(key, same bytes, sha256).digest()",
            _per_call_us(bare, calls),
            "lower",
            {"messages": calls, "structs": len(pairs)},
        )


def verify(scale: float) -> Iterator[Record]:
    rounds = max(1, int(1000 * scale))
    system, pairs = _setup()
    key = SECRET.encode()
    with system:
        secured = [m.sign(p, instance="i", topic="t", system=system) for p in pairs]
        wires = [m.to_wire(s) for s in secured]
        signed = [m.signed_bytes(s) for s in secured]
        # The same envelopes are verified again and again: max_age=None turns
        # expiry and the default replay check off, so every call verifies fully.
        assert all(m.validate_secure_message(w, system=system)[0] == "ok" for w in wires)

        def objects() -> None:
            for _ in range(rounds):
                for secure in secured:
                    m.validate_secure_message(secure, system=system, max_age=None)

        def wire() -> None:
            for _ in range(rounds):
                for data in wires:
                    m.validate_secure_message(data, system=system, max_age=None)

        def bare() -> None:
            for _ in range(rounds):
                for data in signed:
                    hmac.compare_digest(hmac.new(key, data, hashlib.sha256).digest(), data[:32])

        calls = rounds * len(pairs)
        baseline = _per_call_us(bare, calls)
        for name, fn in (("verify", objects), ("verify_wire", wire)):
            yield Record(
                name,
                _per_call_us(fn, calls),
                "us/message",
                "hmac.new(key, same bytes, sha256).digest() + compare_digest",
                baseline,
                "lower",
                {"messages": calls, "structs": len(pairs)},
            )


def codec(scale: float) -> Iterator[Record]:
    rounds = max(1, int(2000 * scale))
    system, pairs = _setup()
    system.shutdown()
    ours_total = theirs_total = 0.0
    for _, message in pairs:
        data = m.to_dict(message)
        assert message == m.from_json(m.to_json(message))

        def ours(message: Any = message) -> None:
            for _ in range(rounds):
                m.from_json(m.to_json(message))

        def plain(data: dict[str, Any] = data) -> None:
            for _ in range(rounds):
                json.loads(json.dumps(data))

        value, baseline = _per_call_us(ours, rounds), _per_call_us(plain, rounds)
        ours_total += value
        theirs_total += baseline
        yield Record(
            f"codec_roundtrip[{data['kind']}]",
            value,
            "us/message",
            "json.loads(json.dumps(same dict))",
            baseline,
            "lower",
            {"round_trips": rounds, "fields": len(data) - 2},
        )
    yield Record(
        "codec_roundtrip",
        ours_total / len(pairs),
        "us/message",
        "json.loads(json.dumps(same dict))",
        theirs_total / len(pairs),
        "lower",
        {"round_trips": rounds * len(pairs), "structs": len(pairs), "mean_over": "structs"},
    )


BENCHMARKS = {
    "sign": sign,
    "verify": verify,
    "codec": codec,
}
