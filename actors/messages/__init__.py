"""The message catalogue: typed ExESDB messages, one codec, validators, signing.

Thirty-six frozen attrs classes in nine families, one per pub/sub instance
(``ex_esdb_health``, ``ex_esdb_alerts``...). :func:`new` makes any of them
from the original factory's positional arguments, stamped with the actor
system's clock and node, and checked::

    from actors import messages

    health = messages.new(messages.NodeHealth, "a@host", "healthy", system=system)
    message = (messages.NodeHealth.TAG, health)    # ("node_health_updated", ...)

    messages.validate(health)                      # Ok(health) or Error(reason, ...)
    data = messages.to_dict(health)                # {"kind": "node_health", "schema": 1, ...}
    assert messages.from_dict(data) == health

    secure = messages.sign(message, instance=messages.HEALTH, topic="cluster:health",
                           system=system)
    messages.validate_secure_message(messages.to_wire(secure), system=system)
    # ("ok", ("node_health_updated", NodeHealth(...)))

Messages are data: a cattrs converter turns them into JSON-safe dicts and
back, with a ``kind`` tag per class and a ``schema`` version; older
payloads are upgraded on the way in. Signed envelopes use HMAC-SHA256 over
canonical bytes that bind the instance, topic, tag, timestamp and a nonce.
The original's names (``node_health(...)``, ``validate_node_health``, the
legacy envelope) live in :mod:`actors.messages.compat`.
"""

from __future__ import annotations

from actors.messages import (
    _upgrades,  # noqa: F401  (registers the schema upgrades)
    compat,
    topics,
)
from actors.messages._alerts import AlertAck, AlertEscalation, NotificationStatus, SystemAlert
from actors.messages._audit import AccessLog, AdminAction, ComplianceEvent, DataChange
from actors.messages._base import MessageSpec, spec_for
from actors.messages._codec import (
    Upgrade,
    canonical_bytes,
    from_dict,
    from_json,
    register_upgrade,
    to_dict,
    to_json,
)
from actors.messages._constructor import new
from actors.messages._diagnostics import DebugTrace, ErrorAnalysis, PerformanceAnalysis, SystemState
from actors.messages._errors import MessageFormatError
from actors.messages._families import (
    FAMILIES,
    MESSAGE_TYPES,
    Family,
    Message,
    family_for_instance,
    family_of,
    struct_for_kind,
    struct_for_tag,
)
from actors.messages._health import ClusterHealth, ComponentHealth, HealthCheck, NodeHealth
from actors.messages._instances import (
    ALERTS,
    ALL_INSTANCES,
    AUDIT,
    DIAGNOSTICS,
    EVENTS,
    HEALTH,
    LIFECYCLE,
    LOGGING,
    METRICS,
    SECURITY,
    SYSTEM,
)
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
from actors.messages._nonces import NonceCache
from actors.messages._secret import Secret
from actors.messages._security import AccessViolation, AuthEvent, SecurityAlert, SessionEvent
from actors.messages._signing import (
    MAX_SKEW,
    NoSecretError,
    SecureMessage,
    Verdict,
    seal,
    sign,
    signed_bytes,
    to_wire,
    validate_secure_message,
    verifier,
)
from actors.messages._system import FeatureToggle, SystemConfig, SystemLifecycle
from actors.messages._validation import field_types, validate

__all__ = [
    "ALERTS",
    "ALL_INSTANCES",
    "AUDIT",
    "DIAGNOSTICS",
    "EVENTS",
    "FAMILIES",
    "HEALTH",
    "LIFECYCLE",
    "LOGGING",
    "MAX_SKEW",
    "MESSAGE_TYPES",
    "METRICS",
    "SECURITY",
    "SYSTEM",
    "AccessLog",
    "AccessViolation",
    "AdminAction",
    "AlertAck",
    "AlertEscalation",
    "AuthEvent",
    "ClusterHealth",
    "ClusterMembership",
    "ComplianceEvent",
    "ComponentHealth",
    "DataChange",
    "DebugTrace",
    "ErrorAnalysis",
    "Family",
    "FeatureToggle",
    "HealthCheck",
    "LatencyMetric",
    "LogEntry",
    "LogFilter",
    "LogRotation",
    "LogSummary",
    "Message",
    "MessageFormatError",
    "MessageSpec",
    "MetricAlert",
    "NoSecretError",
    "NodeHealth",
    "NodeLifecycle",
    "NonceCache",
    "NotificationStatus",
    "PerformanceAnalysis",
    "PerformanceMetric",
    "ProcessLifecycle",
    "ResourceUsage",
    "Secret",
    "SecureMessage",
    "SecurityAlert",
    "SessionEvent",
    "SupervisionEvent",
    "SystemAlert",
    "SystemConfig",
    "SystemLifecycle",
    "SystemState",
    "ThroughputMetric",
    "Upgrade",
    "Verdict",
    "canonical_bytes",
    "compat",
    "family_for_instance",
    "family_of",
    "field_types",
    "from_dict",
    "from_json",
    "new",
    "register_upgrade",
    "seal",
    "sign",
    "signed_bytes",
    "spec_for",
    "struct_for_kind",
    "struct_for_tag",
    "to_dict",
    "to_json",
    "to_wire",
    "topics",
    "validate",
    "validate_secure_message",
    "verifier",
]
