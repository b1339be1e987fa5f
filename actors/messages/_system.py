"""System messages (``ex_esdb_system``): configuration, start and stop, feature toggles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from actors.messages import _instances
from actors.messages._base import Catalogued, message, one_of
from actors.messages._vocabulary import SYSTEM_EVENTS

__all__ = ["FeatureToggle", "SystemConfig", "SystemLifecycle"]


@message(
    "system_config",
    _instances.SYSTEM,
    tag="system_config_changed",
    args="component changes",
    required="component changes",
)
class SystemConfig(Catalogued):
    """One component's settings changed: the new ones, the old ones if known, and
    who (or what) changed them.

    Attributes:
        component: what was reconfigured.
        changes: the new settings (JSON values).
        previous_config: the settings before, if known.
        timestamp: when (UTC, milliseconds).
        changed_by: who changed it (``"system"`` by default).
        node: where.
    """

    component: str
    changes: dict[str, Any]
    previous_config: dict[str, Any] | None = None
    timestamp: datetime
    changed_by: str = "system"
    node: str


@message(
    "system_lifecycle",
    _instances.SYSTEM,
    tag="system_lifecycle_event",
    args="event system_name version",
    required="event system_name version node",
)
class SystemLifecycle(Catalogued):
    """A system (``"ex_esdb"``, your application) is starting, started, stopping or
    stopped, at which version.

    Attributes:
        event: ``"starting"``, ``"started"``, ``"stopping"`` or ``"stopped"``.
        system_name: which system (``"ex_esdb"``).
        version: its version string.
        node: where.
        timestamp: when (UTC, milliseconds).
    """

    event: str = attrs.field(metadata=one_of(*SYSTEM_EVENTS))
    system_name: str
    version: str
    node: str
    timestamp: datetime


@message(
    "feature_toggle",
    _instances.SYSTEM,
    tag="feature_toggle_changed",
    args="feature enabled previous_state changed_by",
    required="feature enabled changed_by node",
)
class FeatureToggle(Catalogued):
    """A feature was switched on or off at runtime, by whom, and from what state.

    Attributes:
        feature: the feature's name.
        enabled: its new state.
        previous_state: its state before, if known.
        changed_by: who switched it.
        timestamp: when (UTC, milliseconds).
        node: where.
    """

    feature: str
    enabled: bool
    previous_state: bool | None = None
    changed_by: str
    timestamp: datetime
    node: str
