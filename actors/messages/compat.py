"""The original's names, for code written against ExESDB Gater's modules.

* One factory per struct, named and called as in the original
  (``node_health(node, status, checks)``, ``system_alert(severity,
  category, title, description, source)``...): each is
  :func:`actors.messages.new` for its class.
* One validator per struct (``validate_node_health``...): it refuses a
  message of another class with ``Error("wrong_message_type", ...)``, and
  is otherwise :func:`actors.messages.validate`.
* :func:`sign_legacy`: the original's envelope ``("secure_message",
  signature, (tag, payload))``, whose signature covers only the tag and the
  payload (no instance, topic, expiry or nonce);
  :func:`actors.messages.validate_secure_message` still accepts it.
* ``HealthMessages``' topic helpers :func:`store_health_topic` and
  :func:`cluster_health_topic`.

::

    from actors.messages.compat import node_health, validate_node_health

    health = node_health("a@host", "healthy", system=system)
    validate_node_health(health)      # Ok(health)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeAlias

from actors import Error, Ok
from actors.messages import (
    _alerts,
    _audit,
    _diagnostics,
    _families,
    _health,
    _lifecycle,
    _logging,
    _metrics,
    _security,
    _system,
    topics,
)
from actors.messages._base import spec_for
from actors.messages._constructor import Factory
from actors.messages._legacy import sign_legacy
from actors.messages._validation import validate

Validator: TypeAlias = Callable[[Any], Ok | Error]
"""A per-struct validator."""


def _validator(cls: type[Any]) -> Validator:
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


def store_health_topic(store_id: str) -> str:
    """``"<store_id>:health"``, the topic of one store's health.

    Raises:
        TypeError: if ``store_id`` is not a string.
        ValueError: if it is empty or contains ``":"``.
    """
    return topics.store_health(store_id)


def cluster_health_topic() -> str:
    """``"cluster:health"``."""
    return topics.cluster_health()


node_health: Final = Factory(_health.NodeHealth)
cluster_health: Final = Factory(_health.ClusterHealth)
component_health: Final = Factory(_health.ComponentHealth)
health_check: Final = Factory(_health.HealthCheck)
system_config: Final = Factory(_system.SystemConfig)
system_lifecycle: Final = Factory(_system.SystemLifecycle)
feature_toggle: Final = Factory(_system.FeatureToggle)
performance_metric: Final = Factory(_metrics.PerformanceMetric)
throughput_metric: Final = Factory(_metrics.ThroughputMetric)
latency_metric: Final = Factory(_metrics.LatencyMetric)
resource_usage: Final = Factory(_metrics.ResourceUsage)
metric_alert: Final = Factory(_metrics.MetricAlert)
system_alert: Final = Factory(_alerts.SystemAlert)
alert_ack: Final = Factory(_alerts.AlertAck)
alert_escalation: Final = Factory(_alerts.AlertEscalation)
notification_status: Final = Factory(_alerts.NotificationStatus)
data_change: Final = Factory(_audit.DataChange)
admin_action: Final = Factory(_audit.AdminAction)
access_log: Final = Factory(_audit.AccessLog)
compliance_event: Final = Factory(_audit.ComplianceEvent)
debug_trace: Final = Factory(_diagnostics.DebugTrace)
performance_analysis: Final = Factory(_diagnostics.PerformanceAnalysis)
system_state: Final = Factory(_diagnostics.SystemState)
error_analysis: Final = Factory(_diagnostics.ErrorAnalysis)
node_lifecycle: Final = Factory(_lifecycle.NodeLifecycle)
process_lifecycle: Final = Factory(_lifecycle.ProcessLifecycle)
supervision_event: Final = Factory(_lifecycle.SupervisionEvent)
cluster_membership: Final = Factory(_lifecycle.ClusterMembership)
log_entry: Final = Factory(_logging.LogEntry)
log_summary: Final = Factory(_logging.LogSummary)
log_filter: Final = Factory(_logging.LogFilter)
log_rotation: Final = Factory(_logging.LogRotation)
auth_event: Final = Factory(_security.AuthEvent)
access_violation: Final = Factory(_security.AccessViolation)
security_alert: Final = Factory(_security.SecurityAlert)
session_event: Final = Factory(_security.SessionEvent)

validate_node_health: Final = _validator(_health.NodeHealth)
validate_cluster_health: Final = _validator(_health.ClusterHealth)
validate_component_health: Final = _validator(_health.ComponentHealth)
validate_health_check: Final = _validator(_health.HealthCheck)
validate_system_config: Final = _validator(_system.SystemConfig)
validate_system_lifecycle: Final = _validator(_system.SystemLifecycle)
validate_feature_toggle: Final = _validator(_system.FeatureToggle)
validate_performance_metric: Final = _validator(_metrics.PerformanceMetric)
validate_throughput_metric: Final = _validator(_metrics.ThroughputMetric)
validate_latency_metric: Final = _validator(_metrics.LatencyMetric)
validate_resource_usage: Final = _validator(_metrics.ResourceUsage)
validate_metric_alert: Final = _validator(_metrics.MetricAlert)
validate_system_alert: Final = _validator(_alerts.SystemAlert)
validate_alert_ack: Final = _validator(_alerts.AlertAck)
validate_alert_escalation: Final = _validator(_alerts.AlertEscalation)
validate_notification_status: Final = _validator(_alerts.NotificationStatus)
validate_data_change: Final = _validator(_audit.DataChange)
validate_admin_action: Final = _validator(_audit.AdminAction)
validate_access_log: Final = _validator(_audit.AccessLog)
validate_compliance_event: Final = _validator(_audit.ComplianceEvent)
validate_debug_trace: Final = _validator(_diagnostics.DebugTrace)
validate_performance_analysis: Final = _validator(_diagnostics.PerformanceAnalysis)
validate_system_state: Final = _validator(_diagnostics.SystemState)
validate_error_analysis: Final = _validator(_diagnostics.ErrorAnalysis)
validate_node_lifecycle: Final = _validator(_lifecycle.NodeLifecycle)
validate_process_lifecycle: Final = _validator(_lifecycle.ProcessLifecycle)
validate_supervision_event: Final = _validator(_lifecycle.SupervisionEvent)
validate_cluster_membership: Final = _validator(_lifecycle.ClusterMembership)
validate_log_entry: Final = _validator(_logging.LogEntry)
validate_log_summary: Final = _validator(_logging.LogSummary)
validate_log_filter: Final = _validator(_logging.LogFilter)
validate_log_rotation: Final = _validator(_logging.LogRotation)
validate_auth_event: Final = _validator(_security.AuthEvent)
validate_access_violation: Final = _validator(_security.AccessViolation)
validate_security_alert: Final = _validator(_security.SecurityAlert)
validate_session_event: Final = _validator(_security.SessionEvent)

assert len(_families.MESSAGE_TYPES) == 36  # one factory and one validator for each

__all__ = [
    "Validator",
    "access_log",
    "access_violation",
    "admin_action",
    "alert_ack",
    "alert_escalation",
    "auth_event",
    "cluster_health",
    "cluster_health_topic",
    "cluster_membership",
    "compliance_event",
    "component_health",
    "data_change",
    "debug_trace",
    "error_analysis",
    "feature_toggle",
    "health_check",
    "latency_metric",
    "log_entry",
    "log_filter",
    "log_rotation",
    "log_summary",
    "metric_alert",
    "node_health",
    "node_lifecycle",
    "notification_status",
    "performance_analysis",
    "performance_metric",
    "process_lifecycle",
    "resource_usage",
    "security_alert",
    "session_event",
    "sign_legacy",
    "store_health_topic",
    "supervision_event",
    "system_alert",
    "system_config",
    "system_lifecycle",
    "system_state",
    "throughput_metric",
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
