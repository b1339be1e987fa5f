"""The gater on a cluster: its instances' delivery classes and cluster health.

Across nodes, the ten instances travel in the class their traffic calls for:
health, metrics, diagnostics and logging are **ephemeral** (Redis Pub/Sub:
at most once, every loss reported as a ``pubsub_gap``; a late sample is
worth less than the next one); events, system, security, audit, alerts and
lifecycle are **durable** (Redis Streams: a node that was cut off receives
what it missed when it reconnects). ``config["cluster_delivery"]``
overrides any of them.

On a cluster the health broadcaster's ``ClusterHealth`` counts the real
nodes (:func:`cluster_health`); each node reports its own status with its
heartbeats, so no node depends on another's health broadcast arriving.
"""

from __future__ import annotations

from typing import Final

import actors
from actors import cluster, messages
from actors.gater import instances

__all__ = ["DELIVERY", "cluster_health"]

DELIVERY: Final[dict[str, str]] = {
    instances.HEALTH: cluster.EPHEMERAL,
    instances.METRICS: cluster.EPHEMERAL,
    instances.DIAGNOSTICS: cluster.EPHEMERAL,
    instances.LOGGING: cluster.EPHEMERAL,
    instances.EVENTS: cluster.DURABLE,
    instances.SYSTEM: cluster.DURABLE,
    instances.SECURITY: cluster.DURABLE,
    instances.AUDIT: cluster.DURABLE,
    instances.ALERTS: cluster.DURABLE,
    instances.LIFECYCLE: cluster.DURABLE,
}

cluster.register_default_delivery(DELIVERY)


def cluster_health(system: actors.ActorSystem, own_status: str) -> messages.ClusterHealth | None:
    """The whole cluster's health, or ``None`` when ``system`` is not in one.

    Reports ``own_status`` for this node first. Counts every node in the
    cluster's table: those up with the status they last reported (a node
    that has not reported yet counts as degraded), those down as unhealthy
    (a crashed node stays in the table for ten heartbeat timeouts, at least
    a minute). Quorum is available while more than half the nodes are up;
    the status is ``"healthy"`` when every node is, ``"unhealthy"`` without
    quorum, else ``"degraded"``. Runs in the health broadcaster's thread.
    """
    if system.remote is None:
        return None
    try:
        cluster.set_status(own_status, system)
        members = cluster.members(system)
    except RuntimeError:
        return None  # another kind of cluster layer
    up = [m for m in members if m.alive]
    healthy = [m.node for m in up if m.status == "healthy"]
    degraded = [m.node for m in up if m.status in ("degraded", "unknown")]
    unhealthy = [m.node for m in members if not m.alive or m.status == "unhealthy"]
    quorum = len(up) * 2 > len(members)
    if len(healthy) == len(members):
        status = "healthy"
    elif not quorum:
        status = "unhealthy"
    else:
        status = "degraded"
    return messages.new(
        messages.ClusterHealth,
        status,
        len(healthy),
        len(members),
        degraded_nodes=degraded,
        unhealthy_nodes=unhealthy,
        quorum_status="available" if quorum else "lost",
        system=system,
    )
