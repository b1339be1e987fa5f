"""The audit log on PostgreSQL: the same tables, entries and queries as the
SQLite file, shared by every process (and host) that writes it.

``gater.start(system, audit="postgresql://user@host/db")``, ``Auditor(path=
URL)``, ``AuditLog.open(URL)`` and ``actors audit URL`` use it. The tables
(``lifecycle_events``, ``audit_events``, ``audit_sequence``, ``audit_runs``)
live in the same PostgreSQL schema as the event store (``?schema=NAME``,
default ``actors``), created by ``actors store init URL`` (schema version
3; see :mod:`actors.eventstore.postgres`).

A batch is one transaction that locks the one row of ``audit_sequence``
until it commits: ``seq`` numbers the entries of every writer in commit
order, without gaps. Commits are durable (``synchronous_commit`` as the
server has it). PostgreSQL text cannot hold a NUL character: one in a
recorded string is stored as U+FFFD.

:class:`PgReader` is what :class:`~actors.audit.AuditLog` reads through: it
runs the log's queries (written with ``?`` placeholders) on a read-only
connection whose ``search_path`` is the store's schema.

The password never appears in reprs, errors or alerts (the URL is shown
masked). Use a store from one thread at a time (the auditor's).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import psycopg

from actors import ProcessLifecycle
from actors.audit._errors import AuditStoreError, AuditWriteError
from actors.audit._records import AuditEvent, AuditRecord
from actors.audit._rows import AUDIT_COLUMNS, LIFECYCLE_COLUMNS, audit_row, lifecycle_row, to_ms

# The PostgreSQL plumbing (URLs, masked passwords, the versioned schema) is
# the event store's, which owns the schema the audit tables live in.
from actors.eventstore.postgres import (
    PgTarget,
    installed_version,
    is_postgres_url,
    parse_postgres_url,
    quote_schema,
)

__all__ = ["MIN_SCHEMA_VERSION", "PgReader", "PostgresAuditStore", "is_postgres_url"]

MIN_SCHEMA_VERSION: Final = 3
"""The store schema version that has the audit tables."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _no_nul(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(v.replace("\x00", "\ufffd") if isinstance(v, str) else v for v in row)


def _connect(target: PgTarget, *, readonly: bool, timeout: float) -> psycopg.Connection[Any]:
    info = psycopg.conninfo.conninfo_to_dict(target.conninfo)
    kwargs: dict[str, Any] = {"autocommit": True}
    if "connect_timeout" not in info:
        kwargs["connect_timeout"] = str(max(1, round(timeout)))
    if "application_name" not in info:
        kwargs["application_name"] = "actors-audit-reader" if readonly else "actors-audit"
    conn = psycopg.connect(target.conninfo, **kwargs)
    try:
        conn.execute(f"SET search_path TO {quote_schema(target.schema)}")
        if readonly:
            conn.execute("SET default_transaction_read_only = on")
    except BaseException:
        conn.close()
        raise
    return conn


def _open(
    target: PgTarget, *, readonly: bool, timeout: float
) -> tuple[psycopg.Connection[Any], int]:
    """A connection to a schema that has the audit tables, and its version."""
    where = f"schema {target.schema!r} of {target.masked}"
    try:
        conn = _connect(target, readonly=readonly, timeout=timeout)
    except psycopg.Error as exc:
        msg = (
            f"cannot open audit log {target.masked}: {target.scrub(_first_line(exc))}; "
            "is the server running (pg_isready)?"
        )
        raise AuditStoreError(msg, path=target.masked, kind="other") from None
    try:
        version = installed_version(conn, target.schema)
    except psycopg.Error as exc:
        conn.close()
        msg = f"cannot read audit log {target.masked}: {target.scrub(_first_line(exc))}"
        raise AuditStoreError(msg, path=target.masked) from None
    if version is None or version < MIN_SCHEMA_VERSION:
        conn.close()
        action = "init" if version is None else "migrate"
        msg = (
            f"no audit log in {where} (its schema version is {version}; the audit tables "
            f"come with version {MIN_SCHEMA_VERSION}): run `actors store {action} URL`"
        )
        raise AuditStoreError(msg, path=target.masked, kind="older" if version else "foreign")
    return conn, version


