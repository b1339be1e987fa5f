"""Audit stores: where an auditor appends its batches.

:class:`SqliteAuditStore` is the durable one (one file, WAL, ``synchronous=
FULL``); :class:`InMemoryAuditStore` has the same interface for tests and can
be told to fail its writes. A store is written by one thread at a time (the
auditor's own thread); an SQLite store must be used only in the thread that
created it (``sqlite3``'s rule), which is why the auditor creates it in its
``init``.
"""

from __future__ import annotations

import functools
import itertools
import os
import socket
import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from actors import ProcessLifecycle
from actors.audit._db import MEMORY, close_quietly, describe, open_database
from actors.audit._errors import AuditStoreError, AuditWriteError
from actors.audit._records import AuditEvent, AuditRecord
from actors.audit._rows import (
    AUDIT_COLUMNS,
    LIFECYCLE_COLUMNS,
    audit_row,
    lifecycle_row,
    to_ms,
)
from actors.audit._schema import SCHEMA_VERSION, migrate

__all__ = ["AuditStore", "InMemoryAuditStore", "RunAwareStore", "SqliteAuditStore"]

ROWS_PER_STATEMENT: Final = 500
"""Rows per multi-row INSERT (fewer if SQLite allows fewer variables)."""


@functools.lru_cache(maxsize=512)
def _insert_sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    one = "(" + ", ".join("?" * len(columns)) + ")"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([one] * rows)


@runtime_checkable
class AuditStore(Protocol):
    """What an :class:`~actors.audit.Auditor` needs from a store."""

    def append_batch(self, events: Sequence[AuditRecord]) -> int:
        """Write ``events`` in one transaction, in order; return the ``seq``
        of the last one, only once the transaction is committed (an empty
        batch returns :meth:`last_seq`).

        Raises:
            AuditWriteError: nothing was written; the batch may be retried.
        """
        ...

    def last_seq(self) -> int:
        """The highest committed ``seq`` (0 for an empty log)."""
        ...

    def close(self) -> None:
        """Release the store; idempotent."""
        ...


@runtime_checkable
class RunAwareStore(AuditStore, Protocol):
    """A store that records runs (both stores here are): every entry is
    stamped with the open run's id, and a run's end is marked, so readers
    can tell runs apart and know which processes ended with their run.

    An :class:`~actors.audit.Auditor` uses these methods when its store has
    them; a store with only :class:`AuditStore`'s methods works without runs.
    """

    def open_run(self, run_id: str, *, node: str, opened: datetime) -> None:
        """Start (or, after a restart of the auditor, resume) run ``run_id``:
        later entries carry it. Committed before it returns.

        Raises:
            AuditWriteError: it could not be recorded (retry later).
        """
        ...

    def close_run(self, closed: datetime) -> None:
        """Mark the open run closed at ``closed`` (after its last entry).

        Raises:
            AuditWriteError: it could not be recorded.
        """
        ...

    def verify(self) -> None:
        """Check that the store is still the one opened (for a file: that
        its path was not deleted or replaced).

        Raises:
            AuditStoreError: ``kind="deleted"`` if it is not.
        """
        ...


