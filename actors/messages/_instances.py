"""Names of the ten pub/sub instances, as plain strings (all public).

Each message family broadcasts on exactly one of these. ``ex_esdb_events``
carries domain events and has no message family, as in the original's
``instance_to_module_map``. (The pub/sub layer may later own these names;
the values will not change.)
"""

from __future__ import annotations

from typing import Final

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

ALL_INSTANCES: Final = (
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
"""The ten instances in the original's start order."""
