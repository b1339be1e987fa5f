"""The cluster's parts on their own: the codec, settings, sequence tracking, the outbox."""

from __future__ import annotations

import functools
import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import actors
from actors import Error, Ok, messages
from actors.cluster import EncodeError, RemoteError, Settings
from actors.cluster._codec import Codec, EnvelopeError
from actors.cluster._outbox import APPEND, PUBLISH, Outbox
from actors.cluster._sequence import DUPLICATE, NEW, SequenceTracker


def _codec() -> Codec:
    return Codec(lambda value: None, lambda node, pid, name: (node, pid, name))


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.binary(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
        st.dictionaries(st.integers(), inner, max_size=3),
        st.frozensets(st.integers(), max_size=3),
    ),
    max_leaves=20,
)


@given(values)
def test_every_encodable_value_comes_back_equal_and_of_the_same_type(value: Any) -> None:
    codec = _codec()
    wire = json.loads(codec.dumps(value))
    back = codec.decode_value(wire)
    assert value == back
    assert type(value) is type(back)


def test_messages_results_times_and_exceptions_cross_as_themselves() -> None:
    codec = _codec()
    with actors.ActorSystem() as system:
        health = messages.new(messages.NodeHealth, "a@h", "healthy", system=system)
    when = datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)
    value = ("node_health_updated", health, Ok(3, dropped=1), Error("full", limit=2), when)
    assert value == codec.decode_value(json.loads(codec.dumps(value)))
    back = codec.decode_value(json.loads(codec.dumps(ValueError("bad", 1))))
    assert (ValueError, ("bad", 1)) == (type(back), back.args)
    call_error = codec.decode_value(json.loads(codec.dumps(actors.CallError("noproc"))))
    assert "noproc" == call_error.reason

    class Custom(Exception):
        pass

    custom = codec.decode_value(json.loads(codec.dumps(Custom("x"))))
    assert RemoteError(f"{__name__}.{Custom.__qualname__}", "x") == custom


def test_an_unencodable_value_is_named_with_where_it_was() -> None:
    with pytest.raises(EncodeError) as caught:
        _codec().dumps(("tag", {"k": [1, threading.Lock()]}))
    assert "_thread.lock" in str(caught.value)
    assert "$[1].k[1]" == caught.value.path


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"{", "not JSON"),
        (b"[]", "must be a JSON object"),
        (json.dumps({"v": 2}).encode(), "version 2"),
        (json.dumps({"v": 1, "k": "b"}).encode(), "'o' is missing"),
        (
            json.dumps({"v": 1, "k": "b", "o": "a", "i": "x", "s": "1", "t": 0}).encode(),
            "expected an integer",
        ),
    ],
)
def test_bad_envelopes_are_refused_with_the_reason(raw: bytes, problem: str) -> None:
    with pytest.raises(EnvelopeError, match=problem):
        _codec().decode(raw)


def test_a_framed_envelope_decodes_to_its_fields() -> None:
    codec = _codec()
    raw = Codec.frame("b", "a@h", "inc1", 7, 123, codec.dumps(("x", 1)), "inst", "top", "b@h")
    envelope, payload = codec.decode(raw)
    assert ("b", "a@h", "inc1", 7, 123, "inst", "top", "b@h") == (
        envelope.kind,
        envelope.origin,
        envelope.incarnation,
        envelope.seq,
        envelope.timestamp,
        envelope.instance,
        envelope.topic,
        envelope.to,
    )
    assert ("x", 1) == codec.decode_value(payload)


def test_settings_come_from_the_url_and_the_config_and_are_checked() -> None:
    settings = Settings.parse(
        "redis://h:1/2?heartbeat_interval=0.5&db=2",
        {"cluster_heartbeat_timeout": 4, "cluster_delivery": {"x": "durable"}},
    )
    assert (0.5, 4, {"x": "durable"}, "redis://h:1/2?db=2") == (
        settings.heartbeat_interval,
        settings.heartbeat_timeout,
        settings.delivery,
        settings.url,
    )
    with pytest.raises(ValueError, match="unknown cluster URL parameter 'heartbeat'"):
        Settings.parse("redis://h/0?heartbeat=1", {})
    with pytest.raises(ValueError, match="must be longer than heartbeat_interval"):
        Settings.parse("redis://h/0?heartbeat_interval=5&heartbeat_timeout=2", {})
    with pytest.raises(ValueError, match="delivery class of 'x'"):
        Settings.parse("redis://h/0", {"cluster_delivery": {"x": "sometimes"}})
    with pytest.raises(ValueError, match="outbox_limit must be an int"):
        Settings.parse("redis://h/0", {"cluster_outbox_limit": 0})