class SqliteAuditStore:
    """The durable audit store: one SQLite file.

    Opening it creates the file if needed, switches it to WAL with
    ``synchronous=FULL``, and upgrades an older schema in place (see
    :mod:`actors.audit._schema`). Use it from the thread that created it.

    Args:
        path: the file, or ``":memory:"`` (a private, non-durable database).
        busy_timeout: seconds a write waits for another connection's lock
            before failing with :class:`AuditWriteError` (the auditor then
            retries on its own schedule, so this stays short).

    Attributes:
        path: the file as given.
        migrated_from: the schema version the file had when opened (0 for a
            new file; equal to :attr:`schema_version` if nothing was done).

    Raises:
        AuditStoreError: the file is not SQLite, not an audit log, newer than
            this code, or cannot be created.
    """

    schema_version = SCHEMA_VERSION

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 0.2) -> None:
        self.path = os.fspath(path)
        self.run_id: str | None = None
        """The run later entries are stamped with (see :meth:`open_run`)."""
        self._conn: sqlite3.Connection | None = open_database(
            self.path, readonly=False, busy_timeout=busy_timeout
        )
        self._identity = _identity(self.path)
        self._max_variables = self._conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        try:
            self.migrated_from = migrate(self._conn, self.path)
            self._last_seq = self._read_last_seq(self._conn)
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        state = "" if self._conn is not None else " closed"
        return f"<SqliteAuditStore {self.path!r}{state}>"

    def __enter__(self) -> SqliteAuditStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _read_last_seq(self, conn: sqlite3.Connection) -> int:
        try:
            row = conn.execute("SELECT last_seq FROM audit_sequence WHERE id = 1").fetchone()
        except sqlite3.Error as exc:
            msg = f"cannot read audit log {self.path!r}: {describe(exc)}"
            raise AuditStoreError(msg, path=self.path, sqlite_error=exc) from None
        return int(row[0]) if row is not None else 0

    def last_seq(self) -> int:
        """The highest ``seq`` this store has committed or found on opening."""
        return self._last_seq

    def open_run(self, run_id: str, *, node: str, opened: datetime) -> None:
        """Record run ``run_id`` (its node, host and process id, when it
        opened the log), or reopen it after an auditor restart; later
        entries carry it."""
        conn = self._open_conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "INSERT INTO audit_runs (run_id, node, host, pid, opened_ms, first_seq) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET "
                    "closed_ms = NULL, closed_seq = NULL",
                    (
                        run_id,
                        node,
                        socket.gethostname(),
                        os.getpid(),
                        to_ms(opened),
                        self._last_seq + 1,
                    ),
                )
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
        except sqlite3.Error as exc:
            msg = f"cannot record run {run_id} in audit log {self.path!r}: {describe(exc)}"
            raise AuditWriteError(msg, path=self.path, sqlite_error=exc) from None
        self.run_id = run_id

    def close_run(self, closed: datetime) -> None:
        """Mark the open run closed at ``closed``, after its last entry."""
        conn = self._open_conn()
        if self.run_id is None:
            return
        try:
            conn.execute(
                "UPDATE audit_runs SET closed_ms = ?, closed_seq = ? WHERE run_id = ?",
                (to_ms(closed), self._last_seq, self.run_id),
            )
        except sqlite3.Error as exc:
            msg = f"cannot close run {self.run_id} in audit log {self.path!r}: {describe(exc)}"
            raise AuditWriteError(msg, path=self.path, sqlite_error=exc) from None

    def verify(self) -> None:
        """Check that :attr:`path` still names the file this store has open.

        SQLite keeps writing to a file that was deleted (or replaced) under
        it, and those writes are lost with it; checking before each batch
        turns that into an error the auditor reports and acts on.

        Raises:
            AuditStoreError: ``kind="deleted"``; ``kind="closed"`` if closed.
        """
        self._open_conn()
        if self._identity is None:
            return  # in memory
        if _identity(self.path) != self._identity:
            msg = f"audit log {self.path!r} was deleted or replaced while in use"
            raise AuditStoreError(msg, path=self.path, kind="deleted")

    def _open_conn(self) -> sqlite3.Connection:
        conn = self._conn
        if conn is None:
            msg = f"audit store {self.path!r} is closed"
            raise AuditStoreError(msg, path=self.path, kind="closed")
        return conn

    def append_batch(self, events: Sequence[AuditRecord]) -> int:
        """Write ``events`` in one ``BEGIN IMMEDIATE`` transaction.

        Every event gets the next ``seq`` of the log's single sequence, in
        the order given. Returns the last one after ``COMMIT`` has returned
        (with ``synchronous=FULL``: after the WAL was synced).

        Raises:
            AuditWriteError: locked database, full disk, I/O error...; the
                transaction was rolled back and nothing was written.
            AuditStoreError: the store is closed.
        """
        conn = self._open_conn()
        if not events:
            return self._last_seq
        # Rows are built before taking the write lock; seqs are assigned under it.
        lifecycle: list[tuple[int, tuple[Any, ...]]] = []
        audit: list[tuple[int, tuple[Any, ...]]] = []
        run = self.run_id
        for offset, event in enumerate(events, 1):
            if isinstance(event, ProcessLifecycle):
                lifecycle.append((offset, (*lifecycle_row(event), run)))
            elif isinstance(event, AuditEvent):
                audit.append((offset, (*audit_row(event), run)))
            else:
                msg = f"an audit store appends ProcessLifecycle or AuditEvent, got {event!r}"
                raise TypeError(msg)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT last_seq FROM audit_sequence WHERE id = 1").fetchone()
                base = int(row[0])
                if lifecycle:
                    self._insert(
                        "lifecycle_events",
                        (*LIFECYCLE_COLUMNS, "run_id"),
                        [(base + i, *r) for i, r in lifecycle],
                    )
                if audit:
                    self._insert(
                        "audit_events",
                        (*AUDIT_COLUMNS, "run_id"),
                        [(base + i, *r) for i, r in audit],
                    )
                last = base + len(events)
                conn.execute("UPDATE audit_sequence SET last_seq = ? WHERE id = 1", (last,))
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
        except sqlite3.Error as exc:
            msg = f"cannot write {len(events)} events to audit log {self.path!r}: {describe(exc)}"
            raise AuditWriteError(msg, path=self.path, sqlite_error=exc) from None
        self._last_seq = last
        return last

    def _insert(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        # Multi-row INSERTs rather than executemany: sqlite3 releases the GIL
        # around every statement step, and under load (CPU-bound actors
        # producing the events) each release costs up to the interpreter's
        # switch interval to get back. One step per row made a 500-row batch
        # take a second in a crash storm; one step per 100 rows does not.
        conn = self._conn
        assert conn is not None
        per = max(1, min(ROWS_PER_STATEMENT, self._max_variables // len(columns)))
        for start in range(0, len(rows), per):
            part = rows[start : start + per]
            conn.execute(
                _insert_sql(table, columns, len(part)), list(itertools.chain.from_iterable(part))
            )

    def close(self) -> None:
        """Close the connection (a WAL checkpoint happens if it is the last one)."""
        conn, self._conn = self._conn, None
        close_quietly(conn)


def _identity(path: str) -> tuple[int, int] | None:
    """``(device, inode)`` of ``path``; ``None`` for an in-memory database,
    ``(-1, -1)`` if nothing is there."""
    if path == MEMORY or not path or path.startswith("file::memory:"):
        return None
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (st.st_dev, st.st_ino)


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass


class InMemoryAuditStore:
    """An audit store in a Python list, for tests. Thread-safe.

    Entries get consecutive ``seq`` numbers from 1, like the SQLite store.
    :meth:`fail_writes` makes every append fail until it is called again
    with ``None``, the way a locked database or a full disk would.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[tuple[int, AuditRecord]] = []
        self._run_of: list[str | None] = []
        self._failure: str | None = None
        self.run_id: str | None = None
        self.runs: dict[str, dict[str, Any]] = {}
        """Every run recorded: ``{"node", "opened", "first_seq", "closed", "closed_seq"}``."""
        self.attempts = 0
        """Calls of :meth:`append_batch` with a non-empty batch, failed or not."""
        self.commits = 0
        """Successful appends of a non-empty batch."""
        self.closed = False

    def __repr__(self) -> str:
        return f"<InMemoryAuditStore {len(self._entries)} entries>"

    def fail_writes(self, error: str | None = "database is locked") -> None:
        """Make appends raise :class:`AuditWriteError` with ``error``; ``None`` heals."""
        with self._lock:
            self._failure = error

    def append_batch(self, events: Sequence[AuditRecord]) -> int:
        with self._lock:
            if not events:
                return len(self._entries)
            self.attempts += 1
            if self._failure is not None:
                msg = f"cannot write {len(events)} events to the in-memory store: {self._failure}"
                raise AuditWriteError(msg)
            for event in events:
                if not isinstance(event, ProcessLifecycle | AuditEvent):
                    msg = f"an audit store appends ProcessLifecycle or AuditEvent, got {event!r}"
                    raise TypeError(msg)
            base = len(self._entries)
            self._entries.extend((base + i, event) for i, event in enumerate(events, 1))
            self._run_of.extend([self.run_id] * len(events))
            self.commits += 1
            return base + len(events)

    def open_run(self, run_id: str, *, node: str, opened: datetime) -> None:
        with self._lock:
            self._check_failure("record a run")
            run = self.runs.setdefault(
                run_id, {"node": node, "opened": opened, "first_seq": len(self._entries) + 1}
            )
            run["closed"] = run["closed_seq"] = None
            self.run_id = run_id

    def close_run(self, closed: datetime) -> None:
        with self._lock:
            self._check_failure("close a run")
            if self.run_id is not None:
                self.runs[self.run_id].update(closed=closed, closed_seq=len(self._entries))

    def verify(self) -> None:
        if self.closed:
            msg = "the in-memory audit store is closed"
            raise AuditStoreError(msg, kind="closed")

    def _check_failure(self, what: str) -> None:
        if self._failure is not None:
            msg = f"cannot {what} in the in-memory store: {self._failure}"
            raise AuditWriteError(msg)

    def run_ids(self) -> list[str | None]:
        """The run of every entry, in :meth:`entries` order."""
        with self._lock:
            return list(self._run_of)

    def last_seq(self) -> int:
        with self._lock:
            return len(self._entries)

    def close(self) -> None:
        self.closed = True

    def entries(self) -> list[tuple[int, AuditRecord]]:
        """Every ``(seq, record)`` so far, in order."""
        with self._lock:
            return list(self._entries)

    def lifecycle(self) -> list[ProcessLifecycle]:
        """The lifecycle events so far, in order."""
        return [e for _, e in self.entries() if isinstance(e, ProcessLifecycle)]

    def audit_events(self) -> list[AuditEvent]:
        """The generic audit events so far, in order, with their ``seq`` set."""
        return [attrs.evolve(e, seq=s) for s, e in self.entries() if isinstance(e, AuditEvent)]
