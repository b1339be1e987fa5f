"""The PostgreSQL backend of the EventBus: topics, events and watchers shared
by several processes.

``EventBus.start("postgresql://user@host/db")`` runs on it. The tables are
``eventbus_topics``, ``eventbus_events`` and ``eventbus_deliveries`` in the
same PostgreSQL schema as the event store (``?schema=NAME``, default
``actors``), created by ``actors store init URL`` (schema version 2; see
:mod:`actors.eventstore.postgres`).

Several processes may use the same tables at once (``shared = True``):
every decision is the database's, in one transaction per call. A write
takes a share lock on the rows of the topics it stores to (so a topic
unregistered by another process meanwhile cannot keep an event), and each
mark locks its event's row (so two processes marking the last two
subscribers of one event cannot both see ``pending = 2``); topics are
locked in name order, so two writes never deadlock.

One connection, used by one thread at a time (the bus actor's), with
autocommit and explicit transactions. A connection lost before a write
commits is made again and the call retried (nothing of it was
committed); a connection lost *during* the commit is an
:class:`~actors.eventbus.EventBusStoreError`, since the write may or may
not have happened. The password never appears in reprs or errors.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

import psycopg

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

# The PostgreSQL plumbing (URLs, masked passwords, the versioned schema) is
# the event store's, which owns the schema both live in.
from actors.eventstore.postgres import installed_version, parse_postgres_url, quote_schema

__all__ = ["MIN_SCHEMA_VERSION", "PostgresBackend"]

T = TypeVar("T")

MIN_SCHEMA_VERSION: Final = 2
"""The schema version that has the EventBus's tables."""


def _id_parts(event_id: EventId) -> tuple[str, bool]:
    return str(event_id), type(event_id) is int


