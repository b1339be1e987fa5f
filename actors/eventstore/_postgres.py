"""The PostgreSQL backend: one store shared by processes on several hosts.

``EventStore.open("postgresql://user@host/db")`` runs on it. The tables
live in one PostgreSQL schema (``?schema=NAME`` in the URL, default
``actors``) created by ``actors store init URL`` (see ``_pg_schema.py``).

**Commit order.** Every append (and delete) locks the single row of
``es_meta`` (``SELECT ... FOR UPDATE``) before it reads the stream's
version, assigns positions ``last_position + 1 ...`` from it, and holds the
lock until it commits. PostgreSQL makes a transaction visible before it
releases its locks, so the next append can assign positions only after
the previous one is visible to every new snapshot: positions become
visible in position order, and a reader of ``$all`` that has seen
position ``p`` can never later find a committed event below ``p``. They
are also gap-free as assigned (a transaction that rolls back rolls the
counter back; a sequence would leave holes). The price is that appends
are serialised on the server, which they are on SQLite too; an append
holds the lock for two round trips (the lock and state reads, then the
insert, the counter and the commit, sent together in pipeline mode).
The alternative, a sequence plus reading only below the oldest
transaction still in flight (``pg_snapshot_xmin``), lets appends run in
parallel but leaves holes, delays every reader behind the slowest
writer, and needs every reader to use it.

**Change notification.** The same transaction sends ``NOTIFY`` with the
new ``commit_seq`` (a second counter, also bumped by deletes); the
backend's :class:`~actors.eventstore._pg_listen.CommitFeed` turns other
processes' notifications into ``on_commit`` callbacks, polls, and catches
up after a reconnect, so a lost notification costs latency, never an
event.

**Persistent subscriptions** keep all group state in tables. A claim
takes the messages waiting for redelivery with ``FOR UPDATE SKIP
LOCKED`` (concurrent claimers take disjoint rows without waiting), then
new events from the group's cursor under the group row's lock. Owners are
qualified with this backend's instance id, so two processes never share
one; an instance's heartbeat (written by its feed, in server time) tells
whether its consumers still count against ``max_subscriber_count``, and a
dead process's claims come back after ``message_timeout`` like any
unacked message (counted as a retry). With the ``pinned`` strategy the
source streams are divided between the processes that have consumers (a
stable hash of the stream name modulo their number), so one stream's
events go to one process, and to one consumer there.

**Connections.** A ``psycopg_pool.ConnectionPool`` (autocommit
connections; transactions are explicit) for reads and writes, plus the
feed's own connection. An operation that loses its connection (the
server restarted, ``pg_terminate_backend``, a network cut) is retried on
a fresh one with backoff for up to ``reconnect_timeout`` seconds, then
fails with :class:`StoreUnavailable`; every operation is safe to retry:
appends are idempotent by event id (a retry after a commit whose reply was
lost returns the original result), acks are idempotent, and a claim
repeated after a lost reply only means those messages come back after
``message_timeout``. Every statement runs with ``statement_timeout``.
Errors and reprs show the URL with the password masked.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

import psycopg
import psycopg.errors
from psycopg_pool import ConnectionPool

from actors.eventstore._backend import CommitCallback
from actors.eventstore._codec import decode_event_parts
from actors.eventstore._errors import (
    DuplicateEventId,
    EventNotFound,
    EventStoreError,
    GroupExists,
    GroupNotFound,
    MaxSubscribersReached,
    StoreClosed,
    StoreUnavailable,
    StreamDeleted,
    StreamNotFound,
    WrongExpectedVersion,
)
from actors.eventstore._pg_listen import CommitFeed, FeedStats
from actors.eventstore._pg_schema import SCHEMA_VERSION, installed_version, quote_schema
from actors.eventstore._pg_url import PgTarget, parse_postgres_url
from actors.eventstore._settings import (
    Delivery,
    GroupState,
    ParkedMessage,
    PersistentSettings,
    RetryOutcome,
)
from actors.eventstore._sqlite import HARD_DELETED, LIVE, SOFT_DELETED
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

__all__ = ["PostgresBackend"]

logger = logging.getLogger("actors.eventstore")

_STATE_NAMES: Final = {LIVE: "live", SOFT_DELETED: "soft_deleted", HARD_DELETED: "hard_deleted"}
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND: Final = timedelta(microseconds=1)
_RETRYABLE: Final = (
    psycopg.OperationalError,  # lost connection, server shutting down, pool timeout
    psycopg.errors.DeadlockDetected,
    psycopg.errors.SerializationFailure,
)
_COLUMNS: Final = "position, stream, version, event_id, type, data, metadata, format, created"
_COLUMN_TYPES: Final = (
    "bigint",
    "text",
    "bigint",
    "text",
    "text",
    "text",
    "text",
    "integer",
    "bigint",
)
_PIN: Final = "('x' || substr(md5({}), 1, 8))::bit(32)::bigint"
"""A stable 32-bit hash of a stream name, computed by the server (pinned strategy)."""

T = TypeVar("T")


def _micros(now: datetime) -> int:
    return (now - _EPOCH) // _ONE_MICROSECOND


def _from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _event(row: Sequence[Any]) -> RecordedEvent:
    position, stream, version, event_id, event_type, data, metadata, fmt, created = row
    decoded, meta = decode_event_parts(data, metadata, fmt)
    return RecordedEvent(
        stream, version, position, event_id, event_type, decoded, meta, _from_micros(created)
    )


@functools.lru_cache(maxsize=256)
def _settings(text: str) -> PersistentSettings:
    return PersistentSettings.from_json(json.loads(text))


def _version_ok(expected: int, current: int, *, exists: bool) -> bool:
    """EventStoreDB's expected-version rule (``exists``: live with events)."""
    if expected == ANY:
        return True
    if expected == NO_STREAM:
        return not exists
    if expected == STREAM_EXISTS:
        return exists
    return expected == current


def _metadata(truncate_before: int, max_count: Any, max_age: Any, custom: Any) -> StreamMetadata:
    return StreamMetadata(
        max_count=None if max_count is None else int(max_count),
        max_age=max_age,
        truncate_before=int(truncate_before),
        custom=None if custom is None else json.loads(custom),
    )


def _no_nul(value: str, what: str) -> None:
    if "\x00" in value:
        msg = f"{what} {value!r} holds a NUL character, which PostgreSQL cannot store"
        raise ValueError(msg)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _number(options: dict[str, str], name: str, default: float, target: PgTarget) -> float:
    text = options.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        msg = f"URL option {name}={text!r} must be a positive number in {target.masked!r}"
        raise ValueError(msg)
    return value


