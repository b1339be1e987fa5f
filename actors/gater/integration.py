"""ExESDB's ``PubSubIntegration`` for the gater: broadcast helpers, periodic
health and metrics broadcasters, and a logging handler.

::

    from actors import gater
    from actors.gater import integration

    gater.start(system, extra=integration.integration_children(system))
    integration.broadcast_alert("node_failure", "critical", "Node b@host down",
                                {"node": "b@host"}, system=system)   # "ok"
    integration.install_log_handler(system, service="orders")

Helpers return ``"ok"``, ``"disabled"`` or ``("error", reason)`` (with a
WARNING ``"Failed to broadcast ..."``) and never raise into the caller,
except ``TypeError``/``ValueError`` for wrong arguments, before anything is
sent. The switch and the intervals are per actor system: ``enable``,
``disable``, ``enabled`` and the ``system.config`` keys
``"pubsub_integration"`` (bool, default ``True``),
``"health_broadcast_interval"`` (seconds, default 30) and
``"metrics_broadcast_interval"`` (seconds, default 60).

Where each one publishes (instance, topic, tag):

* ``broadcast_system_lifecycle``: ``ex_esdb_system``, ``"lifecycle"``, ``system_lifecycle_event``
* ``broadcast_system_config``: ``ex_esdb_system``, ``"config"``, ``system_config_changed``
* ``broadcast_health_update``: ``ex_esdb_health``, ``"component_health"``,
  ``component_health_updated``
* ``broadcast_store_health``: ``ex_esdb_health``, ``"<store_id>:health"``,
  ``component_health_updated``
* ``broadcast_cluster_health``: ``ex_esdb_health``, ``"cluster:health"``,
  ``cluster_health_updated``
* ``broadcast_metrics``: ``ex_esdb_metrics``, ``component``, ``performance_metric`` (or
  ``throughput_metric`` for ``"emitter"``)
* ``broadcast_alert``: ``ex_esdb_alerts``, ``alert_type``, ``system_alert``
* ``broadcast_audit_event``: ``ex_esdb_audit``, ``event_type``, ``data_change``
* ``broadcast_diagnostic``: ``ex_esdb_diagnostics``, ``"diagnostics"``, ``debug_trace``
* ``broadcast_lifecycle_event``: ``ex_esdb_lifecycle``,
  ``"process_lifecycle:<component>"``, ``process_lifecycle_event``
* ``HealthBroadcaster``: ``ex_esdb_health``, ``"cluster:health"``, ``node_health_updated``
  then ``cluster_health_updated``
* ``MetricsBroadcaster``: ``ex_esdb_metrics``, ``"performance"`` (``performance_metric``)
  and ``"throughput"`` (``throughput_metric``)
* ``PubSubLogHandler``: ``ex_esdb_logging``, ``"logs:<service>:<level>"``, ``log_entry``

``topic=`` overrides the topic of any helper.
"""

from __future__ import annotations

from actors.gater._broadcasters import (
    BROADCASTERS_NAME,
    HEALTH_BROADCASTER_NAME,
    HEALTH_TOPIC,
    METRICS_BROADCASTER_NAME,
    PERFORMANCE_TOPIC,
    THROUGHPUT_TOPIC,
    BroadcasterStatistics,
    HealthBroadcaster,
    MetricsBroadcaster,
    integration_children,
    process_memory_percent,
    start_broadcasters,
)
from actors.gater._integration import (
    DEFAULT_ENABLED,
    DEFAULT_HEALTH_INTERVAL,
    DEFAULT_METRICS_INTERVAL,
    DEFAULT_SOURCE,
    BatchSummary,
    BroadcastResult,
    IntegrationStatistics,
    OperationStatistics,
    broadcast_alert,
    broadcast_audit_event,
    broadcast_batch,
    broadcast_cluster_health,
    broadcast_diagnostic,
    broadcast_health_update,
    broadcast_lifecycle_event,
    broadcast_metrics,
    broadcast_store_health,
    broadcast_system_config,
    broadcast_system_lifecycle,
    disable,
    enable,
    enabled,
    health_broadcast_interval,
    metrics_broadcast_interval,
    statistics,
)
from actors.gater._log_handler import (
    PubSubLogHandler,
    install_log_handler,
    log_level,
    log_topic,
    remove_log_handler,
)

__all__ = [
    "BROADCASTERS_NAME",
    "DEFAULT_ENABLED",
    "DEFAULT_HEALTH_INTERVAL",
    "DEFAULT_METRICS_INTERVAL",
    "DEFAULT_SOURCE",
    "HEALTH_BROADCASTER_NAME",
    "HEALTH_TOPIC",
    "METRICS_BROADCASTER_NAME",
    "PERFORMANCE_TOPIC",
    "THROUGHPUT_TOPIC",
    "BatchSummary",
    "BroadcastResult",
    "BroadcasterStatistics",
    "HealthBroadcaster",
    "IntegrationStatistics",
    "MetricsBroadcaster",
    "OperationStatistics",
    "PubSubLogHandler",
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
    "install_log_handler",
    "integration_children",
    "log_level",
    "log_topic",
    "metrics_broadcast_interval",
    "process_memory_percent",
    "remove_log_handler",
    "start_broadcasters",
    "statistics",
]
