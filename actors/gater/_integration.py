"""ExESDB's ``PubSubIntegration``: broadcast helpers that never break business logic.

Each helper builds one catalogue message from its arguments (mapped to the
struct's fields by name) and broadcasts it as ``(struct.TAG, struct)`` on the
instance and topic ExESDB's ``PubSubIntegration`` uses::

    from actors.gater import integration

    integration.broadcast_alert("node_failure", "critical", "Node b@host down",
                                {"node": "b@host"}, system=system)
    # "ok", "disabled", or ("error", reason)

The contract is the one ExESDB's own tests assert (its code breaks it in
places: several helpers raise after the message was sent), so that
broadcasting never breaks business logic:

* the integration is disabled: ``"disabled"``, nothing is sent;
* the broadcast succeeded: ``"ok"``;
* it failed (the instance is not running, a delivery error, anything raised
  below): ``("error", reason)``, a WARNING ``"Failed to broadcast <op> ..."``
  on the ``actors.gater.integration`` logger, and a count in
  :func:`statistics`. Nothing raises into the caller;
* the arguments have the wrong type (or a value the catalogue rejects, such
  as a ``details`` map holding something that is not JSON): ``TypeError`` or
  ``ValueError`` at once, before anything is sent, whether or not the
  integration is enabled, so a bug does not hide behind the switch.

Helpers run in the caller's thread (any thread, an actor's callback
included) and return once the message is in the subscribers' mailboxes.

Switches and intervals live per actor system (systems are isolated): the state set by
:func:`enable`/:func:`disable` is kept in ``system.extensions``; the defaults
come from ``system.config``. Every function takes ``system=None``, resolved
by :func:`actors.current_system` (the calling actor's system, else the
innermost ``with ActorSystem()`` block's, else the default system).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal, TypeAlias

import attrs

import actors
from actors import messages
from actors.lowlevel import resolve_system
from actors.pubsub import PubSubManager, instances

__all__ = [
    "DEFAULT_ENABLED",
    "DEFAULT_HEALTH_INTERVAL",
    "DEFAULT_METRICS_INTERVAL",
    "DEFAULT_SOURCE",
    "BatchSummary",
    "BroadcastResult",
    "IntegrationStatistics",
    "OperationStatistics",
    "broadcast_alert",
    "broadcast_audit_event",
    "broadcast_batch",
    "broadcast_cluster_health",
    "broadcast_diagnostic",
    "broadcast_health_update",
    "broadcast_lifecycle_event",
    "broadcast_metrics",
    "broadcast_store_health",
    "broadcast_system_config",
    "broadcast_system_lifecycle",
    "disable",
    "enable",
    "enabled",
    "health_broadcast_interval",
    "metrics_broadcast_interval",
    "statistics",
]

logger = logging.getLogger("actors.gater.integration")

BroadcastResult: TypeAlias = Literal["ok", "disabled"] | tuple[Literal["error"], Any]
"""What every helper returns: ``"ok"``, ``"disabled"`` or ``("error", reason)``."""

BatchSummary: TypeAlias = dict[str, int | bool]
"""``{"success": n, "errors": m}``, or ``{"success": 0, "errors": 0, "disabled": True}``."""

DEFAULT_ENABLED: Final = True
"""Used when ``system.config`` has no ``"pubsub_integration"``. The original
library defaulted to ``False`` but its own application config set ``True``;
here the helpers are opt-out, since without a running gater they only
report ``("error", "no_instance")``."""
DEFAULT_HEALTH_INTERVAL: Final = 30.0
"""Seconds between health broadcasts (the original's 30_000 ms)."""
DEFAULT_METRICS_INTERVAL: Final = 60.0
"""Seconds between metrics broadcasts (the original's 60_000 ms)."""
DEFAULT_SOURCE: Final = "actors.gater.integration"
"""``SystemAlert.source`` of the alerts :func:`broadcast_alert` builds."""

_STATE: Final = "actors.gater.integration"
_CONFIG_ENABLED: Final = "pubsub_integration"
_CONFIG_HEALTH: Final = "health_broadcast_interval"
_CONFIG_METRICS: Final = "metrics_broadcast_interval"
_UNKNOWN_EVENT: Final = "unknown_event_type"


# Per-system state ----------------------------------------------------------------


@attrs.frozen
class OperationStatistics:
    """Counts of one helper (``"alert"``, ``"node_health"``...)."""

    sent: int = 0
    failed: int = 0
    disabled: int = 0


@attrs.frozen
class IntegrationStatistics:
    """A snapshot of the integration of one actor system (:func:`statistics`).

    Attributes:
        enabled: the switch right now.
        sent: broadcasts that returned ``"ok"``.
        failed: broadcasts that returned ``("error", reason)`` (batch items
            of an unknown shape included).
        disabled: broadcasts skipped because the integration was disabled.
        by_operation: the same counts per operation.
    """

    enabled: bool
    sent: int
    failed: int
    disabled: int
    by_operation: dict[str, OperationStatistics]


class _State:
    """The switch override and the counters of one system (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.override: bool | None = None
        self.counts: dict[str, list[int]] = {}

    def count(self, operation: str, outcome: int) -> None:
        with self.lock:
            counts = self.counts.get(operation)
            if counts is None:
                counts = self.counts[operation] = [0, 0, 0]
            counts[outcome] += 1


_SENT: Final = 0
_FAILED: Final = 1
_DISABLED: Final = 2


def _state(system: actors.ActorSystem) -> _State:
    state = system.extensions.get(_STATE)
    if state is None:
        # dict.setdefault is atomic: two threads get the same state.
        state = system.extensions.setdefault(_STATE, _State())
    assert isinstance(state, _State)
    return state


# Switches and intervals -----------------------------------------------------------


def enable(system: actors.ActorSystem | None = None) -> None:
    """Turn the integration on for ``system`` (takes effect on the next call)."""
    state = _state(resolve_system(system))
    with state.lock:
        state.override = True


def disable(system: actors.ActorSystem | None = None) -> None:
    """Turn the integration off for ``system``: helpers return ``"disabled"``,
    the periodic broadcasters and the log handler publish nothing."""
    state = _state(resolve_system(system))
    with state.lock:
        state.override = False


def enabled(system: actors.ActorSystem | None = None) -> bool:
    """Whether the integration is on: the last :func:`enable`/:func:`disable`,
    else ``system.config["pubsub_integration"]``, else :data:`DEFAULT_ENABLED`.

    Raises:
        ValueError: the config value is not a bool (the original crashed on
            anything but ``true``/``false`` in some helpers and treated it as
            ``false`` in others).
    """
    system = resolve_system(system)
    override = _state(system).override
    if override is not None:
        return override
    value = system.config.get(_CONFIG_ENABLED, DEFAULT_ENABLED)
    if not isinstance(value, bool):
        msg = f"system.config[{_CONFIG_ENABLED!r}] must be a bool, got {value!r}"
        raise ValueError(msg)
    return value


def health_broadcast_interval(system: actors.ActorSystem | None = None) -> float:
    """Seconds between health broadcasts: ``system.config["health_broadcast_interval"]``
    (seconds, int or float; the original's unit was milliseconds), default 30.0.

    Raises:
        ValueError: the configured value is not a positive finite number.
    """
    return _interval(resolve_system(system), _CONFIG_HEALTH, DEFAULT_HEALTH_INTERVAL)


def metrics_broadcast_interval(system: actors.ActorSystem | None = None) -> float:
    """Seconds between metrics broadcasts: ``system.config["metrics_broadcast_interval"]``
    (seconds), default 60.0.

    Raises:
        ValueError: the configured value is not a positive finite number.
    """
    return _interval(resolve_system(system), _CONFIG_METRICS, DEFAULT_METRICS_INTERVAL)


def _interval(system: actors.ActorSystem, key: str, default: float) -> float:
    return check_interval(system.config.get(key, default), f"system.config[{key!r}]")


def check_interval(value: Any, what: str) -> float:
    """``value`` as float seconds; ``ValueError`` unless positive and finite."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        msg = f"{what} must be a positive number of seconds, got {value!r}"
        raise ValueError(msg)
    return float(value)


def statistics(system: actors.ActorSystem | None = None) -> IntegrationStatistics:
    """Counts of sent, failed and disabled broadcasts of ``system``."""
    system = resolve_system(system)
    state = _state(system)
    with state.lock:
        by_operation = {op: OperationStatistics(*counts) for op, counts in state.counts.items()}
    return IntegrationStatistics(
        enabled=enabled(system),
        sent=sum(s.sent for s in by_operation.values()),
        failed=sum(s.failed for s in by_operation.values()),
        disabled=sum(s.disabled for s in by_operation.values()),
        by_operation=by_operation,
    )


# Publishing ----------------------------------------------------------------------


@attrs.frozen
class Prepared:
    """A checked message, ready to broadcast."""

    operation: str
    instance: str
    topic: str
    payload: Any


def publish(system: actors.ActorSystem, prepared: Prepared) -> BroadcastResult:
    """Broadcast ``(payload.TAG, payload)`` under the contract in the module
    docstring. Runs in the caller's thread; never raises."""
    state = _state(system)
    if not enabled(system):
        state.count(prepared.operation, _DISABLED)
        return "disabled"
    try:
        handle = PubSubManager.of(system).get(prepared.instance)
        if handle is None or handle.state == "stopped":
            reason: Any = "no_instance"
        else:
            payload = prepared.payload
            result = handle.broadcast(prepared.topic, (payload.TAG, payload))
            if result:
                state.count(prepared.operation, _SENT)
                return "ok"
            reason = result.reason
    except Exception as exc:  # whatever fails below is reported, never raised
        reason = exc
    return fail(system, prepared.operation, reason, prepared.instance, prepared.topic)


def fail(
    system: actors.ActorSystem,
    operation: str,
    reason: Any,
    instance: str | None = None,
    topic: str | None = None,
) -> BroadcastResult:
    """Count and log a failed broadcast; returns ``("error", reason)``."""
    _state(system).count(operation, _FAILED)
    where = "" if instance is None else f" on {instance} {topic!r}"
    logger.warning("Failed to broadcast %s%s: %r", operation, where, reason)
    return ("error", reason)


# Argument checks (they raise: a wrong argument is a bug, not a failed broadcast) --


def _text(what: str, value: Any) -> str:
    if not isinstance(value, str):
        msg = f"{what} must be a str, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    if not value:
        msg = f"{what} must not be empty"
        raise ValueError(msg)
    return value


def _map(what: str, value: Any, *, required: bool = False) -> dict[str, Any]:
    """A copy of ``value``; ``None`` is ``{}`` unless ``required``."""
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        expected = "a mapping" if required else "a mapping or None"
        msg = f"{what} must be {expected}, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    return dict(value)


def _names(what: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        msg = f"{what} must be a list of node names, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    names = tuple(value)
    for name in names:
        _text(f"each of {what}", name)
    return names


def _topic(topic: Any, default: str) -> str:
    return default if topic is None else _text("topic", topic)


def _checked(operation: str, instance: str, topic: str, payload: Any) -> Prepared:
    """Refuse a message the catalogue's validator rejects (e.g. a map that
    holds something that is not JSON) before anything is sent."""
    result = messages.validate(payload)
    if not result:
        msg = f"cannot broadcast {operation}: {type(payload).__name__} is invalid: {result!r}"
        raise TypeError(msg)
    return Prepared(operation, instance, topic, payload)


# Builders (one per helper; broadcast_batch uses them too) ---------------------------


def prepare_system_lifecycle(
    system: actors.ActorSystem, event: Any, system_name: Any, version: Any, topic: Any = None
) -> Prepared:
    payload = messages.new(
        messages.SystemLifecycle,
        _text("event", event),
        _text("system_name", system_name),
        _text("version", version),
        system=system,
    )
    return _checked("system_lifecycle", instances.SYSTEM, _topic(topic, "lifecycle"), payload)


def prepare_health_update(
    system: actors.ActorSystem, component: Any, status: Any, details: Any, topic: Any = None
) -> Prepared:
    payload = messages.new(
        messages.ComponentHealth,
        _text("component", component),
        system.node,
        _text("status", status),
        details=_map("details", details),
        system=system,
    )
    return _checked("health_update", instances.HEALTH, _topic(topic, "component_health"), payload)


def prepare_metrics(
    system: actors.ActorSystem, component: Any, metrics: Any, topic: Any = None
) -> Prepared:
    component = _text("component", component)
    values = _map("metrics", metrics)
    target = _topic(topic, component)
    payload: Any
    if component == "persistence":
        payload = messages.new(
            messages.PerformanceMetric,
            "persistence_operation",
            values.get("operations_count", 0),
            "operations",
            component="persistence",
            tags=values,
            system=system,
        )
    elif component == "emitter":
        payload = messages.new(
            messages.ThroughputMetric,
            "event_emission",
            values.get("events_emitted", 0),
            values.get("duration_ms", 1000),
            system=system,
        )
    else:
        payload = messages.new(
            messages.PerformanceMetric,
            component,
            values.get("value", 0),
            values.get("unit", "count"),
            component=component,
            tags=values,
            system=system,
        )
    return _checked("metrics", instances.METRICS, target, payload)


def prepare_alert(
    system: actors.ActorSystem,
    alert_type: Any,
    severity: Any,
    message: Any,
    context: Any,
    topic: Any = None,
    *,
    category: Any = "system",
    source: Any = DEFAULT_SOURCE,
) -> Prepared:
    alert_type = _text("alert_type", alert_type)
    message = _text("message", message)
    payload = messages.new(
        messages.SystemAlert,
        _text("severity", severity),
        _text("category", category),
        message,
        message,
        _text("source", source),
        metadata={**_map("context", context), "alert_type": alert_type},
        system=system,
    )
    return _checked("alert", instances.ALERTS, _topic(topic, alert_type), payload)


# Helpers ---------------------------------------------------------------------------


def broadcast_system_lifecycle(
    event: str,
    system_name: str,
    version: str,
    *,
    system: actors.ActorSystem | None = None,
    topic: str | None = None,
) -> BroadcastResult:
    """A :class:`~actors.messages.SystemLifecycle` (``"starting"``, ``"started"``,
    ``"stopping"``, ``"stopped"``) on ``ex_esdb_system`` ``"lifecycle"``, tag
    ``system_lifecycle_event``.

    Runs in the caller's thread, like every helper here.

    Raises:
        TypeError, ValueError: an argument is not a non-empty str.
    """
    system = resolve_system(system)
    return publish(system, prepare_system_lifecycle(system, event, system_name, version, topic))


def broadcast_system_config(
    component: str,
    changes: Mapping[str, Any],
    *,
    previous_config: Mapping[str, Any] | None = None,
    changed_by: str = "system",
    system: actors.ActorSystem | None = None,
    topic: str | None = None,
) -> BroadcastResult:
    """A :class:`~actors.messages.SystemConfig` on ``ex_esdb_system`` ``"config"``,
    tag ``system_config_changed``.

    Raises:
        TypeError, ValueError: wrong argument types, or values that are not JSON.
    """
    system = resolve_system(system)
    previous = None if previous_config is None else _map("previous_config", previous_config)
    payload = messages.new(
        messages.SystemConfig,
        _text("component", component),
        _map("changes", changes, required=True),
        previous_config=previous,
        changed_by=_text("changed_by", changed_by),
        system=system,
    )
    target = _topic(topic, "config")
    return publish(system, _checked("system_config", instances.SYSTEM, target, payload))


def broadcast_health_update(
    component: str,
    status: str,
    details: Mapping[str, Any] | None = None,
    *,
    system: actors.ActorSystem | None = None,
    topic: str | None = None,
) -> BroadcastResult:
    """A :class:`~actors.messages.ComponentHealth` of this node on
    ``ex_esdb_health`` ``"component_health"``, tag ``component_health_updated``
    (the original's legacy helper, which crashed whenever enabled).

    Raises:
        TypeError, ValueError: wrong argument types, or details that are not JSON.
    """
    system = resolve_system(system)
    return publish(system, prepare_health_update(system, component, status, details, topic))


def broadcast_store_health(
    store_id: str,
    component: str,
    status: str,
    details: Mapping[str, Any] | None = None,
    *,
    system: actors.ActorSystem | None = None,
    topic: str | None = None,
) -> BroadcastResult:
    """A :class:`~actors.messages.ComponentHealth` on ``ex_esdb_health``
    ``"<store_id>:health"``, tag ``component_health_updated``.

    ``details`` (plus ``"store_id"``) really is the message's ``details``: the
    original passed it as options and lost it.

    Raises:
        TypeError, ValueError: ``store_id`` is not a valid store id
            (:func:`actors.messages.topics.valid_store_id`: a non-empty str
            without ``":"``), or other wrong arguments.
    """
    system = resolve_system(system)
    store_topic = messages.topics.store_health(store_id)  # raises on a bad store id
    merged = {**_map("details", details), "store_id": store_id}
    target = store_topic if topic is None else topic
    prepared = prepare_health_update(system, component, status, merged, target)
    return publish(system, attrs.evolve(prepared, operation="store_health"))


def broadcast_cluster_health(
    nodes: Iterable[str],
    failed_nodes: Iterable[str],
    reason: str,
    *,
    system: actors.ActorSystem | None = None,
    topic: str | None = None,
) -> BroadcastResult:
    """A :class:`~actors.messages.ClusterHealth` on ``ex_esdb_health``
    ``"cluster:health"``, tag ``cluster_health_updated``.

    ``healthy_nodes = len(nodes)``, ``total_nodes = len(nodes) +
    len(failed_nodes)``, ``unhealthy_nodes = failed_nodes``; the status is
    ``"healthy"`` without failures, ``"degraded"`` with some, ``"unhealthy"``
    when no node is healthy, and ``"unknown"`` when both lists are empty;
    the quorum is ``"available"`` while more than half the nodes are healthy,
    else ``"lost"``. (The original passed its arguments positionally into
    the wrong fields; this mapping is the reference's reading of the intent.)

    ``ClusterHealth`` has no field for ``reason`` (``"node_disconnected"``,
    ``"probe_cycle_degraded"``...): it is checked, and logged at DEBUG on the
    ``actors.gater.integration`` logger with the counts, but not sent.

    Raises:
        TypeError, ValueError: ``nodes``/``failed_nodes`` are not lists of
            node names, or ``reason`` is not a str.
    """
    system = resolve_system(system)
    healthy = _names("nodes", nodes)
    failed = _names("failed_nodes", failed_nodes)
    why = _text("reason", reason)
    total = len(healthy) + len(failed)
    if total == 0:
        status = "unknown"
    elif not failed:
        status = "healthy"
    elif healthy:
        status = "degraded"
    else:
        status = "unhealthy"
    payload = messages.new(
        messages.ClusterHealth,
        status,
        len(healthy),
        total,
        unhealthy_nodes=failed,
        quorum_status="available" if len(healthy) * 2 > total else "lost",
        system=system,
    )
    prepared = _checked(
        "cluster_health", instances.HEALTH, _topic(topic, "cluster:health"), payload
    )
    logger.debug("cluster health %s (%s): %d of %d nodes healthy", status, why, len(healthy), total)
    return publish(system, prepared)


def broadcast_metrics(
    component: str,
    metrics: Mapping[str, Any],
    *,
    system: actors.ActorSystem | None = None,
    topic: str | None = None,
) -> BroadcastResult:
    """A metric of ``component`` on ``ex_esdb_metrics``, topic ``component``.

    * ``"persistence"``: ``PerformanceMetric("persistence_operation",
      metrics["operations_count"] (0), "operations", component="persistence",
      tags=metrics)``, tag ``performance_metric``;
    * ``"emitter"``: ``ThroughputMetric("event_emission",
      metrics["events_emitted"] (0), metrics["duration_ms"] (1000))``, tag
      ``throughput_metric``;
    * anything else: ``PerformanceMetric(component, metrics["value"] (0),
      metrics["unit"] ("count"), component=component, tags=metrics)``.

    ``tags`` is the whole ``metrics`` map (the original kept four keys).

    Raises:
        TypeError, ValueError: wrong argument types, a non-numeric value, a
            ``duration_ms`` that is not positive, or metrics that are not JSON.
    """
    system = resolve_system(system)
    return publish(system, prepare_metrics(system, component, metrics, topic))


def broadcast_alert(
    alert_type: str,
    severity: str,
    message: str,
    context: Mapping[str, Any] | None = None,
    *,
    category: str = "system",
    source: str = DEFAULT_SOURCE,
    system: actors.ActorSystem | None = None,
    topic: str | None = None,
) -> BroadcastResult:
    """A :class:`~actors.messages.SystemAlert` on ``ex_esdb_alerts``, topic
    ``alert_type`` (``"node_failure"``...), tag ``system_alert``.

    ``message`` becomes both ``title`` and ``description``; ``metadata`` is
    ``context`` plus ``"alert_type"``; ``requires_ack`` follows the severity
    (``"error"``/``"critical"``). ``category`` is one of the catalogue's
    (``"system"``, ``"performance"``, ``"security"``, ``"data"``, ``"network"``).

    Raises:
        TypeError, ValueError: wrong argument types, or context that is not JSON.
    """
    system = resolve_system(system)
    prepared = prepare_alert(
        system, alert_type, severity, message, context, topic, category=category, source=source
    )
    return publish(system, prepared)


_DATA_CHANGE_KEYS: Final = ("resource_type", "changes", "source_ip")


def broadcast_audit_event(
    event_type: str,
    actor: str,
    resource: str,
    action: str,
    details: Mapping[str, Any] | None = None,
    *,
    system: actors.ActorSystem | None = None,
    topic: str | None = None,
) -> BroadcastResult:
    """A :class:`~actors.messages.DataChange` on ``ex_esdb_audit``, topic
    ``event_type``, tag ``data_change``.

    By name: ``user_id=actor``, ``resource_id=resource``, ``action=action``.
    Keys of ``details`` that name ``DataChange`` fields (``resource_type``,
    ``changes``, ``source_ip``) fill them; ``resource_type`` defaults to
    ``event_type``; the other keys, plus ``"event_type"``, go to ``metadata``.

    Raises:
        TypeError, ValueError: wrong argument types, or details that are not JSON.
    """
    system = resolve_system(system)
    event_type = _text("event_type", event_type)
    extra = _map("details", details)
    fields = {key: extra.pop(key) for key in _DATA_CHANGE_KEYS if key in extra}
    payload = messages.new(
        messages.DataChange,
        _text("actor", actor),
        fields.get("resource_type", event_type),
        _text("resource", resource),
        _text("action", action),
        changes=_map("details['changes']", fields.get("changes")),
        metadata={**extra, "event_type": event_type},
        source_ip=fields.get("source_ip"),
        system=system,
    )
    target = _topic(topic, event_type)
    return publish(system, _checked("audit_event", instances.AUDIT, target, payload))


def broadcast_diagnostic(
    diagnostic_type: str,
    component: str,
    data: Mapping[str, Any],
    *,
    system: actors.ActorSystem | None = None,
    topic: str | None = None,
) -> BroadcastResult:
    """A :class:`~actors.messages.DebugTrace` (``operation=diagnostic_type``,
    ``trace_data=data``) on ``ex_esdb_diagnostics`` ``"diagnostics"``, tag
    ``debug_trace``.

    Raises:
        TypeError, ValueError: wrong argument types, or data that is not JSON.
    """
    system = resolve_system(system)
    payload = messages.new(
        messages.DebugTrace,
        _text("component", component),
        _text("diagnostic_type", diagnostic_type),
        _map("data", data, required=True),
        system=system,
    )
    target = _topic(topic, "diagnostics")
    return publish(system, _checked("diagnostic", instances.DIAGNOSTICS, target, payload))


_LIFECYCLE_KEYS: Final = ("component", "reason", "restart_count", "supervisor", "child_id")


def broadcast_lifecycle_event(
    event_type: str,
    process_name: Any,
    details: Mapping[str, Any] | None = None,
    *,
    system: actors.ActorSystem | None = None,
    topic: str | None = None,
) -> BroadcastResult:
    """A :class:`~actors.ProcessLifecycle` on ``ex_esdb_lifecycle`` topic
    ``"process_lifecycle:<component>"`` (where the actor core's own lifecycle
    events go, so a ``"process_lifecycle:*"`` subscriber gets both), tag
    ``process_lifecycle_event``.

    ``process_name`` is a registered name (``str``) or a :class:`~actors.Ref`
    (its id becomes ``actor_id``, its registered name ``name``). From
    ``details``: ``component`` (default ``"unknown"``), ``reason`` (formatted
    with :func:`actors.format_reason`), ``restart_count`` (0),
    ``supervisor``, ``child_id``; other keys are dropped, as in the original,
    since ``ProcessLifecycle`` has no free-form field.

    Raises:
        TypeError, ValueError: wrong argument types.
    """
    system = resolve_system(system)
    event_type = _text("event_type", event_type)
    if isinstance(process_name, str):
        pid: Any = _text("process_name", process_name)
        name: Any = process_name
    elif isinstance(process_name, actors.Ref):
        pid, name = process_name, process_name.name
    else:
        msg = f"process_name must be a str or an actors.Ref, got {type(process_name).__name__}"
        raise TypeError(msg)
    extra = _map("details", details)
    fields = {key: extra[key] for key in _LIFECYCLE_KEYS if key in extra}
    restart_count = fields.get("restart_count", 0)
    if isinstance(restart_count, bool) or not isinstance(restart_count, int):
        msg = f"details['restart_count'] must be an int, got {restart_count!r}"
        raise TypeError(msg)
    component = _text("details['component']", fields.get("component", "unknown"))
    payload = messages.new(
        messages.ProcessLifecycle,
        pid,
        component,
        event_type,
        name=name,
        reason=fields.get("reason"),
        restart_count=restart_count,
        supervisor=fields.get("supervisor"),
        child_id=fields.get("child_id"),
        system=system,
    )
    target = _topic(topic, f"process_lifecycle:{component}")
    return publish(system, _checked("lifecycle_event", instances.LIFECYCLE, target, payload))


def broadcast_batch(
    events: Iterable[tuple[Any, ...]], *, system: actors.ActorSystem | None = None
) -> BatchSummary:
    """Broadcast several events; returns how many succeeded and failed.

    Items: ``("system_lifecycle", event, system_name, version)``,
    ``("health_update", component, status[, details])``,
    ``("metrics", component, metrics)``,
    ``("alert", alert_type, severity, message[, context])``. An item of any
    other shape counts as an error (``"unknown_event_type"``).

    Every item is checked before the first is sent, so a wrong argument in
    any of them raises and sends nothing. Disabled:
    ``{"success": 0, "errors": 0, "disabled": True}``. Otherwise
    ``{"success": n, "errors": m}``, and a WARNING
    ``"Batch broadcast: n succeeded, m failed"`` when ``m > 0``.

    Raises:
        TypeError, ValueError: ``events`` is not an iterable of items, or a
            known item has wrong arguments.
    """
    system = resolve_system(system)
    if isinstance(events, str | bytes | Mapping) or not isinstance(events, Iterable):
        msg = f"events must be an iterable of tuples, got {type(events).__name__}"
        raise TypeError(msg)
    prepared = [_prepare_item(system, item) for item in events]
    if not enabled(system):
        _state(system).count("batch", _DISABLED)
        return {"success": 0, "errors": 0, "disabled": True}
    success = errors = 0
    for item, ready in prepared:
        if ready is None:
            _state(system).count("batch", _FAILED)
            logger.warning("Failed to broadcast batch item %r: %s", item, _UNKNOWN_EVENT)
            errors += 1
        elif publish(system, ready) == "ok":
            success += 1
        else:
            errors += 1
    if errors:
        logger.warning("Batch broadcast: %d succeeded, %d failed", success, errors)
    return {"success": success, "errors": errors}


def _prepare_item(system: actors.ActorSystem, item: Any) -> tuple[Any, Prepared | None]:
    match item:
        case ("system_lifecycle", event, system_name, version):
            return item, prepare_system_lifecycle(system, event, system_name, version)
        case ("health_update", component, status):
            return item, prepare_health_update(system, component, status, None)
        case ("health_update", component, status, details):
            return item, prepare_health_update(system, component, status, details)
        case ("metrics", component, metrics):
            return item, prepare_metrics(system, component, metrics)
        case ("alert", alert_type, severity, message):
            return item, prepare_alert(system, alert_type, severity, message, None)
        case ("alert", alert_type, severity, message, context):
            return item, prepare_alert(system, alert_type, severity, message, context)
    return item, None
