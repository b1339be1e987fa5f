"""Backend contract for durable storage: reopening, recovery, bad files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from actors.eventstore import (
    ANY,
    Backend,
    PersistentSettings,
    SqliteBackend,
    StoreClosed,
    StoreUnavailable,
    StreamMetadata,
)
from tests.eventstore.conftest import T0, batch

Factory = Callable[..., Backend]


def test_everything_committed_is_there_after_reopening(durable_factory: Factory):
    first = durable_factory()
    first.append("s", batch(3), ANY, T0)
    first.set_metadata("s", StreamMetadata(max_count=100))
    first.create_group("s", "g", PersistentSettings(), T0)
    first.claim("s", "g", "o", 2, T0)
    first.ack("s", "g", [0])
    first.close()

    again = durable_factory()

    assert [0, 1, 2] == [e.data["n"] for e in again.read_stream("s", 0, 10, False, T0)]
    assert 100 == again.get_metadata("s").max_count
    state = again.get_group("s", "g")
    assert (2, 1) == (state.cursor, state.in_flight)
    assert 3 == again.append("s", batch(1), 2, T0).position


def test_recovery_hands_back_the_previous_runs_claims(durable_factory: Factory):
    first = durable_factory()
    first.append("s", batch(2), ANY, T0)
    first.create_group("s", "g", PersistentSettings(), T0)
    first.register_consumer("s", "g", "c", T0)
    first.claim("s", "g", "old-owner", 2, T0)
    first.close()

    again = durable_factory(recover=True)

    state = again.get_group("s", "g")
    assert (0, 2, 0) == (state.in_flight, state.waiting, state.consumers)
    assert [(0, 0), (1, 0)] == [(d.key, d.retry_count) for d in again.claim("s", "g", "new", 5, T0)]


def test_a_tool_opening_the_file_changes_nothing(durable_factory: Factory):
    store = durable_factory(recover=True)
    store.append("s", batch(1), ANY, T0)
    store.create_group("s", "g", PersistentSettings(), T0)
    store.claim("s", "g", "live-owner", 1, T0)

    tool = durable_factory(create=False)

    assert 1 == tool.get_group("s", "g").in_flight


def test_operations_after_close_raise_store_closed(durable_factory: Factory):
    backend = durable_factory()
    backend.close()
    backend.close()

    with pytest.raises(StoreClosed, match="closed"):
        backend.append("s", batch(1), ANY, T0)
    with pytest.raises(StoreClosed):
        backend.read_all(0, 1, False, None)


def test_a_missing_file_is_not_created_for_tools(tmp_path: Path):
    with pytest.raises(StoreUnavailable, match="no event store"):
        SqliteBackend(tmp_path / "nope.db", create=False)
    assert not (tmp_path / "nope.db").exists()


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database at all, not even close" * 100)

    with pytest.raises(StoreUnavailable, match="cannot open event store") as caught:
        SqliteBackend(path)

    assert caught.value.sqlite_error is not None
    assert b"this is not a database" == path.read_bytes()[:22]


def test_another_sqlite_database_is_refused(tmp_path: Path):
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (x)")

    with pytest.raises(StoreUnavailable, match="not an event store"):
        SqliteBackend(path)


def test_a_newer_schema_is_refused(tmp_path: Path):
    import sqlite3

    path = tmp_path / "store.db"
    SqliteBackend(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE es_meta SET value = 99 WHERE key = 'schema'")

    with pytest.raises(StoreUnavailable, match="newer"):
        SqliteBackend(path)


def test_sqlite_urls(tmp_path: Path):
    memory = SqliteBackend("sqlite://:memory:")
    on_disk = SqliteBackend(f"sqlite:///{tmp_path}/url.db")
    try:
        assert (":memory:", False) == (memory.url, memory.durable)
        assert (f"{tmp_path}/url.db", True) == (on_disk.url, on_disk.durable)
    finally:
        memory.close()
        on_disk.close()
