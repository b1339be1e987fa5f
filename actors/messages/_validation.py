"""Validators: check a message's fields and report, never raise.

Checks run in the reference's order and the first failing one is reported:

1. required fields (see each class's ``required`` in its spec; ``timestamp``
   is always required) that are ``None``: ``Error("missing_fields", fields=[...])``;
2. node fields (``node``, ``originating_node``, ``reporting_node``) that are
   set but are not strings: ``Error("invalid_node_fields", fields=[...])``;
3. ``timestamp`` not a timezone-aware UTC datetime:
   ``Error("invalid_timestamp", detail="not_datetime" | "naive" | "not_utc")``;
4. any field whose value does not match its declared type:
   ``Error("invalid_types", fields={name: expected})``. Float fields accept
   ints but not NaN or infinities, map fields must hold JSON values with
   string keys, list fields must be tuples, other datetimes must be UTC too.

A valid message gives ``Ok(message)``.
"""

from __future__ import annotations

import math
import threading
import types
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, TypeAlias

import attrs

from actors._result import Error, Ok
from actors.messages._alerts import AlertAck, AlertEscalation, NotificationStatus, SystemAlert
from actors.messages._audit import AccessLog, AdminAction, ComplianceEvent, DataChange
from actors.messages._base import spec_for
from actors.messages._diagnostics import (
    DebugTrace,
    ErrorAnalysis,
    PerformanceAnalysis,
    SystemState,
)
from actors.messages._formats import is_utc
from actors.messages._health import ClusterHealth, ComponentHealth, HealthCheck, NodeHealth
from actors.messages._lifecycle import (
    ClusterMembership,
    NodeLifecycle,
    ProcessLifecycle,
    SupervisionEvent,
)
from actors.messages._logging import LogEntry, LogFilter, LogRotation, LogSummary
from actors.messages._metrics import (
    LatencyMetric,
    MetricAlert,
    PerformanceMetric,
    ResourceUsage,
    ThroughputMetric,
)
from actors.messages._security import AccessViolation, AuthEvent, SecurityAlert, SessionEvent
from actors.messages._system import FeatureToggle, SystemConfig, SystemLifecycle

__all__ = [
    "NODE_FIELDS",
    "Validator",
    "field_types",
    "validate",
    "validate_access_log",
    "validate_access_violation",
    "validate_admin_action",
    "validate_alert_ack",
    "validate_alert_escalation",
    "validate_auth_event",
    "validate_cluster_health",
    "validate_cluster_membership",
    "validate_compliance_event",
    "validate_component_health",
    "validate_data_change",
    "validate_debug_trace",
    "validate_error_analysis",
    "validate_feature_toggle",
    "validate_health_check",
    "validate_latency_metric",
    "validate_log_entry",
    "validate_log_filter",
    "validate_log_rotation",
    "validate_log_summary",
    "validate_metric_alert",
    "validate_node_health",
    "validate_node_lifecycle",
    "validate_notification_status",
    "validate_performance_analysis",
    "validate_performance_metric",
    "validate_process_lifecycle",
    "validate_resource_usage",
    "validate_security_alert",
    "validate_session_event",
    "validate_supervision_event",
    "validate_system_alert",
    "validate_system_config",
    "validate_system_lifecycle",
    "validate_system_state",
    "validate_throughput_metric",
]

NODE_FIELDS: Final = ("node", "originating_node", "reporting_node")

Validator: TypeAlias = Callable[[Any], Ok | Error]
_Check: TypeAlias = Callable[[Any], bool]


