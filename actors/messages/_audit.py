"""Audit messages (``ex_esdb_audit``, reference §2.6).

Data changes, administrative actions, access records and compliance events.
Data-change actions are ``"create"``, ``"update"``, ``"delete"``, ``"read"``;
compliance event types ``"data_retention"``, ``"data_export"``,
``"data_deletion"``, ``"policy_violation"``.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    "AccessLog",
    "AdminAction",
    "ComplianceEvent",
    "DataChange",
    "access_log",
    "admin_action",
    "compliance_event",
    "data_change",
]


@catalogue(required=("user_id", "resource_type", "resource_id", "action", "node"))
@attrs.frozen(kw_only=True)
class DataChange:
    """A user changed (or read) some data.

    Attributes:
        user_id: who.
        resource_type: what kind of resource.
        resource_id: which one.
        action: ``"create"``, ``"update"``, ``"delete"`` or ``"read"``.
        changes: what changed (JSON values).
        metadata: context (JSON values).
        source_ip: from where, if known.
        node: on which node.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "data_change"
    TAG: ClassVar[str] = "data_change"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.AUDIT

    user_id: str
    resource_type: str
    resource_id: str
    action: str
    changes: dict[str, Any] = attrs.field(factory=dict)
    metadata: dict[str, Any] = attrs.field(factory=dict)
    source_ip: str | None = None
    node: str
    timestamp: datetime


@catalogue(required=("admin_user_id", "action_type", "target_resource", "node"))
@attrs.frozen(kw_only=True)
class AdminAction:
    """An administrator did something.

    Attributes:
        admin_user_id: who.
        action_type: what.
        target_resource: to what.
        details: details (JSON values).
        justification: why, if given.
        source_ip: from where, if known.
        node: on which node.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "admin_action"
    TAG: ClassVar[str] = "admin_action"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.AUDIT

    admin_user_id: str
    action_type: str
    target_resource: str
    details: dict[str, Any] = attrs.field(factory=dict)
    justification: str | None = None
    source_ip: str | None = None
    node: str
    timestamp: datetime


@catalogue(required=("user_id", "resource_type", "resource_id", "action", "success", "node"))
@attrs.frozen(kw_only=True)
class AccessLog:
    """One access to a resource, allowed or not.

    Attributes:
        user_id: who.
        resource_type: what kind of resource.
        resource_id: which one.
        action: what they tried.
        success: whether it was allowed and worked.
        duration_ms: how long it took, if measured.
        source_ip: from where, if known.
        user_agent: with what client, if known.
        node: on which node.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "access_log"
    TAG: ClassVar[str] = "access_log"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.AUDIT

    user_id: str
    resource_type: str
    resource_id: str
    action: str
    success: bool
    duration_ms: float | None = attrs.field(default=None, converter=as_optional_float)
    source_ip: str | None = None
    user_agent: str | None = None
    node: str
    timestamp: datetime


@catalogue(
    required=("event_type", "compliance_rule", "affected_data", "action_taken", "automated", "node")
)
@attrs.frozen(kw_only=True)
class ComplianceEvent:
    """Something a compliance rule cares about happened.

    Attributes:
        event_type: ``"data_retention"``, ``"data_export"``,
            ``"data_deletion"`` or ``"policy_violation"``.
        compliance_rule: which rule.
        affected_data: what data (JSON values).
        action_taken: what was done.
        user_id: who, if a user was involved.
        automated: whether the system did it on its own.
        metadata: context (JSON values).
        node: on which node.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "compliance_event"
    TAG: ClassVar[str] = "compliance_event"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.AUDIT

    event_type: str
    compliance_rule: str
    affected_data: dict[str, Any]
    action_taken: str
    user_id: str | None = None
    automated: bool = False
    metadata: dict[str, Any] = attrs.field(factory=dict)
    node: str
    timestamp: datetime


def data_change(
    user_id: str,
    resource_type: str,
    resource_id: str,
    action: str,
    *,
    changes: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    source_ip: str | None = None,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> DataChange:
    """A :class:`DataChange` stamped now (``changes`` and ``metadata`` ``{}``)."""
    system = resolve_system(system)
    return DataChange(
        user_id=user_id,
        resource_type=resource_type,
        resource_id=resource_id,
        action=action,
        changes=copy_map(changes),
        metadata=copy_map(metadata),
        source_ip=source_ip,
        node=system.node if node is None else node,
        timestamp=stamp(system, timestamp),
    )


def admin_action(
    admin_user_id: str,
    action_type: str,
    target_resource: str,
    *,
    details: Mapping[str, Any] | None = None,
    justification: str | None = None,
    source_ip: str | None = None,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> AdminAction:
    """An :class:`AdminAction` stamped now (``details`` ``{}``)."""
    system = resolve_system(system)
    return AdminAction(
        admin_user_id=admin_user_id,
        action_type=action_type,
        target_resource=target_resource,
        details=copy_map(details),
        justification=justification,
        source_ip=source_ip,
        node=system.node if node is None else node,
        timestamp=stamp(system, timestamp),
    )


def access_log(
    user_id: str,
    resource_type: str,
    resource_id: str,
    action: str,
    success: bool,
    *,
    duration_ms: float | None = None,
    source_ip: str | None = None,
    user_agent: str | None = None,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> AccessLog:
    """An :class:`AccessLog` stamped now."""
    system = resolve_system(system)
    return AccessLog(
        user_id=user_id,
        resource_type=resource_type,
        resource_id=resource_id,
        action=action,
        success=success,
        duration_ms=duration_ms,
        source_ip=source_ip,
        user_agent=user_agent,
        node=system.node if node is None else node,
        timestamp=stamp(system, timestamp),
    )


def compliance_event(
    event_type: str,
    compliance_rule: str,
    affected_data: Mapping[str, Any],
    action_taken: str,
    *,
    user_id: str | None = None,
    automated: bool = False,
    metadata: Mapping[str, Any] | None = None,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> ComplianceEvent:
    """A :class:`ComplianceEvent` stamped now (not automated, ``metadata`` ``{}``)."""
    system = resolve_system(system)
    return ComplianceEvent(
        event_type=event_type,
        compliance_rule=compliance_rule,
        affected_data=dict(affected_data),
        action_taken=action_taken,
        user_id=user_id,
        automated=automated,
        metadata=copy_map(metadata),
        node=system.node if node is None else node,
        timestamp=stamp(system, timestamp),
    )
