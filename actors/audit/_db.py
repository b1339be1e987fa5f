"""Opening an audit file: the pragmas, and clear errors for bad files.

Runs in whichever thread calls it; the connection it returns belongs to
that thread (``sqlite3``'s rule), so the auditor opens its own in ``init``.
Connections are in autocommit mode (``isolation_level=None``): callers issue
``BEGIN IMMEDIATE`` / ``COMMIT`` themselves, so a transaction is exactly
what they wrote.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from pathlib import Path

from actors.audit._errors import AuditStoreError

__all__ = ["MEMORY", "close_quietly", "describe", "open_database"]

MEMORY = ":memory:"


def describe(exc: sqlite3.Error) -> str:
    """A one-line account of a sqlite3 error (``"database is locked"``)."""
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def close_quietly(conn: sqlite3.Connection | None) -> None:
    if conn is None:
        return
    try:
        conn.close()
    except sqlite3.Error:
        pass


def open_database(
    path: str | os.PathLike[str], *, readonly: bool, busy_timeout: float
) -> sqlite3.Connection:
    """Open ``path`` and check that SQLite can read it.

    Writers get ``PRAGMA journal_mode=WAL`` (readers never block the writer,
    the writer never blocks readers) and ``PRAGMA synchronous=FULL`` (a
    commit is on disk when it returns).

    Readers never create or change anything: the file is opened with
    ``mode=ro``, and with ``immutable=1`` when no writer can be at work (no
    ``-wal`` file beside it: reading then creates no ``-wal``/``-shm`` files
    either) or when the directory cannot be written (a read-only medium,
    where ``mode=ro`` alone cannot open a WAL file).

    Args:
        busy_timeout: seconds a statement waits for another connection's lock
            before failing with "database is locked".

    Raises:
        AuditStoreError: the file is missing (readers), cannot be created, or
            is not an SQLite database.
    """
    target = os.fspath(path)
    conn: sqlite3.Connection | None = None
    try:
        if readonly:
            conn = _open_reader(target, busy_timeout)
        else:
            conn = sqlite3.connect(
                target, timeout=busy_timeout, isolation_level=None, cached_statements=256
            )
            conn.execute("PRAGMA journal_mode=WAL").fetchone()
            conn.execute("PRAGMA synchronous=FULL")
        # Reading the schema reads the file header: "file is not a database"
        # surfaces here rather than at the first query.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        close_quietly(conn)
        msg = f"cannot open audit log {target!r}: {describe(exc)}"
        raise AuditStoreError(msg, path=target, sqlite_error=exc) from None
    except AuditStoreError:
        close_quietly(conn)
        raise
    return conn


def _open_reader(target: str, busy_timeout: float) -> sqlite3.Connection:
    if target == MEMORY or not target:
        msg = "an in-memory audit store cannot be opened for reading; give a file"
        raise AuditStoreError(msg, path=target, kind="missing")
    file = Path(target)
    if not file.exists():
        msg = f"no audit log at {target!r}"
        raise AuditStoreError(msg, path=target, kind="missing")
    if not file.is_file():
        msg = f"{target!r} is not a file (give the audit log's path)"
        raise AuditStoreError(msg, path=target, kind="unavailable")
    absolute = file.resolve()
    quiet = not Path(f"{absolute}-wal").exists() and not Path(f"{absolute}-journal").exists()
    writable_dir = os.access(absolute.parent, os.W_OK)
    uri = "file:" + urllib.parse.quote(str(absolute)) + "?mode=ro"
    if quiet or not writable_dir:
        uri += "&immutable=1"
    conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        conn.close()
        if "immutable=1" in uri:
            raise
        # A WAL file that this process may not read the way SQLite wants
        # (its -shm cannot be created): read the main file as it is.
        conn = sqlite3.connect(
            uri + "&immutable=1", uri=True, timeout=busy_timeout, isolation_level=None
        )
    return conn
