"""Fixtures of the event store tests.

``backend_factory`` is the one place a backend is chosen: every contract
test runs against each of its params: SQLite (a file, ``:memory:``) and
PostgreSQL (a fresh schema per test in the server of ``ACTORS_TEST_PG_URL``,
default ``postgresql://127.0.0.1:5432/test``, dropped afterwards).

A PostgreSQL test fails, never skips, when no server answers: the message
says how to start one (``.ci/postgres-check`` does it on CI machines).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from actors.eventstore import Backend, EventData, NewEvent, SqliteBackend, encode_event

BackendFactory = Callable[[], Backend]

PG_URL = os.environ.get("ACTORS_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")
_HOW_TO_START = (
    "start one with `bash .ci/postgres-check` (or `pg_ctlcluster 15 main start`), or point "
    "ACTORS_TEST_PG_URL at a server where this user may create schemas"
)


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The URL of a PostgreSQL server that answers; fails the test if none does."""
    try:
        import psycopg
    except ImportError:
        pytest.fail(
            "the PostgreSQL tests need psycopg: pip install -e '.[test,postgres]'", pytrace=False
        )
    try:
        with psycopg.connect(PG_URL, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        pytest.fail(f"no PostgreSQL server at {PG_URL} ({first}): {_HOW_TO_START}", pytrace=False)
    return PG_URL


class PgSchema:
    """A fresh, initialised event store schema; :meth:`drop` removes it."""

    def __init__(self, server: str) -> None:
        import psycopg

        from actors.eventstore.postgres import apply_migrations

        self.name = f"t_{uuid.uuid4().hex[:12]}"
        self.server = server
        self.url = f"{server}?schema={self.name}"
        with psycopg.connect(server, autocommit=True) as conn:
            apply_migrations(conn, self.name, create=True)

    def backend(self, **options: Any) -> Backend:
        from actors.eventstore._postgres import PostgresBackend

        options.setdefault("poll_interval", 0.2)
        return PostgresBackend(self.url, **options)

    def execute(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run one statement (``{s}`` is the schema) and return its rows."""
        import psycopg

        with psycopg.connect(self.server, autocommit=True) as conn:
            cur = conn.execute(sql.format(s=f'"{self.name}"'), params or None)
            return cur.fetchall() if cur.description else []

    def drop(self) -> None:
        self.execute("DROP SCHEMA IF EXISTS {s} CASCADE")


@pytest.fixture
def pg_schema(pg_server: str) -> Iterator[PgSchema]:
    """A fresh event store schema for one test, dropped afterwards."""
    schema = PgSchema(pg_server)
    yield schema
    schema.drop()


@pytest.fixture(params=["sqlite-file", "sqlite-memory", "postgresql"])
def backend_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackendFactory]:
    """Opens backends on one storage; each call opens another handle on the
    same data where the backend is durable (all are closed afterwards)."""
    opened: list[Backend] = []
    memory: list[Backend] = []
    schema = (
        PgSchema(request.getfixturevalue("pg_server")) if request.param == "postgresql" else None
    )

    def make() -> Backend:
        if schema is not None:
            backend = schema.backend()
            opened.append(backend)
            return backend
        if request.param == "sqlite-memory":
            if not memory:
                memory.append(SqliteBackend(":memory:"))
                opened.append(memory[0])
            return memory[0]
        backend = SqliteBackend(tmp_path / "store.db")
        opened.append(backend)
        return backend

    yield make
    for backend in opened:
        backend.close()
    if schema is not None:
        schema.drop()


@pytest.fixture
def backend(backend_factory: BackendFactory) -> Backend:
    return backend_factory()


@pytest.fixture(params=["sqlite-file", "postgresql"])
def durable_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., Backend]]:
    """Opens backends on durable storage: closing and reopening keeps the data."""
    opened: list[Backend] = []
    schema = (
        PgSchema(request.getfixturevalue("pg_server")) if request.param == "postgresql" else None
    )

    def make(**options: object) -> Backend:
        if schema is not None:
            backend = schema.backend(**options)
        else:
            backend = SqliteBackend(tmp_path / "store.db", **options)  # type: ignore[arg-type]
        opened.append(backend)
        return backend

    yield make
    for backend in opened:
        backend.close()
    if schema is not None:
        schema.drop()


T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new(event_type: str = "Happened", data: object = None, **kw: object) -> NewEvent:
    return encode_event(EventData(event_type, {"n": 0} if data is None else data, **kw))


def batch(n: int, event_type: str = "Happened", start: int = 0) -> list[NewEvent]:
    return [encode_event(EventData(event_type, {"n": start + i})) for i in range(n)]


def advance_past_timers(system: object, clock: object, seconds: float) -> None:
    """Advance a manual clock and return once every timer due by then has
    fired: a marker timer scheduled last fires last (same deadline, later id)."""
    import actors
    from actors.testing import Probe

    with Probe(system) as marker:  # type: ignore[arg-type]
        actors.send_after(marker, "fired", seconds, system=system)  # type: ignore[arg-type]
        clock.advance(seconds)  # type: ignore[attr-defined]
        marker.expect("fired")
