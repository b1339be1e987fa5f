"""Lifecycle messages (``ex_esdb_lifecycle``, reference §2.8).

Nodes joining and leaving, processes starting and stopping, supervision
events and cluster membership. :class:`~actors.ProcessLifecycle` is the
core's own record (D12), registered here rather than defined twice; the
ExESDB names ``pid``, ``module`` and ``event`` are the factory's arguments
and the record's read-only aliases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from actors._lifecycle import ProcessLifecycle
from actors._reasons import format_reason
from actors.messages import _instances
from actors.messages._base import catalogue, copy_map, register, resolve_system, stamp

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = [
    "PROCESS_LIFECYCLE_SCHEMA",
    "ClusterMembership",
    "NodeLifecycle",
    "ProcessLifecycle",
    "SupervisionEvent",
    "cluster_membership",
    "node_lifecycle",
    "process_lifecycle",
    "supervision_event",
]


@catalogue(required=("node", "event", "cluster_size"))
@attrs.frozen(kw_only=True)
class NodeLifecycle:
    """A node joined, left or went down.

    Attributes:
        node: the node.
        event: ``"joining"``, ``"joined"``, ``"leaving"``, ``"left"``,
            ``"down"`` or ``"reconnected"``.
        cluster_size: the cluster's size afterwards.
        metadata: context (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "node_lifecycle"
    TAG: ClassVar[str] = "node_lifecycle_event"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.LIFECYCLE

    node: str
    event: str
    cluster_size: int
    metadata: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


PROCESS_LIFECYCLE_SCHEMA: Final = ProcessLifecycle.SCHEMA
"""Schema 1 was ExESDB's shape (``pid``, ``module``, ``event``...); 2 is the core's."""

# The core class carries its catalogue ClassVars; it is registered here
# because the core cannot import the catalogue (it sits below it).
register(
    ProcessLifecycle,
    kind=ProcessLifecycle.KIND,
    tag=ProcessLifecycle.TAG,
    schema=ProcessLifecycle.SCHEMA,
    instance=_instances.LIFECYCLE,
    required=("event_type", "component", "actor_id"),
)


@catalogue(required=("supervisor", "child_spec", "event", "node"))
@attrs.frozen(kw_only=True)
class SupervisionEvent:
    """Something a supervisor did to a child.

    Attributes:
        supervisor: the supervisor's name.
        child_spec: the child's spec (JSON values).
        event: ``"child_started"``, ``"child_terminated"`` or
            ``"restart_limit_exceeded"``.
        node: on which node.
        reason: the exit reason, if any.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "supervision_event"
    TAG: ClassVar[str] = "supervision_event"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.LIFECYCLE

    supervisor: str
    child_spec: dict[str, Any]
    event: str
    node: str
    reason: str | None = None
    timestamp: datetime


@catalogue(
    required=(
        "event",
        "affected_nodes",
        "active_nodes",
        "total_nodes",
        "quorum_status",
        "originating_node",
    )
)
@attrs.frozen(kw_only=True)
class ClusterMembership:
    """The set of cluster members changed.

    Attributes:
        event: ``"node_added"``, ``"node_removed"``, ``"partition_detected"``
            or ``"partition_healed"``.
        affected_nodes: the nodes concerned.
        active_nodes: the members afterwards.
        total_nodes: their number (``len(active_nodes)`` by default).
        quorum_status: ``"available"`` or ``"lost"``.
        timestamp: when (UTC, milliseconds).
        originating_node: the node that noticed.
    """

    KIND: ClassVar[str] = "cluster_membership"
    TAG: ClassVar[str] = "cluster_membership_changed"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.LIFECYCLE

    event: str
    affected_nodes: tuple[str, ...]
    active_nodes: tuple[str, ...]
    total_nodes: int
    quorum_status: str = "available"
    timestamp: datetime
    originating_node: str


def node_lifecycle(
    node: str,
    event: str,
    cluster_size: int,
    *,
    metadata: Mapping[str, Any] | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> NodeLifecycle:
    """A :class:`NodeLifecycle` stamped now (``metadata`` ``{}``)."""
    system = resolve_system(system)
    return NodeLifecycle(
        node=node,
        event=event,
        cluster_size=cluster_size,
        metadata=copy_map(metadata),
        timestamp=stamp(system, timestamp),
    )


def process_lifecycle(
    pid: Any,
    module: str | type[Any],
    event: str,
    *,
    name: Any = None,
    node: str | None = None,
    reason: Any = None,
    restart_count: int = 0,
    exception_type: str | None = None,
    traceback: str | None = None,
    supervisor: Any = None,
    child_id: Any = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> ProcessLifecycle:
    """A core :class:`~actors.ProcessLifecycle` from ExESDB's arguments.

    Args:
        pid: the process: an id string, or a ref or process whose ``id``
            becomes ``actor_id``.
        module: its class or class name (becomes ``component``).
        event: what happened (becomes ``event_type``; the core emits the
            values of ``actors._lifecycle.EVENT_TYPES``).
        name: its registered name, if any (as text).
        node: defaults to the system's node.
        reason: the exit reason, as one line (``actors.format_reason``).
        restart_count: restarts so far (0 by default).
        exception_type: the exception class of a crash.
        traceback: the formatted traceback of a crash.
        supervisor: the supervisor involved, if any (as text).
        child_id: the child id in that supervisor, if any (as text).
        timestamp: defaults to now.
        system: where time and node come from.
    """
    system = resolve_system(system)
    return ProcessLifecycle(
        event_type=event,
        component=module if isinstance(module, str) else module.__name__,
        actor_id=_actor_id(pid),
        name=_text(name),
        node=system.node if node is None else node,
        reason=None if reason is None else format_reason(reason),
        exception_type=exception_type,
        traceback=traceback,
        supervisor=_text(supervisor),
        child_id=_text(child_id),
        restart_count=restart_count,
        timestamp=stamp(system, timestamp),
    )


def _actor_id(pid: Any) -> str:
    if isinstance(pid, str):
        return pid
    ident = getattr(pid, "id", None)  # actors.Ref and processes carry their URN
    return ident if isinstance(ident, str) else str(pid)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value)


def supervision_event(
    supervisor: str,
    child_spec: Mapping[str, Any],
    event: str,
    *,
    node: str | None = None,
    reason: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> SupervisionEvent:
    """A :class:`SupervisionEvent` stamped now, on this node unless given."""
    system = resolve_system(system)
    return SupervisionEvent(
        supervisor=supervisor,
        child_spec=dict(child_spec),
        event=event,
        node=system.node if node is None else node,
        reason=reason,
        timestamp=stamp(system, timestamp),
    )


def cluster_membership(
    event: str,
    affected_nodes: Sequence[str],
    active_nodes: Sequence[str],
    *,
    total_nodes: int | None = None,
    quorum_status: str = "available",
    originating_node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> ClusterMembership:
    """A :class:`ClusterMembership` stamped now.

    ``total_nodes`` defaults to ``len(active_nodes)``, quorum to
    ``"available"``, ``originating_node`` to the system's node.
    """
    system = resolve_system(system)
    active = tuple(active_nodes)
    return ClusterMembership(
        event=event,
        affected_nodes=tuple(affected_nodes),
        active_nodes=active,
        total_nodes=len(active) if total_nodes is None else total_nodes,
        quorum_status=quorum_status,
        originating_node=system.node if originating_node is None else originating_node,
        timestamp=stamp(system, timestamp),
    )
