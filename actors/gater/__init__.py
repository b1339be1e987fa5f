"""The ExESDB Gater application: ten supervised pub/sub instances.

``actors.gater.start()`` builds the tree and wires the actor system's
lifecycle events onto ``ex_esdb_lifecycle``.
"""

from __future__ import annotations

from actors.gater import integration
from actors.gater._auditing import AUDITOR_NAME, GaterAuditor
from actors.gater._eventstore import EVENT_APPENDED, event_topic, on_appended_broadcaster
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
    "GaterAuditor",
    "children",
    "event_topic",
    "integration",
    "lifecycle_topic",
    "on_appended_broadcaster",
    "start",
    "start_link",
    "wire_lifecycle",
]
