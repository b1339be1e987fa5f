"""The pub/sub adapter that carries broadcasts to the other nodes through Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actors import Error, Ok

if TYPE_CHECKING:
    from actors.cluster._node import ClusterNode

__all__ = ["RedisAdapter"]


class RedisAdapter:
    """``actors.pubsub``'s adapter for a cluster node (the publisher's thread).

    ``broadcast`` and ``direct_broadcast`` put one envelope in the outbox and
    return ``Ok()`` at once, or an ``Error`` (outbox full, unencodable
    payload, no secret for a secure instance), in which case the local
    delivery is skipped too, as Phoenix does. A ``direct_broadcast`` to a
    node that is not up is still sent on durable instances (it reads it when
    it comes back) and returns ``Ok()`` (Phoenix ignores unknown nodes).
    """

    def __init__(self, cluster: ClusterNode) -> None:
        self._cluster = cluster

    def node_name(self) -> str:
        return self._cluster.node

    def broadcast(self, instance: str, topic: str, message: Any) -> Ok | Error:
        return self._cluster.publish(instance, topic, message, None)

    def direct_broadcast(self, node: str, instance: str, topic: str, message: Any) -> Ok | Error:
        return self._cluster.publish(instance, topic, message, node)
