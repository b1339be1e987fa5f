"""The nine message families and the lookups across them (reference §1.5).

Each family is the set of messages one pub/sub instance carries, as in the
original's ``instance_to_module_map``. ``ex_esdb_events`` carries domain
events of any shape and has no family.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, TypeAlias

import attrs

from actors._result import Error, Ok
from actors.messages import _instances
from actors.messages._alerts import AlertAck, AlertEscalation, NotificationStatus, SystemAlert
from actors.messages._audit import AccessLog, AdminAction, ComplianceEvent, DataChange
from actors.messages._base import spec_for, spec_for_kind, spec_for_tag
from actors.messages._diagnostics import (
    DebugTrace,
    ErrorAnalysis,
    PerformanceAnalysis,
    SystemState,
)
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
from actors.messages._validation import validate

__all__ = [
    "FAMILIES",
    "MESSAGE_TYPES",
    "Family",
    "Message",
    "family_for_instance",
    "family_of",
    "struct_for_kind",
    "struct_for_tag",
]

Message: TypeAlias = (
    NodeHealth
    | ClusterHealth
    | ComponentHealth
    | HealthCheck
    | SystemConfig
    | SystemLifecycle
    | FeatureToggle
    | PerformanceMetric
    | ThroughputMetric
    | LatencyMetric
    | ResourceUsage
    | MetricAlert
    | SystemAlert
    | AlertAck
    | AlertEscalation
    | NotificationStatus
    | DataChange
    | AdminAction
    | AccessLog
    | ComplianceEvent
    | DebugTrace
    | PerformanceAnalysis
    | SystemState
    | ErrorAnalysis
    | NodeLifecycle
    | ProcessLifecycle
    | SupervisionEvent
    | ClusterMembership
    | LogEntry
    | LogSummary
    | LogFilter
    | LogRotation
    | AuthEvent
    | AccessViolation
    | SecurityAlert
    | SessionEvent
)
"""Any of the 36 catalogue messages (for type hints)."""


@attrs.frozen
class Family:
    """The messages of one pub/sub instance.

    Attributes:
        name: the family's short name (``"health"``).
        instance: the pub/sub instance (``"ex_esdb_health"``).
        structs: its message classes.
        tags: the broadcast tag of each class.
        topics: the topics the original documents for the instance.
    """

    name: str
    instance: str
    structs: tuple[type[Any], ...]
    tags: Mapping[type[Any], str]
    topics: tuple[str, ...]

    def tag_for(self, cls: type[Any]) -> str:
        """The broadcast tag of ``cls``.

        Raises:
            KeyError: if ``cls`` is not in this family.
        """
        return self.tags[cls]

    def validate(self, message: Any) -> Ok | Error:
        """:func:`~actors.messages.validate` for a message of this family.

        A catalogue message of another family gives
        ``Error("wrong_instance", instance=..., expected=...)``.
        """
        spec = spec_for(message)
        if spec is not None and type(message) not in self.tags:
            return Error("wrong_instance", instance=spec.instance, expected=self.instance)
        return validate(message)


def _family(
    name: str, instance: str, structs: tuple[type[Any], ...], topics: tuple[str, ...]
) -> Family:
    tags: dict[type[Any], str] = {}
    for cls in structs:
        spec = spec_for(cls)
        if spec is None or spec.instance != instance:
            msg = f"{cls.__name__} is not a message of {instance}"
            raise ValueError(msg)
        tags[cls] = spec.tag
    return Family(name, instance, structs, MappingProxyType(tags), topics)


_ALL: Final = (
    _family(
        "system",
        _instances.SYSTEM,
        (SystemConfig, SystemLifecycle, FeatureToggle),
        ("config", "lifecycle", "features"),
    ),
    _family(
        "logging",
        _instances.LOGGING,
        (LogEntry, LogSummary, LogFilter, LogRotation),
        ("application_logs", "system_logs", "error_logs", "audit_logs"),
    ),
    _family(
        "health",
        _instances.HEALTH,
        (NodeHealth, ClusterHealth, ComponentHealth, HealthCheck),
        ("cluster:health", "component_health"),
    ),
    _family(
        "metrics",
        _instances.METRICS,
        (PerformanceMetric, ThroughputMetric, LatencyMetric, ResourceUsage, MetricAlert),
        ("performance", "throughput", "latency", "resource_usage"),
    ),
    _family(
        "security",
        _instances.SECURITY,
        (AuthEvent, AccessViolation, SecurityAlert, SessionEvent),
        ("auth_events", "access_violations", "security_alerts", "session_events"),
    ),
    _family(
        "audit",
        _instances.AUDIT,
        (DataChange, AdminAction, AccessLog, ComplianceEvent),
        ("data_changes", "admin_actions", "access_logs", "compliance"),
    ),
    _family(
        "alerts",
        _instances.ALERTS,
        (SystemAlert, AlertAck, AlertEscalation, NotificationStatus),
        ("critical", "warnings", "notifications", "escalations"),
    ),
    _family(
        "diagnostics",
        _instances.DIAGNOSTICS,
        (DebugTrace, PerformanceAnalysis, SystemState, ErrorAnalysis),
        ("debug_traces", "performance_analysis", "system_state", "error_analysis"),
    ),
    _family(
        "lifecycle",
        _instances.LIFECYCLE,
        (NodeLifecycle, ProcessLifecycle, SupervisionEvent, ClusterMembership),
        ("node_lifecycle", "process_lifecycle", "supervision", "cluster_membership"),
    ),
)

FAMILIES: Final[Mapping[str, Family]] = MappingProxyType({f.instance: f for f in _ALL})
"""Instance name -> :class:`Family`, for the nine instances that have one."""

MESSAGE_TYPES: Final = tuple(cls for family in _ALL for cls in family.structs)
"""The 36 message classes, family by family."""


def family_for_instance(instance: Any) -> Family | None:
    """The family of pub/sub instance ``instance``, or ``None`` (e.g. for
    ``"ex_esdb_events"``)."""
    return FAMILIES.get(instance) if isinstance(instance, str) else None


def family_of(message: Any) -> Family | None:
    """The family of a message class or instance, or ``None``."""
    spec = spec_for(message)
    return None if spec is None else FAMILIES.get(spec.instance)


def struct_for_tag(tag: Any) -> type[Any] | None:
    """The class broadcast under ``tag`` (``"node_health_updated"`` ->
    :class:`NodeHealth`), or ``None``."""
    spec = spec_for_tag(tag)
    return None if spec is None else spec.cls


def struct_for_kind(kind: Any) -> type[Any] | None:
    """The class whose wire kind is ``kind`` (``"node_health"``), or ``None``."""
    spec = spec_for_kind(kind)
    return None if spec is None else spec.cls
