"""Security messages (``ex_esdb_security``): authentication, violations, alerts, sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from actors.messages import _instances
from actors.messages._base import Catalogued, message, one_of
from actors.messages._vocabulary import (
    AUTH_EVENTS,
    AUTH_METHODS,
    SECURITY_ALERTS,
    SESSION_EVENTS,
    SEVERITIES,
    VIOLATIONS,
)

__all__ = [
    "AccessViolation",
    "AuthEvent",
    "SecurityAlert",
    "SessionEvent",
]


@message(
    "auth_event",
    _instances.SECURITY,
    tag="auth_event",
    args="user_id event_type auth_method",
    required="user_id event_type auth_method node",
)
class AuthEvent(Catalogued):
    """Someone logged in (or failed to), logged out or refreshed a token, and how
    they authenticated.

    Attributes:
        user_id: who.
        event_type: ``"login_success"``, ``"login_failure"``, ``"logout"`` or
            ``"token_refresh"``.
        auth_method: ``"password"``, ``"token"``, ``"certificate"`` or ``"oauth"``.
        source_ip: from where, if known.
        user_agent: with what client, if known.
        node: on which node.
        metadata: context (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    user_id: str
    event_type: str = attrs.field(metadata=one_of(*AUTH_EVENTS))
    auth_method: str = attrs.field(metadata=one_of(*AUTH_METHODS))
    source_ip: str | None = None
    user_agent: str | None = None
    node: str
    metadata: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


@message(
    "access_violation",
    _instances.SECURITY,
    tag="access_violation",
    args="violation_type resource action",
    required="violation_type resource action severity",
)
class AccessViolation(Catalogued):
    """Someone (or something) tried what they may not; secure pub/sub instances
    report every envelope they refuse as one. No node field, as in the original.

    Attributes:
        user_id: who, if known.
        violation_type: ``"unauthorized_access"``, ``"permission_denied"``,
            ``"rate_limit_exceeded"`` or ``"invalid_token"``.
        resource: on what.
        action: what they tried.
        source_ip: from where, if known.
        severity: ``"low"``, ``"medium"`` (default), ``"high"`` or ``"critical"``.
        metadata: context (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    user_id: str | None = None
    violation_type: str = attrs.field(metadata=one_of(*VIOLATIONS))
    resource: str
    action: str
    source_ip: str | None = None
    severity: str = attrs.field(default="medium", metadata=one_of(*SEVERITIES))
    metadata: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


@message(
    "security_alert",
    _instances.SECURITY,
    tag="security_alert",
    args="alert_type severity description",
    required="alert_type severity description node",
)
class SecurityAlert(Catalogued):
    """A suspected attack or breach, who it affects and where it came from.

    Attributes:
        alert_type: ``"brute_force"``, ``"suspicious_activity"``,
            ``"policy_violation"`` or ``"data_breach"``.
        severity: ``"low"``, ``"medium"``, ``"high"`` or ``"critical"``.
        description: what happened.
        affected_users: who is affected.
        source_ip: from where, if known.
        node: on which node.
        metadata: context (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    alert_type: str = attrs.field(metadata=one_of(*SECURITY_ALERTS))
    severity: str = attrs.field(metadata=one_of(*SEVERITIES))
    description: str
    affected_users: tuple[str, ...] = ()
    source_ip: str | None = None
    node: str
    metadata: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


@message(
    "session_event",
    _instances.SECURITY,
    tag="session_event",
    args="session_id user_id event_type",
    required="session_id user_id event_type node",
)
class SessionEvent(Catalogued):
    """A session began, or ended one way or another, and how long it lasted.

    Attributes:
        session_id: which session (its id).
        user_id: whose.
        event_type: ``"created"``, ``"destroyed"``, ``"expired"`` or ``"invalidated"``.
        duration_ms: how long it lasted, for ends.
        source_ip: from where, if known.
        node: on which node.
        timestamp: when (UTC, milliseconds).
    """

    session_id: str
    user_id: str
    event_type: str = attrs.field(metadata=one_of(*SESSION_EVENTS))
    duration_ms: float | None = None
    source_ip: str | None = None
    node: str
    timestamp: datetime
