"""A clean shutdown loses nothing: the auditor traps exits, stops after what
it audits, and closes its run so readers know which processes ended."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs

import actors
import supervision as sv
from actors import gater, pubsub
from actors.audit import AuditLog, Auditor, SqliteAuditStore, flush, run_id_of, stats
from actors.gater import integration
from actors.pubsub import instances
from actors.testing import Probe

ROOT = Path(__file__).resolve().parent.parent
PUBLISH_THEN_EXIT = ROOT / "tests" / "audit_helpers" / "publish_then_exit.py"
T0 = datetime(2026, 2, 1, tzinfo=UTC)


class Steady(actors.GenServer):
    pass


def lifecycle(i: int, event_type: str = "started") -> actors.ProcessLifecycle:
    return actors.ProcessLifecycle(
        event_type=event_type, component="Worker", actor_id=f"urn:{i}", name=f"w{i}", timestamp=T0
    )


def test_leaving_the_system_block_commits_every_event_and_the_stops_of_the_tree(
    actor_system_factory: Callable[..., actors.ActorSystem], tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"

    with actor_system_factory() as system:
        gater.start(system, audit=path)
        for i in range(300):
            assert pubsub.broadcast(instances.AUDIT, "audit_trail:orders", ("order_note", {"i": i}))
        run = run_id_of(system)

    with AuditLog.open(path) as log:
        notes = log.audit_events(tag="order_note")
        stopped = {e.name for e in log.query(event_type="stopped")}
        (recorded,) = log.runs()
        tree = log.uptime(gater.DEFAULT_NAME)
        events = log.uptime(instances.EVENTS)
    broadcasters = {integration.HEALTH_BROADCASTER_NAME, integration.METRICS_BROADCASTER_NAME}
    assert list(range(300)) == [e.payload["i"] for e in notes]
    assert set(instances.ALL) | broadcasters <= stopped
    assert (run, True) == (recorded.run_id, recorded.closed_at is not None)
    # The tree announces its shutdown as it begins, while the auditor still
    # runs, so that is recorded and ends its uptime (its final "stopped"
    # comes after the auditor's own stop, inside the closed run).
    assert tree is not None
    assert events is not None
    assert ("shutdown", "shutdown") == (tree.end_event, tree.end_reason)
    assert tree.ended_at is not None
    assert recorded.closed_at is not None
    assert tree.ended_at <= recorded.closed_at
    assert ("stopped", "shutdown") == (events.end_event, events.end_reason)


def test_the_interpreter_exit_commits_every_event_of_a_script(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"

    result = subprocess.run(
        [sys.executable, str(PUBLISH_THEN_EXIT), str(path), "10000"],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert (0, "published 10000\n") == (result.returncode, result.stdout), result.stderr
    with AuditLog.open(path) as log:
        notes = log.audit_events(tag="order_note")
        (run,) = log.runs()
    assert list(range(10000)) == [e.payload["i"] for e in notes]
    assert run.closed_at is not None


def test_a_supervisors_shutdown_runs_terminate_which_commits_the_mailbox_and_backlog(
    manual_system: actors.ActorSystem, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    sup = sv.Supervisor.start(
        [sv.child_spec("auditor", Auditor, path, name="auditor", flush_interval=3600)],
        system=manual_system,
    )
    for i in range(7):  # the manual clock never moves: only terminate writes them
        actors.send("auditor", ("process_lifecycle_event", lifecycle(i)), system=manual_system)
    pending = stats("auditor", system=manual_system).pending

    actors.stop(sup)

    with AuditLog.open(path) as log:
        assert (7, [f"w{i}" for i in range(7)]) == (pending, [e.name for e in log.query()])


def test_the_gater_tree_starts_its_auditor_first_and_it_is_subscribed_when_start_returns(
    actor_system: actors.ActorSystem, tmp_path: Path
) -> None:
    tree = gater.start(actor_system, audit=tmp_path / "audit.db")

    ids = [child_id for child_id, _, _ in sv.which_children(tree)]
    auditor = actors.whereis(gater.AUDITOR_NAME, actor_system)
    audit_subscribers = [ref for ref, _ in pubsub.subscribers(instances.AUDIT, "any:topic")]
    lifecycle_subscribers = [
        ref for ref, _ in pubsub.subscribers(instances.LIFECYCLE, "process_lifecycle:Worker")
    ]

    assert "auditor" == ids[0]
    assert [auditor] == audit_subscribers
    assert [auditor] == lifecycle_subscribers


def test_an_auditor_feeds_itself_from_the_lifecycle_listener_and_removes_it_on_exit(
    actor_system: actors.ActorSystem, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    auditor = Auditor.start(path, listen=True, system=actor_system)
    actors.stop(Steady.start(name="one", system=actor_system))
    flush(auditor)
    actors.stop(auditor)
    dead_letters = actor_system.dead_letters

    actors.stop(Steady.start(name="two", system=actor_system))

    with AuditLog.open(path) as log:
        names = [(e.event_type, e.name) for e in log.query() if e.name in ("one", "two")]
    assert [("started", "one"), ("stopped", "one")] == names
    assert dead_letters == actor_system.dead_letters  # nothing sent to the exited auditor


def test_a_killed_auditors_listener_removes_itself(actor_system: actors.ActorSystem) -> None:
    auditor = Auditor.start(":memory:", listen=True, system=actor_system)
    probe = Probe(actor_system)
    probe.monitor(auditor)

    actors.exit(auditor, "kill")
    probe.expect(("DOWN", actors.testing.ANY, "process", auditor, "killed"))
    dead_letters = actor_system.dead_letters

    for _ in range(3):
        actors.stop(Steady.start(system=actor_system))

    assert dead_letters == actor_system.dead_letters


# Runs -----------------------------------------------------------------------------------


def test_runs_sharing_a_file_are_told_apart_and_filtered(
    actor_system_factory: Callable[..., actors.ActorSystem], tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    runs = []
    for n in range(2):
        with actor_system_factory() as system:
            auditor = Auditor.start(path, listen=True, system=system)
            actors.stop(Steady.start(name=f"worker{n}", system=system))
            flush(auditor)
            runs.append(run_id_of(system))

    with AuditLog.open(path) as log:
        recorded = log.runs()
        per_run = [
            sorted({e.name for e in log.query(run_id=run) if e.name and "worker" in e.name})
            for run in runs
        ]
    assert runs == [r.run_id for r in recorded]
    assert all(r.closed_at is not None and r.entries > 0 for r in recorded)
    assert [["worker0"], ["worker1"]] == per_run
    assert runs[0] != runs[1]


def test_a_run_that_died_without_closing_is_measured_to_its_own_last_entry(
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.db"
    with SqliteAuditStore(path) as store:
        store.open_run("killed", node="a", opened=T0)
        store.append_batch([lifecycle(1)])
        store.append_batch(
            [attrs.evolve(lifecycle(9, "crashed"), timestamp=T0 + timedelta(seconds=5))]
        )
        store.open_run("later", node="a", opened=T0 + timedelta(hours=1))
        store.append_batch([attrs.evolve(lifecycle(2), timestamp=T0 + timedelta(hours=2))])
        store.close_run(T0 + timedelta(hours=3))

    with AuditLog.open(path) as log:
        dead = log.uptime("w1")
        closed = log.uptime("w2")
    assert dead is not None
    assert closed is not None
    # Not credited with the later run's hours: only what its own run saw.
    assert (None, timedelta(seconds=5)) == (dead.ended_at, dead.up_for)
    assert ("run_closed", timedelta(hours=1)) == (closed.end_event, closed.up_for)


def test_a_restarted_auditor_resumes_its_systems_run(
    actor_system: actors.ActorSystem, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    events = Probe(actor_system)
    actor_system.add_lifecycle_listener(events.deliver)
    sv.Supervisor.start(
        [sv.child_spec("auditor", Auditor, path, name="auditor", listen=True)],
        system=actor_system,
    )
    flush("auditor", system=actor_system)
    actors.exit(actors.whereis("auditor", actor_system), "kill")
    events.expect(lambda e: e.event_type == "restarted" and e.name == "auditor", timeout=5)
    flush("auditor", system=actor_system)

    with AuditLog.open(path) as log:
        (run,) = log.runs()
        own = {logged.run_id for logged in log.logged()}
    assert ({run_id_of(actor_system)}, None) == (own, run.closed_at)
