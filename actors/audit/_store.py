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
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from actors._lifecycle import ProcessLifecycle
from actors.audit._db import close_quietly, describe, open_database
from actors.audit._errors import AuditStoreError, AuditWriteError
from actors.audit._records import AuditEvent, AuditRecord
from actors.audit._rows import AUDIT_COLUMNS, LIFECYCLE_COLUMNS, audit_row, lifecycle_row
from actors.audit._schema import SCHEMA_VERSION, migrate

__all__ = ["AuditStore", "InMemoryAuditStore", "SqliteAuditStore"]

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
        self._conn: sqlite3.Connection | None = open_database(
            self.path, readonly=False, busy_timeout=busy_timeout
        )
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
        conn = self._conn
        if conn is None:
            msg = f"audit store {self.path!r} is closed"
            raise AuditStoreError(msg, path=self.path)
        if not events:
            return self._last_seq
        # Rows are built before taking the write lock; seqs are assigned under it.
        lifecycle: list[tuple[int, tuple[Any, ...]]] = []
        audit: list[tuple[int, tuple[Any, ...]]] = []
        for offset, event in enumerate(events, 1):
            if isinstance(event, ProcessLifecycle):
                lifecycle.append((offset, lifecycle_row(event)))
            elif isinstance(event, AuditEvent):
                audit.append((offset, audit_row(event)))
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
                        LIFECYCLE_COLUMNS,
                        [(base + i, *r) for i, r in lifecycle],
                    )
                if audit:
                    self._insert("audit_events", AUDIT_COLUMNS, [(base + i, *r) for i, r in audit])
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
        self._failure: str | None = None
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
            self.commits += 1
            return base + len(events)

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
