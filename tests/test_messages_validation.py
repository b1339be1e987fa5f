"""Validators: Ok(message), or the first problem as an Error with details."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from actors import Error, Ok
from actors import messages as m
from actors.messages import compat

T = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def health(**changes: Any) -> m.NodeHealth:
    fields: dict[str, Any] = {"node": "a@host", "status": "healthy", "timestamp": T}
    return m.NodeHealth(**(fields | changes))


def test_a_valid_message_comes_back_in_an_ok() -> None:
    message = health(checks={"db": "pass"}, load_avg=0.5)

    assert Ok(message) == m.validate(message)


@pytest.mark.parametrize(
    ("cls", "required"),
    [
        (m.NodeHealth, ("node", "status")),
        (m.ClusterHealth, ("status", "healthy_nodes", "total_nodes")),
        (m.ComponentHealth, ("component", "node", "status")),
        (m.HealthCheck, ("check_name", "node", "result")),
        (m.SystemConfig, ("component", "changes")),
        (m.SystemLifecycle, ("event", "system_name", "version", "node")),
        (m.FeatureToggle, ("feature", "enabled", "changed_by", "node")),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_the_original_validators_require_the_original_fields_and_a_timestamp(
    cls: type[Any], required: tuple[str, ...]
) -> None:
    spec = m.spec_for(cls)
    assert spec is not None

    assert (*required, "timestamp") == spec.required


def test_every_struct_requires_a_timestamp_and_only_fields_that_cannot_be_none() -> None:
    for cls in m.MESSAGE_TYPES:
        spec = m.spec_for(cls)
        assert spec is not None
        types = m.field_types(cls)

        assert "timestamp" in spec.required
        assert [] == [name for name in spec.required if types[name].endswith("| None")]


def test_missing_required_fields_are_listed_in_declaration_order() -> None:
    message = m.ClusterHealth(status=None, healthy_nodes=None, total_nodes=3, timestamp=None)  # type: ignore[arg-type]

    assert Error("missing_fields", fields=["status", "healthy_nodes", "timestamp"]) == m.validate(
        message
    )


def test_node_fields_that_are_not_strings_are_reported_together() -> None:
    message = m.ClusterMembership(
        event="node_added",
        affected_nodes=("b@host",),
        active_nodes=("a@host", "b@host"),
        total_nodes=2,
        originating_node=("a", "host"),  # type: ignore[arg-type]
        timestamp=T,
    )

    assert Error("invalid_node_fields", fields=["originating_node"]) == m.validate(message)
    assert Error("invalid_node_fields", fields=["node"]) == m.validate(health(node=1))


@pytest.mark.parametrize(
    ("timestamp", "detail"),
    [
        ("2026-01-01T12:00:00.000Z", "not_datetime"),
        (1767268800, "not_datetime"),
        (datetime(2026, 1, 1, 12), "naive"),
        (datetime(2026, 1, 1, 13, tzinfo=timezone(timedelta(hours=1))), "not_utc"),
    ],
)
def test_a_timestamp_must_be_an_aware_utc_datetime(timestamp: Any, detail: str) -> None:
    assert Error("invalid_timestamp", detail=detail) == m.validate(health(timestamp=timestamp))


def test_wrong_field_types_are_reported_with_the_expected_type() -> None:
    message = m.ComponentHealth(
        component="store",
        node="a@host",
        status=1,  # type: ignore[arg-type]
        details={"rate": math.nan},
        last_check=datetime(2026, 1, 1),
        timestamp=T,
    )

    assert Error(
        "invalid_types",
        fields={
            "status": "str",
            "details": "dict[str, Any]",
            "last_check": "datetime (UTC) | None",
        },
    ) == m.validate(message)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"healthy_nodes": True}, {"healthy_nodes": "int"}),
        ({"healthy_nodes": 2.0}, {"healthy_nodes": "int"}),
        ({"degraded_nodes": ["b@host"]}, {"degraded_nodes": "tuple[str, ...]"}),
        ({"unhealthy_nodes": ("b@host", 3)}, {"unhealthy_nodes": "tuple[str, ...]"}),
        ({"quorum_status": None}, {"quorum_status": "str"}),
    ],
)
def test_lists_must_be_tuples_and_ints_must_not_be_bools_or_floats(
    changes: dict[str, Any], fields: dict[str, str]
) -> None:
    base: dict[str, Any] = {"status": "ok", "healthy_nodes": 2, "total_nodes": 3, "timestamp": T}
    message = m.ClusterHealth(**(base | changes))

    assert Error("invalid_types", fields=fields) == m.validate(message)


def test_float_fields_accept_ints_but_not_bools_or_non_finite_values() -> None:
    assert m.validate(health(load_avg=3))
    assert Error("invalid_types", fields={"load_avg": "float | None"}) == m.validate(
        health(load_avg=True)
    )
    assert Error("invalid_types", fields={"memory_usage": "float | None"}) == m.validate(
        health(memory_usage=math.inf)
    )


def test_maps_must_hold_json_values_under_string_keys() -> None:
    expected = Error("invalid_types", fields={"checks": "dict[str, Any]"})

    assert expected == m.validate(health(checks={1: "pass"}))
    assert expected == m.validate(health(checks={"db": object()}))
    assert m.validate(health(checks={"db": [1, {"ok": None}], "n": 2.5}))


def test_the_core_process_lifecycle_record_is_validated_like_the_others() -> None:
    good = m.ProcessLifecycle(event_type="started", component="W", actor_id="urn:1", timestamp=T)
    bad = m.ProcessLifecycle(
        event_type="started",
        component="W",
        actor_id="urn:1",
        restart_count="2",  # type: ignore[arg-type]
        timestamp=T,
    )

    assert Ok(good) == compat.validate_process_lifecycle(good)
    assert Error("invalid_types", fields={"restart_count": "int"}) == m.validate(bad)


def test_each_struct_has_a_validator_of_its_own_that_checks_the_type() -> None:
    message = health()

    assert Ok(message) == compat.validate_node_health(message)
    assert Error(
        "wrong_message_type", expected="ClusterHealth", actual="NodeHealth"
    ) == compat.validate_cluster_health(message)
    for cls in m.MESSAGE_TYPES:
        spec = m.spec_for(cls)
        assert spec is not None
        assert f"validate_{spec.kind}" == getattr(compat, f"validate_{spec.kind}").__name__


def test_anything_else_is_an_unknown_message() -> None:
    assert Error("unknown_message", type="dict") == m.validate({"node": "a"})
    assert Error("unknown_message", type="NoneType") == m.validate(None)


def test_a_family_validates_only_its_own_messages() -> None:
    family = m.FAMILIES[m.ALERTS]

    assert Ok(health()) == m.FAMILIES[m.HEALTH].validate(health())
    assert Error("wrong_instance", instance=m.HEALTH, expected=m.ALERTS) == family.validate(
        health()
    )


def test_field_types_describe_every_field() -> None:
    assert {
        "node": "str",
        "status": "str",
        "checks": "dict[str, Any]",
        "load_avg": "float | None",
        "memory_usage": "float | None",
        "disk_usage": "float | None",
        "timestamp": "datetime (UTC)",
    } == m.field_types(m.NodeHealth)