class PostgresBackend:
    """The PostgreSQL implementation of :class:`~actors.eventstore.Backend`.

    Args:
        url: ``postgresql://user:password@host:port/dbname?schema=NAME``
            (libpq's URL; options below may also be given in its query).
        schema: the PostgreSQL schema of the store (overrides the URL's).
        create: accepted for the interface (tools pass ``False``); tables
            are never created here: ``actors store init URL`` does.
        recover: hand back the claims and forget the consumers of
            instances that are no longer alive (the store's writer passes
            ``True``; live processes' claims are left alone).
        listen: run the commit feed (``LISTEN``, polling, heartbeats);
            one-shot tools pass ``False``.
        pool_size: most pooled connections (default 8).
        poll_interval: seconds between the feed's polls for commits whose
            notification was lost (default 1).
        heartbeat_interval: seconds between heartbeats (default 1).
        instance_timeout: an instance whose heartbeat is older than this
            many seconds is dead: its consumers stop counting (default 10).
        reconnect_timeout: seconds an operation keeps retrying on a lost
            connection before it raises ``StoreUnavailable`` (default 10).
        statement_timeout: seconds any one statement may run (default 30).
        connect_timeout: seconds to wait for a new connection (default 5).

    Raises:
        StoreUnavailable: the server cannot be reached, or the schema is not
            initialised, older than this code (run ``actors store migrate``)
            or newer (upgrade).
        ValueError: a malformed URL or option.
    """

    def __init__(
        self,
        url: str | os.PathLike[str],
        *,
        schema: str | None = None,
        create: bool = True,
        recover: bool = False,
        listen: bool = True,
        pool_size: int | None = None,
        poll_interval: float | None = None,
        heartbeat_interval: float | None = None,
        instance_timeout: float | None = None,
        reconnect_timeout: float | None = None,
        statement_timeout: float | None = None,
        connect_timeout: float = 5.0,
        role: str = "store",
    ) -> None:
        target = parse_postgres_url(url, schema)
        options = target.options
        self._target = target
        self.url = target.masked
        self.durable = True
        self.schema = target.schema
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._pool_size = int(pool_size or _number(options, "pool_size", 8, target))
        self.poll_interval = poll_interval or _number(options, "poll_interval", 1.0, target)
        self.heartbeat_interval = heartbeat_interval or _number(
            options, "heartbeat_interval", 1.0, target
        )
        self.instance_timeout = instance_timeout or _number(
            options, "instance_timeout", 10.0, target
        )
        self.reconnect_timeout = reconnect_timeout or _number(
            options, "reconnect_timeout", 10.0, target
        )
        self._statement_ms = int(
            1000 * (statement_timeout or _number(options, "statement_timeout", 30.0, target))
        )
        self._connect_timeout = connect_timeout
        self.application_name = f"actors-eventstore {role} {self.instance.rsplit(':', 1)[1]}"
        self._role = role
        self._closed = False
        self._lock = threading.Lock()
        self._callbacks: tuple[CommitCallback, ...] = ()
        self._feed: CommitFeed | None = None
        self._sql = _Sql(quote_schema(self.schema), target.channel)
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self._state_pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        try:
            with self._connect() as conn:
                self._check_schema(conn)
                if listen:
                    self._beat(conn)
            self._pool = self._make_pool("events", self._configure)
            self._state_pool = self._make_pool("state", self._configure_state)
            if recover:
                self._run_state("recover", self._recover)
            if listen:
                self._feed = CommitFeed(
                    target,
                    self._connect,
                    self.instance,
                    self._notify,
                    self._beat,
                    poll_interval=self.poll_interval,
                    heartbeat_interval=self.heartbeat_interval,
                )
                self._feed.start()
        except psycopg.Error as exc:
            self._close_all()
            raise self._unavailable("open", exc) from None
        except BaseException:
            self._close_all()
            raise

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<PostgresBackend {self.url!r}{state}>"

    # Connections -------------------------------------------------------------------------

    def _connect_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"autocommit": True}
        info = psycopg.conninfo.conninfo_to_dict(self._target.conninfo)
        defaults = {
            "connect_timeout": str(max(1, round(self._connect_timeout))),
            # Names this backend's connections (pg_stat_activity), e.g. for
            # an operator, or a test, to terminate exactly them.
            "application_name": self.application_name,
            # A dead peer (a cut network) is noticed in seconds, not hours.
            "keepalives": "1",
            "keepalives_idle": "5",
            "keepalives_interval": "2",
            "keepalives_count": "3",
        }
        for key, value in defaults.items():
            if key not in info:
                kwargs[key] = value
        return kwargs

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(f"SET statement_timeout = {self._statement_ms}")

    def _configure_state(self, conn: psycopg.Connection[Any]) -> None:
        # Group state commits without waiting for the disk, as SQLite's
        # synchronous=NORMAL: a server crash can lose its last commits, which
        # only means redeliveries. Events are always committed durably.
        conn.execute(f"SET statement_timeout = {self._statement_ms}")
        conn.execute("SET synchronous_commit = off")

    def _make_pool(
        self, which: str, configure: Callable[[psycopg.Connection[Any]], None]
    ) -> ConnectionPool[psycopg.Connection[Any]]:
        pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            self._target.conninfo,
            kwargs=self._connect_kwargs(),
            configure=configure,
            min_size=1,
            max_size=max(1, self._pool_size),
            open=False,
            timeout=min(5.0, self.reconnect_timeout),
            name=f"actors-eventstore-{self.schema}-{which}",
        )
        pool.open(wait=True, timeout=self._connect_timeout + 1.0)
        return pool

    def _connect(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self._target.conninfo, **self._connect_kwargs())
        try:
            self._configure(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_schema(self, conn: psycopg.Connection[Any]) -> None:
        version = installed_version(conn, self.schema)
        where = f"schema {self.schema!r} of {self.url!r}"
        if version is None or version == 0:
            msg = (
                f"no event store in {where}: create it with `actors store init "
                f"{self.url}` (the URL with its password)"
            )
            raise StoreUnavailable(msg, url=self.url)
        if version > SCHEMA_VERSION:
            msg = (
                f"the event store in {where} has schema version {version}, newer than "
                f"this code's {SCHEMA_VERSION}: upgrade actors-otp"
            )
            raise StoreUnavailable(msg, url=self.url)
        if version < SCHEMA_VERSION:
            msg = (
                f"the event store in {where} has schema version {version}, older than "
                f"this code's {SCHEMA_VERSION}: run `actors store migrate {self.url}`"
            )
            raise StoreUnavailable(msg, url=self.url)

    def _beat(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(self._sql.beat, (self.instance, socket.gethostname(), os.getpid(), self._role))

    def _unavailable(self, what: str, exc: BaseException) -> StoreUnavailable:
        text = self._target.scrub(_first_line(exc))
        if isinstance(exc, psycopg.OperationalError):
            msg = (
                f"cannot {what} in event store {self.url!r}: PostgreSQL is unreachable "
                f"({text}); is the server running (pg_isready)?"
            )
        else:
            msg = f"cannot {what} in event store {self.url!r}: {text}"
        return StoreUnavailable(msg, url=self.url)

    def _check_open(self) -> None:
        if self._closed:
            msg = f"event store {self.url!r} is closed"
            raise StoreClosed(msg)

    def _run_state(self, what: str, body: Callable[[psycopg.Connection[Any]], T]) -> T:
        """:meth:`_run` on the group-state pool (asynchronous commits)."""
        return self._run(what, body, state=True)

    def _run(
        self, what: str, body: Callable[[psycopg.Connection[Any]], T], *, state: bool = False
    ) -> T:
        """``body(conn)`` on a pooled connection; retried on a lost connection
        (with backoff, up to ``reconnect_timeout``)."""
        deadline: float | None = None
        delay = 0.0
        while True:
            self._check_open()
            pool = self._state_pool if state else self._pool
            if pool is None:
                self._check_open()
                msg = f"event store {self.url!r} is not open"
                raise StoreClosed(msg)
            try:
                with pool.connection() as conn:
                    return body(conn)
            except EventStoreError:
                raise
            except _RETRYABLE as exc:
                if self._closed:
                    msg = f"event store {self.url!r} is closed"
                    raise StoreClosed(msg) from None
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.reconnect_timeout
                    logger.warning(
                        "event store %s: %s failed (%s); retrying on a new connection",
                        self.url,
                        what,
                        self._target.scrub(_first_line(exc)),
                    )
                if now >= deadline:
                    raise self._unavailable(what, exc) from None
                time.sleep(min(delay, max(0.0, deadline - now)))
                delay = min(max(delay * 2, 0.05), 1.0)
            except psycopg.Error as exc:
                if self._closed:
                    msg = f"event store {self.url!r} is closed"
                    raise StoreClosed(msg) from None
                raise self._unavailable(what, exc) from None

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._close_all(forget=True)

    def _close_all(self, *, forget: bool = False) -> None:
        self._closed = True
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.stop()
        pool, self._pool = self._pool, None
        if forget and pool is not None:
            try:
                with pool.connection(timeout=2.0) as conn:
                    conn.execute(self._sql.forget_instance, (self.instance,))
            except psycopg.Error:
                pass  # its heartbeat stops anyway
        for closing in (pool, self._state_pool):
            if closing is not None:
                closing.close(timeout=5.0)
        self._state_pool = None

    def on_commit(self, callback: CommitCallback) -> Callable[[], None]:
        with self._lock:
            self._callbacks = (*self._callbacks, callback)

        def remove() -> None:
            with self._lock:
                self._callbacks = tuple(c for c in self._callbacks if c is not callback)

        return remove

    def _notify(self, streams: tuple[str, ...], last_position: int) -> None:
        for callback in self._callbacks:
            callback(streams, last_position)

    def feed_stats(self) -> FeedStats | None:
        """The commit feed's counters (``None`` without a feed)."""
        feed = self._feed
        return None if feed is None else feed.stats()

    @property
    def feed_backend_pid(self) -> int | None:
        """The server process of the feed's connection (for fault tests)."""
        feed = self._feed
        return None if feed is None else feed.backend_pid

    def _recover(self, conn: psycopg.Connection[Any]) -> None:
        with conn.transaction():
            conn.execute(self._sql.recover_claims, (self.instance_timeout,))
            conn.execute(self._sql.recover_consumers, (self.instance_timeout,))
            conn.execute(self._sql.reap_instances, (self.instance_timeout * 10,))

    def _owner(self, owner: str) -> str:
        _no_nul(owner, "owner")
        return f"{self.instance}/{owner}"

    # Streams -----------------------------------------------------------------------------

    def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: int, now: datetime
    ) -> AppendResult:
        _no_nul(stream, "stream name")
        for event in events:
            _no_nul(event.id, "event id")
            _no_nul(event.type, "event type")
        created = _micros(now)
        committing = [False]

        def body(conn: psycopg.Connection[Any]) -> AppendResult:
            retry = committing[0]
            committing[0] = False
            try:
                result = self._append_in(
                    conn, stream, events, expected_version, created, committing
                )
            except psycopg.errors.UniqueViolation:
                committing[0] = False
                self._raise_duplicate(conn, stream, events)
                raise
            if retry and result.written == 0 and events:
                # The first attempt's commit went through and its reply was lost.
                result = AppendResult(
                    result.stream, result.next_expected_version, result.position, len(events)
                )
            return result

        result = self._run("append", body)
        if result.written:
            self._notify((stream,), result.position)
        return result

    def _append_in(
        self,
        conn: psycopg.Connection[Any],
        stream: str,
        events: Sequence[NewEvent],
        expected: int,
        created: int,
        committing: list[bool],
    ) -> AppendResult:
        sql = self._sql
        first_id = events[0].id if events else ""
        with conn.pipeline(), conn.transaction():
            locked = conn.execute(sql.lock_meta)
            state = conn.execute(sql.append_state, (stream, first_id))
            meta = locked.fetchone()
            row = state.fetchone()
            assert meta is not None
            assert row is not None
            last_position, commit_seq = meta
            current, stream_state, truncate_before, hit_stream, hit_version = row
            if current is None:
                current, stream_state, truncate_before = -1, LIVE, 0
            if stream_state == HARD_DELETED:
                raise StreamDeleted(stream)
            if events and hit_stream == stream:
                retried = self._idempotent(
                    conn, stream, events, expected, int(truncate_before), int(hit_version)
                )
                if retried is not None:
                    return retried
            exists = stream_state == LIVE and current >= 0
            if not _version_ok(expected, current, exists=exists):
                raise WrongExpectedVersion(stream, expected, current)
            if not events:
                found = conn.execute(sql.stream_last_position, (stream,)).fetchone()
                return AppendResult(stream, current, -1 if found is None else found[0], 0)
            first = last_position + 1
            version = current + 1
            n = len(events)
            conn.execute(
                sql.insert_events,
                {
                    "stream": stream,
                    "created": created,
                    "positions": list(range(first, first + n)),
                    "versions": list(range(version, version + n)),
                    "ids": [e.id for e in events],
                    "types": [e.type for e in events],
                    "data": [e.data for e in events],
                    "metadata": [e.metadata for e in events],
                    "formats": [e.format for e in events],
                },
            )
            last = first + n - 1
            seq = commit_seq + 1
            conn.execute(
                sql.finish_append,
                (
                    stream,
                    version + n - 1,
                    seq,
                    self.instance,
                    last,
                    seq,
                    f"{seq} {last} {self.instance} {stream}",
                ),
            )
            committing[0] = True
        committing[0] = False
        return AppendResult(stream, version + n - 1, last, n)

    def _idempotent(
        self,
        conn: psycopg.Connection[Any],
        stream: str,
        events: Sequence[NewEvent],
        expected: int,
        truncate_before: int,
        first: int,
    ) -> AppendResult | None:
        """The original result if ``events`` are a retry of an append already
        stored at the place ``expected`` names; ``None`` otherwise."""
        fits = (
            expected in (ANY, STREAM_EXISTS)
            or expected == first - 1
            or (expected == NO_STREAM and first in (0, truncate_before))
        )
        if not fits:
            return None
        stored = conn.execute(self._sql.ids_from, (stream, first, len(events))).fetchall()
        if [r[0] for r in stored] != [e.id for e in events]:
            return None
        return AppendResult(stream, first + len(events) - 1, stored[-1][1], 0)

    def _raise_duplicate(
        self, conn: psycopg.Connection[Any], stream: str, events: Sequence[NewEvent]
    ) -> None:
        seen: set[str] = set()
        for event in events:
            if event.id in seen:
                msg = f"cannot append to stream {stream!r}: event id {event.id} appears twice"
                raise ValueError(msg)
            seen.add(event.id)
        rows = conn.execute(self._sql.ids_anywhere, ([e.id for e in events],)).fetchall()
        where = {event_id: (s, v) for event_id, s, v in rows}
        for event in events:
            if event.id in where:
                hit_stream, hit_version = where[event.id]
                raise DuplicateEventId(stream, event.id, hit_stream, hit_version)

    @staticmethod
    def _visible(
        stream: str, row: Sequence[Any] | None, now: datetime
    ) -> tuple[int, int, int | None]:
        """``(last_version, lowest visible version, oldest visible created µs)``."""
        if row is None or row[0] is None or (row[1] == LIVE and row[0] < 0):
            raise StreamNotFound(stream)
        last, state, truncate_before, max_count, max_age = row[:5]
        if state == HARD_DELETED:
            raise StreamDeleted(stream)
        if state == SOFT_DELETED:
            raise StreamNotFound(stream, soft_deleted=True)
        low = int(truncate_before)
        if max_count is not None:
            low = max(low, last - max_count + 1)
        oldest = None if max_age is None else _micros(now) - int(max_age * 1_000_000)
        return int(last), low, oldest

    def read_stream(
        self, stream: str, from_version: int, count: int, backwards: bool, now: datetime
    ) -> StreamSlice:
        _no_nul(stream, "stream name")
        params = {"stream": stream, "from": from_version, "count": count, "now": _micros(now)}
        query = self._sql.read_backwards if backwards else self._sql.read_forwards
        rows = self._run("read", lambda conn: conn.execute(query, params).fetchall())
        last, low, _ = self._visible(stream, rows[0] if rows else None, now)
        events = tuple(_event(r[5:]) for r in rows if r[5] is not None)
        if backwards:
            if len(events) < count or events[-1].version - 1 < low:
                return StreamSlice(stream, events, -1, True, last)
            return StreamSlice(stream, events, events[-1].version - 1, False, last)
        if not events:
            return StreamSlice(stream, events, max(from_version, last + 1), True, last)
        nxt = events[-1].version + 1
        return StreamSlice(stream, events, nxt, len(events) < count or nxt > last, last)

    def read_event(self, stream: str, version: int, now: datetime) -> RecordedEvent:
        _no_nul(stream, "stream name")
        row = self._run(
            "read",
            lambda conn: conn.execute(self._sql.read_one, (version, version, stream)).fetchone(),
        )
        last, low, oldest = self._visible(stream, row, now)
        assert row is not None
        wanted = last if version == -1 else version
        found = row[5:] if row[5] is not None else None
        if found is None or wanted < low or (oldest is not None and found[8] < oldest):
            raise EventNotFound(stream, version)
        return _event(found)

    @staticmethod
    def _filter_sql(filter: EventFilter | None) -> tuple[str, list[Any]]:
        if filter is None:
            return "", []
        clauses: list[str] = []
        params: list[Any] = []
        if filter.stream_prefix is not None:
            clauses.append(
                "(" + " OR ".join("starts_with(e.stream, %s)" for _ in filter.stream_prefix) + ")"
            )
            params.extend(filter.stream_prefix)
        if filter.event_types is not None:
            clauses.append("e.type = ANY(%s)")
            params.append(list(filter.event_types))
        return " AND " + " AND ".join(clauses), params

    def read_all(
        self, from_position: int, count: int, backwards: bool, filter: EventFilter | None
    ) -> AllSlice:
        where, params = self._filter_sql(filter)
        s = self._sql.s
        cols = ", ".join(f"e.{c.strip()}" for c in _COLUMNS.split(","))
        if backwards:
            query = (
                f"SELECT m.last_position, {cols} FROM {s}.es_meta m LEFT JOIN LATERAL ("
                f"SELECT * FROM {s}.events e WHERE e.position <= CASE WHEN %s < 0 "
                f"THEN m.last_position ELSE least(%s, m.last_position) END{where} "
                "ORDER BY e.position DESC LIMIT %s) e ON true"
            )
            args: list[Any] = [from_position, from_position, *params, count]
        else:
            query = (
                f"SELECT m.last_position, {cols} FROM {s}.es_meta m LEFT JOIN LATERAL ("
                f"SELECT * FROM {s}.events e WHERE e.position >= %s{where} "
                "ORDER BY e.position LIMIT %s) e ON true"
            )
            args = [max(from_position, 0), *params, count]
        rows = self._run("read $all", lambda conn: conn.execute(query, args).fetchall())
        last = int(rows[0][0])
        events = tuple(_event(r[1:]) for r in rows if r[1] is not None)
        if backwards:
            if len(events) < count:
                return AllSlice(events, -1, True)
            nxt = events[-1].position - 1
            return AllSlice(events, nxt, nxt < 0)
        start = max(from_position, 0)
        if len(events) < count:
            return AllSlice(events, max(start, last + 1), True)
        nxt = events[-1].position + 1
        return AllSlice(events, nxt, nxt > last)

    def last_position(self) -> int:
        row = self._run("read", lambda conn: conn.execute(self._sql.last_position).fetchone())
        assert row is not None
        return int(row[0])

    def delete_stream(
        self, stream: str, expected_version: int, hard: bool, now: datetime
    ) -> DeleteResult:
        _no_nul(stream, "stream name")
        sql = self._sql

        def body(conn: psycopg.Connection[Any]) -> tuple[int, int]:
            with conn.pipeline(), conn.transaction():
                locked = conn.execute(sql.lock_meta)
                state = conn.execute(sql.delete_state, (stream,))
                meta = locked.fetchone()
                row = state.fetchone()
                assert meta is not None
                last_position, commit_seq = meta
                current, stream_state = row if row is not None else (-1, LIVE)
                if stream_state == HARD_DELETED:
                    raise StreamDeleted(stream)
                missing = stream_state == LIVE and current < 0
                if missing or (stream_state == SOFT_DELETED and not hard):
                    if expected_version >= 0 or expected_version == STREAM_EXISTS:
                        raise WrongExpectedVersion(stream, expected_version, current)
                    raise StreamNotFound(stream, soft_deleted=stream_state == SOFT_DELETED)
                if expected_version == NO_STREAM or not _version_ok(
                    expected_version, current, exists=stream_state == LIVE
                ):
                    raise WrongExpectedVersion(stream, expected_version, current)
                seq = commit_seq + 1
                conn.execute(
                    sql.finish_delete,
                    (
                        stream,
                        HARD_DELETED if hard else SOFT_DELETED,
                        current + 1,
                        seq,
                        self.instance,
                        stream,
                        seq,
                        f"{seq} {last_position} {self.instance} {stream}",
                    ),
                )
            return int(current), int(last_position)

        current, last_position = self._run("delete a stream", body)
        self._notify((stream,), last_position)
        return DeleteResult(stream, current, hard)

    def get_metadata(self, stream: str) -> StreamMetadata:
        _no_nul(stream, "stream name")
        row = self._run(
            "read metadata",
            lambda conn: conn.execute(self._sql.get_metadata, (stream,)).fetchone(),
        )
        if row is None:
            return StreamMetadata()
        if row[0] == HARD_DELETED:
            raise StreamDeleted(stream)
        return _metadata(*row[1:])

    def set_metadata(self, stream: str, metadata: StreamMetadata) -> None:
        _no_nul(stream, "stream name")
        custom = None if metadata.custom is None else json.dumps(metadata.custom)
        args = (stream, metadata.truncate_before, metadata.max_count, metadata.max_age, custom)
        row = self._run(
            "write metadata", lambda conn: conn.execute(self._sql.set_metadata, args).fetchone()
        )
        if row is None:
            raise StreamDeleted(stream)

    @staticmethod
    def _info(row: Sequence[Any]) -> StreamInfo:
        stream, state, last, truncate_before, max_count, max_age, custom, count, last_pos = row
        return StreamInfo(
            stream,
            _STATE_NAMES[state],
            int(last),
            int(count),
            -1 if last_pos is None else int(last_pos),
            _metadata(truncate_before, max_count, max_age, custom),
        )

    def list_streams(self, prefix: str | None = None) -> list[StreamInfo]:
        info = self._sql.info
        if prefix:
            _no_nul(prefix, "prefix")
            query = f"{info} WHERE starts_with(s.stream, %s) ORDER BY s.stream"
            rows = self._run("list streams", lambda c: c.execute(query, (prefix,)).fetchall())
        else:
            query = f"{info} ORDER BY s.stream"
            rows = self._run("list streams", lambda c: c.execute(query).fetchall())
        return [self._info(row) for row in rows]

    def stream_info(self, stream: str) -> StreamInfo:
        _no_nul(stream, "stream name")
        query = f"{self._sql.info} WHERE s.stream = %s"
        row = self._run("read", lambda conn: conn.execute(query, (stream,)).fetchone())
        if row is None:
            raise StreamNotFound(stream)
        return self._info(row)

    def trim(self, now: datetime) -> int:
        def body(conn: psycopg.Connection[Any]) -> int:
            return conn.execute(self._sql.trim, (_micros(now),)).rowcount

        return self._run("trim streams", body)

    # Persistent subscription groups ----------------------------------------------------------

    def _group_row(
        self, conn: psycopg.Connection[Any], stream: str, group: str, *, lock: bool = False
    ) -> tuple[Any, ...]:
        query = self._sql.group_row + (" FOR UPDATE" if lock else "")
        row = conn.execute(query, (stream, group)).fetchone()
        if row is None:
            raise GroupNotFound(stream, group)
        return tuple(row)

    def _group_state(self, conn: psycopg.Connection[Any], stream: str, group: str) -> GroupState:
        row = conn.execute(self._sql.group_state, (self.instance_timeout, stream, group)).fetchone()
        if row is None:
            raise GroupNotFound(stream, group)
        settings, cursor, checkpoint, created, in_flight, waiting, parked, consumers, low = row[:9]
        last_key = row[9] if stream == ALL else row[10]
        return GroupState(
            stream,
            group,
            _settings(settings),
            int(cursor),
            int(checkpoint),
            max(int(checkpoint), (cursor if low is None else low) - 1),
            -1 if last_key is None else int(last_key),
            int(in_flight),
            int(waiting),
            int(parked),
            int(consumers),
            _from_micros(created),
        )

    def _names(self, stream: str, group: str) -> None:
        _no_nul(stream, "stream name")
        _no_nul(group, "group name")

    def create_group(
        self, stream: str, group: str, settings: PersistentSettings, now: datetime
    ) -> GroupState:
        self._names(stream, group)
        text = json.dumps(settings.to_json())

        def body(conn: psycopg.Connection[Any]) -> GroupState:
            with conn.transaction():
                if settings.start_from < 0:
                    row = conn.execute(self._sql.last_key, (stream, stream)).fetchone()
                    cursor = (-1 if row is None or row[0] is None else int(row[0])) + 1
                else:
                    cursor = settings.start_from
                created = conn.execute(
                    self._sql.create_group, (stream, group, text, cursor, cursor - 1, _micros(now))
                ).fetchone()
                if created is None:
                    raise GroupExists(stream, group)
                return self._group_state(conn, stream, group)

        return self._run_state("create a persistent subscription", body)

    def update_group(self, stream: str, group: str, settings: PersistentSettings) -> GroupState:
        self._names(stream, group)
        text = json.dumps(settings.to_json())

        def body(conn: psycopg.Connection[Any]) -> GroupState:
            with conn.transaction():
                row = conn.execute(self._sql.update_group, (text, stream, group)).fetchone()
                if row is None:
                    raise GroupNotFound(stream, group)
                return self._group_state(conn, stream, group)

        return self._run_state("update a persistent subscription", body)

    def delete_group(self, stream: str, group: str) -> None:
        self._names(stream, group)

        def body(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction():
                row = conn.execute(self._sql.delete_group, (stream, group)).fetchone()
                if row is None:
                    raise GroupNotFound(stream, group)
                for table in ("inflight", "parked", "consumers"):
                    conn.execute(
                        f"DELETE FROM {self._sql.s}.{table} WHERE stream = %s AND grp = %s",
                        (stream, group),
                    )

        self._run_state("delete a persistent subscription", body)

    def get_group(self, stream: str, group: str) -> GroupState:
        self._names(stream, group)
        return self._run_state(
            "read a persistent subscription", lambda c: self._group_state(c, stream, group)
        )

    def list_groups(self) -> list[GroupState]:
        def body(conn: psycopg.Connection[Any]) -> list[GroupState]:
            keys = conn.execute(
                f"SELECT stream, grp FROM {self._sql.s}.groups ORDER BY stream, grp"
            ).fetchall()
            return [self._group_state(conn, stream, group) for stream, group in keys]

        return self._run_state("list persistent subscriptions", body)

    def _pin_slot(self, conn: psycopg.Connection[Any], stream: str, group: str) -> tuple[int, int]:
        """``(index, count)`` of this instance among the live instances with
        consumers in the group (pinned strategy)."""
        rows = conn.execute(
            self._sql.live_consumer_instances, (stream, group, self.instance_timeout)
        ).fetchall()
        instances = sorted({r[0] for r in rows} | {self.instance})
        return instances.index(self.instance), len(instances)

    def claim(
        self, stream: str, group: str, owner: str, limit: int, now: datetime
    ) -> list[Delivery]:
        self._names(stream, group)
        me = self._owner(owner)
        return self._run_state(
            "claim messages", lambda conn: self._claim(conn, stream, group, me, limit, now)
        )

    def _claim(
        self,
        conn: psycopg.Connection[Any],
        stream: str,
        group: str,
        me: str,
        limit: int,
        now: datetime,
    ) -> list[Delivery]:
        """One statement, one round trip (groups that are not ``pinned``):
        lock the group row, take the waiting messages (``SKIP LOCKED``),
        then events from the cursor, insert them and move the cursor."""
        query = self._sql.claim_all if stream == ALL else self._sql.claim_stream
        params = {
            "stream": stream,
            "group": group,
            "owner": me,
            "instance": self.instance,
            "now": now.timestamp(),
            "limit": limit,
        }
        rows = conn.execute(query, params).fetchall()
        settings = next((r[1] for r in rows if r[0] == "g"), None)
        if settings is None:
            raise GroupNotFound(stream, group)
        if _settings(settings).consumer_strategy == "pinned":
            return self._claim_in(conn, stream, group, me, limit, now)
        due = sorted((r for r in rows if r[0] == "d"), key=lambda r: r[2])
        fresh = sorted((r for r in rows if r[0] == "n"), key=lambda r: r[2])
        gone = [r[2] for r in due if r[4] is None]
        if gone:  # their events were deleted meanwhile
            conn.execute(self._sql.delete_inflight, (stream, group, gone))
        deliveries = [Delivery(r[2], _event(r[4:]), r[3]) for r in due if r[4] is not None]
        deliveries.extend(Delivery(r[2], _event(r[4:]), 0) for r in fresh)
        return deliveries

    def _claim_in(
        self,
        conn: psycopg.Connection[Any],
        stream: str,
        group: str,
        me: str,
        limit: int,
        now: datetime,
    ) -> list[Delivery]:
        """The ``pinned`` claim, three round trips in pipeline mode: the
        settings and this instance's slot; the waiting messages pinned to it
        (``SKIP LOCKED``) and the events after the cursor (under the group
        row's lock); the inserts (some for the other instances) and the commit."""
        sql = self._sql
        key_index = 0 if stream == ALL else 2
        with conn.pipeline(), conn.transaction():
            # The group row's lock first: the waiting messages must be read
            # after any claim that held it committed. Read before the wait,
            # they missed the messages another instance had just pinned to
            # this one, while the events after them came from the cursor:
            # a stream's events then reached its consumer out of order.
            settings = _settings(self._group_row(conn, stream, group, lock=True)[0])
            deadline = now.timestamp() + settings.message_timeout
            pinned = settings.consumer_strategy == "pinned"
            index, count = self._pin_slot(conn, stream, group) if pinned else (0, 1)
            due_cursor = conn.execute(
                sql.claim_due,
                (me, self.instance, deadline, stream, group, count, index, limit, stream, group),
            )
            fresh_cursor = conn.execute(
                sql.cursor_all if stream == ALL else sql.cursor_stream,
                (stream, group, limit if count == 1 else 500)
                if stream == ALL
                else (stream, group, stream, stream, limit if count == 1 else 500),
            )
            due = sorted(due_cursor.fetchall())
            rows = [r[1:] for r in fresh_cursor.fetchall() if r[1] is not None]
            deliveries: list[Delivery] = []
            gone = []
            for row in due:
                if row[3] is None:
                    gone.append(row[0])  # its event was deleted meanwhile
                else:
                    deliveries.append(Delivery(row[0], _event(row[3:]), row[2]))
            if gone:
                conn.execute(sql.delete_inflight, (stream, group, gone))
            wanted = limit - len(due)
            taken: list[tuple[Any, ...]] = []
            others: list[tuple[Any, ...]] = []
            for row in rows if wanted > 0 else ():
                if len(taken) == wanted:
                    break
                (taken if row[9] % count == index else others).append(row)
            if taken or others:
                last_key = max(r[key_index] for r in (taken[-1:] + others[-1:]))
                claimed: list[tuple[Any, str | None, str | None, float | None]] = [
                    (r, me, self.instance, deadline) for r in taken
                ]
                claimed += [(r, None, None, None) for r in others]
                conn.execute(
                    sql.insert_inflight,
                    (
                        stream,
                        group,
                        [r[key_index] for r, *_ in claimed],
                        [r[0] for r, *_ in claimed],
                        [o for _, o, _, _ in claimed],
                        [i for _, _, i, _ in claimed],
                        [d for _, _, _, d in claimed],
                        [r[9] for r, *_ in claimed],
                    ),
                )
                conn.execute(sql.advance_cursor, (last_key + 1, stream, group))
            deliveries.extend(Delivery(r[key_index], _event(r[:9]), 0) for r in taken)
            if others:
                # Work for another process's consumers: wake its group manager.
                conn.execute(sql.notify, (f"wake - {self.instance} {stream}",))
        return deliveries

    def ack(self, stream: str, group: str, keys: Sequence[int]) -> int:
        if not keys:
            return 0
        self._names(stream, group)
        wanted = list(keys)
        return self._run_state(
            "ack messages",
            lambda c: c.execute(self._sql.delete_inflight, (stream, group, wanted)).rowcount,
        )

    def _retry_in(
        self,
        conn: psycopg.Connection[Any],
        stream: str,
        group: str,
        keys: Sequence[int],
        now: datetime,
        reason: str,
        limit: int,
    ) -> RetryOutcome:
        # Park first: the retry below raises counts that must not be parked now.
        parked = conn.execute(
            self._sql.park, (stream, group, list(keys), limit, reason, _micros(now))
        ).fetchall()
        retried = conn.execute(self._sql.retry, (stream, group, list(keys), limit)).fetchall()
        return RetryOutcome(
            tuple(sorted(r[0] for r in retried)), tuple(sorted(r[0] for r in parked))
        )

    def retry(
        self, stream: str, group: str, keys: Sequence[int], now: datetime, reason: str
    ) -> RetryOutcome:
        if not keys:
            return RetryOutcome()
        self._names(stream, group)

        def body(conn: psycopg.Connection[Any]) -> RetryOutcome:
            with conn.transaction():
                limit = _settings(self._group_row(conn, stream, group)[0]).max_retry_count
                return self._retry_in(conn, stream, group, keys, now, reason, limit)

        return self._run_state("retry messages", body)

    def park(self, stream: str, group: str, keys: Sequence[int], reason: str, now: datetime) -> int:
        if not keys:
            return 0
        self._names(stream, group)

        def body(conn: psycopg.Connection[Any]) -> int:
            with conn.transaction():
                self._group_row(conn, stream, group)
                rows = conn.execute(
                    self._sql.park, (stream, group, list(keys), -1, reason, _micros(now))
                ).fetchall()
                return len(rows)

        return self._run_state("park messages", body)

    def expire(self, stream: str, group: str, now: datetime) -> RetryOutcome:
        self._names(stream, group)

        def body(conn: psycopg.Connection[Any]) -> RetryOutcome:
            with conn.transaction():
                limit = _settings(self._group_row(conn, stream, group)[0]).max_retry_count
                keys = [
                    row[0]
                    for row in conn.execute(
                        self._sql.expired, (stream, group, now.timestamp())
                    ).fetchall()
                ]
                if not keys:
                    return RetryOutcome()
                return self._retry_in(conn, stream, group, keys, now, "message timeout", limit)

        return self._run_state("expire messages", body)

    def release(self, stream: str, group: str, owner: str) -> int:
        self._names(stream, group)
        me = self._owner(owner)
        return self._run_state(
            "release messages",
            lambda c: c.execute(self._sql.release, (stream, group, me)).rowcount,
        )

    def checkpoint(self, stream: str, group: str) -> int:
        self._names(stream, group)
        row = self._run_state(
            "write a checkpoint",
            lambda c: c.execute(self._sql.checkpoint, (stream, group)).fetchone(),
        )
        if row is None:
            raise GroupNotFound(stream, group)
        return int(row[0])

    def parked(self, stream: str, group: str, limit: int | None = None) -> list[ParkedMessage]:
        self._names(stream, group)

        def body(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
            self._group_row(conn, stream, group)
            return conn.execute(self._sql.parked, (stream, group, limit)).fetchall()

        rows = self._run_state("read parked messages", body)
        return [
            ParkedMessage(
                int(row[0]),
                int(row[1]),
                None if row[6] is None else _event(row[5:]),
                row[2],
                int(row[3]),
                _from_micros(row[4]),
            )
            for row in rows
        ]

    def replay_parked(self, stream: str, group: str, limit: int | None = None) -> int:
        self._names(stream, group)

        def body(conn: psycopg.Connection[Any]) -> int:
            with conn.transaction():
                self._group_row(conn, stream, group)
                return len(conn.execute(self._sql.replay, (stream, group, limit)).fetchall())

        return self._run_state("replay parked messages", body)

    def register_consumer(self, stream: str, group: str, consumer: str, now: datetime) -> int:
        self._names(stream, group)
        _no_nul(consumer, "consumer")

        def body(conn: psycopg.Connection[Any]) -> int:
            with conn.transaction():
                # The group row's lock makes count-then-insert atomic across processes.
                limit = _settings(self._group_row(conn, stream, group, lock=True)[0])
                row = conn.execute(
                    self._sql.count_consumers, (stream, group, consumer, self.instance_timeout)
                ).fetchone()
                count = 0 if row is None else int(row[0])
                if limit.max_subscriber_count and count >= limit.max_subscriber_count:
                    raise MaxSubscribersReached(stream, group, limit.max_subscriber_count)
                conn.execute(
                    self._sql.register, (stream, group, consumer, self.instance, _micros(now))
                )
                return count + 1

        return self._run_state("register a consumer", body)

    def unregister_consumer(self, stream: str, group: str, consumer: str) -> None:
        self._names(stream, group)
        self._run_state(
            "unregister a consumer",
            lambda c: c.execute(
                f"DELETE FROM {self._sql.s}.consumers WHERE stream = %s AND grp = %s "
                "AND consumer = %s",
                (stream, group, consumer),
            ),
        )


class _Sql:
    """The statements of one schema, built once per backend."""

    def __init__(self, s: str, channel: str) -> None:
        self.s = s
        self.channel = channel
        live = "i.heartbeat > now() - make_interval(secs => %s)"
        ev = ", ".join(f"e.{c.strip()}" for c in _COLUMNS.split(","))
        low = (
            "greatest(s.truncate_before, CASE WHEN s.max_count IS NULL THEN s.truncate_before "
            "ELSE s.last_version - s.max_count + 1 END)"
        )
        age = "(s.max_age IS NULL OR e.created >= %(now)s - trunc(s.max_age * 1000000)::bigint)"
        self.notify = f"SELECT pg_notify('{channel}', %s)"
        self.beat = (
            f"INSERT INTO {s}.instances (instance, host, pid, role) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (instance) DO UPDATE SET heartbeat = now()"
        )
        self.forget_instance = f"DELETE FROM {s}.instances WHERE instance = %s"
        live_instances = f"SELECT i.instance FROM {s}.instances i WHERE {live}"
        self.recover_claims = (
            f"UPDATE {s}.inflight SET owner = NULL, instance = NULL, deadline = NULL "
            f"WHERE owner IS NOT NULL AND (instance IS NULL OR instance NOT IN ({live_instances}))"
        )
        self.recover_consumers = (
            f"DELETE FROM {s}.consumers WHERE instance NOT IN ({live_instances})"
        )
        self.reap_instances = f"DELETE FROM {s}.instances i WHERE NOT ({live})"
        self.lock_meta = (
            f"SELECT last_position, commit_seq FROM {s}.es_meta WHERE id = 1 FOR UPDATE"
        )
        # A statement of its own after the lock: in READ COMMITTED it takes a
        # new snapshot, which sees the commit of the append it waited for.
        self.append_state = (
            f"SELECT s.last_version, s.state, s.truncate_before, h.stream, h.version "
            f"FROM (SELECT 1) one LEFT JOIN {s}.streams s ON s.stream = %s "
            f"LEFT JOIN {s}.events h ON h.event_id = %s"
        )
        self.delete_state = f"SELECT last_version, state FROM {s}.streams WHERE stream = %s"
        self.stream_last_position = (
            f"SELECT position FROM {s}.events WHERE stream = %s ORDER BY version DESC LIMIT 1"
        )
        self.insert_events = (
            f"INSERT INTO {s}.events ({_COLUMNS}) "
            "SELECT r.p, %(stream)s, r.v, r.i, r.t, r.d, r.m, r.f, %(created)s "
            # %b: the arrays travel in binary, which costs Python no per-item quoting.
            "FROM unnest(%(positions)b::bigint[], %(versions)b::bigint[], %(ids)b::text[], "
            "%(types)b::text[], %(data)b::text[], %(metadata)b::text[], %(formats)b::integer[]) "
            "AS r(p, v, i, t, d, m, f)"
        )
        self.finish_append = (
            f"WITH up AS (INSERT INTO {s}.streams (stream, last_version, state, changed_seq, "
            "changed_by) VALUES (%s, %s, 0, %s, %s) ON CONFLICT (stream) DO UPDATE SET "
            "last_version = excluded.last_version, state = 0, changed_seq = excluded.changed_seq, "
            "changed_by = excluded.changed_by RETURNING 1), "
            f"meta AS (UPDATE {s}.es_meta SET last_position = %s, commit_seq = %s WHERE id = 1 "
            f"RETURNING 1) SELECT pg_notify('{channel}', %s) FROM up, meta"
        )
        self.finish_delete = (
            f"WITH gone AS (DELETE FROM {s}.events WHERE stream = %s RETURNING 1), "
            f"st AS (UPDATE {s}.streams SET state = %s, truncate_before = %s, changed_seq = %s, "
            "changed_by = %s WHERE stream = %s RETURNING 1), "
            f"meta AS (UPDATE {s}.es_meta SET commit_seq = %s WHERE id = 1 RETURNING 1) "
            f"SELECT pg_notify('{channel}', %s) FROM meta"
        )
        self.ids_from = (
            f"SELECT event_id, position FROM {s}.events WHERE stream = %s AND version >= %s "
            "ORDER BY version LIMIT %s"
        )
        self.ids_anywhere = (
            f"SELECT event_id, stream, version FROM {s}.events WHERE event_id = ANY(%s)"
        )
        stream_cols = "s.last_version, s.state, s.truncate_before, s.max_count, s.max_age"
        self.read_forwards = (
            f"SELECT {stream_cols}, {ev} FROM {s}.streams s LEFT JOIN LATERAL ("
            f"SELECT * FROM {s}.events e WHERE e.stream = s.stream "
            f"AND e.version >= greatest(%(from)s, {low}) AND {age} "
            "ORDER BY e.version LIMIT %(count)s) e ON true WHERE s.stream = %(stream)s"
        )
        self.read_backwards = (
            f"SELECT {stream_cols}, {ev} FROM {s}.streams s LEFT JOIN LATERAL ("
            f"SELECT * FROM {s}.events e WHERE e.stream = s.stream "
            "AND e.version <= CASE WHEN %(from)s < 0 THEN s.last_version "
            "ELSE least(%(from)s, s.last_version) END "
            f"AND e.version >= {low} AND {age} "
            "ORDER BY e.version DESC LIMIT %(count)s) e ON true WHERE s.stream = %(stream)s"
        )
        self.read_one = (
            f"SELECT {stream_cols}, {ev} FROM {s}.streams s LEFT JOIN {s}.events e "
            "ON e.stream = s.stream AND e.version = CASE WHEN %s = -1 THEN s.last_version "
            "ELSE %s END WHERE s.stream = %s"
        )
        self.last_position = f"SELECT last_position FROM {s}.es_meta"
        self.get_metadata = (
            f"SELECT state, truncate_before, max_count, max_age, custom FROM {s}.streams "
            "WHERE stream = %s"
        )
        self.set_metadata = (
            f"INSERT INTO {s}.streams AS s (stream, last_version, truncate_before, max_count, "
            "max_age, custom) VALUES (%s, -1, %s, %s, %s, %s) ON CONFLICT (stream) DO UPDATE SET "
            "truncate_before = excluded.truncate_before, max_count = excluded.max_count, "
            "max_age = excluded.max_age, custom = excluded.custom WHERE s.state <> 2 RETURNING 1"
        )
        self.info = (
            "SELECT s.stream, s.state, s.last_version, s.truncate_before, s.max_count, "
            f"s.max_age, s.custom, (SELECT count(*) FROM {s}.events e WHERE e.stream = s.stream), "
            f"(SELECT e.position FROM {s}.events e WHERE e.stream = s.stream "
            f"ORDER BY e.version DESC LIMIT 1) FROM {s}.streams s"
        )
        self.trim = (
            f"DELETE FROM {s}.events e USING {s}.streams s WHERE e.stream = s.stream "
            "AND s.state = 0 AND (s.max_count IS NOT NULL OR s.max_age IS NOT NULL "
            f"OR s.truncate_before > 0) AND (e.version < {low} OR (s.max_age IS NOT NULL AND "
            "e.created < %s - trunc(s.max_age * 1000000)::bigint))"
        )
        # Groups.
        self.group_row = (
            f"SELECT settings, next_key, checkpoint, created FROM {s}.groups "
            "WHERE stream = %s AND grp = %s"
        )
        self.group_state = (
            "SELECT g.settings, g.next_key, g.checkpoint, g.created, "
            f"(SELECT count(owner) FROM {s}.inflight f WHERE f.stream = g.stream "
            "AND f.grp = g.grp), "
            f"(SELECT count(*) - count(owner) FROM {s}.inflight f WHERE f.stream = g.stream "
            "AND f.grp = g.grp), "
            f"(SELECT count(*) FROM {s}.parked p WHERE p.stream = g.stream AND p.grp = g.grp), "
            f"(SELECT count(*) FROM {s}.consumers c JOIN {s}.instances i "
            f"ON i.instance = c.instance WHERE c.stream = g.stream AND c.grp = g.grp AND {live}), "
            f"(SELECT min(key) FROM {s}.inflight f WHERE f.stream = g.stream AND f.grp = g.grp), "
            f"(SELECT last_position FROM {s}.es_meta), "
            f"(SELECT last_version FROM {s}.streams st WHERE st.stream = g.stream) "
            f"FROM {s}.groups g WHERE g.stream = %s AND g.grp = %s"
        )
        self.last_key = (
            f"SELECT CASE WHEN %s = '$all' THEN (SELECT last_position FROM {s}.es_meta) "
            f"ELSE (SELECT last_version FROM {s}.streams WHERE stream = %s) END"
        )
        self.create_group = (
            f"INSERT INTO {s}.groups (stream, grp, settings, next_key, checkpoint, created) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1"
        )
        self.update_group = (
            f"UPDATE {s}.groups SET settings = %s WHERE stream = %s AND grp = %s RETURNING 1"
        )
        self.delete_group = f"DELETE FROM {s}.groups WHERE stream = %s AND grp = %s RETURNING 1"
        self.live_consumer_instances = (
            f"SELECT DISTINCT c.instance FROM {s}.consumers c JOIN {s}.instances i "
            f"ON i.instance = c.instance WHERE c.stream = %s AND c.grp = %s AND {live}"
        )
        self.claim_due = (
            f"WITH d AS (UPDATE {s}.inflight f SET owner = %s, instance = %s, deadline = %s "
            f"FROM (SELECT key FROM {s}.inflight WHERE stream = %s AND grp = %s "
            "AND owner IS NULL AND pin %% %s = %s ORDER BY key LIMIT %s FOR UPDATE SKIP LOCKED) x "
            "WHERE f.stream = %s AND f.grp = %s AND f.key = x.key "
            "RETURNING f.key, f.position, f.retry_count) "
            f"SELECT d.key, d.position, d.retry_count, {ev} FROM d "
            f"LEFT JOIN {s}.events e ON e.position = d.position"
        )
        pin_e = _PIN.format("e.stream")
        # The group row's lock (held to the commit) serialises cursor moves;
        # the events are read in the same statement, from its snapshot.
        locked_cursor = (
            f"WITH g AS (SELECT next_key FROM {s}.groups WHERE stream = %s AND grp = %s "
            "FOR UPDATE) SELECT g.next_key, e.* FROM g LEFT JOIN LATERAL ("
        )
        self.cursor_all = (
            f"{locked_cursor}SELECT {ev}, {pin_e} FROM {s}.events e WHERE e.position >= g.next_key "
            "ORDER BY e.position LIMIT %s) e ON true"
        )
        # The lowest version first, then an index range scan from it.
        stream_low = (
            "LATERAL (SELECT greatest({key}, s.truncate_before, CASE WHEN s.max_count IS NULL "
            f"THEN 0 ELSE s.last_version - s.max_count + 1 END) AS low FROM {s}.streams s "
            "WHERE s.stream = {stream} AND s.state <> 2) lo"
        )
        self.cursor_stream = (
            f"WITH g AS (SELECT next_key FROM {s}.groups WHERE stream = %s AND grp = %s "
            "FOR UPDATE) SELECT g.next_key, e.* FROM g CROSS JOIN "
            + stream_low.format(key="g.next_key", stream="%s")
            + f" LEFT JOIN LATERAL (SELECT {ev}, {pin_e} FROM {s}.events e WHERE e.stream = %s "
            "AND e.version >= lo.low ORDER BY e.version LIMIT %s) e ON true"
        )
        # claim_all / claim_stream: a whole claim in one statement (see _claim).
        # The group row's lock (FOR UPDATE in g) serialises cursor moves; a
        # pinned group matches nothing here (ok is empty) and takes _claim_in.
        claim_head = (
            f"WITH g AS (SELECT settings, next_key, (settings::json->>'message_timeout')::float8 "
            f"AS timeout FROM {s}.groups WHERE stream = %(stream)s AND grp = %(group)s "
            "FOR UPDATE), ok AS (SELECT * FROM g WHERE "
            "(settings::json->>'consumer_strategy') <> 'pinned'), "
            f"d AS (UPDATE {s}.inflight f SET owner = %(owner)s, instance = %(instance)s, "
            "deadline = %(now)s + (SELECT timeout FROM ok) "
            f"FROM (SELECT key FROM {s}.inflight WHERE stream = %(stream)s AND grp = %(group)s "
            "AND owner IS NULL ORDER BY key LIMIT %(limit)s FOR UPDATE SKIP LOCKED) x "
            "WHERE f.stream = %(stream)s AND f.grp = %(group)s AND f.key = x.key "
            "AND EXISTS (SELECT 1 FROM ok) RETURNING f.key, f.position, f.retry_count), "
        )
        fresh_limit = "LIMIT greatest(0, %(limit)s - (SELECT count(*) FROM d))"
        claim_tail = (
            f"ins AS (INSERT INTO {s}.inflight AS f (stream, grp, key, position, owner, "
            "instance, deadline, retry_count, pin) SELECT %(stream)s, %(group)s, n.key, "
            "n.position, %(owner)s, %(instance)s, %(now)s + (SELECT timeout FROM ok), 0, n.pin "
            "FROM n ON CONFLICT (stream, grp, key) DO UPDATE SET position = excluded.position, "
            "owner = excluded.owner, instance = excluded.instance, deadline = excluded.deadline, "
            "retry_count = 0, pin = excluded.pin), "
            f"adv AS (UPDATE {s}.groups SET next_key = (SELECT max(key) + 1 FROM n) "
            "WHERE stream = %(stream)s AND grp = %(group)s AND EXISTS (SELECT 1 FROM n)) "
            "SELECT 'g', g.settings, NULL::bigint, NULL::integer, "
            + ", ".join(f"NULL::{t}" for t in _COLUMN_TYPES)
            + " FROM g UNION ALL "
            f"SELECT 'd', NULL, d.key, d.retry_count, {ev} FROM d "
            f"LEFT JOIN {s}.events e ON e.position = d.position UNION ALL "
            "SELECT 'n', NULL, n.key, 0, "
            + ", ".join(f"n.{c.strip()}" for c in _COLUMNS.split(","))
            + " FROM n"
        )
        self.claim_all = (
            claim_head + f"n AS (SELECT e.position AS key, e.*, {pin_e} AS pin FROM ok, LATERAL ("
            f"SELECT * FROM {s}.events e WHERE e.position >= ok.next_key ORDER BY e.position "
            f"{fresh_limit}) e), " + claim_tail
        )
        self.claim_stream = (
            claim_head
            + f"n AS (SELECT e.version AS key, e.*, {pin_e} AS pin FROM ok, "
            + stream_low.format(key="ok.next_key", stream="%(stream)s")
            + f", LATERAL (SELECT * FROM {s}.events e WHERE e.stream = %(stream)s "
            f"AND e.version >= lo.low ORDER BY e.version {fresh_limit}) e), " + claim_tail
        )
        self.insert_inflight = (
            f"INSERT INTO {s}.inflight AS f (stream, grp, key, position, owner, instance, "
            "deadline, retry_count, pin) SELECT %s, %s, r.k, r.p, r.o, r.i, r.d, 0, r.pin FROM "
            "unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::float8[], "
            "%s::bigint[]) AS r(k, p, o, i, d, pin) ON CONFLICT (stream, grp, key) DO UPDATE SET "
            "position = excluded.position, owner = excluded.owner, instance = excluded.instance, "
            "deadline = excluded.deadline, retry_count = 0, pin = excluded.pin"
        )
        self.advance_cursor = f"UPDATE {s}.groups SET next_key = %s WHERE stream = %s AND grp = %s"
        self.delete_inflight = (
            f"DELETE FROM {s}.inflight WHERE stream = %s AND grp = %s AND key = ANY(%s)"
        )
        self.park = (
            f"WITH moved AS (DELETE FROM {s}.inflight WHERE stream = %s AND grp = %s "
            "AND key = ANY(%s) AND retry_count >= %s RETURNING stream, grp, key, position, "
            f"retry_count) INSERT INTO {s}.parked AS p (stream, grp, key, position, reason, "
            "retry_count, parked_at) SELECT stream, grp, key, position, %s, retry_count, %s "
            "FROM moved ON CONFLICT (stream, grp, key) DO UPDATE SET position = excluded.position, "
            "reason = excluded.reason, retry_count = excluded.retry_count, "
            "parked_at = excluded.parked_at RETURNING p.key"
        )
        self.retry = (
            f"UPDATE {s}.inflight SET owner = NULL, instance = NULL, deadline = NULL, "
            "retry_count = retry_count + 1 WHERE stream = %s AND grp = %s AND key = ANY(%s) "
            "AND retry_count < %s RETURNING key"
        )
        self.expired = (
            f"SELECT key FROM {s}.inflight WHERE stream = %s AND grp = %s AND owner IS NOT NULL "
            "AND deadline <= %s ORDER BY key FOR UPDATE SKIP LOCKED"
        )
        self.release = (
            f"UPDATE {s}.inflight SET owner = NULL, instance = NULL, deadline = NULL "
            "WHERE stream = %s AND grp = %s AND owner = %s"
        )
        self.checkpoint = (
            f"UPDATE {s}.groups g SET checkpoint = greatest(g.checkpoint, coalesce(("
            f"SELECT min(key) FROM {s}.inflight f WHERE f.stream = g.stream AND f.grp = g.grp), "
            "g.next_key) - 1) WHERE g.stream = %s AND g.grp = %s RETURNING g.checkpoint"
        )
        self.parked = (
            "SELECT p.key, p.position, p.reason, p.retry_count, p.parked_at, "
            f"{ev} FROM {s}.parked p LEFT JOIN {s}.events e ON e.position = p.position "
            "WHERE p.stream = %s AND p.grp = %s ORDER BY p.key LIMIT %s"
        )
        pin_src = _PIN.format(
            f"coalesce((SELECT e.stream FROM {s}.events e WHERE e.position = m.position), m.stream)"
        )
        self.replay = (
            f"WITH moved AS (DELETE FROM {s}.parked WHERE (stream, grp, key) IN ("
            f"SELECT stream, grp, key FROM {s}.parked WHERE stream = %s AND grp = %s "
            "ORDER BY key LIMIT %s FOR UPDATE) RETURNING stream, grp, key, position) "
            f"INSERT INTO {s}.inflight AS f (stream, grp, key, position, owner, instance, "
            f"deadline, retry_count, pin) SELECT m.stream, m.grp, m.key, m.position, NULL, NULL, "
            f"NULL, 0, {pin_src} FROM moved m ON CONFLICT (stream, grp, key) DO UPDATE SET "
            "position = excluded.position, owner = NULL, instance = NULL, deadline = NULL, "
            "retry_count = 0, pin = excluded.pin RETURNING f.key"
        )
        self.count_consumers = (
            f"SELECT count(*) FROM {s}.consumers c JOIN {s}.instances i ON i.instance = "
            f"c.instance WHERE c.stream = %s AND c.grp = %s AND c.consumer <> %s AND {live}"
        )
        self.register = (
            f"INSERT INTO {s}.consumers (stream, grp, consumer, instance, connected) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (stream, grp, consumer) DO UPDATE SET "
            "instance = excluded.instance, connected = excluded.connected"
        )
