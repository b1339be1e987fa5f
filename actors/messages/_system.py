"""System messages (``ex_esdb_system``, reference §2.3).

Configuration changes, system start/stop and feature toggles. Lifecycle
events are ``"starting"``, ``"started"``, ``"stopping"``, ``"stopped"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from actors.messages import _instances
from actors.messages._base import catalogue, resolve_system, stamp

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = [
    "FeatureToggle",
    "SystemConfig",
    "SystemLifecycle",
    "feature_toggle",
    "system_config",
    "system_lifecycle",
]


@catalogue(required=("component", "changes"))
@attrs.frozen(kw_only=True)
class SystemConfig:
    """A configuration change of one component.

    Attributes:
        component: what was reconfigured.
        changes: the new settings (JSON values).
        previous_config: the settings before, if known.
        timestamp: when (UTC, milliseconds).
        changed_by: who changed it (``"system"`` by default).
        node: where.
    """

    KIND: ClassVar[str] = "system_config"
    TAG: ClassVar[str] = "system_config_changed"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.SYSTEM

    component: str
    changes: dict[str, Any]
    previous_config: dict[str, Any] | None = None
    timestamp: datetime
    changed_by: str = "system"
    node: str


@catalogue(required=("event", "system_name", "version", "node"))
@attrs.frozen(kw_only=True)
class SystemLifecycle:
    """A system starting or stopping.

    Attributes:
        event: ``"starting"``, ``"started"``, ``"stopping"`` or ``"stopped"``.
        system_name: which system (``"ex_esdb"``).
        version: its version string.
        node: where.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "system_lifecycle"
    TAG: ClassVar[str] = "system_lifecycle_event"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.SYSTEM

    event: str
    system_name: str
    version: str
    node: str
    timestamp: datetime


@catalogue(required=("feature", "enabled", "changed_by", "node"))
@attrs.frozen(kw_only=True)
class FeatureToggle:
    """A feature switched on or off.

    Attributes:
        feature: which feature.
        enabled: its new state.
        previous_state: its state before, if known.
        changed_by: who switched it.
        timestamp: when (UTC, milliseconds).
        node: where.
    """

    KIND: ClassVar[str] = "feature_toggle"
    TAG: ClassVar[str] = "feature_toggle_changed"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.SYSTEM

    feature: str
    enabled: bool
    previous_state: bool | None = None
    changed_by: str
    timestamp: datetime
    node: str


def system_config(
    component: str,
    changes: Mapping[str, Any],
    *,
    previous_config: Mapping[str, Any] | None = None,
    changed_by: str = "system",
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> SystemConfig:
    """A :class:`SystemConfig` stamped now, changed by ``"system"`` unless given."""
    system = resolve_system(system)
    return SystemConfig(
        component=component,
        changes=dict(changes),
        previous_config=None if previous_config is None else dict(previous_config),
        changed_by=changed_by,
        node=system.node if node is None else node,
        timestamp=stamp(system, timestamp),
    )


def system_lifecycle(
    event: str,
    system_name: str,
    version: str,
    *,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> SystemLifecycle:
    """A :class:`SystemLifecycle` stamped now, on this node unless given."""
    system = resolve_system(system)
    return SystemLifecycle(
        event=event,
        system_name=system_name,
        version=version,
        node=system.node if node is None else node,
        timestamp=stamp(system, timestamp),
    )


def feature_toggle(
    feature: str,
    enabled: bool,
    previous_state: bool | None,
    changed_by: str,
    *,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> FeatureToggle:
    """A :class:`FeatureToggle` stamped now, on this node unless given."""
    system = resolve_system(system)
    return FeatureToggle(
        feature=feature,
        enabled=enabled,
        previous_state=previous_state,
        changed_by=changed_by,
        node=system.node if node is None else node,
        timestamp=stamp(system, timestamp),
    )
