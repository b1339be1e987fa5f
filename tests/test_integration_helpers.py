"""PubSubIntegration helpers: the contract ExESDB's own tests assert.

Disabled gives ``"disabled"``, success ``"ok"``, failure ``("error", reason)``
plus a "Failed to broadcast" warning; wrong arguments raise before anything
is sent. Arguments land in the struct fields of the same name.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import pytest

import actors
from actors import Error, gater, messages, pubsub
from actors.gater import instances, integration
from actors.pubsub import PubSub, PubSubManager
from actors.testing import ANY, Probe, settle

Helper = Callable[..., Any]


@pytest.fixture
def system(actor_system: actors.ActorSystem) -> actors.ActorSystem:
    gater.start(actor_system, audit=False)
    return actor_system


@pytest.fixture
def everything(system: actors.ActorSystem) -> Probe:
    """A probe subscribed to every topic of the ten instances."""
    probe = Probe(system)
    for name in instances.ALL:
        pubsub.subscribe(name, "*", probe, system=system)
    return probe


ROUTES: list[tuple[str, Helper, str, str, str]] = [
    (
        "system_lifecycle",
        lambda s, **kw: integration.broadcast_system_lifecycle(
            "started", "ex_esdb", "0.8.0", system=s, **kw
        ),
        instances.SYSTEM,
        "lifecycle",
        "system_lifecycle_event",
    ),
    (
        "system_config",
        lambda s, **kw: integration.broadcast_system_config(
            "store", {"enabled": True}, system=s, **kw
        ),
        instances.SYSTEM,
        "config",
        "system_config_changed",
    ),
    (
        "health_update",
        lambda s, **kw: integration.broadcast_health_update(
            "store_worker", "healthy", {"store_id": "main"}, system=s, **kw
        ),
        instances.HEALTH,
        "component_health",
        "component_health_updated",
    ),
    (
        "store_health",
        lambda s, **kw: integration.broadcast_store_health(
            "vehicle_store", "emitter_worker", "healthy", system=s, **kw
        ),
        instances.HEALTH,
        "vehicle_store:health",
        "component_health_updated",
    ),
    (
        "cluster_health",
        lambda s, **kw: integration.broadcast_cluster_health(
            ["a@host"], ["b@host"], "node_disconnected", system=s, **kw
        ),
        instances.HEALTH,
        "cluster:health",
        "cluster_health_updated",
    ),
    (
        "metrics_persistence",
        lambda s, **kw: integration.broadcast_metrics(
            "persistence", {"operations_count": 1000}, system=s, **kw
        ),
        instances.METRICS,
        "persistence",
        "performance_metric",
    ),
    (
        "metrics_emitter",
        lambda s, **kw: integration.broadcast_metrics(
            "emitter", {"events_emitted": 1250, "duration_ms": 1000}, system=s, **kw
        ),
        instances.METRICS,
        "emitter",
        "throughput_metric",
    ),
    (
        "metrics_other",
        lambda s, **kw: integration.broadcast_metrics(
            "system_resources", {"value": 42, "unit": "percent"}, system=s, **kw
        ),
        instances.METRICS,
        "system_resources",
        "performance_metric",
    ),
    (
        "alert",
        lambda s, **kw: integration.broadcast_alert(
            "node_failure", "critical", "Node down", {"node": "node1"}, system=s, **kw
        ),
        instances.ALERTS,
        "node_failure",
        "system_alert",
    ),
    (
        "audit_event",
        lambda s, **kw: integration.broadcast_audit_event(
            "data_changes", "user-1", "stream-42", "update", system=s, **kw
        ),
        instances.AUDIT,
        "data_changes",
        "data_change",
    ),
    (
        "diagnostic",
        lambda s, **kw: integration.broadcast_diagnostic(
            "performance_trace", "emitter", {"ms": 3}, system=s, **kw
        ),
        instances.DIAGNOSTICS,
        "diagnostics",
        "debug_trace",
    ),
    (
        "lifecycle_event",
        lambda s, **kw: integration.broadcast_lifecycle_event(
            "emitter_worker_started", "emitter_1", {"component": "emitter_worker"}, system=s, **kw
        ),
        instances.LIFECYCLE,
        "process_lifecycle:emitter_worker",
        "process_lifecycle_event",
    ),
]
ROUTE_IDS = [route[0] for route in ROUTES]


# Routing -------------------------------------------------------------------------


@pytest.mark.parametrize(("_", "helper", "instance", "topic", "tag"), ROUTES, ids=ROUTE_IDS)
def test_each_helper_broadcasts_a_valid_struct_with_its_tag_on_its_instance_and_topic(
    system: actors.ActorSystem,
    probe: Probe,
    _: str,
    helper: Helper,
    instance: str,
    topic: str,
    tag: str,
) -> None:
    pubsub.subscribe(instance, topic, probe, system=system)

    result = helper(system)
    received_tag, payload = probe.receive()

    assert "ok" == result
    assert tag == received_tag
    spec = messages.spec_for(payload)
    assert spec is not None
    assert (tag, instance) == (spec.tag, spec.instance)
    assert messages.validate(payload)


@pytest.mark.parametrize(("_", "helper", "instance", "topic", "tag"), ROUTES, ids=ROUTE_IDS)
def test_each_helper_sends_to_the_topic_given_instead(
    system: actors.ActorSystem,
    probe: Probe,
    _: str,
    helper: Helper,
    instance: str,
    topic: str,
    tag: str,
) -> None:
    pubsub.subscribe(instance, "custom:topic", probe, system=system)

    result = helper(system, topic="custom:topic")

    assert "ok" == result
    assert (tag, ANY) == probe.receive()


# Disabled, failures ------------------------------------------------------------------


@pytest.mark.parametrize(("_", "helper", "instance", "topic", "tag"), ROUTES, ids=ROUTE_IDS)
def test_each_helper_returns_disabled_and_sends_nothing_while_disabled(
    system: actors.ActorSystem,
    everything: Probe,
    _: str,
    helper: Helper,
    instance: str,
    topic: str,
    tag: str,
) -> None:
    integration.disable(system)

    result = helper(system)

    assert "disabled" == result
    settle(system)
    everything.refute(ANY, timeout=0)


@pytest.mark.parametrize(("_", "helper", "instance", "topic", "tag"), ROUTES, ids=ROUTE_IDS)
def test_each_helper_reports_no_instance_and_warns_when_the_gater_is_not_running(
    actor_system: actors.ActorSystem,
    caplog: pytest.LogCaptureFixture,
    _: str,
    helper: Helper,
    instance: str,
    topic: str,
    tag: str,
) -> None:
    result = helper(actor_system)

    assert ("error", "no_instance") == result
    assert "Failed to broadcast" in caplog.text
    assert [logging.WARNING] == [r.levelno for r in caplog.records]


@pytest.mark.parametrize(("_", "helper", "instance", "topic", "tag"), ROUTES, ids=ROUTE_IDS)
def test_each_helper_reports_no_instance_when_its_instance_was_stopped(
    actor_system: actors.ActorSystem,
    caplog: pytest.LogCaptureFixture,
    _: str,
    helper: Helper,
    instance: str,
    topic: str,
    tag: str,
) -> None:
    manager = PubSubManager.of(actor_system)
    manager.ensure(instance)
    manager.stop(instance)

    result = helper(actor_system)

    assert ("error", "no_instance") == result
    assert "Failed to broadcast" in caplog.text


def test_an_error_result_from_pubsub_becomes_an_error_tuple(
    system: actors.ActorSystem, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = PubSubManager.of(system).get(instances.ALERTS)
    assert handle is not None
    monkeypatch.setattr(handle, "broadcast", lambda topic, message: Error("mailbox_full"))

    result = integration.broadcast_alert("node_failure", "critical", "Node down", system=system)

    assert ("error", "mailbox_full") == result
    assert "Failed to broadcast alert on ex_esdb_alerts 'node_failure'" in caplog.text


def test_an_exception_below_the_helper_is_returned_not_raised(
    system: actors.ActorSystem, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    failure = RuntimeError("adapter exploded")

    def explode(self: PubSub, topic: str, message: Any) -> Any:
        raise failure

    monkeypatch.setattr(PubSub, "broadcast", explode)

    result = integration.broadcast_system_lifecycle("started", "ex_esdb", "1.0", system=system)

    assert ("error", failure) == result
    assert "Failed to broadcast system_lifecycle" in caplog.text


# Wrong arguments ---------------------------------------------------------------------

BAD: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = [
    ("lifecycle_event_none", "broadcast_system_lifecycle", (None, "x", "1"), {}),
    ("lifecycle_name_int", "broadcast_system_lifecycle", ("started", 1, "1"), {}),
    ("lifecycle_version_none", "broadcast_system_lifecycle", ("started", "x", None), {}),
    ("config_component_none", "broadcast_system_config", (None, {}), {}),
    ("config_changes_str", "broadcast_system_config", ("store", "x"), {}),
    ("config_changes_none", "broadcast_system_config", ("store", None), {}),
    ("health_status_int", "broadcast_health_update", ("c", 1), {}),
    ("health_details_str", "broadcast_health_update", ("c", "healthy", "x"), {}),
    ("health_details_not_json", "broadcast_health_update", ("c", "ok", {"x": object()}), {}),
    ("store_id_none", "broadcast_store_health", (None, "c", "healthy"), {}),
    ("store_id_int", "broadcast_store_health", (123, "c", "healthy"), {}),
    ("store_id_empty", "broadcast_store_health", ("", "c", "healthy"), {}),
    ("store_id_colon", "broadcast_store_health", ("a:b", "c", "healthy"), {}),
    ("cluster_nodes_str", "broadcast_cluster_health", ("a@h", [], "r"), {}),
    ("cluster_failed_ints", "broadcast_cluster_health", ([], [1], "r"), {}),
    ("cluster_reason_none", "broadcast_cluster_health", ([], [], None), {}),
    ("metrics_component_none", "broadcast_metrics", (None, {}), {}),
    ("metrics_list", "broadcast_metrics", ("cpu", [1]), {}),
    ("metrics_value_str", "broadcast_metrics", ("cpu", {"value": "high"}), {}),
    ("emitter_zero_duration", "broadcast_metrics", ("emitter", {"duration_ms": 0}), {}),
    ("alert_severity_none", "broadcast_alert", ("t", None, "m"), {}),
    ("alert_context_str", "broadcast_alert", ("t", "info", "m", "ctx"), {}),
    ("audit_actor_none", "broadcast_audit_event", ("e", None, "r", "update"), {}),
    ("diagnostic_data_none", "broadcast_diagnostic", ("d", "c", None), {}),
    ("process_name_int", "broadcast_lifecycle_event", ("started", 42), {}),
    (
        "restart_count_str",
        "broadcast_lifecycle_event",
        ("started", "p", {"restart_count": "x"}),
        {},
    ),
    ("topic_int", "broadcast_alert", ("t", "info", "m"), {"topic": 5}),
    ("topic_empty", "broadcast_alert", ("t", "info", "m"), {"topic": ""}),
    ("batch_not_iterable", "broadcast_batch", (5,), {}),
    (
        "batch_with_one_bad_item",
        "broadcast_batch",
        ([("alert", "t", "info", "first"), ("alert", None, "info", "m")],),
        {},
    ),
]


@pytest.mark.parametrize(("_", "helper", "args", "kwargs"), BAD, ids=[bad[0] for bad in BAD])
def test_wrong_arguments_raise_before_anything_is_sent(
    system: actors.ActorSystem,
    everything: Probe,
    _: str,
    helper: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    with pytest.raises((TypeError, ValueError)):
        getattr(integration, helper)(*args, system=system, **kwargs)

    settle(system)
    everything.refute(ANY, timeout=0)


@pytest.mark.parametrize(("_", "helper", "args", "kwargs"), BAD, ids=[bad[0] for bad in BAD])
def test_wrong_arguments_raise_even_while_disabled(
    actor_system: actors.ActorSystem,
    _: str,
    helper: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    integration.disable(actor_system)

    with pytest.raises((TypeError, ValueError)):
        getattr(integration, helper)(*args, system=actor_system, **kwargs)


# Fields by name ----------------------------------------------------------------------


def _sent(system: actors.ActorSystem, probe: Probe, instance: str, topic: str, call: Helper) -> Any:
    pubsub.subscribe(instance, topic, probe, system=system)
    assert "ok" == call()
    _, payload = probe.receive()
    return payload


def test_system_lifecycle_maps_its_arguments_to_fields_of_the_same_name(
    system: actors.ActorSystem, probe: Probe
) -> None:
    payload = _sent(
        system,
        probe,
        instances.SYSTEM,
        "lifecycle",
        lambda: integration.broadcast_system_lifecycle(
            "stopping", "ex_esdb", "0.8.0", system=system
        ),
    )

    assert ("stopping", "ex_esdb", "0.8.0", system.node) == (
        payload.event,
        payload.system_name,
        payload.version,
        payload.node,
    )


def test_system_config_carries_changes_previous_config_and_who_changed_it(
    system: actors.ActorSystem, probe: Probe
) -> None:
    payload = _sent(
        system,
        probe,
        instances.SYSTEM,
        "config",
        lambda: integration.broadcast_system_config(
            "store",
            {"enabled": True},
            previous_config={"enabled": False},
            changed_by="ops",
            system=system,
        ),
    )

    assert ("store", {"enabled": True}, {"enabled": False}, "ops") == (
        payload.component,
        payload.changes,
        payload.previous_config,
        payload.changed_by,
    )


def test_health_update_is_a_component_health_of_this_node_with_its_details(
    system: actors.ActorSystem, probe: Probe
) -> None:
    payload = _sent(
        system,
        probe,
        instances.HEALTH,
        "component_health",
        lambda: integration.broadcast_health_update(
            "store_worker", "healthy", {"store_id": "main"}, system=system
        ),
    )

    assert isinstance(payload, messages.ComponentHealth)
    assert ("store_worker", system.node, "healthy", {"store_id": "main"}) == (
        payload.component,
        payload.node,
        payload.status,
        payload.details,
    )


def test_store_health_keeps_the_details_and_adds_the_store_id(
    system: actors.ActorSystem, probe: Probe
) -> None:
    payload = _sent(
        system,
        probe,
        instances.HEALTH,
        "vehicle_store:health",
        lambda: integration.broadcast_store_health(
            "vehicle_store", "khepri_store", "unhealthy", {"event": "stopped"}, system=system
        ),
    )

    assert ("khepri_store", "unhealthy") == (payload.component, payload.status)
    assert {"event": "stopped", "store_id": "vehicle_store"} == payload.details


CLUSTERS = [
    (["a", "b"], [], ("healthy", 2, 2, (), "available")),
    (["a", "b"], ["c"], ("degraded", 2, 3, ("c",), "available")),
    (["a"], ["b"], ("degraded", 1, 2, ("b",), "lost")),
    ([], ["a", "b"], ("unhealthy", 0, 2, ("a", "b"), "lost")),
    ([], [], ("unknown", 0, 0, (), "lost")),
]


@pytest.mark.parametrize(("nodes", "failed", "expected"), CLUSTERS)
def test_cluster_health_derives_counts_status_and_quorum_from_the_node_lists(
    system: actors.ActorSystem,
    probe: Probe,
    nodes: list[str],
    failed: list[str],
    expected: tuple[Any, ...],
) -> None:
    payload = _sent(
        system,
        probe,
        instances.HEALTH,
        "cluster:health",
        lambda: integration.broadcast_cluster_health(nodes, failed, "node_down", system=system),
    )

    assert expected == (
        payload.status,
        payload.healthy_nodes,
        payload.total_nodes,
        payload.unhealthy_nodes,
        payload.quorum_status,
    )


def test_persistence_metrics_become_a_persistence_operation_metric(
    system: actors.ActorSystem, probe: Probe
) -> None:
    metrics = {"operations_count": 1000, "duration_ms": 250, "success_count": 995, "error_count": 5}

    payload = _sent(
        system,
        probe,
        instances.METRICS,
        "persistence",
        lambda: integration.broadcast_metrics("persistence", metrics, system=system),
    )

    assert ("persistence_operation", 1000.0, "operations", "persistence", metrics) == (
        payload.metric_name,
        payload.value,
        payload.unit,
        payload.component,
        payload.tags,
    )


def test_emitter_metrics_become_an_event_emission_throughput(
    system: actors.ActorSystem, probe: Probe
) -> None:
    payload = _sent(
        system,
        probe,
        instances.METRICS,
        "emitter",
        lambda: integration.broadcast_metrics(
            "emitter", {"events_emitted": 1250, "duration_ms": 500}, system=system
        ),
    )

    assert ("event_emission", 1250, 500.0, 2500.0) == (
        payload.operation,
        payload.count,
        payload.duration_ms,
        payload.rate_per_sec,
    )


def test_other_metrics_take_value_and_unit_from_the_map_with_defaults(
    system: actors.ActorSystem, probe: Probe
) -> None:
    with_unit = _sent(
        system,
        probe,
        instances.METRICS,
        "system_resources",
        lambda: integration.broadcast_metrics(
            "system_resources", {"value": 42, "unit": "percent"}, system=system
        ),
    )
    defaults = _sent(
        system,
        probe,
        instances.METRICS,
        "cluster_health",
        lambda: integration.broadcast_metrics("cluster_health", {"total_nodes": 3}, system=system),
    )

    assert ("system_resources", 42.0, "percent", "system_resources") == (
        with_unit.metric_name,
        with_unit.value,
        with_unit.unit,
        with_unit.component,
    )
    assert (0.0, "count", {"total_nodes": 3}) == (defaults.value, defaults.unit, defaults.tags)


def test_an_alert_is_a_real_system_alert_with_the_context_and_type_as_metadata(
    system: actors.ActorSystem, probe: Probe
) -> None:
    payload = _sent(
        system,
        probe,
        instances.ALERTS,
        "node_failure",
        lambda: integration.broadcast_alert(
            "node_failure", "critical", "Node node2 down", {"node": "node2"}, system=system
        ),
    )

    assert isinstance(payload, messages.SystemAlert)
    assert ("critical", "system", "Node node2 down", "Node node2 down", True) == (
        payload.severity,
        payload.category,
        payload.title,
        payload.description,
        payload.requires_ack,
    )
    assert {"node": "node2", "alert_type": "node_failure"} == payload.metadata


def test_a_warning_alert_needs_no_acknowledgement_and_may_name_its_category(
    system: actors.ActorSystem, probe: Probe
) -> None:
    payload = _sent(
        system,
        probe,
        instances.ALERTS,
        "resource_warning",
        lambda: integration.broadcast_alert(
            "resource_warning", "warning", "Memory at 80%", category="performance", system=system
        ),
    )

    assert (False, "performance") == (payload.requires_ack, payload.category)


def test_an_audit_event_maps_actor_resource_and_action_by_name(
    system: actors.ActorSystem, probe: Probe
) -> None:
    details = {
        "resource_type": "stream",
        "changes": {"version": 7},
        "source_ip": "10.0.0.1",
        "reason": "backfill",
    }

    payload = _sent(
        system,
        probe,
        instances.AUDIT,
        "data_changes",
        lambda: integration.broadcast_audit_event(
            "data_changes", "user-1", "orders-42", "update", details, system=system
        ),
    )

    assert ("user-1", "stream", "orders-42", "update", {"version": 7}, "10.0.0.1") == (
        payload.user_id,
        payload.resource_type,
        payload.resource_id,
        payload.action,
        payload.changes,
        payload.source_ip,
    )
    assert {"reason": "backfill", "event_type": "data_changes"} == payload.metadata


def test_an_audit_event_without_a_resource_type_uses_the_event_type(
    system: actors.ActorSystem, probe: Probe
) -> None:
    payload = _sent(
        system,
        probe,
        instances.AUDIT,
        "admin_actions",
        lambda: integration.broadcast_audit_event(
            "admin_actions", "admin", "node-1", "delete", system=system
        ),
    )

    assert ("admin_actions", {}) == (payload.resource_type, payload.changes)


def test_a_diagnostic_is_a_debug_trace_of_the_operation(
    system: actors.ActorSystem, probe: Probe
) -> None:
    payload = _sent(
        system,
        probe,
        instances.DIAGNOSTICS,
        "diagnostics",
        lambda: integration.broadcast_diagnostic(
            "performance_trace", "emitter", {"ms": 3}, system=system
        ),
    )

    assert ("emitter", "performance_trace", {"ms": 3}) == (
        payload.component,
        payload.operation,
        payload.trace_data,
    )
    assert payload.trace_id.startswith("trace_")


def test_a_lifecycle_event_about_a_named_process(system: actors.ActorSystem, probe: Probe) -> None:
    details = {
        "component": "persistence_worker",
        "reason": "shutdown",
        "restart_count": 2,
        "store_id": "dropped",
    }

    payload = _sent(
        system,
        probe,
        instances.LIFECYCLE,
        "process_lifecycle:persistence_worker",
        lambda: integration.broadcast_lifecycle_event(
            "stopped", "persistence_worker_main", details, system=system
        ),
    )

    assert isinstance(payload, actors.ProcessLifecycle)
    assert (
        "stopped",
        "persistence_worker",
        "persistence_worker_main",
        "persistence_worker_main",
        "shutdown",
        2,
    ) == (
        payload.event_type,
        payload.component,
        payload.actor_id,
        payload.name,
        payload.reason,
        payload.restart_count,
    )


class _Worker(actors.GenServer):
    pass


def test_a_lifecycle_event_about_a_ref_uses_its_id_and_registered_name(
    system: actors.ActorSystem, probe: Probe
) -> None:
    ref = _Worker.start(name="emitter_1", system=system)

    payload = _sent(
        system,
        probe,
        instances.LIFECYCLE,
        "process_lifecycle:emitter_worker",
        lambda: integration.broadcast_lifecycle_event(
            "emitter_worker_started", ref, {"component": "emitter_worker"}, system=system
        ),
    )

    assert (ref.id, "emitter_1", "emitter_worker") == (
        payload.actor_id,
        payload.name,
        payload.component,
    )


def test_a_process_lifecycle_wildcard_subscriber_gets_helper_and_core_events_alike(
    system: actors.ActorSystem, probe: Probe
) -> None:
    pubsub.subscribe(instances.LIFECYCLE, "process_lifecycle:*", probe, system=system)

    assert "ok" == integration.broadcast_lifecycle_event(
        "started", "emitter_1", {"component": "emitter_worker"}, system=system
    )
    ref = _Worker.start(name="core_worker", system=system)

    _, helper = probe.receive()
    _, core = probe.expect(lambda m: m[1].name == "core_worker", timeout=5)
    assert ("emitter_1", "emitter_worker") == (helper.name, helper.component)
    assert (ref.id, "started") == (core.actor_id, core.event_type)


# Batch -------------------------------------------------------------------------------

BATCH = [
    ("system_lifecycle", "started", "ex_esdb", "0.8.0"),
    ("health_update", "store_worker", "healthy", {"store_id": "main"}),
    ("metrics", "persistence", {"operations_count": 10}),
    ("alert", "node_failure", "critical", "Node down", {"node": "n1"}),
]


def test_a_batch_sends_every_item_and_counts_the_successes(
    system: actors.ActorSystem, everything: Probe
) -> None:
    summary = integration.broadcast_batch(BATCH, system=system)
    tags = sorted(everything.receive()[0] for _ in BATCH)

    assert {"success": 4, "errors": 0} == summary
    assert (
        sorted(
            [
                "system_lifecycle_event",
                "component_health_updated",
                "performance_metric",
                "system_alert",
            ]
        )
        == tags
    )


def test_a_batch_accepts_health_updates_and_alerts_without_their_optional_map(
    system: actors.ActorSystem,
) -> None:
    summary = integration.broadcast_batch(
        [("health_update", "store_worker", "healthy"), ("alert", "t", "info", "m")], system=system
    )

    assert {"success": 2, "errors": 0} == summary


def test_a_disabled_batch_sends_nothing_and_says_so(
    system: actors.ActorSystem, everything: Probe
) -> None:
    integration.disable(system)

    summary = integration.broadcast_batch(BATCH, system=system)

    assert {"success": 0, "errors": 0, "disabled": True} == summary
    settle(system)
    everything.refute(ANY, timeout=0)


def test_an_unknown_batch_item_counts_as_an_error_and_the_batch_warns(
    system: actors.ActorSystem, caplog: pytest.LogCaptureFixture
) -> None:
    summary = integration.broadcast_batch(
        [("alert", "t", "info", "m"), ("launch_rockets", 3), "not a tuple"],  # type: ignore[list-item]
        system=system,
    )

    assert {"success": 1, "errors": 2} == summary
    assert "unknown_event_type" in caplog.text
    assert "Batch broadcast: 1 succeeded, 2 failed" in caplog.text


def test_a_batch_without_a_running_gater_counts_every_item_as_an_error(
    actor_system: actors.ActorSystem, caplog: pytest.LogCaptureFixture
) -> None:
    summary = integration.broadcast_batch(BATCH, system=actor_system)

    assert {"success": 0, "errors": 4} == summary
    assert "Batch broadcast: 0 succeeded, 4 failed" in caplog.text


# Switches, intervals, statistics --------------------------------------------------------


def test_the_integration_is_enabled_by_default(actor_system: actors.ActorSystem) -> None:
    assert integration.enabled(actor_system)


def test_the_config_can_disable_the_integration(
    actor_system_factory: Callable[..., actors.ActorSystem],
) -> None:
    system = actor_system_factory(config={"pubsub_integration": False})

    assert not integration.enabled(system)


def test_enable_and_disable_toggle_one_system_only(
    actor_system_factory: Callable[..., actors.ActorSystem],
) -> None:
    one = actor_system_factory(config={"pubsub_integration": False})
    two = actor_system_factory()

    integration.enable(one)
    integration.disable(two)

    assert (True, False) == (integration.enabled(one), integration.enabled(two))


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_config_switch_that_is_not_a_bool_is_refused(
    actor_system_factory: Callable[..., actors.ActorSystem], value: Any
) -> None:
    system = actor_system_factory(config={"pubsub_integration": value})

    with pytest.raises(ValueError, match="pubsub_integration"):
        integration.enabled(system)


def test_the_intervals_default_to_30_and_60_seconds(actor_system: actors.ActorSystem) -> None:
    assert (30.0, 60.0) == (
        integration.health_broadcast_interval(actor_system),
        integration.metrics_broadcast_interval(actor_system),
    )


def test_the_intervals_are_read_from_the_config_in_seconds(
    actor_system_factory: Callable[..., actors.ActorSystem],
) -> None:
    system = actor_system_factory(
        config={"health_broadcast_interval": 45, "metrics_broadcast_interval": 90.5}
    )

    assert (45.0, 90.5) == (
        integration.health_broadcast_interval(system),
        integration.metrics_broadcast_interval(system),
    )


@pytest.mark.parametrize("value", [0, -1, "30", True, math.nan, math.inf, None])
def test_an_interval_that_is_not_a_positive_number_is_refused(
    actor_system_factory: Callable[..., actors.ActorSystem], value: Any
) -> None:
    system = actor_system_factory(
        config={"health_broadcast_interval": value, "metrics_broadcast_interval": value}
    )

    with pytest.raises(ValueError, match="health_broadcast_interval"):
        integration.health_broadcast_interval(system)
    with pytest.raises(ValueError, match="metrics_broadcast_interval"):
        integration.metrics_broadcast_interval(system)


def test_statistics_count_sent_failed_and_disabled_broadcasts_per_operation(
    actor_system: actors.ActorSystem,
) -> None:
    integration.broadcast_alert("t", "info", "m", system=actor_system)
    gater.start(actor_system, audit=False)
    integration.broadcast_alert("t", "info", "m", system=actor_system)
    integration.broadcast_alert("t", "info", "m", system=actor_system)
    integration.disable(actor_system)
    integration.broadcast_metrics("cpu", {"value": 1}, system=actor_system)

    stats = integration.statistics(actor_system)

    assert (False, 2, 1, 1) == (stats.enabled, stats.sent, stats.failed, stats.disabled)
    assert {
        "alert": integration.OperationStatistics(sent=2, failed=1, disabled=0),
        "metrics": integration.OperationStatistics(sent=0, failed=0, disabled=1),
    } == stats.by_operation


def test_helpers_called_inside_an_actor_use_its_system(actor_system: actors.ActorSystem) -> None:
    class Reporter(actors.GenServer):
        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            return integration.broadcast_alert("t", "info", "from an actor")

    gater.start(actor_system, audit=False)
    probe = Probe(actor_system)
    pubsub.subscribe(instances.ALERTS, "t", probe, system=actor_system)
    reporter = Reporter.start(system=actor_system)

    result = actors.call(reporter, ("report",))

    assert "ok" == result
    assert ("system_alert", ANY) == probe.receive()
