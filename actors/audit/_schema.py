"""The audit log's schema, as ordered migrations from version 0 (an empty file).

``schema_version`` keeps one row per applied migration (version,
description, when), so a file says how it got to its current shape. Opening
a file for writing applies the missing steps in one transaction: an old file
is upgraded in place and keeps its rows; a crash halfway leaves it at its old
version. A file newer than this code, or an SQLite file that is not an audit
log, is refused.

History:

1. ``lifecycle_events``: one column per :class:`~actors.ProcessLifecycle`
   field of the first design (no supervisor or child id yet), timestamps as
   integer milliseconds (UTC), ``seq INTEGER PRIMARY KEY AUTOINCREMENT``.
2. the ``supervisor`` and ``child_id`` columns that supervisors fill in, and
   indexes for the queries the log answers (time ranges, by name, by type).
3. ``audit_events`` for generic audit messages (tag, kind, topic, JSON
   payload), and ``audit_sequence``: one counter that numbers the rows of
   both tables, so ``seq`` is a total order over the whole log and "every
   entry up to seq N" means the same thing for both kinds of entry.
4. ``run_id`` on both tables and ``audit_runs``: one row per run (one actor
   system writing the file: its boot), with when its auditor opened the log
   and when it closed it, so entries of runs that share a file can be told
   apart and processes of a run that ended count as ended; an index by child
   id for the queries that match a name or a child id.
"""

from __future__ import annotations

import sqlite3
from typing import Final

import attrs

from actors.audit._db import describe
from actors.audit._errors import AuditStoreError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "migrate", "read_version"]


@attrs.frozen
class Migration:
    """One step: the statements that take a file from ``version - 1`` to ``version``."""

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: Final = (
    Migration(
        1,
        "lifecycle_events table",
        (
            """CREATE TABLE schema_version (
                version INTEGER PRIMARY KEY,
                description TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )""",
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
        ),
    ),
    Migration(
        2,
        "supervisor and child_id columns; indexes by time, name and event type",
        (
            "ALTER TABLE lifecycle_events ADD COLUMN supervisor TEXT",
            "ALTER TABLE lifecycle_events ADD COLUMN child_id TEXT",
            "CREATE INDEX lifecycle_events_ts ON lifecycle_events (ts_ms)",
            "CREATE INDEX lifecycle_events_name ON lifecycle_events (name)",
            "CREATE INDEX lifecycle_events_type ON lifecycle_events (event_type, ts_ms)",
        ),
    ),
    Migration(
        3,
        "audit_events table; one sequence numbering both tables",
        (
            """CREATE TABLE audit_events (
                seq INTEGER PRIMARY KEY,
                ts_ms INTEGER NOT NULL,
                tag TEXT NOT NULL,
                kind TEXT NOT NULL,
                topic TEXT,
                payload TEXT NOT NULL
            )""",
            "CREATE INDEX audit_events_ts ON audit_events (ts_ms)",
            "CREATE INDEX audit_events_tag ON audit_events (tag, ts_ms)",
            """CREATE TABLE audit_sequence (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                last_seq INTEGER NOT NULL
            )""",
            # Continue after the highest seq ever handed out (AUTOINCREMENT
            # remembers it in sqlite_sequence even if rows were deleted).
            """INSERT INTO audit_sequence (id, last_seq) VALUES (1, max(
                (SELECT coalesce(max(seq), 0) FROM lifecycle_events),
                (SELECT coalesce(max(seq), 0) FROM sqlite_sequence
                 WHERE name = 'lifecycle_events')
            ))""",
        ),
    ),
    Migration(
        4,
        "run_id columns and audit_runs: which run wrote each entry, and when runs closed",
        (
            "ALTER TABLE lifecycle_events ADD COLUMN run_id TEXT",
            "ALTER TABLE audit_events ADD COLUMN run_id TEXT",
            "CREATE INDEX lifecycle_events_run ON lifecycle_events (run_id, seq)",
            "CREATE INDEX lifecycle_events_child ON lifecycle_events (child_id)",
            "CREATE INDEX audit_events_run ON audit_events (run_id, seq)",
            """CREATE TABLE audit_runs (
                run_id TEXT PRIMARY KEY,
                node TEXT NOT NULL DEFAULT '',
                host TEXT NOT NULL DEFAULT '',
                pid INTEGER,
                opened_ms INTEGER NOT NULL,
                first_seq INTEGER NOT NULL,
                closed_ms INTEGER,
                closed_seq INTEGER
            )""",
        ),
    ),
)

SCHEMA_VERSION: Final = MIGRATIONS[-1].version
"""The version this code reads and writes."""

_APPLIED_AT = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def read_version(conn: sqlite3.Connection, path: str) -> int:
    """The schema version of an open file (0 for an empty one).

    Raises:
        AuditStoreError: the file holds tables but no ``schema_version``
            (another application's database).
    """
    tables = {
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not str(row[0]).startswith("sqlite_")
    }
    if "schema_version" not in tables:
        if tables:
            listed = ", ".join(sorted(tables))
            msg = (
                f"{path!r} is an SQLite database but not an audit log "
                f"(it has tables {listed} and no schema_version)"
            )
            raise AuditStoreError(msg, path=path, kind="foreign")
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Bring the file to :data:`SCHEMA_VERSION`; returns the version it had.

    The check and every missing step run in one ``BEGIN IMMEDIATE``
    transaction, so two processes opening the same old file upgrade it once.

    Raises:
        AuditStoreError: the file is newer than this code, is not an audit
            log, or could not be upgraded (the file is left as it was).
    """
    try:
        found = read_version(conn, path)
        _refuse_newer(found, path)
        if found == SCHEMA_VERSION:
            return found
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = read_version(conn, path)
            _refuse_newer(found, path)
            for step in MIGRATIONS[found:]:
                for statement in step.statements:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version (version, description, applied_at) "
                    f"VALUES (?, ?, {_APPLIED_AT})",
                    (step.version, step.description),
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        msg = f"cannot upgrade audit log {path!r} to schema {SCHEMA_VERSION}: {describe(exc)}"
        raise AuditStoreError(msg, path=path, sqlite_error=exc) from None
    return found


def _refuse_newer(found: int, path: str) -> None:
    if found > SCHEMA_VERSION:
        msg = (
            f"audit log {path!r} has schema version {found}, newer than this code "
            f"understands ({SCHEMA_VERSION}); upgrade actors to read it"
        )
        raise AuditStoreError(msg, path=path, kind="newer")
