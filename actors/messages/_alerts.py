"""Alert messages (``ex_esdb_alerts``, reference §2.5).

Alerts, their acknowledgement and escalation, and the delivery status of
notifications. Severities are ``"info"``, ``"warning"``, ``"error"``,
``"critical"``; categories ``"system"``, ``"performance"``, ``"security"``,
``"data"``, ``"network"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from actors.messages import _instances
from actors.messages._base import catalogue, copy_map, new_id, resolve_system, stamp

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = [
    "ACK_SEVERITIES",
    "AlertAck",
    "AlertEscalation",
    "NotificationStatus",
    "SystemAlert",
    "alert_ack",
    "alert_escalation",
    "notification_status",
    "system_alert",
]

ACK_SEVERITIES: Final = frozenset({"error", "critical"})
"""Severities whose alerts need an acknowledgement unless told otherwise."""


@catalogue(required=("alert_id", "severity", "category", "title", "description", "source", "node"))
@attrs.frozen(kw_only=True)
class SystemAlert:
    """An alert raised by some part of the system.

    Schema 2 (the gater's shape). Schema 1 was the quick reference's
    ``alert_type``/``message``/``context`` shape; the codec upgrades it (see
    :mod:`actors.messages._upgrades`).

    Attributes:
        alert_id: 16 hex chars.
        severity: ``"info"``, ``"warning"``, ``"error"`` or ``"critical"``.
        category: ``"system"``, ``"performance"``, ``"security"``, ``"data"``
            or ``"network"``.
        title: a short title.
        description: what happened.
        source: who raised it.
        node: where.
        metadata: context (JSON values).
        requires_ack: whether someone must acknowledge it.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "system_alert"
    TAG: ClassVar[str] = "system_alert"
    SCHEMA: ClassVar[int] = 2
    INSTANCE: ClassVar[str] = _instances.ALERTS

    alert_id: str
    severity: str
    category: str
    title: str
    description: str
    source: str
    node: str
    metadata: dict[str, Any] = attrs.field(factory=dict)
    requires_ack: bool
    timestamp: datetime


@catalogue(required=("alert_id", "ack_by", "ack_timestamp"))
@attrs.frozen(kw_only=True)
class AlertAck:
    """Someone acknowledged an alert (no node field, as in the original).

    Attributes:
        alert_id: the alert.
        ack_by: who.
        ack_note: a note, if any.
        resolution: how it was resolved, if it was.
        ack_timestamp: when it was acknowledged.
        timestamp: when this message was made (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "alert_ack"
    TAG: ClassVar[str] = "alert_acknowledged"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.ALERTS

    alert_id: str
    ack_by: str
    ack_note: str | None = None
    resolution: str | None = None
    ack_timestamp: datetime
    timestamp: datetime


@catalogue(required=("alert_id", "from_level", "to_level", "escalation_reason", "escalated_by"))
@attrs.frozen(kw_only=True)
class AlertEscalation:
    """An alert moved to another escalation level (no node field).

    Attributes:
        alert_id: the alert.
        from_level: ``"level1"``, ``"level2"`` or ``"level3"``.
        to_level: the new level.
        escalation_reason: why.
        escalated_by: who (``"system"`` by default).
        notify_contacts: who to notify.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "alert_escalation"
    TAG: ClassVar[str] = "alert_escalated"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.ALERTS

    alert_id: str
    from_level: str
    to_level: str
    escalation_reason: str
    escalated_by: str = "system"
    notify_contacts: tuple[str, ...] = ()
    timestamp: datetime


@catalogue(required=("alert_id", "delivery_method", "recipient", "status", "attempts"))
@attrs.frozen(kw_only=True)
class NotificationStatus:
    """How the notification of an alert went (no node field).

    Attributes:
        alert_id: the alert.
        delivery_method: ``"email"``, ``"sms"``, ``"webhook"`` or ``"push"``.
        recipient: to whom.
        status: ``"sent"``, ``"delivered"``, ``"failed"`` or ``"bounced"``.
        error_reason: why it failed, if it did.
        attempts: how many tries so far.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "notification_status"
    TAG: ClassVar[str] = "notification_status"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.ALERTS

    alert_id: str
    delivery_method: str
    recipient: str
    status: str
    error_reason: str | None = None
    attempts: int = 1
    timestamp: datetime


def system_alert(
    severity: str,
    category: str,
    title: str,
    description: str,
    source: str,
    *,
    alert_id: str | None = None,
    node: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    requires_ack: bool | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> SystemAlert:
    """A :class:`SystemAlert` with a fresh id, stamped now.

    ``requires_ack`` defaults to whether ``severity`` is ``"error"`` or
    ``"critical"``; ``metadata`` to ``{}``.
    """
    system = resolve_system(system)
    return SystemAlert(
        alert_id=new_id() if alert_id is None else alert_id,
        severity=severity,
        category=category,
        title=title,
        description=description,
        source=source,
        node=system.node if node is None else node,
        metadata=copy_map(metadata),
        requires_ack=severity in ACK_SEVERITIES if requires_ack is None else requires_ack,
        timestamp=stamp(system, timestamp),
    )


def alert_ack(
    alert_id: str,
    ack_by: str,
    *,
    ack_note: str | None = None,
    resolution: str | None = None,
    ack_timestamp: datetime | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> AlertAck:
    """An :class:`AlertAck` stamped now; ``ack_timestamp`` defaults to the same instant."""
    system = resolve_system(system)
    now = stamp(system, timestamp)
    return AlertAck(
        alert_id=alert_id,
        ack_by=ack_by,
        ack_note=ack_note,
        resolution=resolution,
        ack_timestamp=now if ack_timestamp is None else ack_timestamp,
        timestamp=now,
    )


def alert_escalation(
    alert_id: str,
    from_level: str,
    to_level: str,
    escalation_reason: str,
    *,
    escalated_by: str = "system",
    notify_contacts: Sequence[str] = (),
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> AlertEscalation:
    """An :class:`AlertEscalation` stamped now, by ``"system"`` unless given."""
    system = resolve_system(system)
    return AlertEscalation(
        alert_id=alert_id,
        from_level=from_level,
        to_level=to_level,
        escalation_reason=escalation_reason,
        escalated_by=escalated_by,
        notify_contacts=tuple(notify_contacts),
        timestamp=stamp(system, timestamp),
    )


def notification_status(
    alert_id: str,
    delivery_method: str,
    recipient: str,
    status: str,
    *,
    error_reason: str | None = None,
    attempts: int = 1,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> NotificationStatus:
    """A :class:`NotificationStatus` stamped now (one attempt unless given)."""
    system = resolve_system(system)
    return NotificationStatus(
        alert_id=alert_id,
        delivery_method=delivery_method,
        recipient=recipient,
        status=status,
        error_reason=error_reason,
        attempts=attempts,
        timestamp=stamp(system, timestamp),
    )
