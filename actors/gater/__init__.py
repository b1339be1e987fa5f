"""The ExESDB Gater application: ten supervised pub/sub instances.

``actors.gater.start()`` builds the tree, installs the gater's pub/sub
defaults and hooks (:func:`install`) and wires the actor system's lifecycle
events onto ``ex_esdb_lifecycle`` through the :class:`Relay`. The instance
names and their default policies are in :mod:`actors.gater.instances`.
"""

from __future__ import annotations

from actors.gater import instances, integration
from actors.gater._auditing import AUDITOR_NAME, GaterAuditor
from actors.gater._eventstore import EVENT_APPENDED, event_topic, on_appended_broadcaster
from actors.gater._hooks import FORGERY_TOPIC, STALL_TOPIC, hooks_factory, install
from actors.gater._relay import (
    RELAY_LIMIT,
    RELAY_NAME,
    RELAY_TOPIC,
    Relay,
    RelayServer,
    RelayStatistics,
)
from actors.gater._tree import (
    DEFAULT_NAME,
    children,
    lifecycle_topic,
    start,
    start_link,
    wire_lifecycle,
)

__all__ = [
    "AUDITOR_NAME",
    "DEFAULT_NAME",
    "EVENT_APPENDED",
    "FORGERY_TOPIC",
    "RELAY_LIMIT",
    "RELAY_NAME",
    "RELAY_TOPIC",
    "STALL_TOPIC",
    "GaterAuditor",
    "Relay",
    "RelayServer",
    "RelayStatistics",
    "children",
    "event_topic",
    "hooks_factory",
    "install",
    "instances",
    "integration",
    "lifecycle_topic",
    "on_appended_broadcaster",
    "start",
    "start_link",
    "wire_lifecycle",
]
