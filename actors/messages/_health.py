"""Health messages (``ex_esdb_health``, reference §2.2).

Node, cluster and component health, and the results of single checks.
Statuses are strings: ``"healthy"``, ``"degraded"``, ``"unhealthy"``,
``"unknown"``; check results ``"pass"``, ``"fail"``, ``"timeout"``; quorum
``"available"`` or ``"lost"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from actors.messages import _instances, topics
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
    "ClusterHealth",
    "ComponentHealth",
    "HealthCheck",
    "NodeHealth",
    "cluster_health",
    "cluster_health_topic",
    "component_health",
    "health_check",
    "node_health",
    "store_health_topic",
]


@catalogue(required=("node", "status"))
@attrs.frozen(kw_only=True)
class NodeHealth:
    """The health of one node.

    Attributes:
        node: the node reported on.
        status: ``"healthy"``, ``"degraded"``, ``"unhealthy"`` or ``"unknown"``.
        checks: check name -> result (JSON values).
        load_avg: load average, if measured.
        memory_usage: memory use (percent), if measured.
        disk_usage: disk use (percent), if measured.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "node_health"
    TAG: ClassVar[str] = "node_health_updated"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.HEALTH

    node: str
    status: str
    checks: dict[str, Any] = attrs.field(factory=dict)
    load_avg: float | None = attrs.field(default=None, converter=as_optional_float)
    memory_usage: float | None = attrs.field(default=None, converter=as_optional_float)
    disk_usage: float | None = attrs.field(default=None, converter=as_optional_float)
    timestamp: datetime


@catalogue(required=("status", "healthy_nodes", "total_nodes"))
@attrs.frozen(kw_only=True)
class ClusterHealth:
    """The health of the whole cluster (no node field: it is about all of them).

    Attributes:
        status: the cluster's status.
        healthy_nodes: how many nodes are healthy.
        total_nodes: how many nodes there are.
        degraded_nodes: the degraded nodes.
        unhealthy_nodes: the unhealthy nodes.
        quorum_status: ``"available"`` or ``"lost"``.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "cluster_health"
    TAG: ClassVar[str] = "cluster_health_updated"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.HEALTH

    status: str
    healthy_nodes: int
    total_nodes: int
    degraded_nodes: tuple[str, ...] = ()
    unhealthy_nodes: tuple[str, ...] = ()
    quorum_status: str = "available"
    timestamp: datetime


@catalogue(required=("component", "node", "status"))
@attrs.frozen(kw_only=True)
class ComponentHealth:
    """The health of one component on one node.

    Attributes:
        component: the component (``"emitter_worker"``, ``"khepri_store"``...).
        node: where it runs.
        status: its status.
        details: free-form details (JSON values).
        last_check: when it was last checked, if known.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "component_health"
    TAG: ClassVar[str] = "component_health_updated"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.HEALTH

    component: str
    node: str
    status: str
    details: dict[str, Any] = attrs.field(factory=dict)
    last_check: datetime | None = None
    timestamp: datetime


@catalogue(required=("check_name", "node", "result"))
@attrs.frozen(kw_only=True)
class HealthCheck:
    """The result of one health check.

    Attributes:
        check_name: which check.
        node: where it ran.
        result: ``"pass"``, ``"fail"`` or ``"timeout"``.
        duration_ms: how long it took.
        details: free-form details (JSON values).
        error: the error text of a failed check.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "health_check"
    TAG: ClassVar[str] = "health_check_completed"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.HEALTH

    check_name: str
    node: str
    result: str
    duration_ms: float | None = attrs.field(default=None, converter=as_optional_float)
    details: dict[str, Any] = attrs.field(factory=dict)
    error: str | None = None
    timestamp: datetime


def node_health(
    node: str,
    status: str,
    checks: Mapping[str, Any] | None = None,
    *,
    load_avg: float | None = None,
    memory_usage: float | None = None,
    disk_usage: float | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> NodeHealth:
    """A :class:`NodeHealth` stamped now (``checks`` defaults to ``{}``)."""
    system = resolve_system(system)
    return NodeHealth(
        node=node,
        status=status,
        checks=copy_map(checks),
        load_avg=load_avg,
        memory_usage=memory_usage,
        disk_usage=disk_usage,
        timestamp=stamp(system, timestamp),
    )


def cluster_health(
    status: str,
    healthy_nodes: int,
    total_nodes: int,
    *,
    degraded_nodes: Sequence[str] = (),
    unhealthy_nodes: Sequence[str] = (),
    quorum_status: str = "available",
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> ClusterHealth:
    """A :class:`ClusterHealth` stamped now (no degraded or unhealthy nodes,
    quorum ``"available"`` unless given)."""
    system = resolve_system(system)
    return ClusterHealth(
        status=status,
        healthy_nodes=healthy_nodes,
        total_nodes=total_nodes,
        degraded_nodes=tuple(degraded_nodes),
        unhealthy_nodes=tuple(unhealthy_nodes),
        quorum_status=quorum_status,
        timestamp=stamp(system, timestamp),
    )


def component_health(
    component: str,
    node: str,
    status: str,
    *,
    details: Mapping[str, Any] | None = None,
    last_check: datetime | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> ComponentHealth:
    """A :class:`ComponentHealth` stamped now (``details`` defaults to ``{}``)."""
    system = resolve_system(system)
    return ComponentHealth(
        component=component,
        node=node,
        status=status,
        details=copy_map(details),
        last_check=last_check,
        timestamp=stamp(system, timestamp),
    )


def health_check(
    check_name: str,
    node: str,
    result: str,
    *,
    duration_ms: float | None = None,
    details: Mapping[str, Any] | None = None,
    error: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> HealthCheck:
    """A :class:`HealthCheck` stamped now (``details`` defaults to ``{}``)."""
    system = resolve_system(system)
    return HealthCheck(
        check_name=check_name,
        node=node,
        result=result,
        duration_ms=duration_ms,
        details=copy_map(details),
        error=error,
        timestamp=stamp(system, timestamp),
    )


def store_health_topic(store_id: str) -> str:
    """``"<store_id>:health"``, the topic of one store's health.

    Raises:
        TypeError: if ``store_id`` is not a string.
        ValueError: if it is empty or contains ``":"``.
    """
    return topics.store_health(store_id)


def cluster_health_topic() -> str:
    """``"cluster:health"``."""
    return "cluster:health"
