"""Factories: the original's positional arguments and defaults, stamped by the system."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

import actors
from actors import messages as m
from actors.messages import compat

NOW = datetime(2026, 1, 1, 12, 0, 0, 250999, tzinfo=UTC)
T = datetime(2026, 1, 1, 12, 0, 0, 250000, tzinfo=UTC)
"""NOW truncated to milliseconds: what every factory stamps."""
NODE = "n1@host"


@pytest.fixture
def system(actor_system_factory: Callable[..., actors.ActorSystem]) -> actors.ActorSystem:
    return actor_system_factory(clock=actors.ManualClock(now=NOW), node=NODE)


Case = tuple[Callable[[actors.ActorSystem], Any], Any, str | None]

CASES: dict[str, Case] = {
    "node_health": (
        lambda s: compat.node_health("a@host", "healthy", system=s),
        m.NodeHealth(
            node="a@host",
            status="healthy",
            checks={},
            load_avg=None,
            memory_usage=None,
            disk_usage=None,
            timestamp=T,
        ),
        None,
    ),
    "cluster_health": (
        lambda s: compat.cluster_health("healthy", 3, 3, system=s),
        m.ClusterHealth(
            status="healthy",
            healthy_nodes=3,
            total_nodes=3,
            degraded_nodes=(),
            unhealthy_nodes=(),
            quorum_status="available",
            timestamp=T,
        ),
        None,
    ),
    "component_health": (
        lambda s: compat.component_health("emitter", "a@host", "healthy", system=s),
        m.ComponentHealth(
            component="emitter",
            node="a@host",
            status="healthy",
            details={},
            last_check=None,
            timestamp=T,
        ),
        None,
    ),
    "health_check": (
        lambda s: compat.health_check("ping", "a@host", "pass", system=s),
        m.HealthCheck(
            check_name="ping",
            node="a@host",
            result="pass",
            duration_ms=None,
            details={},
            error=None,
            timestamp=T,
        ),
        None,
    ),
    "system_config": (
        lambda s: compat.system_config("store", {"enabled": True}, system=s),
        m.SystemConfig(
            component="store",
            changes={"enabled": True},
            previous_config=None,
            timestamp=T,
            changed_by="system",
            node=NODE,
        ),
        None,
    ),
    "system_lifecycle": (
        lambda s: compat.system_lifecycle("started", "ex_esdb", "0.8.0", system=s),
        m.SystemLifecycle(
            event="started", system_name="ex_esdb", version="0.8.0", node=NODE, timestamp=T
        ),
        None,
    ),
    "feature_toggle": (
        lambda s: compat.feature_toggle("snapshots", True, None, "admin", system=s),
        m.FeatureToggle(
            feature="snapshots",
            enabled=True,
            previous_state=None,
            changed_by="admin",
            timestamp=T,
            node=NODE,
        ),
        None,
    ),
    "performance_metric": (
        lambda s: compat.performance_metric("persistence_operation", 1000, "operations", system=s),
        m.PerformanceMetric(
            metric_name="persistence_operation",
            value=1000.0,
            unit="operations",
            node=NODE,
            component=None,
            tags={},
            timestamp=T,
        ),
        None,
    ),
    "throughput_metric": (
        lambda s: compat.throughput_metric("event_emission", 1250, 500, system=s),
        m.ThroughputMetric(
            operation="event_emission",
            count=1250,
            duration_ms=500.0,
            rate_per_sec=2500.0,
            node=NODE,
            timestamp=T,
        ),
        None,
    ),
    "latency_metric": (
        lambda s: compat.latency_metric("append", 3.5, "p99", 100, system=s),
        m.LatencyMetric(
            operation="append",
            latency_ms=3.5,
            percentile="p99",
            sample_count=100,
            node=NODE,
            timestamp=T,
        ),
        None,
    ),
    "resource_usage": (
        lambda s: compat.resource_usage("memory", 50, 1024, 512, system=s),
        m.ResourceUsage(
            resource_type="memory",
            usage_percent=50.0,
            total_available=1024.0,
            current_used=512.0,
            node=NODE,
            timestamp=T,
        ),
        None,
    ),
    "metric_alert": (
        lambda s: compat.metric_alert("queue", 12, 10, "max", "warning", system=s),
        m.MetricAlert(
            metric_name="queue",
            current_value=12.0,
            threshold_value=10.0,
            threshold_type="max",
            severity="warning",
            node=NODE,
            timestamp=T,
        ),
        None,
    ),
    "system_alert": (
        lambda s: compat.system_alert(
            "warning", "system", "Disk", "disk 91% full", "monitor", system=s
        ),
        m.SystemAlert(
            alert_id="",
            severity="warning",
            category="system",
            title="Disk",
            description="disk 91% full",
            source="monitor",
            node=NODE,
            metadata={},
            requires_ack=False,
            timestamp=T,
        ),
        "alert_id",
    ),
    "alert_ack": (
        lambda s: compat.alert_ack("a1", "oncall", system=s),
        m.AlertAck(
            alert_id="a1",
            ack_by="oncall",
            ack_note=None,
            resolution=None,
            ack_timestamp=T,
            timestamp=T,
        ),
        None,
    ),
    "alert_escalation": (
        lambda s: compat.alert_escalation("a1", "level1", "level2", "no ack", system=s),
        m.AlertEscalation(
            alert_id="a1",
            from_level="level1",
            to_level="level2",
            escalation_reason="no ack",
            escalated_by="system",
            notify_contacts=(),
            timestamp=T,
        ),
        None,
    ),
    "notification_status": (
        lambda s: compat.notification_status("a1", "email", "ops@example.com", "sent", system=s),
        m.NotificationStatus(
            alert_id="a1",
            delivery_method="email",
            recipient="ops@example.com",
            status="sent",
            error_reason=None,
            attempts=1,
            timestamp=T,
        ),
        None,
    ),
    "data_change": (
        lambda s: compat.data_change("u1", "stream", "s1", "update", system=s),
        m.DataChange(
            user_id="u1",
            resource_type="stream",
            resource_id="s1",
            action="update",
            changes={},
            metadata={},
            source_ip=None,
            node=NODE,
            timestamp=T,
        ),
        None,
    ),
    "admin_action": (
        lambda s: compat.admin_action("root", "purge", "store/x", system=s),
        m.AdminAction(
            admin_user_id="root",
            action_type="purge",
            target_resource="store/x",
            details={},
            justification=None,
            source_ip=None,
            node=NODE,
            timestamp=T,
        ),
        None,
    ),
    "access_log": (
        lambda s: compat.access_log("u1", "stream", "s1", "read", True, system=s),
        m.AccessLog(
            user_id="u1",
            resource_type="stream",
            resource_id="s1",
            action="read",
            success=True,
            duration_ms=None,
            source_ip=None,
            user_agent=None,
            node=NODE,
            timestamp=T,
        ),
        None,
    ),
    "compliance_event": (
        lambda s: compat.compliance_event(
            "data_export", "GDPR-20", {"rows": 3}, "exported", system=s
        ),
        m.ComplianceEvent(
            event_type="data_export",
            compliance_rule="GDPR-20",
            affected_data={"rows": 3},
            action_taken="exported",
            user_id=None,
            automated=False,
            metadata={},
            node=NODE,
            timestamp=T,
        ),
        None,
    ),
    "debug_trace": (
        lambda s: compat.debug_trace("emitter", "forward", {"n": 1}, system=s),
        m.DebugTrace(
            trace_id="",
            component="emitter",
            operation="forward",
            trace_data={"n": 1},
            stack_trace=None,
            duration_ms=None,
            node=NODE,
            metadata={},
            timestamp=T,
        ),
        "trace_id",
    ),
    "performance_analysis": (
        lambda s: compat.performance_analysis("store", "bottleneck", {"slow": "fsync"}, system=s),
        m.PerformanceAnalysis(
            analysis_id="",
            component="store",
            analysis_type="bottleneck",
            findings={"slow": "fsync"},
            recommendations=(),
            severity="medium",
            node=NODE,
            timestamp=T,
        ),
        "analysis_id",
    ),
    "system_state": (
        lambda s: compat.system_state("full", {"actors": 3}, "manual", system=s),
        m.SystemState(
            snapshot_id="",
            snapshot_type="full",
            state_data={"actors": 3},
            process_count=None,
            memory_usage=None,
            node=NODE,
            trigger_reason="manual",
            timestamp=T,
        ),
        "snapshot_id",
    ),
    "error_analysis": (
        lambda s: compat.error_analysis("TimeoutError", "no reply", system=s),
        m.ErrorAnalysis(
            error_id="",
            error_type="TimeoutError",
            error_message="no reply",
            stack_trace=(),
            context={},
            frequency=1,
            first_seen=T,
            last_seen=T,
            node=NODE,
            timestamp=T,
        ),
        "error_id",
    ),
    "node_lifecycle": (
        lambda s: compat.node_lifecycle("b@host", "joined", 2, system=s),
        m.NodeLifecycle(node="b@host", event="joined", cluster_size=2, metadata={}, timestamp=T),
        None,
    ),
    "process_lifecycle": (
        lambda s: compat.process_lifecycle("urn:1", "Worker", "started", system=s),
        m.ProcessLifecycle(
            event_type="started",
            component="Worker",
            actor_id="urn:1",
            name=None,
            node=NODE,
            reason=None,
            exception_type=None,
            traceback=None,
            supervisor=None,
            child_id=None,
            restart_count=0,
            timestamp=T,
        ),
        None,
    ),
    "supervision_event": (
        lambda s: compat.supervision_event("sup", {"id": "w1"}, "child_started", system=s),
        m.SupervisionEvent(
            supervisor="sup",
            child_spec={"id": "w1"},
            event="child_started",
            node=NODE,
            reason=None,
            timestamp=T,
        ),
        None,
    ),
    "cluster_membership": (
        lambda s: compat.cluster_membership(
            "node_added", ["b@host"], ["a@host", "b@host"], system=s
        ),
        m.ClusterMembership(
            event="node_added",
            affected_nodes=("b@host",),
            active_nodes=("a@host", "b@host"),
            total_nodes=2,
            quorum_status="available",
            timestamp=T,
            originating_node=NODE,
        ),
        None,
    ),
    "log_entry": (
        lambda s: compat.log_entry("info", "hello", "app", system=s),
        m.LogEntry(
            log_id="",
            level="info",
            message="hello",
            module="app",
            function=None,
            line=None,
            node=NODE,
            pid=None,
            metadata={},
            timestamp=T,
        ),
        "log_id",
    ),
    "log_summary": (
        lambda s: compat.log_summary("1h", {"info": 7, "error": 3}, system=s),
        m.LogSummary(
            summary_id="",
            time_period="1h",
            log_counts={"info": 7, "error": 3},
            top_errors=(),
            error_rate=0.0,
            nodes_reporting=(NODE,),
            total_logs=10,
            timestamp=T,
        ),
        "summary_id",
    ),
    "log_filter": (
        lambda s: compat.log_filter("level", "debug", "exclude", system=s),
        m.LogFilter(
            filter_id="",
            filter_type="level",
            filter_value="debug",
            action="exclude",
            enabled=True,
            created_by="system",
            metadata={},
            timestamp=T,
        ),
        "filter_id",
    ),
    "log_rotation": (
        lambda s: compat.log_rotation("audit", "audit.log.1", "audit.log", system=s),
        m.LogRotation(
            rotation_id="",
            log_type="audit",
            old_file="audit.log.1",
            new_file="audit.log",
            file_size=None,
            entries_count=None,
            node=NODE,
            timestamp=T,
        ),
        "rotation_id",
    ),
    "auth_event": (
        lambda s: compat.auth_event("u1", "login_success", "password", system=s),
        m.AuthEvent(
            user_id="u1",
            event_type="login_success",
            auth_method="password",
            source_ip=None,
            user_agent=None,
            node=NODE,
            metadata={},
            timestamp=T,
        ),
        None,
    ),
    "access_violation": (
        lambda s: compat.access_violation("permission_denied", "/admin", "write", system=s),
        m.AccessViolation(
            user_id=None,
            violation_type="permission_denied",
            resource="/admin",
            action="write",
            source_ip=None,
            severity="medium",
            metadata={},
            timestamp=T,
        ),
        None,
    ),
    "security_alert": (
        lambda s: compat.security_alert("brute_force", "high", "50 failed logins", system=s),
        m.SecurityAlert(
            alert_type="brute_force",
            severity="high",
            description="50 failed logins",
            affected_users=(),
            source_ip=None,
            node=NODE,
            metadata={},
            timestamp=T,
        ),
        None,
    ),
    "session_event": (
        lambda s: compat.session_event("sess-1", "u1", "created", system=s),
        m.SessionEvent(
            session_id="sess-1",
            user_id="u1",
            event_type="created",
            duration_ms=None,
            source_ip=None,
            node=NODE,
            timestamp=T,
        ),
        None,
    ),
}

ID_PREFIXES = {
    "alert_id": "",
    "trace_id": "trace_",
    "analysis_id": "analysis_",
    "snapshot_id": "snapshot_",
    "error_id": "error_",
    "log_id": "log_",
    "summary_id": "summary_",
    "filter_id": "filter_",
    "rotation_id": "rotation_",
}


def test_there_is_a_factory_case_for_every_struct() -> None:
    kinds = {m.spec_for(cls).kind for cls in m.MESSAGE_TYPES}  # type: ignore[union-attr]

    assert kinds == set(CASES)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_factory_fills_in_the_original_defaults(kind: str, system: actors.ActorSystem) -> None:
    make, expected, id_field = CASES[kind]

    actual = make(system)

    if id_field is not None:
        generated = getattr(actual, id_field)
        assert re.fullmatch(ID_PREFIXES[id_field] + "[0-9a-f]{16}", generated), generated
        expected = attrs.evolve(expected, **{id_field: generated})
    assert expected == actual
    assert actors.Ok(actual) == m.validate(actual)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_every_struct_carries_its_kind_tag_schema_and_instance(kind: str) -> None:
    cls = m.struct_for_kind(kind)
    spec = m.spec_for(cls)
    assert spec is not None

    assert cls is type(CASES[kind][1])
    if cls is not m.ProcessLifecycle:  # the core's class: its spec lives in the registry
        assert (spec.kind, spec.tag, spec.schema, spec.instance) == (
            cls.KIND,
            cls.TAG,
            cls.SCHEMA,
            cls.INSTANCE,
        )


def test_generated_ids_differ_between_calls(system: actors.ActorSystem) -> None:
    ids = {
        compat.system_alert("info", "system", "t", "d", "s", system=system).alert_id
        for _ in range(50)
    }

    assert 50 == len(ids)


def test_explicit_arguments_win_over_every_default(system: actors.ActorSystem) -> None:
    when = datetime(2025, 5, 5, tzinfo=UTC)

    alert = compat.system_alert(
        "error",
        "data",
        "t",
        "d",
        "s",
        alert_id="fixed",
        node="other@host",
        metadata={"k": 1},
        requires_ack=False,
        timestamp=when,
        system=system,
    )

    assert (
        m.SystemAlert(
            alert_id="fixed",
            severity="error",
            category="data",
            title="t",
            description="d",
            source="s",
            node="other@host",
            metadata={"k": 1},
            requires_ack=False,
            timestamp=when,
        )
        == alert
    )


@pytest.mark.parametrize(
    ("severity", "requires_ack"),
    [("info", False), ("warning", False), ("error", True), ("critical", True)],
)
def test_an_alert_needs_an_ack_when_its_severity_is_error_or_critical(
    severity: str, requires_ack: bool, system: actors.ActorSystem
) -> None:
    alert = compat.system_alert(severity, "system", "t", "d", "s", system=system)

    assert requires_ack == alert.requires_ack


def test_cluster_membership_counts_the_active_nodes_unless_told(
    system: actors.ActorSystem,
) -> None:
    counted = compat.cluster_membership("node_added", (), ("a", "b", "c"), system=system)
    told = compat.cluster_membership("node_added", (), ("a",), total_nodes=5, system=system)

    assert (3, 5) == (counted.total_nodes, told.total_nodes)


def test_a_log_summary_totals_its_counts_unless_told(system: actors.ActorSystem) -> None:
    counted = compat.log_summary("1h", {"info": 5, "warn": 2, "error": 1}, system=system)
    told = compat.log_summary("1h", {"info": 5}, total_logs=9, system=system)

    assert (8, 9) == (counted.total_logs, told.total_logs)


def test_an_error_analysis_is_first_and_last_seen_when_it_is_made(
    system: actors.ActorSystem,
) -> None:
    analysis = compat.error_analysis("E", "boom", system=system)

    assert (T, T, T) == (analysis.first_seen, analysis.last_seen, analysis.timestamp)


def test_throughput_is_count_per_second(system: actors.ActorSystem) -> None:
    metric = compat.throughput_metric("append", 30, 1500.0, system=system)

    assert 20.0 == metric.rate_per_sec


@pytest.mark.parametrize("duration_ms", [0, 0.0, -5, float("nan"), float("inf")])
def test_throughput_over_no_time_is_refused_with_a_clear_message(
    duration_ms: float, system: actors.ActorSystem
) -> None:
    with pytest.raises(ValueError, match="needs duration_ms > 0 to compute a rate"):
        compat.throughput_metric("append", 30, duration_ms, system=system)


def test_process_lifecycle_maps_exesdb_arguments_onto_the_core_record(
    system: actors.ActorSystem,
) -> None:
    class EmitterWorker:
        pass

    event = compat.process_lifecycle(
        "urn:7",
        EmitterWorker,
        "crashed",
        name=("emitter", 1),
        reason=RuntimeError("lost connection\nsecond line"),
        restart_count=2,
        supervisor="pool",
        system=system,
    )

    assert (
        m.ProcessLifecycle(
            event_type="crashed",
            component="EmitterWorker",
            actor_id="urn:7",
            name="('emitter', 1)",
            node=NODE,
            reason="RuntimeError: lost connection",
            supervisor="pool",
            restart_count=2,
            timestamp=T,
        )
        == event
    )
    assert ("urn:7", "EmitterWorker", "crashed") == (event.pid, event.module, event.event)


def test_factories_called_inside_an_actor_use_its_system_and_its_id(
    system: actors.ActorSystem,
) -> None:
    class Logger(actors.GenServer):
        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            return compat.log_entry("info", request, "app")

    ref = Logger.start(system=system)

    entry = actors.call(ref, "hello")

    assert (NODE, T, ref.id) == (entry.node, entry.timestamp, entry.pid)


def test_factory_arguments_are_copied_not_shared(system: actors.ActorSystem) -> None:
    checks = {"db": "pass"}
    nodes = ["b@host"]

    health = compat.node_health("a@host", "healthy", checks=checks, system=system)
    cluster = compat.cluster_health("degraded", 1, 2, degraded_nodes=nodes, system=system)
    checks["db"] = "fail"
    nodes.append("c@host")

    assert {"db": "pass"} == health.checks
    assert ("b@host",) == cluster.degraded_nodes


def test_the_health_topic_helpers_match_the_original() -> None:
    assert "vehicle_store:health" == compat.store_health_topic("vehicle_store")
    assert "cluster:health" == compat.cluster_health_topic()


def test_each_instance_but_events_has_a_family_of_its_messages() -> None:
    family = m.family_for_instance("ex_esdb_health")

    assert 9 == len(m.FAMILIES)
    assert set(m.ALL_INSTANCES) - {m.EVENTS} == set(m.FAMILIES)
    assert m.family_for_instance(m.EVENTS) is None
    assert family is not None
    assert (m.NodeHealth, m.ClusterHealth, m.ComponentHealth, m.HealthCheck) == family.structs
    assert "health_check_completed" == family.tag_for(m.HealthCheck)
    assert ("cluster:health", "component_health") == family.topics
    assert 36 == sum(len(f.structs) for f in m.FAMILIES.values())


def test_tags_and_kinds_lead_back_to_their_struct() -> None:
    assert m.NodeHealth is m.struct_for_tag("node_health_updated")
    assert m.ProcessLifecycle is m.struct_for_tag("process_lifecycle_event")
    assert m.AlertAck is m.struct_for_kind("alert_ack")
    assert m.struct_for_tag("nope") is None
    assert m.struct_for_kind(None) is None
    for cls in m.MESSAGE_TYPES:
        spec = m.spec_for(cls)
        assert spec is not None
        family = m.family_of(cls)
        assert family is not None
        assert (cls, cls, spec.tag) == (
            m.struct_for_tag(spec.tag),
            m.struct_for_kind(spec.kind),
            family.tag_for(cls),
        )


def test_the_instance_names_are_those_of_the_pub_sub_layer() -> None:
    from actors.gater import instances

    assert instances.ALL == m.ALL_INSTANCES
