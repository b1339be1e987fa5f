"""Pub/sub instances in the style of Phoenix.PubSub.

Each instance is a supervised actor registered in the system's
:class:`PubSubManager`; subscribers are actors (or test probes) that receive
the broadcast messages in ``handle_info``::

    from actors import pubsub

    class Dashboard(actors.GenServer):
        def init(self):
            pubsub.subscribe("health", "cluster:health")

        def handle_info(self, message):
            match message:
                case ("node_health_updated", health):
                    ...

    pubsub.PubSubManager.of(system).ensure("health", mailbox_limit=10_000)
    pubsub.broadcast("health", "cluster:health", ("node_health_updated", health))

Topics are exact strings; ``*`` patterns and anchored regexes are supported
(see :mod:`actors.pubsub._topics`). Broadcasts run in the publisher's thread
and return ``Ok(delivered=n)`` or an ``Error``; they never raise. Pub/sub
knows no instance names, message catalogue or secret: applications install
defaults and hooks (:meth:`PubSubManager.set_defaults`, :class:`InstanceHooks`);
the ExESDB Gater's ten instances live in :mod:`actors.gater.instances`.
"""

from __future__ import annotations

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
from actors.pubsub._hooks import HooksFactory, InstanceHooks, SubscriberStalled
from actors.pubsub._instance import PubSub, PubSubServer
from actors.pubsub._manager import PubSubManager
from actors.pubsub._stats import InstanceStatistics, TopicStatistics
from actors.pubsub._topics import InvalidTopic, pattern_matches

__all__ = [
    "OVERFLOW_POLICIES",
    "Adapter",
    "AsyncSubscription",
    "BroadcastError",
    "HooksFactory",
    "InstanceConfig",
    "InstanceHooks",
    "InstanceStatistics",
    "InvalidTopic",
    "LocalAdapter",
    "NoInstance",
    "PubSub",
    "PubSubError",
    "PubSubManager",
    "PubSubServer",
    "SubscriberStalled",
    "TopicStatistics",
    "accept_external",
    "asubscribe",
    "broadcast",
    "broadcast_from",
    "broadcast_or_raise",
    "broadcast_signed",
    "direct_broadcast",
    "local_broadcast",
    "local_broadcast_from",
    "node_name",
    "pattern_matches",
    "subscribe",
    "subscribers",
    "unsubscribe",
]
