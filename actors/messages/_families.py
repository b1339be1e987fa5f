"""The nine message families and the lookups across them.

Each family is the set of messages one pub/sub instance carries, as in the
original's ``instance_to_module_map``. ``ex_esdb_events`` carries domain
events of any shape and has no family.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, TypeAlias

import attrs

from actors import Error, Ok
from actors.messages import (
    _alerts,
    _audit,
    _diagnostics,
    _health,
    _instances,
    _lifecycle,
    _logging,
    _metrics,
    _security,
    _system,
)
from actors.messages._base import all_specs, spec_for, spec_for_kind, spec_for_tag
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
    _health.NodeHealth
    | _health.ClusterHealth
    | _health.ComponentHealth
    | _health.HealthCheck
    | _system.SystemConfig
    | _system.SystemLifecycle
    | _system.FeatureToggle
    | _metrics.PerformanceMetric
    | _metrics.ThroughputMetric
    | _metrics.LatencyMetric
    | _metrics.ResourceUsage
    | _metrics.MetricAlert
    | _alerts.SystemAlert
    | _alerts.AlertAck
    | _alerts.AlertEscalation
    | _alerts.NotificationStatus
    | _audit.DataChange
    | _audit.AdminAction
    | _audit.AccessLog
    | _audit.ComplianceEvent
    | _diagnostics.DebugTrace
    | _diagnostics.PerformanceAnalysis
    | _diagnostics.SystemState
    | _diagnostics.ErrorAnalysis
    | _lifecycle.NodeLifecycle
    | _lifecycle.ProcessLifecycle
    | _lifecycle.SupervisionEvent
    | _lifecycle.ClusterMembership
    | _logging.LogEntry
    | _logging.LogSummary
    | _logging.LogFilter
    | _logging.LogRotation
    | _security.AuthEvent
    | _security.AccessViolation
    | _security.SecurityAlert
    | _security.SessionEvent
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


_TOPICS: Final = {
    _instances.SYSTEM: ("config", "lifecycle", "features"),
    _instances.LOGGING: ("application_logs", "system_logs", "error_logs", "audit_logs"),
    _instances.HEALTH: ("cluster:health", "component_health"),
    _instances.METRICS: ("performance", "throughput", "latency", "resource_usage"),
    _instances.SECURITY: ("auth_events", "access_violations", "security_alerts", "session_events"),
    _instances.AUDIT: ("data_changes", "admin_actions", "access_logs", "compliance"),
    _instances.ALERTS: ("critical", "warnings", "notifications", "escalations"),
    _instances.DIAGNOSTICS: (
        "debug_traces",
        "performance_analysis",
        "system_state",
        "error_analysis",
    ),
    _instances.LIFECYCLE: (
        "node_lifecycle",
        "process_lifecycle",
        "supervision",
        "cluster_membership",
    ),
}
"""The topics the original documents for each instance that has a family."""


def _family(instance: str, topics: tuple[str, ...]) -> Family:
    """The family of ``instance``: its registered classes, in registration order."""
    specs = [spec for spec in all_specs() if spec.instance == instance]
    return Family(
        name=instance.removeprefix("ex_esdb_"),
        instance=instance,
        structs=tuple(spec.cls for spec in specs),
        tags=MappingProxyType({spec.cls: spec.tag for spec in specs}),
        topics=topics,
    )


# In the instances' start order, as in the original's instance_to_module_map.
_ALL: Final = tuple(
    _family(instance, _TOPICS[instance])
    for instance in _instances.ALL_INSTANCES
    if instance in _TOPICS
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