def _id_of(text: str, is_int: bool) -> EventId:
    return int(text) if is_int else text


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class PostgresBackend:
    """The EventBus's tables in a PostgreSQL schema (see the module docstring).

    Args:
        url: ``postgresql://user:password@host/db?schema=NAME``.
        reconnect_timeout: seconds a call keeps trying to reconnect after a
            lost connection before it raises.
        connect_timeout: seconds to wait for one connection.

    Raises:
        EventBusStoreError: the server cannot be reached, or the schema has
            no EventBus tables (run ``actors store init URL`` or ``migrate``).
    """

    shared = True

    def __init__(
        self,
        url: str | os.PathLike[str],
        *,
        reconnect_timeout: float = 10.0,
        connect_timeout: float = 5.0,
    ) -> None:
        target = parse_postgres_url(url)
        self._target = target
        self.description = target.masked
        self.schema = target.schema
        self._reconnect_timeout = reconnect_timeout
        self._connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._closed = False
        s = quote_schema(target.schema)
        self._t, self._e, self._d = (
            f"{s}.eventbus_topics",
            f"{s}.eventbus_events",
            f"{s}.eventbus_deliveries",
        )
        self._conn: psycopg.Connection[Any] | None = None
        try:
            conn = self._connect()
        except psycopg.Error as exc:
            raise self._error("open", exc) from None
        try:
            version = installed_version(conn, self.schema)
        except psycopg.Error as exc:
            conn.close()
            raise self._error("open", exc) from None
        if version is None or version < MIN_SCHEMA_VERSION:
            conn.close()
            action = "init" if version is None else "migrate"
            msg = (
                f"the EventBus needs schema {self.schema!r} of {self.description} at version "
                f"{MIN_SCHEMA_VERSION} or later (it is at {version}): run `actors store "
                f"{action} URL`"
            )
            raise EventBusStoreError(msg, path=self.description)
        self._conn = conn

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<eventbus PostgresBackend {self.description!r}{state}>"

    # Plumbing ---------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        info = psycopg.conninfo.conninfo_to_dict(self._target.conninfo)
        kwargs: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in info:
            kwargs["connect_timeout"] = str(max(1, round(self._connect_timeout)))
        if "application_name" not in info:
            kwargs["application_name"] = "actors-eventbus"
        return psycopg.connect(self._target.conninfo, **kwargs)

    def _error(self, what: str, exc: BaseException) -> EventBusStoreError:
        text = self._target.scrub(_first_line(exc))
        msg = f"cannot {what} in EventBus store {self.description}: {text}"
        return EventBusStoreError(msg, path=self.description)

    def _run(self, what: str, body: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``body(conn)``; on a connection lost before anything committed,
        again on a new connection (with backoff, up to ``reconnect_timeout``)."""
        deadline: float | None = None
        delay = 0.0
        with self._lock:
            while True:
                if self._closed:
                    msg = f"EventBus store {self.description} is closed"
                    raise EventBusStoreError(msg, path=self.description)
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = self._connect()
                    return body(self._conn)
                except _CommitUnknown as unknown:
                    self._drop()
                    msg = (
                        f"cannot {what} in EventBus store {self.description}: the connection "
                        f"was lost while committing, so it may or may not have been written "
                        f"({self._target.scrub(unknown.reason)})"
                    )
                    raise EventBusStoreError(msg, path=self.description) from None
                except psycopg.OperationalError as exc:
                    self._drop()
                    now = time.monotonic()
                    if deadline is None:
                        deadline = now + self._reconnect_timeout
                    if now >= deadline:
                        raise self._error(what, exc) from None
                    time.sleep(min(delay, deadline - now))
                    delay = min(max(delay * 2, 0.05), 1.0)
                except psycopg.Error as exc:
                    raise self._error(what, exc) from None

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except psycopg.Error:
                pass

    def _write(self, what: str, body: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``body`` in one transaction; a lost connection at the commit is
        :class:`_CommitUnknown` (never retried)."""

        def run(conn: psycopg.Connection[Any]) -> T:
            committing = False
            try:
                with conn.transaction():
                    result = body(conn)
                    committing = True  # the block's exit sends COMMIT
            except psycopg.OperationalError as exc:
                if committing:
                    raise _CommitUnknown(_first_line(exc)) from None
                raise
            return result

        return self._run(what, run)

    # Topics -----------------------------------------------------------------------------

    def topics(self) -> list[str]:
        rows = self._run(
            "read topics",
            lambda c: c.execute(f"SELECT topic FROM {self._t} ORDER BY seq").fetchall(),
        )
        return [str(row[0]) for row in rows]

    def add_topic(self, topic: str, registered_at: float) -> bool:
        def body(conn: psycopg.Connection[Any]) -> bool:
            row = conn.execute(
                f"INSERT INTO {self._t} (topic, registered_at) VALUES (%s, %s) "
                "ON CONFLICT (topic) DO NOTHING RETURNING 1",
                (topic, registered_at),
            ).fetchone()
            return row is not None

        return self._write(f"register topic {topic!r}", body)

    def remove_topic(self, topic: str) -> int:
        def body(conn: psycopg.Connection[Any]) -> int:
            conn.execute(f"DELETE FROM {self._t} WHERE topic = %s", (topic,))
            conn.execute(
                f"DELETE FROM {self._d} WHERE event_seq IN "
                f"(SELECT seq FROM {self._e} WHERE topic = %s)",
                (topic,),
            )
            return conn.execute(f"DELETE FROM {self._e} WHERE topic = %s", (topic,)).rowcount

        return self._write(f"unregister topic {topic!r}", body)

    # Events and marks -------------------------------------------------------------------

    def write(
        self, events: Sequence[NewEvent], marks: Sequence[Mark]
    ) -> tuple[list[StoreOutcome], list[MarkOutcome]]:
        if not events and not marks:
            return [], []
        for item in events:
            if not item.subscribers:
                msg = (
                    f"an event is stored with at least one subscriber; "
                    f"{item.event.shadow!r} has none"
                )
                raise ValueError(msg)
        bodies = [to_json(item.event) for item in events]

        def body(conn: psycopg.Connection[Any]) -> tuple[list[StoreOutcome], list[MarkOutcome]]:
            known = self._lock_topics(conn, sorted({item.event.topic for item in events}))
            stored = [
                self._store(conn, item, text, known)
                for item, text in zip(events, bodies, strict=True)
            ]
            marked = [self._mark(conn, mark) for mark in marks]
            return stored, marked

        return self._write(f"write {len(events)} events and {len(marks)} marks", body)

    def _lock_topics(self, conn: psycopg.Connection[Any], topics: list[str]) -> set[str]:
        if not topics:
            return set()
        rows = conn.execute(
            f"SELECT topic FROM {self._t} WHERE topic = ANY(%s) ORDER BY topic FOR SHARE",
            (topics,),
        ).fetchall()
        return {str(row[0]) for row in rows}

    def _store(
        self, conn: psycopg.Connection[Any], item: NewEvent, body: str, known: set[str]
    ) -> StoreOutcome:
        event = item.event
        if event.topic not in known:
            return "unknown_topic"
        text, is_int = _id_parts(event.id)
        row = conn.execute(
            f"INSERT INTO {self._e} (topic, event_id, id_is_int, body, stored_at, pending) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (topic, event_id, id_is_int) "
            "DO NOTHING RETURNING seq",
            (event.topic, text, is_int, body, item.stored_at, len(item.subscribers)),
        ).fetchone()
        if row is None:
            return "duplicate"
        conn.execute(
            f"INSERT INTO {self._d} (event_seq, position, subscriber) "
            "SELECT %s, p, s FROM unnest(%s::integer[], %s::text[]) AS r(p, s)",
            (row[0], list(range(len(item.subscribers))), list(item.subscribers)),
        )
        return "stored"

    def _mark(self, conn: psycopg.Connection[Any], mark: Mark) -> MarkOutcome:
        text, is_int = _id_parts(mark.id)
        row = conn.execute(
            f"SELECT seq, pending FROM {self._e} WHERE topic = %s AND event_id = %s "
            "AND id_is_int = %s FOR UPDATE",
            (mark.topic, text, is_int),
        ).fetchone()
        if row is None:
            return "unknown_event"
        seq, pending = row
        updated = conn.execute(
            f"UPDATE {self._d} SET status = %s WHERE event_seq = %s AND subscriber = %s "
            "AND status IS NULL",
            (mark.status, seq, mark.subscriber),
        ).rowcount
        if updated != 1:
            found = conn.execute(
                f"SELECT 1 FROM {self._d} WHERE event_seq = %s AND subscriber = %s",
                (seq, mark.subscriber),
            ).fetchone()
            return "duplicate" if found is not None else "not_subscriber"
        if pending <= 1:
            conn.execute(f"DELETE FROM {self._d} WHERE event_seq = %s", (seq,))
            conn.execute(f"DELETE FROM {self._e} WHERE seq = %s", (seq,))
            return "finished"
        conn.execute(f"UPDATE {self._e} SET pending = pending - 1 WHERE seq = %s", (seq,))
        return "applied"

    def fetch(self, topic: str, event_id: EventId) -> Event | None:
        text, is_int = _id_parts(event_id)
        row = self._run(
            f"fetch event {event_id!r} of {topic!r}",
            lambda c: c.execute(
                f"SELECT body FROM {self._e} WHERE topic = %s AND event_id = %s AND id_is_int = %s",
                (topic, text, is_int),
            ).fetchone(),
        )
        if row is None:
            return None
        try:
            return from_json(row[0])
        except EventFormatError as exc:
            msg = f"event {event_id!r} of {topic!r} in {self.description} cannot be read: {exc}"
            raise EventBusStoreError(msg, path=self.description) from None

    # Watchers ---------------------------------------------------------------------------

    def watchers(self, topic: str) -> list[WatcherRecord]:
        rows = self._run(
            f"read the watchers of {topic!r}",
            lambda c: c.execute(
                "SELECT e.seq, e.event_id, e.id_is_int, e.stored_at, d.subscriber, d.status "
                f"FROM {self._e} e JOIN {self._d} d ON d.event_seq = e.seq "
                "WHERE e.topic = %s ORDER BY e.seq, d.position",
                (topic,),
            ).fetchall(),
        )
        out: list[WatcherRecord] = []
        for (_, text, is_int, stored_at), group in itertools.groupby(rows, key=lambda r: r[:4]):
            members = [(r[4], r[5]) for r in group]
            out.append(
                WatcherRecord(
                    topic=topic,
                    id=_id_of(text, is_int),
                    subscribers=tuple(key for key, _ in members),
                    completers=tuple(key for key, status in members if status == "completed"),
                    skippers=tuple(key for key, status in members if status == "skipped"),
                    stored_at=float(stored_at),
                )
            )
        return out

    def pending(self) -> list[PendingDelivery]:
        rows = self._run(
            "read the pending deliveries",
            lambda c: c.execute(
                "SELECT e.topic, e.event_id, e.id_is_int, d.subscriber, e.stored_at "
                f"FROM {self._d} d JOIN {self._e} e ON e.seq = d.event_seq "
                "WHERE d.status IS NULL ORDER BY e.seq, d.position"
            ).fetchall(),
        )
        return [PendingDelivery(str(t), _id_of(i, n), str(s), float(at)) for t, i, n, s, at in rows]

    def stored(self) -> list[StoredEvent]:
        rows = self._run(
            "read the stored events",
            lambda c: c.execute(
                f"SELECT topic, event_id, id_is_int, stored_at FROM {self._e} ORDER BY seq"
            ).fetchall(),
        )
        return [StoredEvent(str(t), _id_of(i, n), float(at)) for t, i, n, at in rows]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop()


class _CommitUnknown(Exception):
    """The connection was lost while committing: the outcome is unknown."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
