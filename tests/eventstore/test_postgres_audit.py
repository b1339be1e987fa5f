"""The audit log on PostgreSQL: the same entries and the same answers as the
SQLite file, the gater's auditor writing to it, several writers sharing it,
and ``actors audit URL``.

The main check is differential: the same batches go to an SQLite audit
file and to a PostgreSQL schema, and every query of ``AuditLog`` (with a
spread of filters) must answer the same on both.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import actors
import supervision as sv
from actors import gater
from actors.audit import AuditEvent, AuditLog, AuditStoreError, SqliteAuditStore, flush
from actors.audit._pg_store import PostgresAuditStore
from actors.cli import main as cli_main
from actors.testing import ANY, Probe
from tests.eventstore.conftest import PgSchema
from tests.supervised import Boom, Worker, exit_child, started

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def lifecycle(i: int, event_type: str, name: str | None, **kw: Any) -> actors.ProcessLifecycle:
    return actors.ProcessLifecycle(
        event_type=event_type,
        component=kw.pop("component", "Worker"),
        actor_id=f"urn:{i}",
        name=name,
        timestamp=at(i),
        **kw,
    )


def history() -> list[list[Any]]:
    """Two runs' batches: starts, crashes, restarts, stops, audit events."""
    first = [
        lifecycle(0, "started", "app", component="Supervisor"),
        lifecycle(1, "started", "db", supervisor="app", child_id="db"),
        lifecycle(2, "started", None, supervisor="app", child_id="cache"),
        lifecycle(
            3,
            "crashed",
            "db",
            reason="ValueError: bad",
            exception_type="ValueError",
            traceback="Traceback ...\x00NUL",
            supervisor="app",
            child_id="db",
        ),
        lifecycle(4, "restarted", "db", supervisor="app", child_id="db", restart_count=1),
        lifecycle(5, "started", "db", supervisor="app", child_id="db"),
        AuditEvent(
            tag="data_change",
            kind="DataChange",
            payload={"user": "ana", "n": 1},
            timestamp=at(5.5),
            topic="audit:users",
        ),
        lifecycle(6, "crashed", None, reason="KeyError: 'x'", supervisor="app", child_id="cache"),
    ]
    second = [
        lifecycle(7, "started", "db", supervisor="app", child_id="db"),
        lifecycle(8, "stopped", "db", reason="shutdown", supervisor="app", child_id="db"),
        AuditEvent(
            tag="admin_action", kind="dict", payload={"who": "root", "ok": True}, timestamp=at(8.5)
        ),
        lifecycle(9, "crashed", "web", reason="ValueError: bad", component="Handler"),
    ]
    return [first[:3], first[3:], second]


def fill(store: Any) -> None:
    batches = history()
    store.open_run("run-1", node="n1", opened=at(0))
    store.append_batch(batches[0])
    store.append_batch(batches[1])
    store.close_run(at(6.5))
    store.open_run("run-2", node="n2", opened=at(7))
    store.append_batch(batches[2])


def answers(log: AuditLog) -> list[Any]:
    filters: list[dict[str, Any]] = [
        {},
        {"event_type": "crashed"},
        {"event_type": ["started", "restarted"], "name": "db"},
        {"actor": "cache"},
        {"supervised_by": "app"},
        {"component": "Handler"},
        {"since": at(3), "until": at(8)},
        {"run_id": "run-2"},
        {"supervisor": "app", "child_id": "db"},
    ]
    out: list[Any] = []
    for f in filters:
        out.append(log.query(**f))
        out.append([(e.seq, e.run_id) for e in log.logged(**f)])
        out.append(log.event_counts(**f))
        out.append(log.crash_reasons(5, **f))
    out.append(log.query(limit=3, latest=True))
    out.append(log.query(after_seq=5, limit=2))
    out.append(log.audit_events())
    out.append(log.audit_events(tag="admin_action"))
    out.append(log.audit_events(run_id="run-1", latest=True, limit=1))
    out.append([(r.run_id, r.node, r.first_seq, r.closed_seq, r.entries) for r in log.runs()])
    out.append(log.restart_counts())
    out.append(log.restart_counts(by="component"))
    out.append(log.uptime("db"))
    out.append(log.uptime("web", now=at(20)))
    out.append(log.uptime("nobody"))
    out.append(log.last_seq())
    return out


@pytest.fixture
def pg_log_url(pg_schema: PgSchema) -> str:
    return pg_schema.url