def test_the_tracker_finds_duplicates_and_gaps_and_stays_bounded() -> None:
    tracker = SequenceTracker(limit=2)
    key = ("a@h", "i1", "inst")
    assert [(NEW, None), (NEW, None), (DUPLICATE, None), (NEW, (3, 4)), (DUPLICATE, None)] == [
        tracker.check(key, seq) for seq in (1, 2, 2, 5, 3)
    ]
    assert (6, 9) == tracker.advance(key, 9)
    assert None is tracker.advance(key, 9)
    tracker.check(("b", "i", "x"), 1)
    tracker.check(("c", "i", "x"), 1)
    assert 2 == len(tracker)
    assert None is tracker.last(key)  # the least recently used went first


def test_the_outbox_numbers_per_channel_in_order_and_refuses_when_full() -> None:
    outbox = Outbox(limit=3)
    woken: list[bool] = []
    outbox.on_ready = woken.append
    assert [1, 1, 2] == [
        outbox.put(PUBLISH, "ch", lambda s: b"a"),
        outbox.put(APPEND, "st", lambda s: b"b", urgent=True),
        outbox.put(PUBLISH, "ch", lambda s: b"c"),
    ]
    assert None is outbox.put(PUBLISH, "ch", lambda s: b"d")
    assert [False, True] == woken  # empty -> ready, then the urgent one
    batch = outbox.take(2)
    assert [("ch", 1), ("st", 1)] == [(e.key, e.seq) for e in batch]
    outbox.put_back(batch)
    assert [("ch", 1), ("st", 1), ("ch", 2)] == [(e.key, e.seq) for e in outbox.take(10)]
    assert 3 == outbox.peak


def _framed(data: bytes, seq: int) -> bytes:
    return data


def test_a_batch_on_the_wire_still_counts_in_the_outbox_and_its_bound() -> None:
    outbox = Outbox(limit=3)
    for data in (b"a", b"b", b"c"):
        outbox.put(APPEND, "st", functools.partial(_framed, data))

    batch = outbox.take(2)  # the writer is sending these
    assert 3 == len(outbox)
    assert None is outbox.put(APPEND, "st", lambda s: b"d")  # still full

    outbox.put_back(batch[:1], taken=2)  # one kept, one given up on the wire
    assert 2 == len(outbox)
    rest = outbox.take(10)
    assert [b"a", b"c"] == [e.data for e in rest]
    outbox.sent(rest)
    assert 0 == len(outbox)
    assert outbox.put(APPEND, "st", lambda s: b"e") is not None


def test_concurrent_publishers_get_dense_ordered_numbers() -> None:
    outbox = Outbox(limit=100_000)

    def publish() -> None:
        for _ in range(2000):
            outbox.put(PUBLISH, "ch", lambda s: str(s).encode())

    threads = [threading.Thread(target=publish) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = outbox.take(100_000)
    assert list(range(1, 16_001)) == [e.seq for e in entries]
    assert [str(e.seq).encode() for e in entries] == [e.data for e in entries]


@pytest.mark.parametrize(
    "carried",
    [
        "00-abc-def-01",
        ["traceparent"],
        {"traceparent": 7},
        {7: "x"},
        {"traceparent": "x" * 513},
        {f"k{i}": "v" for i in range(5)},
    ],
    ids=["text", "list", "int_value", "int_key", "too_long", "too_many"],
)
def test_a_malformed_trace_context_is_ignored_never_fatal(carried: Any) -> None:
    from actors.cluster._node import _add_trace, _trace_of

    assert _trace_of({"tp": carried}) is None
    extra: dict[str, Any] = {}
    _add_trace(extra, carried)
    assert {} == extra


def test_a_w3c_trace_context_travels_as_it_is() -> None:
    from actors.cluster._node import _add_trace, _trace_of

    context = {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01", "tracestate": "a=b"}
    extra: dict[str, Any] = {}
    _add_trace(extra, context)
    assert context == _trace_of(extra)


def test_the_fallback_command_packer_writes_what_hiredis_writes() -> None:
    """Without hiredis the hot paths pack RESP themselves: byte for byte
    what hiredis (and Redis's protocol) expects."""
    import hiredis

    from actors.cluster import _redis

    # hiredis's stub types its argument as a 1-tuple; it takes any command.
    pack_command: Any = hiredis.pack_command
    commands: list[tuple[Any, ...]] = [
        ("XADD", "actors:in:b@x", "MAXLEN", "~", 100_000, "*", "e", b'{"v":1}\r\n\x00\xff'),
        ("BLPOP", "actors:rp:a@x:0f:1", 0.1),
        ("EVALSHA", "0" * 40, 1, "key", "ünïcode", 300_000),
        ("XREAD", "COUNT", 512, "BLOCK", 500, "STREAMS", "k", "0-0"),
    ]
    for command in commands:
        assert pack_command(command) == _redis._pack_python(command), command
    assert b"".join(map(pack_command, commands)) == _redis.pack(*commands)
