"""The gater tree's auditor: lifecycle and audit-instance events land in the log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import actors
import supervision as sv
from actors import gater, messages, pubsub
from actors.audit import AuditLog, InMemoryAuditStore, flush
from actors.pubsub import instances
from actors.testing import ANY, Probe
from tests.supervised import Boom, Worker, exit_child, started


def test_the_tree_audits_a_supervised_worker_start_crash_restart_and_give_up(
    actor_system: actors.ActorSystem, probe: Probe, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    gater.start(actor_system, audit=path)
    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w", name="flaky")],
        max_restarts=1,
        name="app",
        system=actor_system,
    )
    probe.monitor(sup)
    exit_child(started(probe, "w"), Boom("first"))
    exit_child(started(probe, "w"), Boom("second"))
    probe.expect(("DOWN", ANY, "process", sup, "shutdown"))

    flush(gater.AUDITOR_NAME, system=actor_system)

    with AuditLog.open(path) as log:
        worker = [e.event_type for e in log.query(component="Worker")]
        gave_up = log.query(event_type="max_restarts_reached")
    assert ["started", "crashed", "started", "crashed"] == [
        t for t in worker if t in ("started", "crashed")
    ]
    assert "restarted" in worker
    assert [("w", "app")] == [(e.child_id, e.supervisor) for e in gave_up]


def test_audit_instance_messages_are_stored_through_the_codec(
    actor_system: actors.ActorSystem, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    gater.start(actor_system, audit=path)
    change = messages.new(
        messages.DataChange, "alice", "order", "o-1", "update", system=actor_system
    )

    pubsub.broadcast(
        instances.AUDIT, "audit_trail:user_actions", (change.TAG, change), system=actor_system
    )
    flush(gater.AUDITOR_NAME, system=actor_system)

    with AuditLog.open(path) as log:
        (stored,) = log.audit_events(tag=change.TAG)
    assert "data_change" == stored.payload["kind"]
    assert change == messages.from_dict(stored.payload)


def test_write_failures_are_reported_on_ex_esdb_alerts(actor_system: actors.ActorSystem) -> None:
    gater.start(actor_system, audit=False)
    alerts = Probe(actor_system)
    pubsub.subscribe(instances.ALERTS, "audit_log", alerts, system=actor_system)
    store = InMemoryAuditStore()
    store.fail_writes("disk full")
    auditor: Any = gater.GaterAuditor.start(store=store, system=actor_system)

    actors.send(auditor, ("audit_event", {"n": 1}))
    actors.call(auditor, ("flush",))

    tag, alert = alerts.receive(timeout=5)
    assert ("system_alert", "error") == (tag, alert.severity)
    assert "Audit log" == alert.title


def test_a_second_tree_does_not_start_a_second_auditor(
    actor_system: actors.ActorSystem, tmp_path: Path
) -> None:
    gater.start(actor_system, audit=tmp_path / "one.db")

    other = gater.start(actor_system, name="other", audit=tmp_path / "two.db")

    assert ("auditor", None, "worker") in sv.which_children(other)
    assert not (tmp_path / "two.db").exists()