class PostgresAuditStore:
    """A :class:`~actors.audit.RunAwareStore` in a PostgreSQL schema.

    Args:
        url: ``postgresql://user:password@host/db?schema=NAME``.
        connect_timeout: seconds to wait for the server.

    Attributes:
        path: the URL with its password masked (what errors and alerts show).

    Raises:
        AuditStoreError: the server cannot be reached, or the schema has no
            audit tables (run ``actors store init URL``).
    """

    def __init__(self, url: str | os.PathLike[str], *, connect_timeout: float = 5.0) -> None:
        self._target = parse_postgres_url(url)
        self.path = self._target.masked
        self._timeout = connect_timeout
        self.run_id: str | None = None
        conn, version = _open(self._target, readonly=False, timeout=connect_timeout)
        self._conn: psycopg.Connection[Any] | None = conn
        self.schema_version = version
        self.migrated_from = version
        self._closed = False
        self._last_seq = self._read_last_seq()

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<PostgresAuditStore {self.path!r}{state}>"

    def __enter__(self) -> PostgresAuditStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _connection(self) -> psycopg.Connection[Any]:
        if self._closed:
            msg = f"audit store {self.path!r} is closed"
            raise AuditStoreError(msg, path=self.path, kind="closed")
        conn = self._conn
        if conn is None or conn.closed:
            try:
                conn, _ = _open(self._target, readonly=False, timeout=self._timeout)
            except AuditStoreError as exc:
                raise AuditWriteError(str(exc), path=self.path) from None
            self._conn = conn
        return conn

    def _failed(self, what: str, exc: psycopg.Error) -> AuditWriteError:
        if isinstance(exc, psycopg.OperationalError):
            self._drop()  # made again on the next call
        msg = f"cannot {what} in audit log {self.path}: {self._target.scrub(_first_line(exc))}"
        return AuditWriteError(msg, path=self.path)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except psycopg.Error:
                pass

    def _read_last_seq(self) -> int:
        try:
            row = (
                self._connection()
                .execute("SELECT last_seq FROM audit_sequence WHERE id = 1")
                .fetchone()
            )
        except psycopg.Error as exc:
            msg = f"cannot read audit log {self.path}: {self._target.scrub(_first_line(exc))}"
            raise AuditStoreError(msg, path=self.path) from None
        return int(row[0]) if row is not None else 0

    def last_seq(self) -> int:
        """The highest ``seq`` this store has committed or found on opening."""
        return self._last_seq

    def open_run(self, run_id: str, *, node: str, opened: datetime) -> None:
        conn = self._connection()
        try:
            conn.execute(
                "INSERT INTO audit_runs (run_id, node, host, pid, opened_ms, first_seq) "
                "VALUES (%s, %s, %s, %s, %s, "
                "(SELECT last_seq + 1 FROM audit_sequence WHERE id = 1)) "
                "ON CONFLICT (run_id) DO UPDATE SET closed_ms = NULL, closed_seq = NULL",
                _no_nul((run_id, node, socket.gethostname(), os.getpid(), to_ms(opened))),
            )
        except psycopg.Error as exc:
            raise self._failed(f"record run {run_id}", exc) from None
        self.run_id = run_id

    def close_run(self, closed: datetime) -> None:
        conn = self._connection()
        if self.run_id is None:
            return
        try:
            conn.execute(
                "UPDATE audit_runs SET closed_ms = %s, closed_seq = %s WHERE run_id = %s",
                (to_ms(closed), self._last_seq, self.run_id),
            )
        except psycopg.Error as exc:
            raise self._failed(f"close run {self.run_id}", exc) from None

    def verify(self) -> None:
        """Check that the audit tables are still there (a dropped schema is
        ``kind="deleted"``, as a deleted file is for SQLite)."""
        conn = self._connection()
        try:
            row = conn.execute("SELECT to_regclass('audit_sequence') IS NOT NULL").fetchone()
        except psycopg.Error as exc:
            raise self._failed("check", exc) from None
        if row is None or not row[0]:
            msg = f"the audit tables of {self.path!r} were dropped while in use"
            raise AuditStoreError(msg, path=self.path, kind="deleted")

    def append_batch(self, events: Sequence[AuditRecord]) -> int:
        """Write ``events`` in one transaction; ``seq`` from the shared
        counter, locked until the commit.

        Raises:
            AuditWriteError: nothing was written (the server is unreachable,
                a statement failed); the batch may be retried.
            AuditStoreError: the store is closed.
        """
        if not events:
            self._connection()
            return self._last_seq
        lifecycle: list[tuple[int, tuple[Any, ...]]] = []
        audit: list[tuple[int, tuple[Any, ...]]] = []
        run = self.run_id
        for offset, event in enumerate(events, 1):
            if isinstance(event, ProcessLifecycle):
                lifecycle.append((offset, _no_nul((*lifecycle_row(event), run))))
            elif isinstance(event, AuditEvent):
                audit.append((offset, _no_nul((*audit_row(event), run))))
            else:
                msg = f"an audit store appends ProcessLifecycle or AuditEvent, got {event!r}"
                raise TypeError(msg)
        conn = self._connection()
        try:
            with conn.transaction():
                row = conn.execute(
                    "SELECT last_seq FROM audit_sequence WHERE id = 1 FOR UPDATE"
                ).fetchone()
                assert row is not None
                base = int(row[0])
                for table, columns, rows in (
                    ("lifecycle_events", LIFECYCLE_COLUMNS, lifecycle),
                    ("audit_events", AUDIT_COLUMNS, audit),
                ):
                    if rows:
                        marks = ", ".join(["%s"] * (len(columns) + 1))
                        with conn.cursor() as cur:
                            cur.executemany(
                                f"INSERT INTO {table} ({', '.join(columns)}, run_id) "
                                f"VALUES ({marks})",
                                [(base + i, *r) for i, r in rows],
                            )
                last = base + len(events)
                conn.execute("UPDATE audit_sequence SET last_seq = %s WHERE id = 1", (last,))
        except psycopg.Error as exc:
            raise self._failed(f"write {len(events)} events", exc) from None
        self._last_seq = last
        return last

    def close(self) -> None:
        self._closed = True
        self._drop()


class PgReader:
    """The read connection of an :class:`~actors.audit.AuditLog` on PostgreSQL.

    ``execute(sql, params)`` runs the log's SQL, written with ``?``
    placeholders (which are not used for anything else in it), and returns
    the cursor.
    """

    def __init__(self, url: str | os.PathLike[str], *, timeout: float = 5.0) -> None:
        self.target = parse_postgres_url(url)
        self.path = self.target.masked
        self._conn, self.version = _open(self.target, readonly=True, timeout=timeout)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql.replace("?", "%s"), list(params))

    def describe(self, exc: BaseException) -> str:
        return self.target.scrub(_first_line(exc))

    def close(self) -> None:
        try:
            self._conn.close()
        except psycopg.Error:
            pass
