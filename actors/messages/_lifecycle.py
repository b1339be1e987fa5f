"""Lifecycle messages (``ex_esdb_lifecycle``): nodes, processes, supervision, membership.

:class:`~actors.ProcessLifecycle` is the core's own record of what happened
to an actor, registered here rather than defined twice (the core sits
below the catalogue and cannot import it). ExESDB's names ``pid``,
``module`` and ``event`` are its factory's arguments and the record's
read-only aliases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import attrs

from actors import ProcessLifecycle, format_reason
from actors.messages import _instances
from actors.messages._base import Catalogued, Filling, Rule, filled, message, one_of, register
from actors.messages._vocabulary import (
    MEMBERSHIP_EVENTS,
    NODE_EVENTS,
    QUORUM_STATUSES,
    SUPERVISION_EVENTS,
)

__all__ = [
    "ClusterMembership",
    "NodeLifecycle",
    "ProcessLifecycle",
    "SupervisionEvent",
]


@message(
    "node_lifecycle",
    _instances.LIFECYCLE,
    tag="node_lifecycle_event",
    args="node event cluster_size",
    required="node event cluster_size",
)
class NodeLifecycle(Catalogued):
    """A node joined or left the cluster, went down or came back, and the size of
    the cluster once it happened.

    Attributes:
        node: the node.
        event: ``"joining"``, ``"joined"``, ``"leaving"``, ``"left"``,
            ``"down"`` or ``"reconnected"``.
        cluster_size: the cluster's size afterwards.
        metadata: context (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    node: str
    event: str = attrs.field(metadata=one_of(*NODE_EVENTS))
    cluster_size: int
    metadata: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


PROCESS_LIFECYCLE_SCHEMA: Final = ProcessLifecycle.SCHEMA
"""Schema 1 was ExESDB's shape (``pid``, ``module``, ``event``...); 2 is the core's."""


def _actor_id(pid: Any) -> Any:
    if isinstance(pid, str):
        return pid
    ident = getattr(pid, "id", None)  # actors.Ref and processes carry their URN
    return ident if isinstance(ident, str) else str(pid)


def _component(module: Any) -> Any:
    return module.__name__ if isinstance(module, type) else module


def _text(value: Any) -> Any:
    return value if isinstance(value, str) else str(value)


register(
    ProcessLifecycle,
    kind=ProcessLifecycle.KIND,
    tag=ProcessLifecycle.TAG,
    schema=ProcessLifecycle.SCHEMA,
    instance=_instances.LIFECYCLE,
    required=("event_type", "component", "actor_id"),
    args=("pid", "module", "event"),
    aliases={"pid": "actor_id", "module": "component", "event": "event_type"},
    rules={
        "actor_id": Rule(prepare=_actor_id),
        "component": Rule(prepare=_component),
        "name": Rule(prepare=_text),
        "reason": Rule(prepare=format_reason),
        "supervisor": Rule(prepare=_text),
        "child_id": Rule(prepare=_text),
    },
)


@message(
    "supervision_event",
    _instances.LIFECYCLE,
    tag="supervision_event",
    args="supervisor child_spec event",
    required="supervisor child_spec event node",
)
class SupervisionEvent(Catalogued):
    """A supervisor started or terminated a child, or gave up restarting it.

    Attributes:
        supervisor: the name of the supervisor.
        child_spec: the child's spec (JSON values).
        event: ``"child_started"``, ``"child_terminated"`` or
            ``"restart_limit_exceeded"``.
        node: on which node.
        reason: the exit reason, if any.
        timestamp: when (UTC, milliseconds).
    """

    supervisor: str
    child_spec: dict[str, Any]
    event: str = attrs.field(metadata=one_of(*SUPERVISION_EVENTS))
    node: str
    reason: str | None = None
    timestamp: datetime


def _count_active(made: Filling) -> int | None:
    active = made.values.get("active_nodes")
    return len(active) if isinstance(active, tuple) else None


@message(
    "cluster_membership",
    _instances.LIFECYCLE,
    tag="cluster_membership_changed",
    args="event affected_nodes active_nodes",
    required="event affected_nodes active_nodes total_nodes quorum_status originating_node",
)
class ClusterMembership(Catalogued):
    """Who is in the cluster changed, or it split (or healed), as one node saw it.

    Attributes:
        event: ``"node_added"``, ``"node_removed"``, ``"partition_detected"``
            or ``"partition_healed"``.
        affected_nodes: the nodes concerned.
        active_nodes: the members afterwards.
        total_nodes: their number (a factory's default: ``len(active_nodes)``).
        quorum_status: ``"available"`` (default) or ``"lost"``.
        timestamp: when (UTC, milliseconds).
        originating_node: the node that noticed (a factory's default: this one).
    """

    event: str = attrs.field(metadata=one_of(*MEMBERSHIP_EVENTS))
    affected_nodes: tuple[str, ...]
    active_nodes: tuple[str, ...]
    total_nodes: int = attrs.field(metadata=filled(_count_active))
    quorum_status: str = attrs.field(default="available", metadata=one_of(*QUORUM_STATUSES))
    timestamp: datetime
    originating_node: str
