"""Audit stores: the SQLite file (pragmas, migrations, bad files, transactions)
and the in-memory store with the same interface."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from actors import ProcessLifecycle
from actors.audit import (
    MIGRATIONS,
    SCHEMA_VERSION,
    AuditEvent,
    AuditLog,
    AuditStore,
    AuditStoreError,
    AuditWriteError,
    InMemoryAuditStore,
    SqliteAuditStore,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)

# The schema as version 1 and version 2 wrote it, spelled out as raw SQL so
# these tests keep checking upgrades even if MIGRATIONS is edited by mistake.
V1_SCHEMA = [
    "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
    "applied_at TEXT NOT NULL)",
    "INSERT INTO schema_version VALUES (1, 'lifecycle_events table', '2025-06-01T00:00:00.000Z')",
    """CREATE TABLE lifecycle_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        ts_ms INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        component TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        name TEXT,
        node TEXT NOT NULL DEFAULT '',
        reason TEXT,
        exception_type TEXT,
        traceback TEXT,
        restart_count INTEGER NOT NULL DEFAULT 0
    )""",
]
V2_SCHEMA = [
    *V1_SCHEMA,
    "ALTER TABLE lifecycle_events ADD COLUMN supervisor TEXT",
    "ALTER TABLE lifecycle_events ADD COLUMN child_id TEXT",
    "CREATE INDEX lifecycle_events_ts ON lifecycle_events (ts_ms)",
    "CREATE INDEX lifecycle_events_name ON lifecycle_events (name)",
    "CREATE INDEX lifecycle_events_type ON lifecycle_events (event_type, ts_ms)",
    "INSERT INTO schema_version VALUES (2, 'supervisor and child_id', '2025-07-01T00:00:00.000Z')",
]
V1_INSERT = (
    "INSERT INTO lifecycle_events (ts_ms, event_type, component, actor_id, name, node, reason) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def event(event_type: str = "started", name: str | None = "w", **fields: Any) -> ProcessLifecycle:
    fields.setdefault("component", "Worker")
    fields.setdefault("actor_id", "urn:uuid:1")
    fields.setdefault("timestamp", T0)
    return ProcessLifecycle(event_type=event_type, name=name, **fields)


def build(path: Path, statements: list[str], rows: list[tuple[Any, ...]] | None = None) -> None:
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    if rows:
        conn.executemany(V1_INSERT, rows)
    conn.commit()
    conn.close()


def versions(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY 1")]
    finally:
        conn.close()


def test_migration_versions_run_from_one_without_gaps() -> None:
    assert list(range(1, len(MIGRATIONS) + 1)) == [m.version for m in MIGRATIONS]
    assert SCHEMA_VERSION == MIGRATIONS[-1].version


def test_a_new_file_gets_every_migration_in_order_in_wal_mode_with_full_sync(
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.db"

    with SqliteAuditStore(path) as store:
        synchronous = store._conn.execute("PRAGMA synchronous").fetchone()[0]  # type: ignore[union-attr]
        migrated_from = store.migrated_from

    conn = sqlite3.connect(path)
    journal_mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.close()
    assert 0 == migrated_from
    assert [1, 2, 3, 4] == versions(path)
    assert "wal" == journal_mode
    assert 2 == synchronous  # FULL


def test_a_version_1_file_is_upgraded_in_place_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    build(
        path,
        V1_SCHEMA,
        [
            (1767225600000, "started", "Worker", "urn:1", "w", "n1", None),
            (1767225601000, "crashed", "Worker", "urn:1", "w", "n1", "ValueError: bad"),
        ],
    )

    with SqliteAuditStore(path) as store:
        migrated_from = store.migrated_from
        next_seq = store.append_batch([event("started", timestamp=T0 + timedelta(seconds=2))])
    with AuditLog.open(path) as log:
        entries = log.entries()

    assert 1 == migrated_from
    assert [1, 2, 3, 4] == versions(path)
    assert 3 == next_seq
    assert [1, 2, 3] == [seq for seq, _ in entries]
    first, second = entries[0][1], entries[1][1]
    assert ("started", "w", "n1", T0, None, None) == (
        first.event_type,
        first.name,
        first.node,
        first.timestamp,
        first.supervisor,
        first.child_id,
    )
    assert ("crashed", "ValueError: bad") == (second.event_type, second.reason)


def test_a_version_2_file_continues_its_sequence_without_reusing_deleted_numbers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v2.db"
    build(
        path,
        V2_SCHEMA,
        [(1767225600000 + i, "started", "Worker", f"urn:{i}", "w", "", None) for i in range(3)],
    )
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM lifecycle_events WHERE seq = 3")
    conn.commit()
    conn.close()

    with SqliteAuditStore(path) as store:
        migrated_from = store.migrated_from
        last = store.append_batch(
            [event(), AuditEvent(tag="t", kind="dict", payload={}, timestamp=T0)]
        )
    with AuditLog.open(path) as log:
        lifecycle_seqs = [seq for seq, _ in log.entries()]
        audit_seqs = [e.seq for e in log.audit_events()]

    assert 2 == migrated_from
    assert 5 == last
    assert [1, 2, 4] == lifecycle_seqs
    assert [5] == audit_seqs


def test_opening_a_current_file_again_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    with SqliteAuditStore(path) as store:
        store.append_batch([event()])

    with SqliteAuditStore(path) as store:
        migrated_from = store.migrated_from
        last = store.last_seq()

    assert SCHEMA_VERSION == migrated_from
    assert 1 == last
    assert [1, 2, 3, 4] == versions(path)


def test_a_file_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with SqliteAuditStore(path):
        pass
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (99, 'from the future', 'later')")
    conn.commit()
    conn.close()

    with pytest.raises(AuditStoreError, match="schema version 99, newer than"):
        SqliteAuditStore(path)
    with pytest.raises(AuditStoreError, match="schema version 99, newer than"):
        AuditLog.open(path)


def test_reading_an_old_file_read_only_asks_for_an_upgrade_and_changes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    build(path, V1_SCHEMA, [(1767225600000, "started", "Worker", "urn:1", "w", "", None)])

    with pytest.raises(AuditStoreError, match="open it once for writing"):
        AuditLog.open(path)
    unchanged = versions(path)
    with AuditLog.open(path, readonly=False) as log:
        events = log.query()

    assert [1] == unchanged
    assert [1, 2, 3, 4] == versions(path)
    assert ["started"] == [e.event_type for e in events]


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a database, just text\n" * 50,
        bytes(range(256)) * 16,
        b"SQLite format 3\x00" + b"\xff" * 4080,
    ],
    ids=["text", "binary", "sqlite-header-then-garbage"],
)
def test_a_corrupt_or_foreign_file_gives_a_clear_audit_store_error(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(content)

    with pytest.raises(AuditStoreError) as writing:
        SqliteAuditStore(path)
    with pytest.raises(AuditStoreError) as reading:
        AuditLog.open(path)

    for error in (writing.value, reading.value):
        assert str(path) in str(error)
        assert error.__cause__ is None
        assert error.__suppress_context__
        assert isinstance(error.sqlite_error, sqlite3.DatabaseError)
    assert content == path.read_bytes()


def test_another_applications_database_is_not_taken_for_an_audit_log(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    build(path, ["CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"])

    with pytest.raises(AuditStoreError, match=r"not an audit log .*customers"):
        SqliteAuditStore(path)


def test_a_missing_file_is_not_created_by_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"

    with pytest.raises(AuditStoreError, match="no audit log at"):
        AuditLog.open(path)

    assert not path.exists()


def test_a_path_that_cannot_be_created_is_an_audit_store_error(tmp_path: Path) -> None:
    with pytest.raises(AuditStoreError, match="cannot open audit log"):
        SqliteAuditStore(tmp_path / "no" / "such" / "dir" / "audit.db")


def test_one_sequence_numbers_lifecycle_and_audit_events_in_batch_order(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    change = AuditEvent(tag="data_change", kind="dict", payload={"id": 7}, timestamp=T0)

    with SqliteAuditStore(path) as store:
        first = store.append_batch([event("started"), change, event("stopped")])
        second = store.append_batch([change])
        empty = store.append_batch([])
    with AuditLog.open(path) as log:
        lifecycle = [(seq, e.event_type) for seq, e in log.entries()]
        audit = [(e.seq, e.tag, e.payload) for e in log.audit_events()]
        last = log.last_seq()

    assert (3, 4, 4, 4) == (first, second, empty, last)
    assert [(1, "started"), (3, "stopped")] == lifecycle
    assert [(2, "data_change", {"id": 7}), (4, "data_change", {"id": 7})] == audit


def test_a_batch_blocked_by_another_writer_writes_nothing_and_can_be_retried(
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.db"
    store = SqliteAuditStore(path, busy_timeout=0.01)
    store.append_batch([event()])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")

    with pytest.raises(AuditWriteError, match="database is locked") as failed:
        store.append_batch([event("crashed"), event("started")])
    other.execute("ROLLBACK")
    other.close()
    retried = store.append_batch([event("crashed"), event("started")])
    store.close()

    assert failed.value.__cause__ is None
    assert 3 == retried
    with AuditLog.open(path) as log:
        assert [(1, "started"), (2, "crashed"), (3, "started")] == [
            (seq, e.event_type) for seq, e in log.entries()
        ]


def test_a_full_disk_is_a_write_error_and_leaves_the_log_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    store = SqliteAuditStore(path)
    store.append_batch([event()])
    conn = store._conn
    assert conn is not None
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the "disk" is now full
    big = [event("crashed", traceback="x" * 10_000) for _ in range(20)]

    with pytest.raises(AuditWriteError, match="full"):
        store.append_batch(big)
    last = store.last_seq()
    store.close()

    assert 1 == last
    with AuditLog.open(path) as log:
        assert ["started"] == [e.event_type for e in log.query()]


def test_a_closed_store_refuses_writes(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "audit.db")
    store.close()
    store.close()

    with pytest.raises(AuditStoreError, match="closed"):
        store.append_batch([event()])


def test_both_stores_implement_the_store_protocol(tmp_path: Path) -> None:
    with SqliteAuditStore(tmp_path / "audit.db") as sqlite_store:
        assert isinstance(sqlite_store, AuditStore)
    assert isinstance(InMemoryAuditStore(), AuditStore)


def test_the_in_memory_store_numbers_entries_and_fails_on_demand() -> None:
    store = InMemoryAuditStore()
    change = AuditEvent(tag="t", kind="dict", payload={"a": 1}, timestamp=T0)

    first = store.append_batch([event(), change])
    store.fail_writes("database or disk is full")
    with pytest.raises(AuditWriteError, match="full"):
        store.append_batch([event("crashed")])
    store.fail_writes(None)
    second = store.append_batch([event("crashed")])

    assert (2, 3) == (first, second)
    assert ["started", "crashed"] == [e.event_type for e in store.lifecycle()]
    assert [2] == [e.seq for e in store.audit_events()]
    assert (3, 2) == (store.attempts, store.commits)


def test_an_in_memory_sqlite_store_works_for_throwaway_use() -> None:
    with SqliteAuditStore(":memory:") as store:
        assert 2 == store.append_batch([event(), event("stopped")])


def test_only_lifecycle_and_audit_events_can_be_appended(tmp_path: Path) -> None:
    with SqliteAuditStore(tmp_path / "audit.db") as store, pytest.raises(TypeError):
        store.append_batch([("started", "w")])  # type: ignore[list-item]
