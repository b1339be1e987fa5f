"""Security messages (``ex_esdb_security``, reference §2.10).

Authentication events, access violations, security alerts and session
events. Authentication event types are ``"login_success"``,
``"login_failure"``, ``"logout"``, ``"token_refresh"``; methods
``"password"``, ``"token"``, ``"certificate"``, ``"oauth"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from actors.messages import _instances
from actors.messages._base import (
    as_optional_float,
    catalogue,
    copy_map,
    resolve_system,
    stamp,
)

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = [
    "AccessViolation",
    "AuthEvent",
    "SecurityAlert",
    "SessionEvent",
    "access_violation",
    "auth_event",
    "security_alert",
    "session_event",
]


@catalogue(required=("user_id", "event_type", "auth_method", "node"))
@attrs.frozen(kw_only=True)
class AuthEvent:
    """A login, logout or token refresh.

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

    KIND: ClassVar[str] = "auth_event"
    TAG: ClassVar[str] = "auth_event"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.SECURITY

    user_id: str
    event_type: str
    auth_method: str
    source_ip: str | None = None
    user_agent: str | None = None
    node: str
    metadata: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


@catalogue(required=("violation_type", "resource", "action", "severity"))
@attrs.frozen(kw_only=True)
class AccessViolation:
    """Someone tried something they may not (no node field, as in the original).

    Attributes:
        user_id: who, if known.
        violation_type: ``"unauthorized_access"``, ``"permission_denied"``,
            ``"rate_limit_exceeded"`` or ``"invalid_token"``.
        resource: on what.
        action: what they tried.
        source_ip: from where, if known.
        severity: ``"medium"`` by default.
        metadata: context (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "access_violation"
    TAG: ClassVar[str] = "access_violation"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.SECURITY

    user_id: str | None = None
    violation_type: str
    resource: str
    action: str
    source_ip: str | None = None
    severity: str = "medium"
    metadata: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


@catalogue(required=("alert_type", "severity", "description", "node"))
@attrs.frozen(kw_only=True)
class SecurityAlert:
    """A suspected attack or breach.

    Attributes:
        alert_type: ``"brute_force"``, ``"suspicious_activity"``,
            ``"policy_violation"`` or ``"data_breach"``.
        severity: how bad.
        description: what happened.
        affected_users: who is affected.
        source_ip: from where, if known.
        node: on which node.
        metadata: context (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "security_alert"
    TAG: ClassVar[str] = "security_alert"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.SECURITY

    alert_type: str
    severity: str
    description: str
    affected_users: tuple[str, ...] = ()
    source_ip: str | None = None
    node: str
    metadata: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


@catalogue(required=("session_id", "user_id", "event_type", "node"))
@attrs.frozen(kw_only=True)
class SessionEvent:
    """A session was created or ended.

    Attributes:
        session_id: the session.
        user_id: whose.
        event_type: ``"created"``, ``"destroyed"``, ``"expired"`` or ``"invalidated"``.
        duration_ms: how long it lasted, for ends.
        source_ip: from where, if known.
        node: on which node.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "session_event"
    TAG: ClassVar[str] = "session_event"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.SECURITY

    session_id: str
    user_id: str
    event_type: str
    duration_ms: float | None = attrs.field(default=None, converter=as_optional_float)
    source_ip: str | None = None
    node: str
    timestamp: datetime


def auth_event(
    user_id: str,
    event_type: str,
    auth_method: str,
    *,
    source_ip: str | None = None,
    user_agent: str | None = None,
    node: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> AuthEvent:
    """An :class:`AuthEvent` stamped now (``metadata`` ``{}``)."""
    system = resolve_system(system)
    return AuthEvent(
        user_id=user_id,
        event_type=event_type,
        auth_method=auth_method,
        source_ip=source_ip,
        user_agent=user_agent,
        node=system.node if node is None else node,
        metadata=copy_map(metadata),
        timestamp=stamp(system, timestamp),
    )


def access_violation(
    violation_type: str,
    resource: str,
    action: str,
    *,
    user_id: str | None = None,
    source_ip: str | None = None,
    severity: str = "medium",
    metadata: Mapping[str, Any] | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> AccessViolation:
    """An :class:`AccessViolation` stamped now, severity ``"medium"`` unless given."""
    system = resolve_system(system)
    return AccessViolation(
        user_id=user_id,
        violation_type=violation_type,
        resource=resource,
        action=action,
        source_ip=source_ip,
        severity=severity,
        metadata=copy_map(metadata),
        timestamp=stamp(system, timestamp),
    )


def security_alert(
    alert_type: str,
    severity: str,
    description: str,
    *,
    affected_users: Sequence[str] = (),
    source_ip: str | None = None,
    node: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> SecurityAlert:
    """A :class:`SecurityAlert` stamped now (no affected users unless given)."""
    system = resolve_system(system)
    return SecurityAlert(
        alert_type=alert_type,
        severity=severity,
        description=description,
        affected_users=tuple(affected_users),
        source_ip=source_ip,
        node=system.node if node is None else node,
        metadata=copy_map(metadata),
        timestamp=stamp(system, timestamp),
    )


def session_event(
    session_id: str,
    user_id: str,
    event_type: str,
    *,
    duration_ms: float | None = None,
    source_ip: str | None = None,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> SessionEvent:
    """A :class:`SessionEvent` stamped now."""
    system = resolve_system(system)
    return SessionEvent(
        session_id=session_id,
        user_id=user_id,
        event_type=event_type,
        duration_ms=duration_ms,
        source_ip=source_ip,
        node=system.node if node is None else node,
        timestamp=stamp(system, timestamp),
    )
