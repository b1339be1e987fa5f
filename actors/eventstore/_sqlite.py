"""The embedded backend: one SQLite file (the default), or ``:memory:``.

File layout: ``events`` (``position`` is the ``INTEGER PRIMARY KEY``,
assigned under the write lock from a counter kept in ``es_meta``, so it is
gap-free in commit order and never reused after a delete), ``streams``
(last version, deleted state, metadata), and the persistent subscription
tables ``groups``, ``inflight``, ``parked``, ``consumers``.

Connections (all ``check_same_thread=False``, used by one thread at a time):

* a file gets one writer connection for events (``synchronous=FULL``: an
  append is on disk when it returns), one for subscription state
  (``synchronous=NORMAL``: in WAL mode a power cut can lose its last few
  commits, which only means redelivery, never corruption), both
  serialised by one process-wide lock and ``BEGIN IMMEDIATE`` against
  other processes, and a pool of read connections that never wait for
  the writer (WAL);
* ``:memory:`` gets one connection for everything, behind the lock.

One store process per file: the store's writer recovers the group state
when it opens the file (claims of the previous run are handed back for
redelivery). Tools such as ``actors events`` may open the same file
meanwhile without ``recover``.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Concatenate, Final, ParamSpec, TypeVar

from actors.eventstore._backend import CommitCallback
from actors.eventstore._codec import decode_event_parts
from actors.eventstore._errors import (
    DuplicateEventId,
    EventNotFound,
    GroupExists,
    GroupNotFound,
    MaxSubscribersReached,
    StoreClosed,
    StoreUnavailable,
    StreamDeleted,
    StreamNotFound,
    WrongExpectedVersion,
)
from actors.eventstore._settings import (
    Delivery,
    GroupState,
    ParkedMessage,
    PersistentSettings,
    RetryOutcome,
)
from actors.eventstore._types import (
    ALL,
    ANY,
    NO_STREAM,
    STREAM_EXISTS,
    AllSlice,
    AppendResult,
    DeleteResult,
    EventFilter,
    NewEvent,
    RecordedEvent,
    StreamInfo,
    StreamMetadata,
    StreamSlice,
)

__all__ = ["MEMORY", "SCHEMA_VERSION", "SqliteBackend", "parse_sqlite_url"]

MEMORY: Final = ":memory:"
SCHEMA_VERSION: Final = 1

LIVE: Final = 0
SOFT_DELETED: Final = 1
HARD_DELETED: Final = 2
_STATE_NAMES: Final = {LIVE: "live", SOFT_DELETED: "soft_deleted", HARD_DELETED: "hard_deleted"}

_SCHEMA: Final = """
CREATE TABLE es_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE events (
    position INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    version INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    metadata TEXT,
    format INTEGER NOT NULL,
    created INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_by_stream ON events (stream, version);
CREATE UNIQUE INDEX events_by_id ON events (event_id);
CREATE TABLE streams (
    stream TEXT PRIMARY KEY,
    last_version INTEGER NOT NULL,
    state INTEGER NOT NULL DEFAULT 0,
    truncate_before INTEGER NOT NULL DEFAULT 0,
    max_count INTEGER,
    max_age REAL,
    custom TEXT
) WITHOUT ROWID;
CREATE TABLE groups (
    stream TEXT NOT NULL,
    grp TEXT NOT NULL,
    settings TEXT NOT NULL,
    cursor INTEGER NOT NULL,
    checkpoint INTEGER NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (stream, grp)
) WITHOUT ROWID;
CREATE TABLE inflight (
    stream TEXT NOT NULL,
    grp TEXT NOT NULL,
    key INTEGER NOT NULL,
    position INTEGER NOT NULL,
    owner TEXT,
    deadline REAL,
    retry_count INTEGER NOT NULL,
    PRIMARY KEY (stream, grp, key)
) WITHOUT ROWID;
CREATE TABLE parked (
    stream TEXT NOT NULL,
    grp TEXT NOT NULL,
    key INTEGER NOT NULL,
    position INTEGER NOT NULL,
    reason TEXT NOT NULL,
    retry_count INTEGER NOT NULL,
    parked_at INTEGER NOT NULL,
    PRIMARY KEY (stream, grp, key)
) WITHOUT ROWID;
CREATE TABLE consumers (
    stream TEXT NOT NULL,
    grp TEXT NOT NULL,
    consumer TEXT NOT NULL,
    connected INTEGER NOT NULL,
    PRIMARY KEY (stream, grp, consumer)
) WITHOUT ROWID;
INSERT INTO es_meta (key, value) VALUES ('schema', 1), ('last_position', -1);
"""

_COLUMNS: Final = "position, stream, version, event_id, type, data, metadata, format, created"
_INSERT_EVENT: Final = f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND: Final = timedelta(microseconds=1)

P = ParamSpec("P")
R = TypeVar("R")


def parse_sqlite_url(url: str | os.PathLike[str]) -> str:
    """A path or ``":memory:"`` from a path, ``"sqlite:///path"`` or ``"sqlite://:memory:"``."""
    text = os.fspath(url)
    if text.startswith("sqlite://"):
        rest = text[len("sqlite://") :]
        if rest in ("", MEMORY, "/" + MEMORY):
            return MEMORY
        return urllib.parse.unquote(rest[1:] if rest.startswith("//") else rest)
    return text


def _micros(now: datetime) -> int:
    return (now - _EPOCH) // _ONE_MICROSECOND


def _from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _event(row: tuple[Any, ...]) -> RecordedEvent:
    position, stream, version, event_id, event_type, data, metadata, fmt, created = row
    decoded, meta = decode_event_parts(data, metadata, fmt)
    return RecordedEvent(
        stream,
        version,
        position,
        event_id,
        event_type,
        decoded,
        meta,
        _EPOCH + timedelta(microseconds=created),
    )


@functools.lru_cache(maxsize=256)
def _settings(text: str) -> PersistentSettings:
    return PersistentSettings.from_json(json.loads(text))


def _describe(exc: sqlite3.Error) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0]


def _guarded(
    what: str,
) -> Callable[
    [Callable[Concatenate[SqliteBackend, P], R]], Callable[Concatenate[SqliteBackend, P], R]
]:
    """Turn ``sqlite3`` errors into one-line :class:`StoreUnavailable` errors."""

    def decorate(
        method: Callable[Concatenate[SqliteBackend, P], R],
    ) -> Callable[Concatenate[SqliteBackend, P], R]:
        def guarded(self: SqliteBackend, /, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                if self._closed:
                    msg = f"event store {self.url!r} is closed"
                    raise StoreClosed(msg) from None
                msg = f"cannot {what} in event store {self.url!r}: {_describe(exc)}"
                raise StoreUnavailable(msg, url=self.url, sqlite_error=exc) from None

        guarded.__name__ = method.__name__
        guarded.__qualname__ = method.__qualname__
        guarded.__doc__ = method.__doc__
        return guarded

    return decorate


class SqliteBackend:
    """The SQLite implementation of :class:`~actors.eventstore.Backend`.

    Args:
        url: a file path, ``":memory:"``, or ``"sqlite:///path"``.
        create: create the file if it does not exist (tools pass ``False``).
        recover: hand back the claims and consumer registrations of a
            previous run (the store's writer passes ``True``; see the module
            docstring).
        busy_timeout: seconds to wait for another process's write lock.

    Raises:
        StoreUnavailable: the file is missing (``create=False``), is not an
            SQLite database or not an event store, or was written by a newer
            version.
    """

    def __init__(
        self,
        url: str | os.PathLike[str] = MEMORY,
        *,
        create: bool = True,
        recover: bool = False,
        busy_timeout: float = 5.0,
    ) -> None:
        self.url = parse_sqlite_url(url)
        self.durable = self.url != MEMORY
        self._busy_timeout = busy_timeout
        self._lock = threading.RLock()
        self._closed = False
        self._callbacks: list[CommitCallback] = []
        self._pool: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._readers: list[sqlite3.Connection] = []
        if self.durable and not create and not Path(self.url).is_file():
            msg = f"no event store at {self.url!r}"
            raise StoreUnavailable(msg, url=self.url)
        try:
            self._events = self._connect(synchronous="FULL")
            self._state = self._connect(synchronous="NORMAL") if self.durable else self._events
            self._migrate()
            if recover:
                self._recover()
        except sqlite3.Error as exc:
            self._close_all()
            msg = f"cannot open event store {self.url!r}: {_describe(exc)}"
            raise StoreUnavailable(msg, url=self.url, sqlite_error=exc) from None
        except BaseException:
            self._close_all()
            raise

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<SqliteBackend {self.url!r}{state}>"

    # Connections ---------------------------------------------------------------------

    def _connect(self, *, synchronous: str, readonly: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.url,
            timeout=self._busy_timeout,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=256,
        )
        try:
            if self.durable:
                conn.execute("PRAGMA journal_mode=WAL").fetchone()
                conn.execute(f"PRAGMA synchronous={synchronous}")
            if readonly:
                conn.execute("PRAGMA query_only=1")
            # Reading the schema reads the header: "file is not a database" here.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except BaseException:
            conn.close()
            raise
        return conn

    def _migrate(self) -> None:
        conn = self._events
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "es_meta" not in tables:
            if tables:
                msg = f"{self.url!r} is an SQLite database but not an event store"
                raise StoreUnavailable(msg, url=self.url)
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
            return
        row = conn.execute("SELECT value FROM es_meta WHERE key = 'schema'").fetchone()
        version = int(row[0]) if row is not None else 0
        if version > SCHEMA_VERSION:
            msg = (
                f"event store {self.url!r} has schema version {version}, newer than this "
                f"code's {SCHEMA_VERSION}: upgrade actors-otp"
            )
            raise StoreUnavailable(msg, url=self.url)

    def _recover(self) -> None:
        conn = self._state
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("UPDATE inflight SET owner = NULL, deadline = NULL")
                conn.execute("DELETE FROM consumers")
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise

    def _check_open(self) -> None:
        if self._closed:
            msg = f"event store {self.url!r} is closed"
            raise StoreClosed(msg)

    @contextmanager
    def _write(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._check_open()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                _rollback(conn)
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        if not self.durable:
            with self._lock:
                self._check_open()
                yield self._events
            return
        self._check_open()
        with self._pool_lock:
            conn = self._pool.pop() if self._pool else None
        if conn is None:
            conn = self._connect(synchronous="NORMAL", readonly=True)
            with self._pool_lock:
                self._readers.append(conn)
        try:
            # One snapshot for the statements of a read (WAL readers never wait).
            conn.execute("BEGIN")
            yield conn
        finally:
            if conn.in_transaction:
                _rollback(conn)
            with self._pool_lock:
                if self._closed:
                    conn.close()
                else:
                    self._pool.append(conn)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._close_all()

    def _close_all(self) -> None:
        self._closed = True
        with self._pool_lock:
            readers, self._readers, self._pool = self._readers, [], []
        for conn in [*readers, getattr(self, "_state", None), getattr(self, "_events", None)]:
            if conn is not None:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass

    def on_commit(self, callback: CommitCallback) -> Callable[[], None]:
        with self._lock:
            self._callbacks = [*self._callbacks, callback]

        def remove() -> None:
            with self._lock:
                self._callbacks = [c for c in self._callbacks if c is not callback]

        return remove

    def _notify(self, streams: tuple[str, ...], last_position: int) -> None:
        for callback in self._callbacks:
            callback(streams, last_position)

    # Streams ---------------------------------------------------------------------

    @_guarded("append")
    def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: int, now: datetime
    ) -> AppendResult:
        created = _micros(now)
        with self._write(self._events) as conn:
            row = conn.execute(
                "SELECT last_version, state, truncate_before FROM streams WHERE stream = ?",
                (stream,),
            ).fetchone()
            current, state, truncate_before = row if row is not None else (-1, LIVE, 0)
            if state == HARD_DELETED:
                raise StreamDeleted(stream)
            if events:
                retried = self._idempotent(conn, stream, events, expected_version, truncate_before)
                if retried is not None:
                    return retried
            if not _version_ok(expected_version, current, exists=state == LIVE and current >= 0):
                raise WrongExpectedVersion(stream, expected_version, current)
            if not events:
                return AppendResult(stream, current, self._stream_last_position(conn, stream), 0)
            last_position = conn.execute(
                "SELECT value FROM es_meta WHERE key = 'last_position'"
            ).fetchone()[0]
            first = last_position + 1
            version = current + 1
            rows = [
                (
                    first + i,
                    stream,
                    version + i,
                    e.id,
                    e.type,
                    e.data,
                    e.metadata,
                    e.format,
                    created,
                )
                for i, e in enumerate(events)
            ]
            try:
                conn.executemany(_INSERT_EVENT, rows)
            except sqlite3.IntegrityError:
                self._raise_duplicate(conn, stream, events, first)
                raise
            last = first + len(rows) - 1
            conn.execute(
                "INSERT INTO streams (stream, last_version, state) VALUES (?, ?, 0) ON CONFLICT "
                "(stream) DO UPDATE SET last_version = excluded.last_version, state = 0",
                (stream, version + len(rows) - 1),
            )
            conn.execute("UPDATE es_meta SET value = ? WHERE key = 'last_position'", (last,))
        self._notify((stream,), last)
        return AppendResult(stream, version + len(rows) - 1, last, len(rows))

    def _idempotent(
        self,
        conn: sqlite3.Connection,
        stream: str,
        events: Sequence[NewEvent],
        expected: int,
        truncate_before: int,
    ) -> AppendResult | None:
        """The original result if ``events`` are a retry of an append already
        stored at the place ``expected`` names; ``None`` otherwise."""
        hit = conn.execute(
            "SELECT stream, version FROM events WHERE event_id = ?", (events[0].id,)
        ).fetchone()
        if hit is None or hit[0] != stream:
            return None
        first = hit[1]
        fits = (
            expected in (ANY, STREAM_EXISTS)
            or expected == first - 1
            or (expected == NO_STREAM and first in (0, truncate_before))
        )
        if not fits:
            return None
        stored = conn.execute(
            "SELECT event_id, position FROM events WHERE stream = ? AND version >= ? "
            "ORDER BY version LIMIT ?",
            (stream, first, len(events)),
        ).fetchall()
        if [r[0] for r in stored] != [e.id for e in events]:
            return None
        return AppendResult(stream, first + len(events) - 1, stored[-1][1], 0)

    def _raise_duplicate(
        self, conn: sqlite3.Connection, stream: str, events: Sequence[NewEvent], first: int
    ) -> None:
        # Rows of this batch inserted before the failure have positions >= first.
        seen: set[str] = set()
        for event in events:
            if event.id in seen:
                msg = f"cannot append to stream {stream!r}: event id {event.id} appears twice"
                raise ValueError(msg)
            seen.add(event.id)
            hit = conn.execute(
                "SELECT stream, version FROM events WHERE event_id = ? AND position < ?",
                (event.id, first),
            ).fetchone()
            if hit is not None:
                raise DuplicateEventId(stream, event.id, hit[0], hit[1])

    @staticmethod
    def _stream_last_position(conn: sqlite3.Connection, stream: str) -> int:
        row = conn.execute(
            "SELECT max(position) FROM events WHERE stream = ?", (stream,)
        ).fetchone()
        return -1 if row is None or row[0] is None else int(row[0])

    @staticmethod
    def _visible(
        stream: str, row: tuple[Any, ...] | None, now: datetime
    ) -> tuple[int, int, int | None]:
        """``(last_version, lowest visible version, oldest visible created µs)``."""
        if row is None or (row[1] == LIVE and row[0] < 0):
            raise StreamNotFound(stream)
        last, state, truncate_before, max_count, max_age = row
        if state == HARD_DELETED:
            raise StreamDeleted(stream)
        if state == SOFT_DELETED:
            raise StreamNotFound(stream, soft_deleted=True)
        low = truncate_before
        if max_count is not None:
            low = max(low, last - max_count + 1)
        oldest = None if max_age is None else _micros(now) - int(max_age * 1_000_000)
        return last, low, oldest

    _STREAM_ROW: Final = (
        "SELECT last_version, state, truncate_before, max_count, max_age "
        "FROM streams WHERE stream = ?"
    )

    @_guarded("read")
    def read_stream(
        self, stream: str, from_version: int, count: int, backwards: bool, now: datetime
    ) -> StreamSlice:
        with self._read() as conn:
            row = conn.execute(self._STREAM_ROW, (stream,)).fetchone()
            last, low, oldest = self._visible(stream, row, now)
            age = "" if oldest is None else " AND created >= ?"
            extra: tuple[Any, ...] = () if oldest is None else (oldest,)
            if backwards:
                start = last if from_version < 0 else min(from_version, last)
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM events WHERE stream = ? AND version <= ? "
                    f"AND version >= ?{age} ORDER BY version DESC LIMIT ?",
                    (stream, start, low, *extra, count),
                ).fetchall()
            else:
                start = max(from_version, low)
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM events WHERE stream = ? AND version >= ?"
                    f"{age} ORDER BY version LIMIT ?",
                    (stream, start, *extra, count),
                ).fetchall()
        events = tuple(map(_event, rows))
        if backwards:
            if len(events) < count or events[-1].version - 1 < low:
                return StreamSlice(stream, events, -1, True, last)
            return StreamSlice(stream, events, events[-1].version - 1, False, last)
        if not events:
            return StreamSlice(stream, events, max(from_version, last + 1), True, last)
        nxt = events[-1].version + 1
        return StreamSlice(stream, events, nxt, len(events) < count or nxt > last, last)

    @_guarded("read")
    def read_event(self, stream: str, version: int, now: datetime) -> RecordedEvent:
        with self._read() as conn:
            row = conn.execute(self._STREAM_ROW, (stream,)).fetchone()
            last, low, oldest = self._visible(stream, row, now)
            wanted = last if version == -1 else version
            found = None
            if wanted >= low:
                found = conn.execute(
                    f"SELECT {_COLUMNS} FROM events WHERE stream = ? AND version = ?",
                    (stream, wanted),
                ).fetchone()
        if found is None or (oldest is not None and found[8] < oldest):
            raise EventNotFound(stream, version)
        return _event(found)

    @staticmethod
    def _filter_sql(filter: EventFilter | None) -> tuple[str, list[Any]]:
        if filter is None:
            return "", []
        clauses: list[str] = []
        params: list[Any] = []
        if filter.stream_prefix is not None:
            ors = []
            for prefix in filter.stream_prefix:
                ors.append("substr(stream, 1, ?) = ?")
                params.extend((len(prefix), prefix))
            clauses.append("(" + " OR ".join(ors) + ")")
        if filter.event_types is not None:
            clauses.append(f"type IN ({', '.join('?' * len(filter.event_types))})")
            params.extend(filter.event_types)
        return " AND " + " AND ".join(clauses), params

    @_guarded("read $all")
    def read_all(
        self, from_position: int, count: int, backwards: bool, filter: EventFilter | None
    ) -> AllSlice:
        where, params = self._filter_sql(filter)
        with self._read() as conn:
            last = conn.execute("SELECT value FROM es_meta WHERE key = 'last_position'").fetchone()[
                0
            ]
            if backwards:
                start = last if from_position < 0 else min(from_position, last)
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM events WHERE position <= ?{where} "
                    "ORDER BY position DESC LIMIT ?",
                    (start, *params, count),
                ).fetchall()
            else:
                start = max(from_position, 0)
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM events WHERE position >= ?{where} "
                    "ORDER BY position LIMIT ?",
                    (start, *params, count),
                ).fetchall()
        events = tuple(map(_event, rows))
        if backwards:
            if len(events) < count:
                return AllSlice(events, -1, True)
            nxt = events[-1].position - 1
            return AllSlice(events, nxt, nxt < 0)
        if len(events) < count:
            return AllSlice(events, max(start, last + 1), True)
        nxt = events[-1].position + 1
        return AllSlice(events, nxt, nxt > last)

    @_guarded("read")
    def last_position(self) -> int:
        with self._read() as conn:
            return int(
                conn.execute("SELECT value FROM es_meta WHERE key = 'last_position'").fetchone()[0]
            )

    @_guarded("delete a stream")
    def delete_stream(
        self, stream: str, expected_version: int, hard: bool, now: datetime
    ) -> DeleteResult:
        with self._write(self._events) as conn:
            row = conn.execute(
                "SELECT last_version, state FROM streams WHERE stream = ?", (stream,)
            ).fetchone()
            current, state = row if row is not None else (-1, LIVE)
            if state == HARD_DELETED:
                raise StreamDeleted(stream)
            missing = state == LIVE and current < 0
            if missing or (state == SOFT_DELETED and not hard):
                if expected_version >= 0 or expected_version == STREAM_EXISTS:
                    raise WrongExpectedVersion(stream, expected_version, current)
                raise StreamNotFound(stream, soft_deleted=state == SOFT_DELETED)
            if expected_version == NO_STREAM or not _version_ok(
                expected_version, current, exists=state == LIVE
            ):
                raise WrongExpectedVersion(stream, expected_version, current)
            conn.execute("DELETE FROM events WHERE stream = ?", (stream,))
            conn.execute(
                "UPDATE streams SET state = ?, truncate_before = ? WHERE stream = ?",
                (HARD_DELETED if hard else SOFT_DELETED, current + 1, stream),
            )
            last = conn.execute("SELECT value FROM es_meta WHERE key = 'last_position'").fetchone()[
                0
            ]
        self._notify((stream,), last)
        return DeleteResult(stream, current, hard)

    @_guarded("read metadata")
    def get_metadata(self, stream: str) -> StreamMetadata:
        with self._read() as conn:
            row = conn.execute(
                "SELECT state, truncate_before, max_count, max_age, custom FROM streams "
                "WHERE stream = ?",
                (stream,),
            ).fetchone()
        if row is None:
            return StreamMetadata()
        if row[0] == HARD_DELETED:
            raise StreamDeleted(stream)
        return _metadata(row[1:])

    @_guarded("write metadata")
    def set_metadata(self, stream: str, metadata: StreamMetadata) -> None:
        custom = None if metadata.custom is None else json.dumps(metadata.custom)
        with self._write(self._events) as conn:
            row = conn.execute("SELECT state FROM streams WHERE stream = ?", (stream,)).fetchone()
            if row is not None and row[0] == HARD_DELETED:
                raise StreamDeleted(stream)
            conn.execute(
                "INSERT INTO streams (stream, last_version, truncate_before, max_count, max_age, "
                "custom) VALUES (?, -1, ?, ?, ?, ?) ON CONFLICT (stream) DO UPDATE SET "
                "truncate_before = excluded.truncate_before, max_count = excluded.max_count, "
                "max_age = excluded.max_age, custom = excluded.custom",
                (stream, metadata.truncate_before, metadata.max_count, metadata.max_age, custom),
            )

    _INFO: Final = (
        "SELECT s.stream, s.state, s.last_version, s.truncate_before, s.max_count, s.max_age, "
        "s.custom, (SELECT count(*) FROM events e WHERE e.stream = s.stream), "
        "(SELECT max(position) FROM events e WHERE e.stream = s.stream) FROM streams s"
    )

    @staticmethod
    def _info(row: tuple[Any, ...]) -> StreamInfo:
        stream, state, last, *meta, count, last_position = row
        return StreamInfo(
            stream,
            _STATE_NAMES[state],
            last,
            count,
            -1 if last_position is None else last_position,
            _metadata(meta),
        )

    @_guarded("list streams")
    def list_streams(self, prefix: str | None = None) -> list[StreamInfo]:
        with self._read() as conn:
            if prefix:
                rows = conn.execute(
                    f"{self._INFO} WHERE substr(s.stream, 1, ?) = ? ORDER BY s.stream",
                    (len(prefix), prefix),
                ).fetchall()
            else:
                rows = conn.execute(f"{self._INFO} ORDER BY s.stream").fetchall()
        return [self._info(row) for row in rows]

    @_guarded("read")
    def stream_info(self, stream: str) -> StreamInfo:
        with self._read() as conn:
            row = conn.execute(f"{self._INFO} WHERE s.stream = ?", (stream,)).fetchone()
        if row is None:
            raise StreamNotFound(stream)
        return self._info(row)

    @_guarded("trim streams")
    def trim(self, now: datetime) -> int:
        removed = 0
        with self._write(self._events) as conn:
            rows = conn.execute(
                "SELECT stream, last_version, truncate_before, max_count, max_age FROM streams "
                "WHERE state = 0 AND (max_count IS NOT NULL OR max_age IS NOT NULL "
                "OR truncate_before > 0)"
            ).fetchall()
            for stream, last, truncate_before, max_count, max_age in rows:
                low = truncate_before
                if max_count is not None:
                    low = max(low, last - max_count + 1)
                oldest = -1 if max_age is None else _micros(now) - int(max_age * 1_000_000)
                before = conn.total_changes
                conn.execute(
                    "DELETE FROM events WHERE stream = ? AND (version < ? OR created < ?)",
                    (stream, low, oldest),
                )
                removed += conn.total_changes - before
        return removed

    # Persistent subscription groups ------------------------------------------------

    def _last_key(self, conn: sqlite3.Connection, stream: str) -> int:
        if stream == ALL:
            return int(
                conn.execute("SELECT value FROM es_meta WHERE key = 'last_position'").fetchone()[0]
            )
        row = conn.execute(
            "SELECT last_version FROM streams WHERE stream = ?", (stream,)
        ).fetchone()
        return -1 if row is None else int(row[0])

    def _group_row(self, conn: sqlite3.Connection, stream: str, group: str) -> tuple[Any, ...]:
        row = conn.execute(
            "SELECT settings, cursor, checkpoint, created FROM groups WHERE stream = ? AND grp = ?",
            (stream, group),
        ).fetchone()
        if row is None:
            raise GroupNotFound(stream, group)
        return tuple(row)

    def _group_state(self, conn: sqlite3.Connection, stream: str, group: str) -> GroupState:
        settings, cursor, checkpoint, created = self._group_row(conn, stream, group)
        in_flight, waiting = conn.execute(
            "SELECT count(owner), count(*) - count(owner) FROM inflight WHERE stream = ? "
            "AND grp = ?",
            (stream, group),
        ).fetchone()
        parked = conn.execute(
            "SELECT count(*) FROM parked WHERE stream = ? AND grp = ?", (stream, group)
        ).fetchone()[0]
        consumers = conn.execute(
            "SELECT count(*) FROM consumers WHERE stream = ? AND grp = ?", (stream, group)
        ).fetchone()[0]
        low = conn.execute(
            "SELECT min(key) FROM inflight WHERE stream = ? AND grp = ?", (stream, group)
        ).fetchone()[0]
        return GroupState(
            stream,
            group,
            _settings(settings),
            cursor,
            checkpoint,
            max(checkpoint, (cursor if low is None else low) - 1),
            self._last_key(conn, stream),
            in_flight,
            waiting,
            parked,
            consumers,
            _from_micros(created),
        )

    @_guarded("create a persistent subscription")
    def create_group(
        self, stream: str, group: str, settings: PersistentSettings, now: datetime
    ) -> GroupState:
        with self._write(self._state) as conn:
            exists = conn.execute(
                "SELECT 1 FROM groups WHERE stream = ? AND grp = ?", (stream, group)
            ).fetchone()
            if exists is not None:
                raise GroupExists(stream, group)
            start = settings.start_from
            cursor = self._last_key(conn, stream) + 1 if start < 0 else start
            conn.execute(
                "INSERT INTO groups (stream, grp, settings, cursor, checkpoint, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (stream, group, json.dumps(settings.to_json()), cursor, cursor - 1, _micros(now)),
            )
            return self._group_state(conn, stream, group)

    @_guarded("update a persistent subscription")
    def update_group(self, stream: str, group: str, settings: PersistentSettings) -> GroupState:
        with self._write(self._state) as conn:
            self._group_row(conn, stream, group)
            conn.execute(
                "UPDATE groups SET settings = ? WHERE stream = ? AND grp = ?",
                (json.dumps(settings.to_json()), stream, group),
            )
            return self._group_state(conn, stream, group)

    @_guarded("delete a persistent subscription")
    def delete_group(self, stream: str, group: str) -> None:
        with self._write(self._state) as conn:
            self._group_row(conn, stream, group)
            for table in ("groups", "inflight", "parked", "consumers"):
                conn.execute(f"DELETE FROM {table} WHERE stream = ? AND grp = ?", (stream, group))

    @_guarded("read a persistent subscription")
    def get_group(self, stream: str, group: str) -> GroupState:
        with self._read() as conn:
            return self._group_state(conn, stream, group)

    @_guarded("list persistent subscriptions")
    def list_groups(self) -> list[GroupState]:
        with self._read() as conn:
            keys = conn.execute("SELECT stream, grp FROM groups ORDER BY stream, grp").fetchall()
            return [self._group_state(conn, stream, group) for stream, group in keys]

    @_guarded("claim messages")
    def claim(
        self, stream: str, group: str, owner: str, limit: int, now: datetime
    ) -> list[Delivery]:
        with self._write(self._state) as conn:
            settings_text, cursor, _, _ = self._group_row(conn, stream, group)
            deadline = now.timestamp() + _settings(settings_text).message_timeout
            due = conn.execute(
                "SELECT key, position, retry_count FROM inflight WHERE stream = ? AND grp = ? "
                "AND owner IS NULL ORDER BY key LIMIT ?",
                (stream, group, limit),
            ).fetchall()
            if due:
                conn.executemany(
                    "UPDATE inflight SET owner = ?, deadline = ? WHERE stream = ? AND grp = ? "
                    "AND key = ?",
                    [(owner, deadline, stream, group, key) for key, _, _ in due],
                )
            fresh: list[tuple[Any, ...]] = []
            wanted = limit - len(due)
            if wanted > 0:
                fresh = self._read_from_cursor(conn, stream, cursor, wanted)
                if fresh:
                    key_index = 0 if stream == ALL else 2
                    conn.executemany(
                        "INSERT OR REPLACE INTO inflight (stream, grp, key, position, owner, "
                        "deadline, retry_count) VALUES (?, ?, ?, ?, ?, ?, 0)",
                        [(stream, group, r[key_index], r[0], owner, deadline) for r in fresh],
                    )
                    conn.execute(
                        "UPDATE groups SET cursor = ? WHERE stream = ? AND grp = ?",
                        (fresh[-1][key_index] + 1, stream, group),
                    )
            deliveries = []
            if due:
                found = {
                    row[0]: row
                    for row in conn.execute(
                        f"SELECT {_COLUMNS} FROM events WHERE position IN "
                        f"({', '.join('?' * len(due))})",
                        [position for _, position, _ in due],
                    )
                }
                gone = []
                for key, position, retry_count in due:
                    event_row = found.get(position)
                    if event_row is None:
                        gone.append((stream, group, key))
                    else:
                        deliveries.append(Delivery(key, _event(event_row), retry_count))
                if gone:
                    conn.executemany(
                        "DELETE FROM inflight WHERE stream = ? AND grp = ? AND key = ?", gone
                    )
            key_index = 0 if stream == ALL else 2
            deliveries.extend(Delivery(r[key_index], _event(r), 0) for r in fresh)
        return deliveries

    def _read_from_cursor(
        self, conn: sqlite3.Connection, stream: str, cursor: int, count: int
    ) -> list[tuple[Any, ...]]:
        if stream == ALL:
            return conn.execute(
                f"SELECT {_COLUMNS} FROM events WHERE position >= ? ORDER BY position LIMIT ?",
                (cursor, count),
            ).fetchall()
        row = conn.execute(
            "SELECT last_version, state, truncate_before, max_count FROM streams WHERE stream = ?",
            (stream,),
        ).fetchone()
        if row is None or row[1] == HARD_DELETED:
            return []
        last, _, truncate_before, max_count = row
        low = max(cursor, truncate_before)
        if max_count is not None:
            low = max(low, last - max_count + 1)
        return conn.execute(
            f"SELECT {_COLUMNS} FROM events WHERE stream = ? AND version >= ? "
            "ORDER BY version LIMIT ?",
            (stream, low, count),
        ).fetchall()

    @_guarded("ack messages")
    def ack(self, stream: str, group: str, keys: Sequence[int]) -> int:
        if not keys:
            return 0
        with self._write(self._state) as conn:
            before = conn.total_changes
            conn.executemany(
                "DELETE FROM inflight WHERE stream = ? AND grp = ? AND key = ?",
                [(stream, group, key) for key in keys],
            )
            return conn.total_changes - before

    def _retry_in(
        self,
        conn: sqlite3.Connection,
        stream: str,
        group: str,
        keys: Sequence[int],
        now: datetime,
        reason: str,
    ) -> RetryOutcome:
        settings_text = self._group_row(conn, stream, group)[0]
        limit = _settings(settings_text).max_retry_count
        rows = conn.execute(
            f"SELECT key, retry_count FROM inflight WHERE stream = ? AND grp = ? "
            f"AND key IN ({', '.join('?' * len(keys))}) ORDER BY key",
            (stream, group, *keys),
        ).fetchall()
        retried = tuple(key for key, count in rows if count < limit)
        parked = tuple(key for key, count in rows if count >= limit)
        if retried:
            conn.executemany(
                "UPDATE inflight SET owner = NULL, deadline = NULL, retry_count = retry_count + 1 "
                "WHERE stream = ? AND grp = ? AND key = ?",
                [(stream, group, key) for key in retried],
            )
        if parked:
            self._park_in(conn, stream, group, parked, reason, now)
        return RetryOutcome(retried, parked)

    @_guarded("retry messages")
    def retry(
        self, stream: str, group: str, keys: Sequence[int], now: datetime, reason: str
    ) -> RetryOutcome:
        if not keys:
            return RetryOutcome()
        with self._write(self._state) as conn:
            return self._retry_in(conn, stream, group, keys, now, reason)

    def _park_in(
        self,
        conn: sqlite3.Connection,
        stream: str,
        group: str,
        keys: Sequence[int],
        reason: str,
        now: datetime,
    ) -> int:
        marks = ", ".join("?" * len(keys))
        before = conn.total_changes
        conn.execute(
            "INSERT OR REPLACE INTO parked (stream, grp, key, position, reason, retry_count, "
            f"parked_at) SELECT stream, grp, key, position, ?, retry_count, ? FROM inflight "
            f"WHERE stream = ? AND grp = ? AND key IN ({marks})",
            (reason, _micros(now), stream, group, *keys),
        )
        parked = conn.total_changes - before
        conn.execute(
            f"DELETE FROM inflight WHERE stream = ? AND grp = ? AND key IN ({marks})",
            (stream, group, *keys),
        )
        return parked

    @_guarded("park messages")
    def park(self, stream: str, group: str, keys: Sequence[int], reason: str, now: datetime) -> int:
        if not keys:
            return 0
        with self._write(self._state) as conn:
            self._group_row(conn, stream, group)
            return self._park_in(conn, stream, group, keys, reason, now)

    @_guarded("expire messages")
    def expire(self, stream: str, group: str, now: datetime) -> RetryOutcome:
        with self._write(self._state) as conn:
            keys = [
                row[0]
                for row in conn.execute(
                    "SELECT key FROM inflight WHERE stream = ? AND grp = ? AND owner IS NOT NULL "
                    "AND deadline <= ? ORDER BY key",
                    (stream, group, now.timestamp()),
                )
            ]
            if not keys:
                return RetryOutcome()
            return self._retry_in(conn, stream, group, keys, now, "message timeout")

    @_guarded("release messages")
    def release(self, stream: str, group: str, owner: str) -> int:
        with self._write(self._state) as conn:
            before = conn.total_changes
            conn.execute(
                "UPDATE inflight SET owner = NULL, deadline = NULL WHERE stream = ? AND grp = ? "
                "AND owner = ?",
                (stream, group, owner),
            )
            return conn.total_changes - before

    @_guarded("write a checkpoint")
    def checkpoint(self, stream: str, group: str) -> int:
        with self._write(self._state) as conn:
            _, cursor, old, _ = self._group_row(conn, stream, group)
            low = conn.execute(
                "SELECT min(key) FROM inflight WHERE stream = ? AND grp = ?", (stream, group)
            ).fetchone()[0]
            value = max(old, (cursor if low is None else low) - 1)
            conn.execute(
                "UPDATE groups SET checkpoint = ? WHERE stream = ? AND grp = ?",
                (value, stream, group),
            )
            return int(value)

    @_guarded("read parked messages")
    def parked(self, stream: str, group: str, limit: int | None = None) -> list[ParkedMessage]:
        with self._read() as conn:
            self._group_row(conn, stream, group)
            rows = conn.execute(
                "SELECT p.key, p.position, p.reason, p.retry_count, p.parked_at, "
                + ", ".join(f"e.{c.strip()}" for c in _COLUMNS.split(","))
                + " FROM parked p LEFT JOIN events e ON e.position = p.position "
                "WHERE p.stream = ? AND p.grp = ? ORDER BY p.key LIMIT ?",
                (stream, group, -1 if limit is None else limit),
            ).fetchall()
        return [
            ParkedMessage(
                row[0],
                row[1],
                None if row[6] is None else _event(row[5:]),
                row[2],
                row[3],
                _from_micros(row[4]),
            )
            for row in rows
        ]

    @_guarded("replay parked messages")
    def replay_parked(self, stream: str, group: str, limit: int | None = None) -> int:
        with self._write(self._state) as conn:
            self._group_row(conn, stream, group)
            rows = conn.execute(
                "SELECT key, position FROM parked WHERE stream = ? AND grp = ? ORDER BY key "
                "LIMIT ?",
                (stream, group, -1 if limit is None else limit),
            ).fetchall()
            conn.executemany(
                "INSERT OR REPLACE INTO inflight (stream, grp, key, position, owner, deadline, "
                "retry_count) VALUES (?, ?, ?, ?, NULL, NULL, 0)",
                [(stream, group, key, position) for key, position in rows],
            )
            conn.executemany(
                "DELETE FROM parked WHERE stream = ? AND grp = ? AND key = ?",
                [(stream, group, key) for key, _ in rows],
            )
            return len(rows)

    @_guarded("register a consumer")
    def register_consumer(self, stream: str, group: str, consumer: str, now: datetime) -> int:
        with self._write(self._state) as conn:
            limit = _settings(self._group_row(conn, stream, group)[0]).max_subscriber_count
            count = conn.execute(
                "SELECT count(*) FROM consumers WHERE stream = ? AND grp = ? AND consumer != ?",
                (stream, group, consumer),
            ).fetchone()[0]
            if limit and count >= limit:
                raise MaxSubscribersReached(stream, group, limit)
            conn.execute(
                "INSERT OR REPLACE INTO consumers (stream, grp, consumer, connected) "
                "VALUES (?, ?, ?, ?)",
                (stream, group, consumer, _micros(now)),
            )
            return int(count) + 1

    @_guarded("unregister a consumer")
    def unregister_consumer(self, stream: str, group: str, consumer: str) -> None:
        with self._write(self._state) as conn:
            conn.execute(
                "DELETE FROM consumers WHERE stream = ? AND grp = ? AND consumer = ?",
                (stream, group, consumer),
            )


def _version_ok(expected: int, current: int, *, exists: bool) -> bool:
    """EventStoreDB's expected-version rule (``exists``: live with events)."""
    if expected == ANY:
        return True
    if expected == NO_STREAM:
        return not exists
    if expected == STREAM_EXISTS:
        return exists
    return expected == current


def _metadata(row: Sequence[Any]) -> StreamMetadata:
    truncate_before, max_count, max_age, custom = row
    return StreamMetadata(
        max_count=max_count,
        max_age=max_age,
        truncate_before=truncate_before,
        custom=None if custom is None else json.loads(custom),
    )


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
