"""Alert messages (``ex_esdb_alerts``): alerts, acknowledgements, escalations, notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from actors.messages import _instances
from actors.messages._base import (
    Catalogued,
    Filling,
    filled,
    fresh_id,
    message,
    one_of,
    same_time,
)
from actors.messages._vocabulary import (
    ACK_SEVERITIES,
    ALERT_CATEGORIES,
    ALERT_SEVERITIES,
    DELIVERY_METHODS,
    DELIVERY_STATUSES,
    ESCALATION_LEVELS,
)

__all__ = [
    "AlertAck",
    "AlertEscalation",
    "NotificationStatus",
    "SystemAlert",
]


def _needs_ack(made: Filling) -> bool:
    severity = made.values.get("severity")
    return isinstance(severity, str) and severity in ACK_SEVERITIES


@message(
    "system_alert",
    _instances.ALERTS,
    tag="system_alert",
    schema=2,
    args="severity category title description source",
    required="alert_id severity category title description source node",
)
class SystemAlert(Catalogued):
    """An alert raised by some part of the system, for people to see and act on;
    ``requires_ack`` says whether someone has to acknowledge it.

    Schema 2 (the gater's shape). Schema 1 was the shape of ExESDB's PubSub
    documentation (``alert_type``/``message``/``context``); the codec
    upgrades it (see :mod:`actors.messages._upgrades`).

    Attributes:
        alert_id: 16 hex chars (a factory makes a fresh one).
        severity: ``"info"``, ``"warning"``, ``"error"`` or ``"critical"``.
        category: ``"system"``, ``"performance"``, ``"security"``, ``"data"``
            or ``"network"``.
        title: a short title.
        description: what happened.
        source: who raised it.
        node: where.
        metadata: context (JSON values).
        requires_ack: whether someone must acknowledge it (a factory's
            default: whether the severity is ``"error"`` or ``"critical"``).
        timestamp: when (UTC, milliseconds).
    """

    alert_id: str = attrs.field(metadata=filled(fresh_id()))
    severity: str = attrs.field(metadata=one_of(*ALERT_SEVERITIES))
    category: str = attrs.field(metadata=one_of(*ALERT_CATEGORIES))
    title: str
    description: str
    source: str
    node: str
    metadata: dict[str, Any] = attrs.field(factory=dict)
    requires_ack: bool = attrs.field(metadata=filled(_needs_ack))
    timestamp: datetime


@message(
    "alert_ack",
    _instances.ALERTS,
    tag="alert_acknowledged",
    args="alert_id ack_by",
    required="alert_id ack_by ack_timestamp",
)
class AlertAck(Catalogued):
    """Someone took charge of an alert, and perhaps resolved it.

    There is no node field, as in the original.

    Attributes:
        alert_id: the alert.
        ack_by: who took it on.
        ack_note: a note, if any.
        resolution: how it was resolved, if it was.
        ack_timestamp: when it was acknowledged (a factory's default: the
            message's timestamp).
        timestamp: when this message was made (UTC, milliseconds).
    """

    alert_id: str
    ack_by: str
    ack_note: str | None = None
    resolution: str | None = None
    ack_timestamp: datetime = attrs.field(metadata=filled(same_time))
    timestamp: datetime


@message(
    "alert_escalation",
    _instances.ALERTS,
    tag="alert_escalated",
    args="alert_id from_level to_level escalation_reason",
    required="alert_id from_level to_level escalation_reason escalated_by",
)
class AlertEscalation(Catalogued):
    """An alert went up (or down) a level, usually because no one acknowledged it
    in time. There is no node field.

    Attributes:
        alert_id: the alert.
        from_level: ``"level1"``, ``"level2"`` or ``"level3"``.
        to_level: the new level.
        escalation_reason: why.
        escalated_by: who (``"system"`` by default).
        notify_contacts: who to notify.
        timestamp: when (UTC, milliseconds).
    """

    alert_id: str
    from_level: str = attrs.field(metadata=one_of(*ESCALATION_LEVELS))
    to_level: str = attrs.field(metadata=one_of(*ESCALATION_LEVELS))
    escalation_reason: str
    escalated_by: str = "system"
    notify_contacts: tuple[str, ...] = ()
    timestamp: datetime


@message(
    "notification_status",
    _instances.ALERTS,
    tag="notification_status",
    args="alert_id delivery_method recipient status",
    required="alert_id delivery_method recipient status attempts",
)
class NotificationStatus(Catalogued):
    """How far one notification of an alert got, one message per recipient and
    channel (the original gave it no node field).

    Attributes:
        alert_id: the alert.
        delivery_method: ``"email"``, ``"sms"``, ``"webhook"`` or ``"push"``.
        recipient: to whom.
        status: ``"sent"``, ``"delivered"``, ``"failed"`` or ``"bounced"``.
        error_reason: why it failed, if it did.
        attempts: how many tries so far (1 by default).
        timestamp: when (UTC, milliseconds).
    """

    alert_id: str
    delivery_method: str = attrs.field(metadata=one_of(*DELIVERY_METHODS))
    recipient: str
    status: str = attrs.field(metadata=one_of(*DELIVERY_STATUSES))
    error_reason: str | None = None
    attempts: int = 1
    timestamp: datetime
