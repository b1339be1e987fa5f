"""The ten ExESDB Gater pub/sub instances and their default delivery policies.

Each instance carries one kind of traffic; its defaults follow the gater's
volume/criticality table:

* **never drop** (security, audit, alerts, lifecycle): ``block`` with a
  100,000-message bound. A publisher waits up to 5 s for room; a subscriber
  that makes none in that time is *stalled*: the publisher gets an ``Error``
  naming it, it is reported on ``ex_esdb_alerts``, and nobody waits for it
  again until it has room. Nothing is dropped without its publisher being
  told.
* **generous** (events, system, health): the same rule with a bound ten
  times larger (1,000,000), for instances with more traffic whose
  subscribers may lag further before anyone waits.
* **lossy** (metrics, logging, diagnostics): ``drop_oldest`` with a
  10,000-message bound: the oldest queued message is taken back and counted
  as dropped; publishers never wait.

``actors.gater.start`` installs these as the pub/sub manager's defaults, so
``PubSubManager.of(system).ensure(METRICS)`` gets them too.
"""

from __future__ import annotations

from typing import Final

from actors import messages as _catalogue
from actors.pubsub import InstanceConfig

__all__ = [
    "ALERTS",
    "ALL",
    "AUDIT",
    "DEFAULTS",
    "DIAGNOSTICS",
    "EVENTS",
    "GENEROUS",
    "HEALTH",
    "LIFECYCLE",
    "LOGGING",
    "LOSSY",
    "METRICS",
    "NEVER_DROP",
    "SECURITY",
    "SYSTEM",
]

# The names are the message catalogue's: each of its families is broadcast on
# one of these instances, so they are defined once, there.
EVENTS: Final = _catalogue.EVENTS
SYSTEM: Final = _catalogue.SYSTEM
LOGGING: Final = _catalogue.LOGGING
HEALTH: Final = _catalogue.HEALTH
METRICS: Final = _catalogue.METRICS
SECURITY: Final = _catalogue.SECURITY
AUDIT: Final = _catalogue.AUDIT
ALERTS: Final = _catalogue.ALERTS
DIAGNOSTICS: Final = _catalogue.DIAGNOSTICS
LIFECYCLE: Final = _catalogue.LIFECYCLE

ALL: Final = _catalogue.ALL_INSTANCES
"""In the original's start order (``PubSubSystem``'s ``@pubsub_instances``)."""

NEVER_DROP: Final = InstanceConfig(mailbox_limit=100_000, overflow="block", block_timeout=5.0)
GENEROUS: Final = InstanceConfig(mailbox_limit=1_000_000, overflow="block", block_timeout=5.0)
LOSSY: Final = InstanceConfig(mailbox_limit=10_000, overflow="drop_oldest")

DEFAULTS: Final[dict[str, InstanceConfig]] = {
    EVENTS: GENEROUS,
    SYSTEM: GENEROUS,
    LOGGING: LOSSY,
    HEALTH: GENEROUS,
    METRICS: LOSSY,
    SECURITY: NEVER_DROP,
    AUDIT: NEVER_DROP,
    ALERTS: NEVER_DROP,
    DIAGNOSTICS: LOSSY,
    LIFECYCLE: NEVER_DROP,
}
