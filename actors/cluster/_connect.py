"""Joining a cluster: the connector ``ActorSystem(cluster="redis://...")`` calls."""

from __future__ import annotations

import logging
import time
from typing import Any

import actors
import supervision as sv
from actors.cluster._adapter import RedisAdapter
from actors.cluster._errors import ClusterUnavailable, NodeNameTaken
from actors.cluster._node import ClusterNode
from actors.cluster._settings import Settings
from actors.cluster._stats import ClusterStatistics
from actors.lowlevel import resolve_system
from actors.pubsub import PubSubManager

__all__ = ["connect", "members", "node_of", "set_status", "statistics"]

logger = logging.getLogger("actors.cluster")


def connect(system: actors.ActorSystem, url: str) -> ClusterNode:
    """Join ``system`` (node ``system.node``) to the cluster at ``url``.

    Called by :class:`~actors.ActorSystem` at the end of its construction
    (the ``actors.cluster`` entry point for ``redis://`` and ``rediss://``).
    Waits up to ``connect_timeout`` for Redis, claims the node name, reads
    the other nodes, installs the pub/sub adapter and starts the supervised
    Redis actors.

    Raises:
        NodeNameTaken: a live node already has this name.
        ClusterUnavailable: Redis did not answer in time.
        ValueError: a bad setting in ``url`` or the config (named).
    """
    from actors.cluster import _redis

    settings = Settings.parse(url, system.config)
    node = ClusterNode(system, settings)
    sync = _redis.client(settings.url, settings, f"{system.node}:sync")
    deadline = time.monotonic() + settings.connect_timeout
    attempt = 0
    while True:
        try:
            sync.ping()
            break
        except _redis.CONNECTION_ERRORS as exc:
            if time.monotonic() >= deadline:
                sync.close()
                msg = (
                    f"node {system.node!r} cannot join the cluster: Redis at "
                    f"{_safe(settings.url)} did not answer within "
                    f"{settings.connect_timeout}s ({exc})"
                )
                raise ClusterUnavailable(msg) from exc
            time.sleep(_redis.backoff(attempt, settings.reconnect_min, 0.5))
            attempt += 1
    node.sync = sync
    node.scripts = scripts = _redis.Scripts(sync)
    keys = node.keys
    # Read positions before claiming the name: nothing sent to us after the
    # claim can fall before them.
    from actors.cluster._workers import SUPERVISOR_NAME, children, last_id

    node.positions[keys.inbox(system.node)] = last_id(sync, keys.inbox(system.node))
    for key in node.durable_streams():
        node.positions[key] = last_id(sync, key)
    claimed = scripts.join(
        keys=[keys.nodes, keys.alive],
        args=[
            system.node,
            node.incarnation,
            node.heartbeat_info(),
            int(settings.heartbeat_timeout * 1000),
        ],
    )
    if int(claimed[0]) != 1:
        sync.close()
        holder = _describe(claimed[1])
        raise NodeNameTaken(system.node, holder)
    first = scripts.heartbeat(
        keys=[keys.nodes, keys.alive],
        args=[system.node, node.incarnation, node.heartbeat_info(), node.purge_ms],
    )
    node.joined_at = time.monotonic() - settings.heartbeat_timeout  # no grace at first join
    node.on_heartbeat(int(first[1]), list(first[2]), list(first[3]))
    node.joined_at = time.monotonic()
    manager = PubSubManager.of(system)
    manager.use_adapter(RedisAdapter(node))
    node.manager = manager
    try:
        sv.Supervisor.start(
            children(node),
            strategy="one_for_one",
            max_restarts=20,
            max_seconds=5,
            name=SUPERVISOR_NAME,
            system=system,
        )
    except BaseException:
        node.close()
        raise
    if not node.subscribed.wait(settings.connect_timeout):
        node.close()  # the system, whose construction fails, stops the actors
        msg = f"node {system.node!r}: Redis did not confirm the pub/sub subscriptions in time"
        raise ClusterUnavailable(msg)
    import json

    sync.publish(
        keys.control, json.dumps({"op": "join", "node": system.node, "inc": node.incarnation})
    )
    logger.info(
        "cluster: node %s joined %s (%d other nodes)",
        system.node,
        _safe(settings.url),
        len(node.nodes()),
    )
    return node


def _describe(raw: Any) -> str:
    import json

    try:
        info = json.loads(raw)
        return f"pid {info.get('pid')} on {info.get('host')}"
    except (ValueError, TypeError, AttributeError):
        return "another process"


def _safe(url: str) -> str:
    """``url`` without its password (for messages and logs)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def node_of(system: actors.ActorSystem | None = None) -> ClusterNode:
    """The cluster node of ``system``.

    Raises:
        RuntimeError: the system is not in a cluster.
    """
    owner = resolve_system(system)
    remote = owner.remote
    if not isinstance(remote, ClusterNode):
        msg = f"actor system {owner.name!r} is not in a cluster (ActorSystem(cluster=...))"
        raise RuntimeError(msg)
    return remote


def statistics(system: actors.ActorSystem | None = None) -> ClusterStatistics:
    """A frozen snapshot of the node's cluster counters (see :class:`ClusterStatistics`)."""
    return node_of(system).statistics()


def members(system: actors.ActorSystem | None = None) -> list[Any]:
    """Every node this node knows, itself first (:class:`NodeInfo`)."""
    return node_of(system).members()


def set_status(status: str, system: actors.ActorSystem | None = None) -> None:
    """The health status this node reports with its heartbeats (the health
    broadcaster sets it), read by the others' ``ClusterHealth``."""
    if status not in ("healthy", "degraded", "unhealthy", "unknown"):
        msg = f"status must be healthy, degraded, unhealthy or unknown, got {status!r}"
        raise ValueError(msg)
    node_of(system).status = status
