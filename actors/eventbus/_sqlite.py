"""The SQLite backend: topics, events and watchers in ``eventbus_*`` tables.

Its tables can live in the same database file as other parts of the
application (the event store, for one): every name starts with
``eventbus_``, writes are short ``BEGIN IMMEDIATE`` transactions, the file is
in WAL mode with ``synchronous=FULL`` (a commit is on disk when it
returns), and a write that finds another connection's lock waits up to
``busy_timeout`` seconds for it.

Tables (schema version 1)::

    eventbus_meta        key TEXT PRIMARY KEY, value      ('schema_version', 1)
    eventbus_topics      topic TEXT PRIMARY KEY, seq, registered_at
    eventbus_events      seq INTEGER PRIMARY KEY, topic, event_id, body, stored_at,
                         pending, UNIQUE (topic, event_id)
    eventbus_deliveries  event_seq, position, subscriber, status,
                         PRIMARY KEY (event_seq, subscriber)

``event_id`` has no declared type, so an int id stays an int and ``1`` and
``"1"`` are different ids, as in event_bus. ``body`` is the event's codec
JSON (with its schema version). ``pending`` counts the subscribers that have
neither completed nor skipped it; ``status`` is NULL, ``'completed'`` or
``'skipped'``. A finished event leaves no row behind.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Final, TypeVar

from actors.eventbus._backend import (
    Mark,
    MarkOutcome,
    NewEvent,
    PendingDelivery,
    StoredEvent,
    StoreOutcome,
    WatcherRecord,
)
from actors.eventbus._codec import from_json, to_json
from actors.eventbus._errors import EventBusStoreError, EventFormatError
from actors.eventbus._event import Event, EventId

__all__ = ["MEMORY", "SCHEMA_VERSION", "SqliteBackend"]

T = TypeVar("T")

MEMORY: Final = ":memory:"
SCHEMA_VERSION: Final = 1
MIN_SQLITE: Final = (3, 24, 0)
"""UPSERT (``ON CONFLICT DO NOTHING``) arrived in SQLite 3.24."""

_SCHEMA: Final = (
    """CREATE TABLE eventbus_meta (
        key TEXT PRIMARY KEY,
        value NOT NULL
    )""",
    """CREATE TABLE eventbus_topics (
        topic TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        registered_at REAL NOT NULL
    )""",
    """CREATE TABLE eventbus_events (
        seq INTEGER PRIMARY KEY,
        topic TEXT NOT NULL,
        event_id NOT NULL,
        body TEXT NOT NULL,
        stored_at REAL NOT NULL,
        pending INTEGER NOT NULL CHECK (pending > 0),
        UNIQUE (topic, event_id)
    )""",
    """CREATE TABLE eventbus_deliveries (
        event_seq INTEGER NOT NULL,
        position INTEGER NOT NULL,
        subscriber TEXT NOT NULL,
        status TEXT CHECK (status IN ('completed', 'skipped')),
        PRIMARY KEY (event_seq, subscriber)
    ) WITHOUT ROWID""",
    "INSERT INTO eventbus_meta (key, value) VALUES ('schema_version', 1)",
)

_INSERT_EVENT: Final = """
    INSERT INTO eventbus_events (topic, event_id, body, stored_at, pending)
    SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM eventbus_topics WHERE topic = ?)
    ON CONFLICT (topic, event_id) DO NOTHING
