"""The Event struct, its data rules, the codec and the id generator."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors import eventbus
from actors.eventbus import Event, EventFormatError, base62_id

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)
ids = st.text(min_size=1) | st.integers()
events = st.builds(
    Event,
    ids,
    st.text(min_size=1),
    json_values,
    transaction_id=st.none() | ids,
    source=st.none() | st.text(),
    initialized_at=st.none() | st.integers(),
    occurred_at=st.none() | st.integers(),
    ttl=st.none() | st.integers(min_value=0),
)


def test_an_event_takes_id_topic_data_then_the_optional_fields() -> None:
    event = Event("123", "hello_received", {"message": "Hello"}, "1")

    assert "1" == event.transaction_id
    assert ("hello_received", "123") == event.shadow
    assert (None, None, None, None) == (
        event.source,
        event.initialized_at,
        event.occurred_at,
        event.ttl,
    )


def test_an_event_is_frozen() -> None:
    event = Event("1", "t", None)

    with pytest.raises(AttributeError):
        event.topic = "u"  # type: ignore[misc]


def test_duration_is_occurred_minus_initialized_or_zero() -> None:
    assert 720 == Event("1", "t", 0, initialized_at=1000, occurred_at=1720).duration
    assert 0 == Event("1", "t", 0, occurred_at=1720).duration


def test_data_is_copied_and_tuples_become_lists() -> None:
    data = {"user": {"roles": ("admin", "dev")}}
    event = Event("1", "t", data)
    data["user"]["roles"] = ()  # type: ignore[assignment]

    assert {"user": {"roles": ["admin", "dev"]}} == event.data


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"id": True}, TypeError, "Event.id must be a str or an int, got bool"),
        ({"id": ""}, ValueError, "Event.id must not be an empty str"),
        ({"id": 1.5}, TypeError, "Event.id must be a str or an int, got float"),
        ({"topic": ""}, ValueError, "Event.topic must not be empty"),
        ({"topic": b"t"}, TypeError, "Event.topic must be a str, got bytes"),
        ({"data": {1, 2}}, TypeError, r"event data holds a set .* @ \$\.data"),
        ({"data": {"a": [b"x"]}}, TypeError, r"holds a bytes .* @ \$\.data\.a\[0\]"),
        ({"data": {1: "x"}}, TypeError, r"has a int key 1; keys must be str @ \$\.data"),
        ({"data": float("nan")}, ValueError, "nan, which JSON cannot carry"),
        ({"data": object()}, TypeError, "holds a object"),
        ({"ttl": "5"}, TypeError, "Event.ttl must be an int or None, got str"),
        ({"source": 1}, TypeError, "Event.source must be a str or None, got int"),
        ({"transaction_id": False}, TypeError, "Event.transaction_id must be a str or an int"),
        ({"occurred_at": 1.0}, TypeError, "Event.occurred_at must be an int or None"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(kwargs, error, text) -> None:
    fields = {"id": "1", "topic": "t", "data": None, **kwargs}

    with pytest.raises(error, match=text):
        Event(**fields)


def test_data_that_contains_itself_is_refused() -> None:
    data: list[object] = []
    data.append(data)

    with pytest.raises(ValueError, match="nested too deeply"):
        Event("1", "t", data)


def test_the_codec_writes_kind_and_schema_and_every_field() -> None:
    event = Event(7, "user_created", {"email": "j@d.io"}, "tx", "users", 10, 20, 600)

    assert {
        "kind": "eventbus_event",
        "schema": 1,
        "id": 7,
        "topic": "user_created",
        "data": {"email": "j@d.io"},
        "transaction_id": "tx",
        "source": "users",
        "initialized_at": 10,
        "occurred_at": 20,
        "ttl": 600,
    } == eventbus.to_dict(event)


@given(events)
def test_every_event_round_trips_through_dicts_and_json(event: Event) -> None:
    assert event == eventbus.from_dict(eventbus.to_dict(event))
    assert event == eventbus.from_json(eventbus.to_json(event))


def _dict(**changes):
    body = eventbus.to_dict(Event("1", "t", {"a": 1}))
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        ([], ["expected a JSON object, got list @ $"]),
        ({"schema": 1}, ["required field missing @ $.kind"]),
        (_dict(kind="node_health"), ["expected kind 'eventbus_event', got 'node_health' @ $.kind"]),
        (_dict(schema=2), ["schema 2 is newer than this reader's 1 @ $.schema"]),
        (
            _dict(schema="1"),
            ["invalid value for type, expected a positive int @ $.schema (got '1')"],
        ),
        (
            _dict(id=1.0),
            ["invalid value for type, expected str | int: expected str or int, got float @ $.id"],
        ),
        (
            _dict(ttl="5"),
            ["invalid value for type, expected int | None: expected int, got str @ $.ttl"],
        ),
        (_dict(extra=1), ["extra fields found (extra) @ $"]),
        (_dict(data={"a": {1: 2}}), ["event data has a int key 1; keys must be str @ $.data.a"]),
    ],
)
def test_decoding_is_strict_and_lists_each_problem(data, lines) -> None:
    with pytest.raises(EventFormatError) as caught:
        eventbus.from_dict(data)

    assert lines == caught.value.errors


def test_decoding_reports_every_missing_field_at_once() -> None:
    with pytest.raises(EventFormatError) as caught:
        eventbus.from_dict({"kind": "eventbus_event", "schema": 1, "data": None})

    assert ["required field missing @ $.id", "required field missing @ $.topic"] == sorted(
        caught.value.errors
    )


@pytest.mark.parametrize("text", ["{", '{"kind": NaN}', "[1"])
def test_invalid_json_is_an_event_format_error(text) -> None:
    with pytest.raises(EventFormatError, match="invalid JSON"):
        eventbus.from_json(text)


def test_to_dict_refuses_what_is_not_an_event() -> None:
    with pytest.raises(TypeError, match="encodes an eventbus Event, got dict"):
        eventbus.to_dict({"id": "1"})  # type: ignore[arg-type]


def test_ids_are_16_base62_characters() -> None:
    made = [base62_id() for _ in range(1000)]

    assert {16} == {len(i) for i in made}
    assert set("".join(made)) <= set(eventbus._ids.ALPHABET)


def test_ids_of_one_process_are_unique_and_sort_in_creation_order_across_threads() -> None:
    per_thread: list[list[str]] = [[] for _ in range(8)]

    def make(out: list[str]) -> None:
        for _ in range(2000):
            out.append(base62_id())

    threads = [threading.Thread(target=make, args=(out,)) for out in per_thread]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    everything = [i for out in per_thread for i in out]
    assert len(everything) == len(set(everything))
    for out in per_thread:
        assert sorted(out) == out


def test_ids_start_with_the_time_in_microseconds() -> None:
    import time

    before = time.time_ns() // 1000
    made = base62_id()
    after = time.time_ns() // 1000
    digits = eventbus._ids.ALPHABET
    value = 0
    for char in made[:9]:
        value = value * 62 + digits.index(char)

    # Ids made faster than one per microsecond borrow the next microseconds,
    # so the time part may run slightly ahead, never behind.
    assert before <= value <= after + 1_000_000
