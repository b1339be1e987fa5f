"""What the SQLite backend adds to the contract: durability, schema, sharing a file."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from actors.eventbus import (
    Event,
    EventBusStoreError,
    Mark,
    NewEvent,
    SqliteBackend,
    WatcherRecord,
)


def test_everything_survives_closing_and_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    with_backend = SqliteBackend(path)
    with_backend.add_topic("t", 1.0)
    with_backend.write([NewEvent(Event("e", "t", {"a": 1}), ("s1", "s2"), 5.0)], [])
    with_backend.write([], [Mark("t", "e", "s1", "completed")])
    with_backend.close()

    reopened = SqliteBackend(path)
    try:
        assert ["t"] == reopened.topics()
        assert Event("e", "t", {"a": 1}) == reopened.fetch("t", "e")
        assert [WatcherRecord("t", "e", ("s1", "s2"), ("s1",), (), 5.0)] == reopened.watchers("t")
        assert ["s2"] == [d.subscriber for d in reopened.pending()]
    finally:
        reopened.close()


def test_the_file_is_in_wal_mode_with_full_sync_and_only_eventbus_tables(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    SqliteBackend(path).close()
    conn = sqlite3.connect(path)
    try:
        assert "wal" == conn.execute("PRAGMA journal_mode").fetchone()[0]
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()

    assert {"eventbus_meta", "eventbus_topics", "eventbus_events", "eventbus_deliveries"} == names


def test_the_tables_share_a_file_with_other_tables_and_a_writer_holding_the_lock(
    tmp_path: Path,
) -> None:
    # Another part of the application (the event store) writes its own tables
    # in the same file; while it holds the write lock, the bus's write waits.
    path = tmp_path / "app.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("CREATE TABLE events (global_pos INTEGER PRIMARY KEY, stream TEXT)")
    backend = SqliteBackend(path, busy_timeout=10.0)
    backend.add_topic("t", 1.0)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO events (stream) VALUES ('orders')")
    outcome: list[object] = []
    writer = threading.Thread(
        target=lambda: outcome.append(
            backend.write([NewEvent(Event("e", "t", 1), ("s",), 1.0)], [])
        )
    )
    writer.start()
    other.execute("COMMIT")
    writer.join(10)

    try:
        assert [(["stored"], [])] == outcome
        assert [(1, "orders")] == other.execute("SELECT * FROM events").fetchall()
    finally:
        other.close()
        backend.close()


def test_a_lock_held_past_the_busy_timeout_fails_the_write_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    backend = SqliteBackend(path, busy_timeout=0.0)
    backend.add_topic("t", 1.0)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(EventBusStoreError, match="database is locked") as caught:
            backend.write([NewEvent(Event("e", "t", 1), ("s",), 1.0)], [])
        assert isinstance(caught.value.sqlite_error, sqlite3.OperationalError)
    finally:
        other.execute("ROLLBACK")
        other.close()
    # Nothing half-written, and the next write works.
    assert [] == backend.stored()
    assert (["stored"], []) == backend.write([NewEvent(Event("e", "t", 1), ("s",), 1.0)], [])
    backend.close()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not SQLite" * 100)

    with pytest.raises(EventBusStoreError, match=r"cannot open EventBus store .*notes\.txt"):
        SqliteBackend(path)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EventBusStoreError, match="cannot open EventBus store"):
        SqliteBackend(tmp_path)


def test_tables_of_a_newer_schema_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    SqliteBackend(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE eventbus_meta SET value = 2 WHERE key = 'schema_version'")
    conn.close()

    with pytest.raises(EventBusStoreError, match="schema 2, newer than this code's 1"):
        SqliteBackend(path)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match="must be a str or a path, got int"):
        SqliteBackend(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="busy_timeout must not be negative"):
        SqliteBackend(busy_timeout=-1)


def test_many_threads_opening_a_new_file_at_once_create_the_tables_once(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    opened: list[SqliteBackend] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def open_it() -> None:
        start.wait()
        try:
            opened.append(SqliteBackend(path))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    try:
        assert [] == errors
        assert 8 == len(opened)
        opened[0].add_topic("t", 1.0)
        assert [["t"]] * 8 == [b.topics() for b in opened]
    finally:
        for b in opened:
            b.close()
