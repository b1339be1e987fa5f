"""Nodes joined through Redis: cross-node pub/sub, remote actors, node monitoring.

::

    system = actors.ActorSystem(node="orders@host-a", cluster="redis://127.0.0.1:6379/0")
    actors.nodes(system=system)                       # ["billing@host-b", ...]
    actors.call(("ledger", "billing@host-b"), ("balance", 42), system=system)
    pubsub.broadcast("ex_esdb_events", "orders", ("order_placed", 42))  # every node

Node names are unique (a duplicate live name is refused when joining);
heartbeats decide liveness (``actors.monitor_node``, ``nodeup``/``nodedown``
lifecycle events). Broadcasts cross nodes in one of two delivery classes per
instance: ``"ephemeral"`` (Redis Pub/Sub, at most once, every loss reported
as ``("pubsub_gap", instance, origin, from_seq, to_seq)``) or ``"durable"``
(Redis Streams, at least once to Redis and exactly once to subscribers,
resumed after a disconnect within the retention). ``(name, node)`` targets
reach registered actors on other nodes with OTP's failure reasons
(``noproc``, ``timeout``, the crash reason, ``noconnection``).

Everything that crosses nodes is one versioned JSON envelope (no pickle);
see :mod:`actors.cluster._codec`. Needs ``pip install 'actors-otp[redis]'``
(redis-py); importing this package does not import it.
"""

from __future__ import annotations

from typing import Any

from actors.cluster._delivery import default_delivery, register_default_delivery
from actors.cluster._errors import (
    ClusterError,
    ClusterUnavailable,
    EncodeError,
    NodeNameTaken,
    RemoteError,
)
from actors.cluster._global import (
    register_global,
    registered_globals,
    unregister_global,
    whereis_global,
)
from actors.cluster._node import EVENT_TYPES, NodeInfo
from actors.cluster._proxy import RemotePid
from actors.cluster._settings import DURABLE, EPHEMERAL, Settings
from actors.cluster._stats import ClusterStatistics

__all__ = [
    "DURABLE",
    "EPHEMERAL",
    "EVENT_TYPES",
    "ClusterError",
    "ClusterStatistics",
    "ClusterUnavailable",
    "EncodeError",
    "NodeInfo",
    "NodeNameTaken",
    "RemoteError",
    "RemotePid",
    "Settings",
    "connect",
    "default_delivery",
    "delivery_class",
    "members",
    "register_default_delivery",
    "register_global",
    "registered_globals",
    "set_status",
    "statistics",
    "unregister_global",
    "whereis_global",
]


def connect(system: Any, url: str) -> Any:
    """The ``actors.cluster`` entry point (see :func:`actors.cluster._connect.connect`)."""
    from actors.cluster._connect import connect as _connect

    return _connect(system, url)


def statistics(system: Any = None) -> ClusterStatistics:
    """A frozen snapshot of this node's cluster counters.

    Raises:
        RuntimeError: the system is not in a cluster.
    """
    from actors.cluster._connect import statistics as _statistics

    return _statistics(system)


def members(system: Any = None) -> list[NodeInfo]:
    """Every node this node knows, itself first.

    Raises:
        RuntimeError: the system is not in a cluster.
    """
    from actors.cluster._connect import members as _members

    result: list[NodeInfo] = _members(system)
    return result


def set_status(status: str, system: Any = None) -> None:
    """The health status this node reports in its heartbeats."""
    from actors.cluster._connect import set_status as _set_status

    _set_status(status, system)


def delivery_class(instance: str, system: Any = None) -> str:
    """``"ephemeral"`` or ``"durable"``: how ``instance`` crosses nodes in
    ``system``'s cluster (or by the registered defaults without one)."""
    from actors.cluster._delivery import delivery_class as _delivery_class
    from actors.lowlevel import resolve_system

    owner = resolve_system(system)
    overrides = owner.config.get("cluster_delivery", {})
    return _delivery_class(instance, overrides if isinstance(overrides, dict) else {})