"""
_DELIVERY_ROWS_PER_STATEMENT: Final = 300


def _describe(exc: sqlite3.Error) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0]


def _enable_wal(conn: sqlite3.Connection, deadline: float) -> None:
    """Switch to WAL. Another connection switching the same new file at the
    same moment makes SQLite answer "database is locked" at once, without
    its busy handler, so this retries until ``deadline``."""
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorcode", None) in (
                sqlite3.SQLITE_BUSY,
                sqlite3.SQLITE_LOCKED,
            )
            if not busy or time.monotonic() >= deadline:
                raise
        time.sleep(0.002)


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass


class SqliteBackend:
    """The EventBus's tables in one SQLite database.

    Opening it creates the file and the tables if needed (in one
    transaction, so two openers cannot both create them), and refuses a
    file whose ``eventbus_`` tables were written by a newer version.

    The connection may be used from any thread, one at a time (a lock
    guards it): the bus creates it in its own thread and, for
    ``":memory:"``, hands it to its next incarnation after a restart so the
    data survives.

    Args:
        path: the database file, or ``":memory:"`` (private to this object,
            gone when it is closed).
        busy_timeout: real seconds a write waits for another connection's
            lock (the event store's, say) before failing.

    Raises:
        EventBusStoreError: the file cannot be created or opened, is not an
            SQLite database, or has ``eventbus_`` tables of a newer schema.
    """

    shared = False

    def __init__(self, path: str | os.PathLike[str] = MEMORY, *, busy_timeout: float = 5.0) -> None:
        if not isinstance(path, str | os.PathLike):
            msg = f"an SQLite path must be a str or a path, got {type(path).__name__} {path!r}"
            raise TypeError(msg)
        if isinstance(busy_timeout, bool) or not isinstance(busy_timeout, int | float):
            msg = f"busy_timeout must be a number of seconds, got {busy_timeout!r}"
            raise TypeError(msg)
        if not busy_timeout >= 0:
            msg = f"busy_timeout must not be negative, got {busy_timeout!r}"
            raise ValueError(msg)
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            msg = (
                f"the EventBus needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer; "
                f"this Python has {sqlite3.sqlite_version}"
            )
            raise EventBusStoreError(msg)
        self.path = os.fspath(path)
        self.description = f"sqlite:{self.path}"
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=float(busy_timeout),
                isolation_level=None,
                check_same_thread=False,
                cached_statements=64,
            )
        except sqlite3.Error as exc:
            msg = f"cannot open EventBus store {self.path!r}: {_describe(exc)}"
            raise EventBusStoreError(msg, path=self.path, sqlite_error=exc) from None
        try:
            _enable_wal(conn, time.monotonic() + float(busy_timeout))
            conn.execute("PRAGMA synchronous=FULL")
            self._migrate(conn)
        except sqlite3.Error as exc:
            _rollback(conn)
            conn.close()
            msg = f"cannot open EventBus store {self.path!r}: {_describe(exc)}"
            raise EventBusStoreError(msg, path=self.path, sqlite_error=exc) from None
        except BaseException:
            _rollback(conn)
            conn.close()
            raise
        self._conn = conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'eventbus_meta'"
        ).fetchone()
        if exists is None:
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute("COMMIT")
            return
        row = conn.execute(
            "SELECT value FROM eventbus_meta WHERE key = 'schema_version'"
        ).fetchone()
        conn.execute("COMMIT")
        version = row[0] if row is not None else None
        if type(version) is not int:
            msg = f"{self.path!r} has an eventbus_meta table without a schema version"
            raise EventBusStoreError(msg, path=self.path)
        if version > SCHEMA_VERSION:
            msg = (
                f"{self.path!r} holds EventBus tables of schema {version}, newer than this "
                f"code's {SCHEMA_VERSION}; upgrade actors-otp to open it"
            )
            raise EventBusStoreError(msg, path=self.path)

    def __repr__(self) -> str:
        state = "" if self._conn is not None else " closed"
        return f"<SqliteBackend {self.path!r}{state}>"

    # Plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _connection(self, what: str, *, write: bool) -> Iterator[sqlite3.Connection]:
        """The connection under the lock; inside ``BEGIN IMMEDIATE`` for
        writes (committed at the end, rolled back on any error)."""
        with self._lock:
            conn = self._conn
            if conn is None:
                msg = f"EventBus store {self.path!r} is closed"
                raise EventBusStoreError(msg, path=self.path)
            try:
                if write:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        yield conn
                        conn.execute("COMMIT")
                    except BaseException:
                        _rollback(conn)
                        raise
                else:
                    yield conn
            except sqlite3.Error as exc:
                msg = f"cannot {what} in EventBus store {self.path!r}: {_describe(exc)}"
                raise EventBusStoreError(msg, path=self.path, sqlite_error=exc) from None

    def _read(self, what: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._connection(what, write=False) as conn:
            return fn(conn)

    # Topics -----------------------------------------------------------------------------

    def topics(self) -> list[str]:
        rows = self._read(
            "read topics",
            lambda c: c.execute("SELECT topic FROM eventbus_topics ORDER BY seq").fetchall(),
        )
        return [str(row[0]) for row in rows]

    def add_topic(self, topic: str, registered_at: float) -> bool:
        with self._connection(f"register topic {topic!r}", write=True) as conn:
            cursor = conn.execute(
                "INSERT INTO eventbus_topics (topic, seq, registered_at) "
                "SELECT ?, coalesce(max(seq), 0) + 1, ? FROM eventbus_topics WHERE true "
                "ON CONFLICT (topic) DO NOTHING",
                (topic, registered_at),
            )
            return cursor.rowcount == 1

    def remove_topic(self, topic: str) -> int:
        with self._connection(f"unregister topic {topic!r}", write=True) as conn:
            conn.execute(
                "DELETE FROM eventbus_deliveries WHERE event_seq IN "
                "(SELECT seq FROM eventbus_events WHERE topic = ?)",
                (topic,),
            )
            dropped = conn.execute("DELETE FROM eventbus_events WHERE topic = ?", (topic,)).rowcount
            conn.execute("DELETE FROM eventbus_topics WHERE topic = ?", (topic,))
            return int(dropped)

    # Events and marks -------------------------------------------------------------------

    def write(
        self, events: Sequence[NewEvent], marks: Sequence[Mark]
    ) -> tuple[list[StoreOutcome], list[MarkOutcome]]:
        if not events and not marks:
            return [], []
        # Encoding happens before the write lock is taken.
        bodies = [to_json(item.event) for item in events]
        what = f"write {len(events)} events and {len(marks)} marks"
        with self._connection(what, write=True) as conn:
            stored = [
                self._store(conn, item, body) for item, body in zip(events, bodies, strict=True)
            ]
            marked = [self._mark(conn, mark) for mark in marks]
            return stored, marked

    @staticmethod
    def _store(conn: sqlite3.Connection, item: NewEvent, body: str) -> StoreOutcome:
        event = item.event
        if not item.subscribers:
            msg = f"an event is stored with at least one subscriber; {event.shadow!r} has none"
            raise ValueError(msg)
        cursor = conn.execute(
            _INSERT_EVENT,
            (event.topic, event.id, body, item.stored_at, len(item.subscribers), event.topic),
        )
        if cursor.rowcount != 1:
            known = conn.execute(
                "SELECT 1 FROM eventbus_topics WHERE topic = ?", (event.topic,)
            ).fetchone()
            return "duplicate" if known is not None else "unknown_topic"
        seq = cursor.lastrowid
        rows = [(seq, position, key) for position, key in enumerate(item.subscribers)]
        # Several rows per statement: each statement step releases the GIL,
        # and getting it back under load costs up to a switch interval.
        for start in range(0, len(rows), _DELIVERY_ROWS_PER_STATEMENT):
            part = rows[start : start + _DELIVERY_ROWS_PER_STATEMENT]
            conn.execute(
                "INSERT INTO eventbus_deliveries (event_seq, position, subscriber) VALUES "
                + ", ".join(["(?, ?, ?)"] * len(part)),
                list(itertools.chain.from_iterable(part)),
            )
        return "stored"

    @staticmethod
    def _mark(conn: sqlite3.Connection, mark: Mark) -> MarkOutcome:
        row = conn.execute(
            "SELECT seq, pending FROM eventbus_events WHERE topic = ? AND event_id = ?",
            (mark.topic, mark.id),
        ).fetchone()
        if row is None:
            return "unknown_event"
        seq, pending = row
        updated = conn.execute(
            "UPDATE eventbus_deliveries SET status = ? "
            "WHERE event_seq = ? AND subscriber = ? AND status IS NULL",
            (mark.status, seq, mark.subscriber),
        ).rowcount
        if updated != 1:
            known = conn.execute(
                "SELECT 1 FROM eventbus_deliveries WHERE event_seq = ? AND subscriber = ?",
                (seq, mark.subscriber),
            ).fetchone()
            return "duplicate" if known is not None else "not_subscriber"
        if pending <= 1:
            conn.execute("DELETE FROM eventbus_deliveries WHERE event_seq = ?", (seq,))
            conn.execute("DELETE FROM eventbus_events WHERE seq = ?", (seq,))
            return "finished"
        conn.execute("UPDATE eventbus_events SET pending = pending - 1 WHERE seq = ?", (seq,))
        return "applied"

    def fetch(self, topic: str, event_id: EventId) -> Event | None:
        row = self._read(
            f"fetch event {event_id!r} of {topic!r}",
            lambda c: c.execute(
                "SELECT body FROM eventbus_events WHERE topic = ? AND event_id = ?",
                (topic, event_id),
            ).fetchone(),
        )
        if row is None:
            return None
        try:
            return from_json(row[0])
        except EventFormatError as exc:
            msg = f"event {event_id!r} of {topic!r} in {self.path!r} cannot be read: {exc}"
            raise EventBusStoreError(msg, path=self.path) from None

    # Watchers ---------------------------------------------------------------------------

    def watchers(self, topic: str) -> list[WatcherRecord]:
        rows = self._read(
            f"read the watchers of {topic!r}",
            lambda c: c.execute(
                "SELECT e.seq, e.event_id, e.stored_at, d.subscriber, d.status "
                "FROM eventbus_events e JOIN eventbus_deliveries d ON d.event_seq = e.seq "
                "WHERE e.topic = ? ORDER BY e.seq, d.position",
                (topic,),
            ).fetchall(),
        )
        out: list[WatcherRecord] = []
        for (_, event_id, stored_at), group in itertools.groupby(rows, key=lambda r: r[:3]):
            members = [(r[3], r[4]) for r in group]
            out.append(
                WatcherRecord(
                    topic=topic,
                    id=event_id,
                    subscribers=tuple(key for key, _ in members),
                    completers=tuple(key for key, status in members if status == "completed"),
                    skippers=tuple(key for key, status in members if status == "skipped"),
                    stored_at=float(stored_at),
                )
            )
        return out

    def pending(self) -> list[PendingDelivery]:
        rows = self._read(
            "read the pending deliveries",
            lambda c: c.execute(
                "SELECT e.topic, e.event_id, d.subscriber, e.stored_at "
                "FROM eventbus_deliveries d JOIN eventbus_events e ON e.seq = d.event_seq "
                "WHERE d.status IS NULL ORDER BY e.seq, d.position"
            ).fetchall(),
        )
        return [PendingDelivery(str(t), i, str(s), float(at)) for t, i, s, at in rows]

    def stored(self) -> list[StoredEvent]:
        rows = self._read(
            "read the stored events",
            lambda c: c.execute(
                "SELECT topic, event_id, stored_at FROM eventbus_events ORDER BY seq"
            ).fetchall(),
        )
        return [StoredEvent(str(t), i, float(at)) for t, i, at in rows]

    def close(self) -> None:
        """Close the connection (a ``":memory:"`` store's data goes with it)."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass
