"""Golden payloads: every schema version of every message, frozen as JSON.

``tests/data/messages/<kind>.v<schema>.json`` holds one payload per file.
Each must keep decoding to the struct below and re-encode to the current
schema: a change that breaks one breaks every reader of stored or in-flight
messages. Files for old schemas check the upgrades (``_upgrades.py``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from actors import messages as m

DATA = Path(__file__).parent / "data" / "messages"

T = datetime(2026, 3, 14, 15, 9, 26, 535000, tzinfo=UTC)
EARLIER = datetime(2026, 3, 14, 15, 0, 0, tzinfo=UTC)
NODE = "ex_esdb@node1"

CURRENT: dict[str, Any] = {
    "node_health": m.NodeHealth(
        node=NODE,
        status="degraded",
        checks={"persistence": "pass", "network": {"latency_ms": 12.5, "ok": False}},
        load_avg=1.25,
        memory_usage=45.2,
        disk_usage=None,
        timestamp=T,
    ),
    "cluster_health": m.ClusterHealth(
        status="degraded",
        healthy_nodes=3,
        total_nodes=4,
        degraded_nodes=(),
        unhealthy_nodes=("ex_esdb@node4",),
        quorum_status="available",
        timestamp=T,
    ),
    "component_health": m.ComponentHealth(
        component="emitter_worker",
        node=NODE,
        status="healthy",
        details={"store_id": "vehicle_store", "event": "started"},
        last_check=EARLIER,
        timestamp=T,
    ),
    "health_check": m.HealthCheck(
        check_name="khepri_ping",
        node=NODE,
        result="timeout",
        duration_ms=1000.0,
        details={},
        error="no reply within 1000 ms",
        timestamp=T,
    ),
    "system_config": m.SystemConfig(
        component="store",
        changes={"enabled": True, "timeout": 5000},
        previous_config={"enabled": False},
        timestamp=T,
        changed_by="ops@example.com",
        node=NODE,
    ),
    "system_lifecycle": m.SystemLifecycle(
        event="started", system_name="ex_esdb", version="0.11.0", node=NODE, timestamp=T
    ),
    "feature_toggle": m.FeatureToggle(
        feature="snapshots",
        enabled=True,
        previous_state=False,
        changed_by="admin",
        timestamp=T,
        node=NODE,
    ),
    "performance_metric": m.PerformanceMetric(
        metric_name="persistence_operation",
        value=1000.0,
        unit="operations",
        node=NODE,
        component="persistence",
        tags={"stores_count": 2, "duration_ms": 250},
        timestamp=T,
    ),
    "throughput_metric": m.ThroughputMetric(
        operation="event_emission",
        count=1250,
        duration_ms=1000.0,
        rate_per_sec=1250.0,
        node=NODE,
        timestamp=T,
    ),
    "latency_metric": m.LatencyMetric(
        operation="append_events",
        latency_ms=3.75,
        percentile="p99",
        sample_count=500,
        node=NODE,
        timestamp=T,
    ),
    "resource_usage": m.ResourceUsage(
        resource_type="memory",
        usage_percent=81.5,
        total_available=17179869184.0,
        current_used=14001593384.0,
        node=NODE,
        timestamp=T,
    ),
    "metric_alert": m.MetricAlert(
        metric_name="queue_length",
        current_value=1200.0,
        threshold_value=1000.0,
        threshold_type="max",
        severity="warning",
        node=NODE,
        timestamp=T,
    ),
    "system_alert": m.SystemAlert(
        alert_id="3f9c2a61d0b7e845",
        severity="critical",
        category="network",
        title="Node down",
        description="ex_esdb@node2 has become unresponsive",
        source="NodeMonitor",
        node=NODE,
        metadata={"failed_node": "ex_esdb@node2", "cluster_size": 3},
        requires_ack=True,
        timestamp=T,
    ),
    "alert_ack": m.AlertAck(
        alert_id="3f9c2a61d0b7e845",
        ack_by="oncall",
        ack_note="looking into it",
        resolution=None,
        ack_timestamp=EARLIER,
        timestamp=T,
    ),
    "alert_escalation": m.AlertEscalation(
        alert_id="3f9c2a61d0b7e845",
        from_level="level1",
        to_level="level2",
        escalation_reason="not acknowledged within 15 minutes",
        escalated_by="system",
        notify_contacts=("ops@example.com", "+15550100"),
        timestamp=T,
    ),
    "notification_status": m.NotificationStatus(
        alert_id="3f9c2a61d0b7e845",
        delivery_method="webhook",
        recipient="https://hooks.example.com/alerts",
        status="failed",
        error_reason="HTTP 503",
        attempts=3,
        timestamp=T,
    ),
    "data_change": m.DataChange(
        user_id="user-42",
        resource_type="stream",
        resource_id="orders-17",
        action="update",
        changes={"status": ["open", "closed"]},
        metadata={"request_id": "r-1"},
        source_ip="10.0.0.7",
        node=NODE,
        timestamp=T,
    ),
    "admin_action": m.AdminAction(
        admin_user_id="admin-1",
        action_type="delete_snapshot",
        target_resource="vehicle_store/snapshots/9",
        details={"reason": "corrupt"},
        justification="ticket OPS-12",
        source_ip=None,
        node=NODE,
        timestamp=T,
    ),
    "access_log": m.AccessLog(
        user_id="user-42",
        resource_type="stream",
        resource_id="orders-17",
        action="read",
        success=True,
        duration_ms=4.5,
        source_ip="10.0.0.7",
        user_agent="curl/8.5",
        node=NODE,
        timestamp=T,
    ),
    "compliance_event": m.ComplianceEvent(
        event_type="data_deletion",
        compliance_rule="GDPR-17",
        affected_data={"streams": ["user-42-profile"], "events": 12},
        action_taken="erased",
        user_id="user-42",
        automated=False,
        metadata={},
        node=NODE,
        timestamp=T,
    ),
    "debug_trace": m.DebugTrace(
        trace_id="trace_0123456789abcdef",
        component="emitter_worker",
        operation="forward",
        trace_data={"events": 3, "selector": "$all"},
        stack_trace=("emitter_worker.py:10", "pool.py:99"),
        duration_ms=0.5,
        node=NODE,
        metadata={},
        timestamp=T,
    ),
    "performance_analysis": m.PerformanceAnalysis(
        analysis_id="analysis_0123456789abcdef",
        component="persistence",
        analysis_type="bottleneck",
        findings={"slowest": "fsync", "p99_ms": 80},
        recommendations=("batch writes", "use a faster disk"),
        severity="high",
        node=NODE,
        timestamp=T,
    ),
    "system_state": m.SystemState(
        snapshot_id="snapshot_0123456789abcdef",
        snapshot_type="process_tree",
        state_data={"supervisors": 4, "workers": 40},
        process_count=44,
        memory_usage=52428800.0,
        node=NODE,
        trigger_reason="manual",
        timestamp=T,
    ),
    "error_analysis": m.ErrorAnalysis(
        error_id="error_0123456789abcdef",
        error_type="TimeoutError",
        error_message="khepri did not answer",
        stack_trace=("store.py:120",),
        context={"store_id": "vehicle_store"},
        frequency=7,
        first_seen=EARLIER,
        last_seen=T,
        node=NODE,
        timestamp=T,
    ),
    "node_lifecycle": m.NodeLifecycle(
        node="ex_esdb@node3",
        event="joined",
        cluster_size=3,
        metadata={"via": "libcluster"},
        timestamp=T,
    ),
    "process_lifecycle": m.ProcessLifecycle(
        event_type="crashed",
        component="EmitterWorker",
        actor_id="urn:uuid:6f0d2c9a-1b2c-4d3e-8f40-000000000007",
        name="emitter-vehicle_store-1",
        node=NODE,
        reason="RuntimeError: lost connection",
        exception_type="builtins.RuntimeError",
        traceback='Traceback (most recent call last):\n  File "w.py", line 3\nRuntimeError',
        supervisor="emitter_pool",
        child_id="emitter-1",
        restart_count=2,
        timestamp=T,
    ),
    "supervision_event": m.SupervisionEvent(
        supervisor="emitter_pool",
        child_spec={"id": "emitter-1", "restart": "permanent"},
        event="child_terminated",
        node=NODE,
        reason="shutdown",
        timestamp=T,
    ),
    "cluster_membership": m.ClusterMembership(
        event="node_removed",
        affected_nodes=("ex_esdb@node4",),
        active_nodes=("ex_esdb@node1", "ex_esdb@node2", "ex_esdb@node3"),
        total_nodes=3,
        quorum_status="available",
        timestamp=T,
        originating_node=NODE,
    ),
    "log_entry": m.LogEntry(
        log_id="log_0123456789abcdef",
        level="warn",
        message="slow append: 812 ms — check the disk",
        module="ExESDB.StoreWorker",
        function="handle_call/3",
        line=120,
        node=NODE,
        pid="urn:uuid:6f0d2c9a-1b2c-4d3e-8f40-000000000007",
        metadata={"store_id": "vehicle_store"},
        timestamp=T,
    ),
    "log_summary": m.LogSummary(
        summary_id="summary_0123456789abcdef",
        time_period="2026-03-14T15",
        log_counts={"info": 900, "warn": 80, "error": 20},
        top_errors=("timeout", "noproc"),
        error_rate=0.02,
        nodes_reporting=("ex_esdb@node1", "ex_esdb@node2"),
        total_logs=1000,
        timestamp=T,
    ),
    "log_filter": m.LogFilter(
        filter_id="filter_0123456789abcdef",
        filter_type="module",
        filter_value="ExESDB.Emitter",
        action="rate_limit",
        enabled=False,
        created_by="ops",
        metadata={"per_second": 10},
        timestamp=T,
    ),
    "log_rotation": m.LogRotation(
        rotation_id="rotation_0123456789abcdef",
        log_type="audit",
        old_file="/var/log/ex_esdb/audit.log.1",
        new_file="/var/log/ex_esdb/audit.log",
        file_size=10485760,
        entries_count=52000,
        node=NODE,
        timestamp=T,
    ),
    "auth_event": m.AuthEvent(
        user_id="user-42",
        event_type="login_failure",
        auth_method="password",
        source_ip="203.0.113.9",
        user_agent="Mozilla/5.0",
        node=NODE,
        metadata={"attempt": 3},
        timestamp=T,
    ),
    "access_violation": m.AccessViolation(
        user_id=None,
        violation_type="rate_limit_exceeded",
        resource="/api/streams",
        action="read",
        source_ip="203.0.113.9",
        severity="medium",
        metadata={"limit": 100},
        timestamp=T,
    ),
    "security_alert": m.SecurityAlert(
        alert_type="brute_force",
        severity="high",
        description="50 failed logins in 1 minute",
        affected_users=("user-42",),
        source_ip="203.0.113.9",
        node=NODE,
        metadata={},
        timestamp=T,
    ),
    "session_event": m.SessionEvent(
        session_id="sess-9",
        user_id="user-42",
        event_type="expired",
        duration_ms=3600000.0,
        source_ip=None,
        node=NODE,
        timestamp=T,
    ),
}
"""The struct each ``<kind>.v<current>.json`` decodes to."""

UPGRADED: dict[tuple[str, int], Any] = {
    ("process_lifecycle", 1): m.ProcessLifecycle(
        event_type="emitter_worker_terminated",
        component="ExESDB.EmitterWorker",
        actor_id="#PID<0.1234.0>",
        name="vehicle_store:$all_emitter_1",
        node=NODE,
        reason='{"shutdown":"normal"}',
        restart_count=1,
        timestamp=T,
    ),
    ("system_alert", 1): m.SystemAlert(
        alert_id="4bb657af68ad9399",
        severity="critical",
        category="system",
        title="node_failure",
        description="Node node2 has become unresponsive",
        source="ExESDB",
        node="nonode@nohost",
        metadata={"failed_node": "node2", "cluster_size": 3, "alert_type": "node_failure"},
        requires_ack=True,
        timestamp=datetime(2024, 8, 15, 12, 0, tzinfo=UTC),
    ),
}
"""The struct each old-schema file decodes to, after its upgrades."""


def _files() -> list[Path]:
    return sorted(DATA.glob("*.json"))


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _expected(path: Path) -> Any:
    data = _load(path)
    spec = m.spec_for(m.struct_for_kind(data["kind"]))
    assert spec is not None
    if data["schema"] == spec.schema:
        return CURRENT[data["kind"]]
    return UPGRADED[(data["kind"], data["schema"])]


def test_there_is_a_golden_file_for_every_schema_of_every_kind() -> None:
    expected = set()
    for spec in (m.spec_for(cls) for cls in m.MESSAGE_TYPES):
        assert spec is not None
        expected |= {f"{spec.kind}.v{n}.json" for n in range(1, spec.schema + 1)}

    assert 38 == len(expected)
    assert expected == {path.name for path in _files()}
    assert set(CURRENT) == {m.spec_for(cls).kind for cls in m.MESSAGE_TYPES}  # type: ignore[union-attr]


@pytest.mark.parametrize("path", _files(), ids=lambda path: path.stem)
def test_each_golden_payload_decodes_to_its_struct(path: Path) -> None:
    actual = m.from_dict(_load(path))

    assert _expected(path) == actual


@pytest.mark.parametrize("path", _files(), ids=lambda path: path.stem)
def test_each_golden_payload_re_encodes_at_the_current_schema(path: Path) -> None:
    data = _load(path)
    spec = m.spec_for(m.struct_for_kind(data["kind"]))
    assert spec is not None
    current = DATA / f"{spec.kind}.v{spec.schema}.json"

    encoded = m.to_dict(m.from_dict(data))

    assert spec.schema == encoded["schema"]
    if data["schema"] == spec.schema:
        assert _load(current) == encoded
    else:
        assert m.to_dict(_expected(path)) == encoded


def test_the_same_old_alert_always_upgrades_to_the_same_id() -> None:
    data = _load(DATA / "system_alert.v1.json")

    first, second = m.from_dict(data), m.from_dict(dict(data))

    assert first.alert_id == second.alert_id
    assert 16 == len(first.alert_id)


def test_an_old_payload_with_a_field_its_schema_never_had_is_refused() -> None:
    data = _load(DATA / "process_lifecycle.v1.json") | {"supervisor": "sup"}

    with pytest.raises(m.MessageFormatError) as caught:
        m.from_dict(data)

    assert [
        "upgrade of 'process_lifecycle' from schema 1 failed (ValueError: fields supervisor "
        "are not part of process_lifecycle schema 1) @ $"
    ] == caught.value.errors


def test_an_old_payload_missing_a_key_field_is_refused_with_a_readable_error() -> None:
    data = _load(DATA / "system_alert.v1.json")
    del data["alert_type"]

    with pytest.raises(m.MessageFormatError) as caught:
        m.from_dict(data)

    assert [
        "upgrade of 'system_alert' from schema 1 failed (KeyError: 'alert_type') @ $"
    ] == caught.value.errors
