"""The codec: dicts and JSON with kind and schema, strict decoding, canonical bytes."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors import messages as m
from tests.test_messages_strategies import MESSAGE_CLASSES, any_message, messages_of

T = datetime(2026, 1, 1, 12, 0, 0, 250000, tzinfo=UTC)


def health(**changes: Any) -> m.NodeHealth:
    fields: dict[str, Any] = {"node": "a@host", "status": "healthy", "timestamp": T}
    return m.NodeHealth(**(fields | changes))


def errors_of(data: Any) -> list[str]:
    with pytest.raises(m.MessageFormatError) as caught:
        m.from_dict(data)
    return caught.value.errors


@pytest.mark.parametrize("cls", MESSAGE_CLASSES, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_every_struct_survives_a_dict_and_a_json_round_trip(
    cls: type[Any], data: st.DataObject
) -> None:
    message = data.draw(messages_of(cls))

    as_dict = m.to_dict(message)
    as_json = m.to_json(message)

    assert message == m.from_dict(as_dict)
    assert message == m.from_json(as_json)
    assert as_dict == json.loads(as_json)
    assert as_dict == m.to_dict(m.from_dict(as_dict))


@given(message=any_message)
def test_encoded_dicts_are_plain_json_with_kind_and_schema_first(message: Any) -> None:
    spec = m.spec_for(message)
    assert spec is not None

    data = m.to_dict(message)

    assert ["kind", "schema"] == list(data)[:2]
    assert (spec.kind, spec.schema) == (data["kind"], data["schema"])
    assert data == json.loads(json.dumps(data, allow_nan=False))


@given(message=any_message)
def test_canonical_bytes_are_sorted_compact_ascii_json(message: Any) -> None:
    data = m.canonical_bytes(message)

    assert data == json.dumps(
        m.to_dict(message), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    ).encode("ascii")
    assert data == m.canonical_bytes(m.from_dict(json.loads(data)))


def test_timestamps_are_written_in_utc_with_milliseconds_and_a_z() -> None:
    message = health(timestamp=datetime(2026, 1, 1, 12, 0, 0, 250999, tzinfo=UTC))

    assert "2026-01-01T12:00:00.250Z" == m.to_dict(message)["timestamp"]


def test_timestamps_in_another_zone_are_refused_not_converted() -> None:
    paris = timezone(timedelta(hours=1))

    with pytest.raises(m.MessageFormatError) as caught:
        m.to_dict(health(timestamp=datetime(2026, 1, 1, 13, tzinfo=paris)))

    assert ["invalid timestamp (not_utc) @ $.timestamp"] == caught.value.errors


def test_canonical_bytes_of_plain_data_sort_keys_escape_text_and_encode_structs() -> None:
    value = {"b": [1, 2.5, None], "a": "é", "when": T, "msg": (health(),)}

    expected = (
        b'{"a":"\\u00e9","b":[1,2.5,null],"msg":[' + m.canonical_bytes(health()) + b"],"
        b'"when":"2026-01-01T12:00:00.250Z"}'
    )
    assert expected == m.canonical_bytes(value)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (math.nan, "non-finite float nan is not JSON @ $"),
        ({"x": math.inf}, "non-finite float inf is not JSON @ $.x"),
        ({1: "a"}, "dict key 1 is not a str @ $"),
        ({"s": {1, 2}}, "set is not a JSON value @ $"),
        (datetime(2026, 1, 1), "naive datetime: timestamps must be timezone-aware (UTC) @ $"),
    ],
)
def test_canonical_bytes_refuse_what_has_no_canonical_form(value: Any, error: str) -> None:
    with pytest.raises(m.MessageFormatError) as caught:
        m.canonical_bytes(value)

    assert [error] == caught.value.errors


def test_an_unknown_kind_is_refused_with_its_name() -> None:
    assert ["unknown message kind 'node_wealth' @ $.kind"] == errors_of(
        {"kind": "node_wealth", "schema": 1}
    )


def test_extra_keys_are_refused_and_named() -> None:
    data = m.to_dict(health()) | {"colour": "red", "age": 3}

    assert ["extra fields found (age, colour) @ $"] == errors_of(data)


def test_every_wrong_field_is_reported_with_its_path() -> None:
    data = m.to_dict(health()) | {
        "node": 5,
        "status": None,
        "load_avg": "high",
        "checks": [],
        "timestamp": "2026-01-01T12:00:00",
    }
    del data["status"]

    assert [
        "invalid value for type, expected str: got int @ $.node",
        "required field missing @ $.status",
        "invalid value for type, expected dict: expected an object, got list @ $.checks",
        "invalid value for type, expected float | None: got str @ $.load_avg",
        "invalid value for type, expected datetime: timestamp without a UTC offset: "
        "'2026-01-01T12:00:00' @ $.timestamp",
    ] == errors_of(data)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("healthy_nodes", "3", "invalid value for type, expected int: got str @ $.healthy_nodes"),
        ("healthy_nodes", True, "invalid value for type, expected int: got bool @ $.healthy_nodes"),
        ("total_nodes", 4.0, "invalid value for type, expected int: got float @ $.total_nodes"),
        (
            "degraded_nodes",
            "abc",
            "invalid value for type, expected tuple: expected a list, got str @ $.degraded_nodes",
        ),
        (
            "unhealthy_nodes",
            ["a", 1],
            "invalid value for type, expected tuple: item 1: got int @ $.unhealthy_nodes",
        ),
    ],
)
def test_decoding_converts_nothing(field: str, value: Any, error: str) -> None:
    message = m.ClusterHealth(status="ok", healthy_nodes=3, total_nodes=4, timestamp=T)
    data = m.to_dict(message) | {field: value}

    assert [error] == errors_of(data)


def test_ints_are_accepted_for_float_fields_and_stored_as_floats() -> None:
    data = m.to_dict(health()) | {"load_avg": 2}

    decoded = m.from_dict(data)

    assert 2.0 == decoded.load_avg
    assert float is type(decoded.load_avg)


def test_timestamps_with_another_offset_are_read_as_utc() -> None:
    data = m.to_dict(health()) | {"timestamp": "2026-01-01T13:00:00.250+01:00"}

    assert health() == m.from_dict(data)


def test_decoded_maps_are_copies_of_the_input() -> None:
    data = m.to_dict(health(checks={"db": {"ok": True}}))

    decoded = m.from_dict(data)
    data["checks"]["db"]["ok"] = False

    assert {"db": {"ok": True}} == decoded.checks


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ([], "expected a JSON object, got list @ $"),
        ({"schema": 1}, "required field missing @ $.kind"),
        ({"kind": 3}, "unknown message kind 3 @ $.kind"),
        ({"kind": "node_health"}, "required field missing @ $.schema"),
        (
            {"kind": "node_health", "schema": "1"},
            "invalid value for type, expected a positive int @ $.schema (got '1')",
        ),
        (
            {"kind": "node_health", "schema": 0},
            "invalid value for type, expected a positive int @ $.schema (got 0)",
        ),
        ({"kind": "node_health", "schema": 2}, "schema 2 is newer than this reader's 1 @ $.schema"),
    ],
)
def test_envelope_keys_are_checked_before_the_fields(data: Any, error: str) -> None:
    assert [error] == errors_of(data)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{", "invalid JSON (JSONDecodeError: Expecting property name enclosed in double quotes"),
        ('{"kind": NaN}', "invalid JSON (ValueError: NaN is not JSON) @ $"),
        (b"\xff", "invalid JSON (UnicodeDecodeError"),
    ],
)
def test_invalid_json_is_refused_as_a_format_error(text: str | bytes, error: str) -> None:
    with pytest.raises(m.MessageFormatError) as caught:
        m.from_json(text)

    assert caught.value.errors[0].startswith(error)


def test_format_errors_are_value_errors_that_list_every_problem() -> None:
    data = m.to_dict(health()) | {"node": 1, "extra": 2}

    with pytest.raises(ValueError, match="cannot decode 'node_health'") as caught:
        m.from_dict(data)

    assert (
        "cannot decode 'node_health': invalid value for type, expected str: got int @ $.node; "
        "extra fields found (extra) @ $" == str(caught.value)
    )


def test_only_valid_catalogue_messages_are_encoded() -> None:
    with pytest.raises(m.MessageFormatError) as not_a_message:
        m.to_dict({"node": "a"})
    with pytest.raises(m.MessageFormatError) as invalid:
        m.to_dict(health(status=None, checks={"x": math.nan}))

    assert ["dict is not a catalogue message @ $"] == not_a_message.value.errors
    assert ["required field missing @ $.status"] == invalid.value.errors


def test_encoding_reports_wrong_types_by_field() -> None:
    message = health(checks={"x": math.nan}, timestamp=datetime(2026, 1, 1))

    with pytest.raises(m.MessageFormatError) as naive:
        m.to_dict(message)
    with pytest.raises(m.MessageFormatError) as nan:
        m.to_dict(health(checks={"x": math.nan}))

    assert ["invalid timestamp (naive) @ $.timestamp"] == naive.value.errors
    assert ["invalid value for type, expected dict[str, Any] @ $.checks"] == nan.value.errors


def test_upgrades_can_only_be_registered_for_known_older_schemas_once() -> None:
    def identity(fields: dict[str, Any]) -> dict[str, Any]:
        return fields

    with pytest.raises(ValueError, match="unknown message kind 'nope'"):
        m.register_upgrade("nope", 1, identity)
    with pytest.raises(
        ValueError, match="is at its first schema: there is nothing to upgrade from"
    ):
        m.register_upgrade("node_health", 1, identity)
    with pytest.raises(ValueError, match="upgrades start from schemas 1 to 1, got 2"):
        m.register_upgrade("process_lifecycle", 2, identity)
    with pytest.raises(ValueError, match="already registered"):
        m.register_upgrade("process_lifecycle", 1, identity)