def test_every_query_answers_the_same_on_sqlite_and_postgres(tmp_path: Path, pg_log_url: str):
    sqlite_path = tmp_path / "audit.db"
    with SqliteAuditStore(sqlite_path) as on_file:
        fill(on_file)
    with PostgresAuditStore(pg_log_url) as on_server:
        fill(on_server)

    with AuditLog.open(sqlite_path) as file_log, AuditLog.open(pg_log_url) as server_log:
        expected, actual = answers(file_log), answers(server_log)

    # SQLite keeps a NUL; PostgreSQL text cannot: it is stored as U+FFFD.
    crash = next(e for e in actual[0] if e.traceback)
    assert "Traceback ...\ufffdNUL" == crash.traceback
    assert [_without_nul(x) for x in expected] == actual


def _without_nul(value: Any) -> Any:
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, actors.ProcessLifecycle) and value.traceback:
        import attrs

        return attrs.evolve(value, traceback=value.traceback.replace("\x00", "\ufffd"))
    return value


def test_writers_in_several_processes_share_one_gap_free_sequence(pg_log_url: str):
    stores = [PostgresAuditStore(pg_log_url) for _ in range(3)]
    lasts: list[list[int]] = [[] for _ in stores]
    start = threading.Barrier(len(stores))

    def write(i: int) -> None:
        stores[i].open_run(f"run-{i}", node=f"n{i}", opened=T0)
        start.wait()
        for b in range(20):
            batch = [lifecycle(1000 * i + 10 * b + k, "started", f"w{i}") for k in range(5)]
            lasts[i].append(stores[i].append_batch(batch))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for store in stores:
        store.close()

    with AuditLog.open(pg_log_url) as log:
        logged = log.logged()
        runs = {r.run_id: r.entries for r in log.runs()}
    assert list(range(1, 301)) == [e.seq for e in logged]
    # Each batch is contiguous: its 5 entries are one run's, in one block.
    for block in range(0, 300, 5):
        assert 1 == len({e.run_id for e in logged[block : block + 5]})
    assert {"run-0": 100, "run-1": 100, "run-2": 100} == runs
    assert sorted(x for part in lasts for x in part) == list(range(5, 301, 5))


def test_the_gater_audits_to_postgres_and_actors_audit_reads_it(
    actor_system: actors.ActorSystem, probe: Probe, pg_log_url: str
):
    gater.start(actor_system, audit=pg_log_url)
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

    with AuditLog.open(pg_log_url) as log:
        worker = [e.event_type for e in log.query(component="Worker")]
        gave_up = log.query(event_type="max_restarts_reached")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(["audit", pg_log_url, "--type", "crashed", "--json"])

    assert ["started", "crashed", "started", "crashed"] == [
        t for t in worker if t in ("started", "crashed")
    ]
    assert [("w", "app")] == [(e.child_id, e.supervisor) for e in gave_up]
    assert (0, 2) == (code, out.getvalue().count('"crashed"'))


def test_a_schema_without_audit_tables_is_refused_and_no_password_shows(
    pg_schema: PgSchema, pg_server: str
):
    pg_schema.execute(
        "DROP TABLE {s}.audit_events, {s}.lifecycle_events, {s}.audit_runs, {s}.audit_sequence"
    )
    pg_schema.execute("DELETE FROM {s}.schema_migrations WHERE version = 3")
    url = pg_schema.url.replace("postgresql://", "postgresql://root:Pa55word@", 1)

    with pytest.raises(AuditStoreError, match="run `actors store migrate URL`") as old:
        PostgresAuditStore(url)
    with pytest.raises(AuditStoreError, match="run `actors store migrate URL`"):
        AuditLog.open(url)
    with pytest.raises(AuditStoreError, match="pg_isready") as down:
        AuditLog.open("postgresql://root:Pa55word@127.0.0.1:1/test")
    assert 0 == cli_main(["store", "migrate", url])
    with PostgresAuditStore(url) as store:
        shown = [repr(store), store.path, str(old.value), str(down.value)]
        assert 0 == store.append_batch([])

    assert [] == [text for text in shown if "Pa55word" in text]
    assert "root:***@" in shown[1]


@pytest.fixture
def stopped_store(pg_log_url: str) -> Iterator[PostgresAuditStore]:
    store = PostgresAuditStore(pg_log_url)
    yield store
    store.close()


def test_a_lost_connection_fails_the_batch_and_the_next_one_reconnects(
    stopped_store: PostgresAuditStore, pg_schema: PgSchema
):
    from actors.audit import AuditWriteError

    store = stopped_store
    store.append_batch([lifecycle(0, "started", "a")])
    pg_schema.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
        "'actors-audit' AND pid <> pg_backend_pid()"
    )
    with pytest.raises(AuditWriteError, match="cannot write 1 events"):
        store.append_batch([lifecycle(1, "started", "b")])  # nothing written: retry it

    assert 2 == store.append_batch([lifecycle(1, "started", "b")])
    with AuditLog.open(pg_schema.url) as log:
        assert ["a", "b"] == [e.name for e in log.query()]
