"""Audit messages (``ex_esdb_audit``): data changes, admin actions, access, compliance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from actors.messages import _instances
from actors.messages._base import Catalogued, message, one_of
from actors.messages._vocabulary import COMPLIANCE_EVENTS, DATA_ACTIONS

__all__ = [
    "AccessLog",
    "AdminAction",
    "ComplianceEvent",
    "DataChange",
]


@message(
    "data_change",
    _instances.AUDIT,
    tag="data_change",
    args="user_id resource_type resource_id action",
    required="user_id resource_type resource_id action node",
)
class DataChange(Catalogued):
    """A user created, read, updated or deleted a resource: the audit trail of data.

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

    user_id: str
    resource_type: str
    resource_id: str
    action: str = attrs.field(metadata=one_of(*DATA_ACTIONS))
    changes: dict[str, Any] = attrs.field(factory=dict)
    metadata: dict[str, Any] = attrs.field(factory=dict)
    source_ip: str | None = None
    node: str
    timestamp: datetime


@message(
    "admin_action",
    _instances.AUDIT,
    tag="admin_action",
    args="admin_user_id action_type target_resource",
    required="admin_user_id action_type target_resource node",
)
class AdminAction(Catalogued):
    """An administrator acted on the system itself (a purge, a restart, a grant),
    ideally with a justification.

    Attributes:
        admin_user_id: the administrator.
        action_type: what.
        target_resource: to what.
        details: details (JSON values).
        justification: why, if given.
        source_ip: the address the action came from, if known.
        node: on which node.
        timestamp: when (UTC, milliseconds).
    """

    admin_user_id: str
    action_type: str
    target_resource: str
    details: dict[str, Any] = attrs.field(factory=dict)
    justification: str | None = None
    source_ip: str | None = None
    node: str
    timestamp: datetime


@message(
    "access_log",
    _instances.AUDIT,
    tag="access_log",
    args="user_id resource_type resource_id action success",
    required="user_id resource_type resource_id action success node",
)
class AccessLog(Catalogued):
    """One attempt to use a resource, allowed or not, and how long it took: what
    one line of an access log says.

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

    user_id: str
    resource_type: str
    resource_id: str
    action: str
    success: bool
    duration_ms: float | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    node: str
    timestamp: datetime


@message(
    "compliance_event",
    _instances.AUDIT,
    tag="compliance_event",
    args="event_type compliance_rule affected_data action_taken",
    required="event_type compliance_rule affected_data action_taken automated node",
)
class ComplianceEvent(Catalogued):
    """Data was kept, exported or deleted under a compliance rule, or the rule was
    broken; ``automated`` tells the system's doing from a person's.

    Attributes:
        event_type: ``"data_retention"``, ``"data_export"``,
            ``"data_deletion"`` or ``"policy_violation"``.
        compliance_rule: which rule.
        affected_data: what data (JSON values).
        action_taken: what was done.
        user_id: who, if a user was involved.
        automated: whether the system did it on its own (``False`` by default).
        metadata: context (JSON values).
        node: on which node.
        timestamp: when (UTC, milliseconds).
    """

    event_type: str = attrs.field(metadata=one_of(*COMPLIANCE_EVENTS))
    compliance_rule: str
    affected_data: dict[str, Any]
    action_taken: str
    user_id: str | None = None
    automated: bool = False
    metadata: dict[str, Any] = attrs.field(factory=dict)
    node: str
    timestamp: datetime
