"""Pub/sub instances in the style of Phoenix.PubSub and the ExESDB Gater (D8 to D10).

Each instance is a supervised actor registered in the system's
:class:`PubSubManager`; subscribers are actors (or test probes) that receive
tagged tuples in ``handle_info``::

    from actors import pubsub
    from actors.pubsub import instances

    class Dashboard(actors.GenServer):
        def init(self):
            pubsub.subscribe(instances.HEALTH, "cluster:health")

        def handle_info(self, message):
            match message:
                case ("node_health_updated", health):
                    ...

    pubsub.broadcast(instances.HEALTH, "cluster:health", ("node_health_updated", health))

Topics are exact strings; ``*`` patterns and anchored regexes are supported
(see :mod:`actors.pubsub._topics`). Broadcasts run in the publisher's thread
and return ``Ok(delivered=n)`` or an ``Error``; they never raise.
"""

from __future__ import annotations

from actors.pubsub import instances
from actors.pubsub._adapter import Adapter, LocalAdapter
from actors.pubsub._aio import AsyncSubscription, asubscribe
from actors.pubsub._api import (
    accept_external,
    broadcast,
    broadcast_from,
    broadcast_or_raise,
    broadcast_signed,
    direct_broadcast,
    local_broadcast,
    local_broadcast_from,
    node_name,
    subscribe,
    subscribers,
    unsubscribe,
)
from actors.pubsub._config import OVERFLOW_POLICIES, InstanceConfig
from actors.pubsub._errors import BroadcastError, NoInstance, PubSubError
from actors.pubsub._instance import PubSub, PubSubServer
from actors.pubsub._manager import PubSubManager
from actors.pubsub._stats import InstanceStatistics, TopicStatistics
from actors.pubsub._topics import InvalidTopic, pattern_matches

__all__ = [
    "OVERFLOW_POLICIES",
    "Adapter",
    "AsyncSubscription",
    "BroadcastError",
    "InstanceConfig",
    "InstanceStatistics",
    "InvalidTopic",
    "LocalAdapter",
    "NoInstance",
    "PubSub",
    "PubSubError",
    "PubSubManager",
    "PubSubServer",
    "TopicStatistics",
    "accept_external",
    "asubscribe",
    "broadcast",
    "broadcast_from",
    "broadcast_or_raise",
    "broadcast_signed",
    "direct_broadcast",
    "instances",
    "local_broadcast",
    "local_broadcast_from",
    "node_name",
    "pattern_matches",
    "subscribe",
    "subscribers",
    "unsubscribe",
]
