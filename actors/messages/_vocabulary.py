"""The closed vocabularies of the catalogue: the values factories accept.

A factory (:func:`~actors.messages.new`) refuses any other value for these
fields with a ``ValueError`` naming the field and the values allowed; the
codec and the validator accept any string, so a message from a newer
sender that knows more values still reads.
"""

from __future__ import annotations

from typing import Final

# Health
HEALTH_STATUSES: Final = ("healthy", "degraded", "unhealthy", "unknown")
CHECK_RESULTS: Final = ("pass", "fail", "timeout")
QUORUM_STATUSES: Final = ("available", "lost")
# System
SYSTEM_EVENTS: Final = ("starting", "started", "stopping", "stopped")
# Metrics
PERCENTILES: Final = ("p50", "p95", "p99", "max", "min", "avg")
RESOURCE_TYPES: Final = ("cpu", "memory", "disk", "network")
THRESHOLD_TYPES: Final = ("min", "max")
METRIC_SEVERITIES: Final = ("warning", "critical")
# Alerts
ALERT_SEVERITIES: Final = ("info", "warning", "error", "critical")
ACK_SEVERITIES: Final = frozenset({"error", "critical"})
"""Severities whose alerts need an acknowledgement unless told otherwise."""
ALERT_CATEGORIES: Final = ("system", "performance", "security", "data", "network")
ESCALATION_LEVELS: Final = ("level1", "level2", "level3")
DELIVERY_METHODS: Final = ("email", "sms", "webhook", "push")
DELIVERY_STATUSES: Final = ("sent", "delivered", "failed", "bounced")
# Audit
DATA_ACTIONS: Final = ("create", "update", "delete", "read")
COMPLIANCE_EVENTS: Final = ("data_retention", "data_export", "data_deletion", "policy_violation")
# Diagnostics
ANALYSIS_TYPES: Final = ("bottleneck", "memory_leak", "cpu_hotspot", "io_analysis")
SEVERITIES: Final = ("low", "medium", "high", "critical")
"""Of performance analyses, access violations and security alerts."""
SNAPSHOT_TYPES: Final = ("full", "partial", "process_tree", "memory_dump")
# Lifecycle
NODE_EVENTS: Final = ("joining", "joined", "leaving", "left", "down", "reconnected")
SUPERVISION_EVENTS: Final = ("child_started", "child_terminated", "restart_limit_exceeded")
MEMBERSHIP_EVENTS: Final = ("node_added", "node_removed", "partition_detected", "partition_healed")
# Logging
LOG_LEVELS: Final = ("debug", "info", "warn", "error", "critical")
FILTER_TYPES: Final = ("level", "module", "pattern", "node")
FILTER_ACTIONS: Final = ("include", "exclude", "rate_limit")
# Security
AUTH_EVENTS: Final = ("login_success", "login_failure", "logout", "token_refresh")
AUTH_METHODS: Final = ("password", "token", "certificate", "oauth")
VIOLATIONS: Final = (
    "unauthorized_access",
    "permission_denied",
    "rate_limit_exceeded",
    "invalid_token",
)
SECURITY_ALERTS: Final = ("brute_force", "suspicious_activity", "policy_violation", "data_breach")
SESSION_EVENTS: Final = ("created", "destroyed", "expired", "invalidated")