# Type checks ------------------------------------------------------------------


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_float(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_utc_datetime(value: Any) -> bool:
    return isinstance(value, datetime) and is_utc(value)


def _is_json(value: Any, depth: int = 0) -> bool:
    if depth > 100:
        return False
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(_is_json(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v, depth + 1) for k, v in value.items())
    return False


def _checker(tp: Any) -> tuple[_Check, str]:
    """A predicate for values of type ``tp`` and a readable name for it."""
    simple: dict[Any, tuple[_Check, str]] = {
        str: (_is_str, "str"),
        int: (_is_int, "int"),
        float: (_is_float, "float"),
        bool: (_is_bool, "bool"),
        datetime: (_is_utc_datetime, "datetime (UTC)"),
        Any: (_is_json, "JSON value"),
    }
    if tp in simple:
        return simple[tp]
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        parts = [_checker(arg) for arg in args if arg is not type(None)]
        optional = len(parts) < len(args)
        name = " | ".join(n for _, n in parts) + (" | None" if optional else "")

        def union_check(value: Any) -> bool:
            return (optional and value is None) or any(check(value) for check, _ in parts)

        return union_check, name
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item_check, item_name = _checker(args[0])
        return (
            lambda value: isinstance(value, tuple) and all(item_check(v) for v in value),
            f"tuple[{item_name}, ...]",
        )
    if origin is dict and len(args) == 2:
        value_check, value_name = _checker(args[1])
        return (
            lambda value: (
                isinstance(value, dict)
                and all(isinstance(k, str) and value_check(v) for k, v in value.items())
            ),
            f"dict[str, {'Any' if args[1] is Any else value_name}]",
        )
    msg = f"no validator for field type {tp!r}"
    raise TypeError(msg)


_Plan: TypeAlias = tuple[tuple[str, _Check, str], ...]
_plans: dict[type[Any], tuple[_Plan, tuple[str, ...]]] = {}
_plans_lock = threading.Lock()


def _plan(cls: type[Any]) -> tuple[_Plan, tuple[str, ...]]:
    """The type checks of ``cls``'s fields (but ``timestamp``), and its node fields."""
    plan = _plans.get(cls)
    if plan is None:
        with _plans_lock:
            attrs.resolve_types(cls)
            names = [a.name for a in attrs.fields(cls)]
            checks = tuple(
                (a.name, *_checker(a.type)) for a in attrs.fields(cls) if a.name != "timestamp"
            )
            plan = (checks, tuple(n for n in NODE_FIELDS if n in names))
            _plans[cls] = plan
    return plan


def field_types(cls: type[Any]) -> dict[str, str]:
    """The expected type of each field of a catalogue class, as text."""
    return {name: expected for name, _, expected in _plan(cls)[0]} | {"timestamp": "datetime (UTC)"}


# Validators --------------------------------------------------------------------


def validate(message: Any) -> Ok | Error:
    """Check any catalogue message; see the module docstring for the rules.

    Returns:
        ``Ok(message)``, or the first ``Error`` found. A value that is not a
        catalogue message gives ``Error("unknown_message", type=<class name>)``.
    """
    spec = spec_for(message)
    if spec is None:
        return Error("unknown_message", type=type(message).__name__)
    checks, node_fields = _plan(spec.cls)
    missing = [name for name in spec.required if getattr(message, name) is None]
    if missing:
        return Error("missing_fields", fields=missing)
    bad_nodes = [
        name for name in node_fields if not isinstance(getattr(message, name), (str, type(None)))
    ]
    if bad_nodes:
        return Error("invalid_node_fields", fields=bad_nodes)
    timestamp = message.timestamp
    if not isinstance(timestamp, datetime):
        return Error("invalid_timestamp", detail="not_datetime")
    if timestamp.tzinfo is None or timestamp.utcoffset() is None:
        return Error("invalid_timestamp", detail="naive")
    if not is_utc(timestamp):
        return Error("invalid_timestamp", detail="not_utc")
    wrong = {
        name: expected for name, check, expected in checks if not check(getattr(message, name))
    }
    if wrong:
        return Error("invalid_types", fields=wrong)
    return Ok(message)


def _for(cls: type[Any]) -> Validator:
    def validate_one(message: Any) -> Ok | Error:
        if type(message) is not cls:
            return Error("wrong_message_type", expected=cls.__name__, actual=type(message).__name__)
        return validate(message)

    spec = spec_for(cls)
    assert spec is not None
    validate_one.__name__ = validate_one.__qualname__ = f"validate_{spec.kind}"
    validate_one.__doc__ = (
        f"Check a :class:`{cls.__name__}` (required: {', '.join(spec.required)}).\n\n"
        f"Another type gives ``Error('wrong_message_type', ...)``; otherwise as :func:`validate`."
    )
    return validate_one


validate_node_health: Final = _for(NodeHealth)
validate_cluster_health: Final = _for(ClusterHealth)
validate_component_health: Final = _for(ComponentHealth)
validate_health_check: Final = _for(HealthCheck)
validate_system_config: Final = _for(SystemConfig)
validate_system_lifecycle: Final = _for(SystemLifecycle)
validate_feature_toggle: Final = _for(FeatureToggle)
validate_performance_metric: Final = _for(PerformanceMetric)
validate_throughput_metric: Final = _for(ThroughputMetric)
validate_latency_metric: Final = _for(LatencyMetric)
validate_resource_usage: Final = _for(ResourceUsage)
validate_metric_alert: Final = _for(MetricAlert)
validate_system_alert: Final = _for(SystemAlert)
validate_alert_ack: Final = _for(AlertAck)
validate_alert_escalation: Final = _for(AlertEscalation)
validate_notification_status: Final = _for(NotificationStatus)
validate_data_change: Final = _for(DataChange)
validate_admin_action: Final = _for(AdminAction)
validate_access_log: Final = _for(AccessLog)
validate_compliance_event: Final = _for(ComplianceEvent)
validate_debug_trace: Final = _for(DebugTrace)
validate_performance_analysis: Final = _for(PerformanceAnalysis)
validate_system_state: Final = _for(SystemState)
validate_error_analysis: Final = _for(ErrorAnalysis)
validate_node_lifecycle: Final = _for(NodeLifecycle)
validate_process_lifecycle: Final = _for(ProcessLifecycle)
validate_supervision_event: Final = _for(SupervisionEvent)
validate_cluster_membership: Final = _for(ClusterMembership)
validate_log_entry: Final = _for(LogEntry)
validate_log_summary: Final = _for(LogSummary)
validate_log_filter: Final = _for(LogFilter)
validate_log_rotation: Final = _for(LogRotation)
validate_auth_event: Final = _for(AuthEvent)
validate_access_violation: Final = _for(AccessViolation)
validate_security_alert: Final = _for(SecurityAlert)
validate_session_event: Final = _for(SessionEvent)
