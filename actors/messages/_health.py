"""Health messages (``ex_esdb_health``): nodes, the cluster, components, checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from actors.messages import _instances
from actors.messages._base import Catalogued, message, one_of
from actors.messages._vocabulary import CHECK_RESULTS, HEALTH_STATUSES, QUORUM_STATUSES

__all__ = [
    "ClusterHealth",
    "ComponentHealth",
    "HealthCheck",
    "NodeHealth",
]


@message(
    "node_health",
    _instances.HEALTH,
    tag="node_health_updated",
    args="node status checks",
    required="node status",
)
class NodeHealth(Catalogued):
    """The health of one node: its status and the checks behind it, with load,
    memory and disk use when they were measured.

    Attributes:
        node: the node reported on.
        status: ``"healthy"``, ``"degraded"``, ``"unhealthy"`` or ``"unknown"``.
        checks: check name -> result (JSON values).
        load_avg: load average, if measured.
        memory_usage: memory use (percent), if measured.
        disk_usage: disk use (percent), if measured.
        timestamp: when (UTC, milliseconds).
    """

    node: str
    status: str = attrs.field(metadata=one_of(*HEALTH_STATUSES))
    checks: dict[str, Any] = attrs.field(factory=dict)
    load_avg: float | None = None
    memory_usage: float | None = None
    disk_usage: float | None = None
    timestamp: datetime


@message(
    "cluster_health",
    _instances.HEALTH,
    tag="cluster_health_updated",
    args="status healthy_nodes total_nodes",
    required="status healthy_nodes total_nodes",
)
class ClusterHealth(Catalogued):
    """The health of the whole cluster: how many nodes are healthy, which are not,
    and whether there is a quorum. No node field: it is about all of them.

    Attributes:
        status: the cluster's status (as :attr:`NodeHealth.status`).
        healthy_nodes: how many nodes are healthy.
        total_nodes: how many nodes there are.
        degraded_nodes: the degraded nodes.
        unhealthy_nodes: the unhealthy nodes.
        quorum_status: ``"available"`` or ``"lost"``.
        timestamp: when (UTC, milliseconds).
    """

    status: str = attrs.field(metadata=one_of(*HEALTH_STATUSES))
    healthy_nodes: int
    total_nodes: int
    degraded_nodes: tuple[str, ...] = ()
    unhealthy_nodes: tuple[str, ...] = ()
    quorum_status: str = attrs.field(default="available", metadata=one_of(*QUORUM_STATUSES))
    timestamp: datetime


@message(
    "component_health",
    _instances.HEALTH,
    tag="component_health_updated",
    args="component node status",
    required="component node status",
)
class ComponentHealth(Catalogued):
    """The health of one component on one node (a worker, a store, a connection).

    Attributes:
        component: the component (``"emitter_worker"``, ``"khepri_store"``...).
        node: where it runs.
        status: its status (as :attr:`NodeHealth.status`).
        details: free-form details (JSON values).
        last_check: when it was last checked, if known.
        timestamp: when (UTC, milliseconds).
    """

    component: str
    node: str
    status: str = attrs.field(metadata=one_of(*HEALTH_STATUSES))
    details: dict[str, Any] = attrs.field(factory=dict)
    last_check: datetime | None = None
    timestamp: datetime


@message(
    "health_check",
    _instances.HEALTH,
    tag="health_check_completed",
    args="check_name node result",
    required="check_name node result",
)
class HealthCheck(Catalogued):
    """The outcome of running one health check once, with its duration and, when
    it failed, the error.

    Attributes:
        check_name: the check's name (``"khepri_ping"``...).
        node: where it ran.
        result: ``"pass"``, ``"fail"`` or ``"timeout"``.
        duration_ms: how long it took.
        details: free-form details (JSON values).
        error: the error text of a failed check.
        timestamp: when (UTC, milliseconds).
    """

    check_name: str
    node: str
    result: str = attrs.field(metadata=one_of(*CHECK_RESULTS))
    duration_ms: float | None = None
    details: dict[str, Any] = attrs.field(factory=dict)
    error: str | None = None
    timestamp: datetime
