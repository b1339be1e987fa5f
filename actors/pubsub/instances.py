"""The ten ExESDB Gater pub/sub instances and their default delivery policies.

Each instance carries one kind of traffic (seed: "ExESDB Gater PubSub
Architecture"); its defaults follow the seed's volume/criticality table
(D9): security, audit, alerts and lifecycle never drop (publishers wait);
metrics, logging and diagnostics drop the oldest queued message and count it;
events, system and health wait too, with a generous bound.
"""

from __future__ import annotations

from typing import Final

from actors.pubsub._config import InstanceConfig

__all__ = [
    "ALERTS",
    "ALL",
    "AUDIT",
    "DEFAULTS",
    "DIAGNOSTICS",
    "EVENTS",
    "HEALTH",
    "LIFECYCLE",
    "LOGGING",
    "METRICS",
    "SECURITY",
    "SYSTEM",
]

EVENTS: Final = "ex_esdb_events"
SYSTEM: Final = "ex_esdb_system"
LOGGING: Final = "ex_esdb_logging"
HEALTH: Final = "ex_esdb_health"
METRICS: Final = "ex_esdb_metrics"
SECURITY: Final = "ex_esdb_security"
AUDIT: Final = "ex_esdb_audit"
ALERTS: Final = "ex_esdb_alerts"
DIAGNOSTICS: Final = "ex_esdb_diagnostics"
LIFECYCLE: Final = "ex_esdb_lifecycle"

ALL: Final = (
    EVENTS,
    SYSTEM,
    LOGGING,
    HEALTH,
    METRICS,
    SECURITY,
    AUDIT,
    ALERTS,
    DIAGNOSTICS,
    LIFECYCLE,
)
"""In the original's start order (``PubSubSystem``'s ``@pubsub_instances``)."""

_NEVER_DROP = InstanceConfig(mailbox_limit=100_000, overflow="block", block_timeout=5.0)
_GENEROUS = InstanceConfig(mailbox_limit=100_000, overflow="block", block_timeout=5.0)
_LOSSY = InstanceConfig(mailbox_limit=10_000, overflow="drop_oldest")

DEFAULTS: Final[dict[str, InstanceConfig]] = {
    EVENTS: _GENEROUS,
    SYSTEM: _GENEROUS,
    LOGGING: _LOSSY,
    HEALTH: _GENEROUS,
    METRICS: _LOSSY,
    SECURITY: _NEVER_DROP,
    AUDIT: _NEVER_DROP,
    ALERTS: _NEVER_DROP,
    DIAGNOSTICS: _LOSSY,
    LIFECYCLE: _NEVER_DROP,
}
