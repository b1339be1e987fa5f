"""Reading an audit log: filtered queries and summaries (from Python and the CLI).

Entries come back in log order, oldest first: the order of ``seq``, which is
the order the auditor received and committed them (timestamps come from the
threads where events happened and may interleave by a millisecond). Time
filters are half-open, ``since <= timestamp < until``, and take timezone-
aware datetimes.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import attrs

import supervision  # noqa: F401 - registers the supervisors' lifecycle event types
from actors import ProcessLifecycle
from actors.audit._db import close_quietly, describe, open_database
from actors.audit._errors import AuditStoreError
from actors.audit._records import AuditEvent
from actors.audit._rows import (
    AUDIT_COLUMNS,
    LIFECYCLE_COLUMNS,
    audit_from_row,
    from_ms,
    lifecycle_from_row,
    to_ms,
)
from actors.audit._schema import SCHEMA_VERSION, migrate, read_version
from actors.lowlevel import lifecycle_event_types

__all__ = [
    "MIN_READABLE_VERSION",
    "AuditLog",
    "AuditRun",
    "LoggedEvent",
    "Uptime",
    "known_event_types",
]


def known_event_types() -> frozenset[str]:
    """Every lifecycle event type this installation can record: the core's,
    the supervisors' and those of any layer imported so far (the cluster's)."""
    return lifecycle_event_types()


MIN_READABLE_VERSION: Final = 3
"""The oldest schema read as it is (read-only); older files must be upgraded."""

_ENDINGS: Final = ("stopped", "crashed", "shutdown")
_RESTART_KEYS: Final = {
    "name": "coalesce(name, child_id, component)",
    "child_id": "coalesce(child_id, name, component)",
    "component": "component",
}


@attrs.frozen(kw_only=True)
class Uptime:
    """How long the latest incarnation of a named actor has been (or was) up.

    An *incarnation* starts with a ``started`` event for the name and ends
    with the next ``stopped``, ``crashed`` or ``shutdown`` event for it.

    Attributes:
        name: the registered name asked about.
        incarnations: ``started`` events for the name in the whole log.
        restarts: ``restarted`` events for the name (supervisor restarts).
        started_at: when the latest incarnation started.
        ended_at: when it ended, or ``None`` if the log shows it still up.
        end_event: ``"stopped"``, ``"crashed"`` or ``"shutdown"``;
            ``"run_closed"`` when the run that started it closed the log
            without recording its stop; or ``None``.
        end_reason: the reason of that event, if any.
        as_of: the moment :attr:`up_for` is measured to: :attr:`ended_at` if
            it ended; else the ``now`` given to :meth:`AuditLog.uptime`; else
            the newest timestamp its run wrote (what the log can vouch for:
            an actor whose system died unannounced is not credited with time
            the log never saw, nor with later runs' time).
        up_for: ``as_of - started_at`` (never negative).
    """

    name: str
    incarnations: int
    restarts: int
    started_at: datetime
    ended_at: datetime | None
    end_event: str | None
    end_reason: str | None
    as_of: datetime
    up_for: timedelta

    @property
    def running(self) -> bool:
        """Whether the log shows the latest incarnation still up."""
        return self.ended_at is None


@attrs.frozen(kw_only=True)
class AuditRun:
    """One run that wrote the log: an actor system's auditor, from when it
    opened the file to when it closed it.

    Attributes:
        run_id: the id every entry of the run carries.
        node: the node name of the actor system.
        host, pid: where it ran.
        opened_at: when its auditor opened the log.
        first_seq: the first ``seq`` it could have written.
        closed_at: when its auditor closed the log (it shut down cleanly),
            or ``None``: still running, or it died without closing (killed).
        closed_seq: the last ``seq`` written before it closed.
        entries: lifecycle and audit entries it wrote.
    """

    run_id: str
    node: str
    host: str
    pid: int | None
    opened_at: datetime
    first_seq: int
    closed_at: datetime | None
    closed_seq: int | None
    entries: int


@attrs.frozen
class LoggedEvent:
    """A lifecycle event as the log holds it: its ``seq`` and ``run_id``
    (``None`` for entries written before runs were recorded)."""

    seq: int
    run_id: str | None
    event: ProcessLifecycle


class _Where:
    """WHERE clauses and their parameters, built one filter at a time."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    def equal(self, column: str, value: str | None) -> None:
        if value is not None:
            self.add(f"{column} = ?", _text(column, value))

    def times(self, since: datetime | None, until: datetime | None) -> None:
        if since is not None:
            self.add("ts_ms >= ?", to_ms(_aware("since", since)))
        if until is not None:
            self.add("ts_ms < ?", to_ms(_aware("until", until)))

    def types(self, event_type: str | Collection[str] | None) -> None:
        types = _event_types(event_type)
        if types is not None:
            self.add(f"event_type IN ({', '.join('?' * len(types))})", *types)

    def sql(self) -> str:
        return (" WHERE " + " AND ".join(self.clauses)) if self.clauses else ""


class AuditLog:
    """A read handle on an audit file.

    Open it with :meth:`open`, use it from the thread that opened it, and
    close it (or use it as a context manager)::

        with AuditLog.open("actors-audit.db") as log:
            for event in log.query(event_type="crashed", limit=20, latest=True):
                print(event.timestamp, event.name, event.reason)
            print(log.restart_counts(), log.crash_reasons(5))

    Reading never blocks the auditor (WAL): a query sees the batches
    committed when it started.

    Filters shared by the queries and summaries (all optional, combined with
    AND): ``since``/``until`` (``since <= timestamp < until``, aware
    datetimes), ``event_type`` (one or several), ``component``, ``name``,
    ``supervisor``, ``child_id`` (exact matches), ``actor`` (the registered
    name *or* the child id, as the ``actors audit`` table shows it),
    ``supervised_by`` (children of the supervisor with that registered name
    or child id), ``run_id`` (one run; see :meth:`runs`).
    """

    def __init__(self, conn: sqlite3.Connection, path: str, schema_version: int) -> None:
        """Use :meth:`open`."""
        self._conn: sqlite3.Connection | None = conn
        self.path = path
        self.schema_version = schema_version
        self._has_runs = schema_version >= 4
        # What a failed read raises, and how its message is told (the
        # PostgreSQL reader adds psycopg's errors and masks the password).
        self._errors: tuple[type[Exception], ...] = (sqlite3.Error,)
        self._describe: Any = describe

    @classmethod
    def open(
        cls, path: str | os.PathLike[str], *, readonly: bool = True, busy_timeout: float = 5.0
    ) -> AuditLog:
        """Open the audit log at ``path``.

        Args:
            readonly: open the file read-only (the default): it is never
                created or modified (no ``-wal``/``-shm`` files appear beside
                it), works on read-only media, and reads files of schema
                version 3 as they are; older ones are refused with a hint.
                ``False`` upgrades an older file in place first.
            busy_timeout: seconds to wait for a lock.

        Raises:
            AuditStoreError: no such file, not SQLite, not an audit log, or a
                schema this code cannot read.
        """
        target = os.fspath(path)
        if target.startswith(("postgresql://", "postgres://")):
            return cls._open_postgres(target, busy_timeout)
        conn = open_database(target, readonly=readonly, busy_timeout=busy_timeout)
        try:
            if readonly:
                version = read_version(conn, target)
                if not MIN_READABLE_VERSION <= version <= SCHEMA_VERSION:
                    raise _wrong_version(target, version)
            else:
                migrate(conn, target)
                version = SCHEMA_VERSION
        except sqlite3.Error as exc:
            close_quietly(conn)
            msg = f"cannot read audit log {target!r}: {describe(exc)}"
            raise AuditStoreError(msg, path=target, sqlite_error=exc) from None
        except BaseException:
            close_quietly(conn)
            raise
        return cls(conn, target, version)

    @classmethod
    def _open_postgres(cls, url: str, timeout: float) -> AuditLog:
        """The audit log in a PostgreSQL store schema (``actors store init``
        makes it; reading never changes it). Its tables are those of this
        code's SQLite schema version."""
        try:
            from actors.audit._pg_store import PgReader
        except ImportError as exc:
            msg = (
                f"reading an audit log on PostgreSQL needs psycopg ({exc.name} is missing): "
                "pip install 'actors-otp[postgres]'"
            )
            raise AuditStoreError(msg) from None
        reader = PgReader(url, timeout=timeout)
        log = cls(reader, reader.path, SCHEMA_VERSION)  # type: ignore[arg-type]
        import psycopg

        log._errors = (sqlite3.Error, psycopg.Error)
        log._describe = reader.describe
        return log

    def close(self) -> None:
        """Close the handle; idempotent."""
        conn, self._conn = self._conn, None
        if conn is not None and not isinstance(conn, sqlite3.Connection):
            conn.close()  # a PostgreSQL reader
            return
        close_quietly(conn)

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "" if self._conn is not None else " closed"
        return f"<AuditLog {self.path!r}{state}>"

    # Lifecycle events ------------------------------------------------------------

    def query(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        event_type: str | Collection[str] | None = None,
        component: str | None = None,
        name: str | None = None,
        supervisor: str | None = None,
        limit: int | None = None,
        *,
        child_id: str | None = None,
        actor: str | None = None,
        supervised_by: str | None = None,
        run_id: str | None = None,
        after_seq: int | None = None,
        latest: bool = False,
    ) -> list[ProcessLifecycle]:
        """Lifecycle events matching every filter given (see the class), oldest first.

        Args:
            limit: at most this many events: the oldest ones, or with
                ``latest=True`` the newest ones (still returned oldest first).
            after_seq: only entries with ``seq > after_seq``.

        Raises:
            ValueError: an unknown event type, a naive datetime, a bad limit.
        """
        return [
            logged.event
            for logged in self.logged(
                since=since,
                until=until,
                event_type=event_type,
                component=component,
                name=name,
                supervisor=supervisor,
                child_id=child_id,
                actor=actor,
                supervised_by=supervised_by,
                run_id=run_id,
                after_seq=after_seq,
                limit=limit,
                latest=latest,
            )
        ]

    def entries(self, **filters: Any) -> list[tuple[int, ProcessLifecycle]]:
        """Like :meth:`query` (keyword arguments only), with each event's
        ``seq``: ``[(seq, event), ...]``."""
        return [(logged.seq, logged.event) for logged in self.logged(**filters)]

    def logged(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        event_type: str | Collection[str] | None = None,
        component: str | None = None,
        name: str | None = None,
        supervisor: str | None = None,
        child_id: str | None = None,
        actor: str | None = None,
        supervised_by: str | None = None,
        run_id: str | None = None,
        after_seq: int | None = None,
        limit: int | None = None,
        latest: bool = False,
    ) -> list[LoggedEvent]:
        """Like :meth:`query`, each event with its ``seq`` and ``run_id``."""
        where = self._lifecycle_where(
            since=since,
            until=until,
            event_type=event_type,
            component=component,
            name=name,
            supervisor=supervisor,
            child_id=child_id,
            actor=actor,
            supervised_by=supervised_by,
            run_id=run_id,
        )
        if after_seq is not None:
            where.add("seq > ?", _count("after_seq", after_seq, minimum=0))
        run_column = "run_id" if self._has_runs else "NULL"
        sql = (
            f"SELECT {', '.join(LIFECYCLE_COLUMNS)}, {run_column} "
            f"FROM lifecycle_events{where.sql()}"
        )
        rows = self._select_ordered(sql, where.params, limit, latest)
        found = []
        for row in rows:
            seq, event = lifecycle_from_row(row[:-1])
            found.append(LoggedEvent(seq, row[-1], event))
        return found

    # Generic audit events --------------------------------------------------------

    def audit_events(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        tag: str | None = None,
        kind: str | None = None,
        topic: str | None = None,
        limit: int | None = None,
        *,
        run_id: str | None = None,
        after_seq: int | None = None,
        latest: bool = False,
    ) -> list[AuditEvent]:
        """Generic audit events matching every filter given, oldest first,
        with their ``seq`` set. Filters as in :meth:`query`."""
        where = _Where()
        where.times(since, until)
        where.equal("tag", tag)
        where.equal("kind", kind)
        where.equal("topic", topic)
        self._run_filter(where, run_id)
        if after_seq is not None:
            where.add("seq > ?", _count("after_seq", after_seq, minimum=0))
        sql = f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_events{where.sql()}"
        rows = self._select_ordered(sql, where.params, limit, latest)
        return [audit_from_row(row) for row in rows]

    # Runs --------------------------------------------------------------------------

    def runs(self) -> list[AuditRun]:
        """Every run recorded in the log, oldest first (none in a file of
        schema version 3, written before runs were recorded)."""
        if not self._has_runs:
            return []
        rows = self._fetchall(
            "SELECT r.run_id, r.node, r.host, r.pid, r.opened_ms, r.first_seq, r.closed_ms, "
            "r.closed_seq, "
            "(SELECT count(*) FROM lifecycle_events l WHERE l.run_id = r.run_id) + "
            "(SELECT count(*) FROM audit_events a WHERE a.run_id = r.run_id) "
            "FROM audit_runs r ORDER BY r.first_seq, r.opened_ms"
        )
        return [
            AuditRun(
                run_id=str(run_id),
                node=str(node),
                host=str(host),
                pid=pid,
                opened_at=from_ms(opened),
                first_seq=int(first),
                closed_at=None if closed is None else from_ms(closed),
                closed_seq=closed_seq,
                entries=int(entries),
            )
            for run_id, node, host, pid, opened, first, closed, closed_seq, entries in rows
        ]

    def run(self, run_id: str) -> AuditRun | None:
        """The run called ``run_id``, or ``None``."""
        for found in self.runs():
            if found.run_id == run_id:
                return found
        return None

    # Summaries ---------------------------------------------------------------------

    def last_seq(self) -> int:
        """The highest committed ``seq`` over both kinds of entry (0 if empty)."""
        row = self._fetchone("SELECT last_seq FROM audit_sequence WHERE id = 1")
        return int(row[0]) if row is not None else 0

    def event_counts(self, **filters: Any) -> dict[str, int]:
        """Number of lifecycle events per event type, most frequent first;
        takes the filters of :meth:`query` (keyword arguments)."""
        where = self._lifecycle_where(**filters)
        rows = self._fetchall(
            f"SELECT event_type, count(*) AS n FROM lifecycle_events{where.sql()} "
            "GROUP BY event_type ORDER BY n DESC, event_type",
            where.params,
        )
        return {str(kind): int(n) for kind, n in rows}

    def restart_counts(
        self,
        by: Literal["name", "child_id", "component"] = "name",
        **filters: Any,
    ) -> dict[str, int]:
        """Number of supervisor restarts (``restarted`` events) per actor, most first.

        Args:
            by: ``"name"`` keys by registered name, falling back to the child
                id and then the component for unnamed children;
                ``"child_id"`` by child id (then name, then component);
                ``"component"`` by class name.
            filters: those of :meth:`query` (``event_type`` excepted).
        """
        key = _RESTART_KEYS.get(by)
        if key is None:
            msg = f"restart_counts(by=...) must be one of {', '.join(_RESTART_KEYS)}, got {by!r}"
            raise ValueError(msg)
        where = self._lifecycle_where(**filters)
        where.add("event_type = ?", "restarted")
        rows = self._fetchall(
            f"SELECT {key} AS k, count(*) AS n FROM lifecycle_events{where.sql()} "
            "GROUP BY k ORDER BY n DESC, k",
            where.params,
        )
        return {str(k): int(n) for k, n in rows}

    def crash_reasons(self, limit: int = 10, **filters: Any) -> list[tuple[str, int]]:
        """The most frequent reasons of ``crashed`` events: ``[(reason, count)]``,
        most frequent first (ties by reason); takes the filters of :meth:`query`
        (``event_type`` excepted)."""
        where = self._lifecycle_where(**filters)
        where.add("event_type = ?", "crashed")
        rows = self._fetchall(
            f"SELECT coalesce(reason, '') AS r, count(*) AS n FROM lifecycle_events{where.sql()} "
            "GROUP BY r ORDER BY n DESC, r LIMIT ?",
            [*where.params, _count("limit", limit, minimum=1)],
        )
        return [(str(r), int(n)) for r, n in rows]

    def uptime(self, name: str, *, now: datetime | None = None) -> Uptime | None:
        """The latest incarnation of the actor registered as ``name``, or
        ``None`` if the log never saw it start. See :class:`Uptime`.

        An incarnation ends with its own ``stopped``, ``crashed`` or
        ``shutdown`` event, or else with the run that started it: a run whose
        auditor closed the log ended there (``end_event="run_closed"``), even
        if the stop itself came too late to be written (the root
        supervisor's own, for instance).

        Args:
            now: measure a still-running incarnation up to this moment
                (e.g. ``system.clock.now()``) instead of the newest timestamp
                its run wrote.
        """
        name = _text("name", name)
        run_column = "run_id" if self._has_runs else "NULL"
        start = self._fetchone(
            f"SELECT seq, ts_ms, {run_column} FROM lifecycle_events "
            "WHERE name = ? AND event_type = 'started' ORDER BY seq DESC LIMIT 1",
            [name],
        )
        if start is None:
            return None
        start_seq, start_ms, run_id = start
        counts = self._fetchone(
            # CASE, not sum(event_type = ...): the same SQL on SQLite and PostgreSQL.
            "SELECT sum(CASE WHEN event_type = 'started' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN event_type = 'restarted' THEN 1 ELSE 0 END) "
            "FROM lifecycle_events WHERE name = ?",
            [name],
        )
        assert counts is not None
        same_run = " AND run_id = ?" if run_id is not None else ""
        end = self._fetchone(
            "SELECT ts_ms, event_type, reason FROM lifecycle_events "
            f"WHERE name = ? AND seq > ? AND event_type IN ({', '.join('?' * len(_ENDINGS))})"
            f"{same_run} ORDER BY seq LIMIT 1",
            [name, start_seq, *_ENDINGS, *([run_id] if run_id is not None else [])],
        )
        started_at = from_ms(start_ms)
        ended_at: datetime | None = None
        end_event: str | None = None
        end_reason: str | None = None
        if end is not None:
            ended_at, end_event, end_reason = from_ms(end[0]), str(end[1]), end[2]
        elif run_id is not None:
            closed = self._fetchone("SELECT closed_ms FROM audit_runs WHERE run_id = ?", [run_id])
            if closed is not None and closed[0] is not None:
                ended_at = max(from_ms(closed[0]), started_at)
                end_event = "run_closed"
                end_reason = f"run {run_id} closed its audit log"
        if ended_at is not None:
            as_of = ended_at
        elif now is not None:
            as_of = _aware("now", now)
        else:
            as_of = self._newest_timestamp(start_ms, run_id)
        return Uptime(
            name=name,
            incarnations=int(counts[0] or 0),
            restarts=int(counts[1] or 0),
            started_at=started_at,
            ended_at=ended_at,
            end_event=end_event,
            end_reason=end_reason,
            as_of=as_of,
            up_for=max(timedelta(0), as_of - started_at),
        )

    # Plumbing ----------------------------------------------------------------------

    def _lifecycle_where(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        event_type: str | Collection[str] | None = None,
        component: str | None = None,
        name: str | None = None,
        supervisor: str | None = None,
        child_id: str | None = None,
        actor: str | None = None,
        supervised_by: str | None = None,
        run_id: str | None = None,
    ) -> _Where:
        where = _Where()
        where.times(since, until)
        where.types(event_type)
        where.equal("component", component)
        where.equal("name", name)
        where.equal("supervisor", supervisor)
        where.equal("child_id", child_id)
        if actor is not None:
            text = _text("actor", actor)
            where.add("(name = ? OR child_id = ?)", text, text)
        if supervised_by is not None:
            text = _text("supervised_by", supervised_by)
            # A supervisor is recorded by its registered name; the table shows
            # it by its child id in its own parent: accept either.
            where.add(
                "(supervisor = ? OR supervisor IN (SELECT name FROM lifecycle_events "
                "WHERE child_id = ? AND name IS NOT NULL))",
                text,
                text,
            )
        self._run_filter(where, run_id)
        return where

    def _run_filter(self, where: _Where, run_id: str | None) -> None:
        if run_id is None:
            return
        text = _text("run_id", run_id)
        if self._has_runs:
            where.add("run_id = ?", text)
        else:
            where.add("1 = 0")  # a file from before runs were recorded has none

    def _newest_timestamp(self, floor_ms: int, run_id: str | None = None) -> datetime:
        # An aggregate over a UNION, not the scalar max(a, b) of SQLite
        # (PostgreSQL's is greatest): the same SQL on both.
        if run_id is not None:
            row = self._fetchone(
                "SELECT max(t) FROM (SELECT max(ts_ms) AS t FROM lifecycle_events "
                "WHERE run_id = ? UNION ALL SELECT max(ts_ms) FROM audit_events WHERE run_id = ? "
                "UNION ALL SELECT ?) m",
                [run_id, run_id, floor_ms],
            )
        else:
            row = self._fetchone(
                "SELECT max(t) FROM (SELECT max(ts_ms) AS t FROM lifecycle_events "
                "UNION ALL SELECT max(ts_ms) FROM audit_events UNION ALL SELECT ?) m",
                [floor_ms],
            )
        return from_ms(int(row[0]) if row is not None and row[0] is not None else floor_ms)

    def _select_ordered(
        self, sql: str, params: list[Any], limit: int | None, latest: bool
    ) -> list[tuple[Any, ...]]:
        order = " ORDER BY seq DESC" if latest else " ORDER BY seq"
        if limit is not None:
            sql += order + " LIMIT ?"
            params = [*params, _count("limit", limit, minimum=0)]
        else:
            sql += order
        rows = self._fetchall(sql, params)
        if latest:
            rows.reverse()
        return rows

    def _connection(self) -> sqlite3.Connection:
        conn = self._conn
        if conn is None:
            msg = f"audit log {self.path!r} is closed"
            raise AuditStoreError(msg, path=self.path, kind="closed")
        return conn

    def _fetchall(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        try:
            rows: list[tuple[Any, ...]] = self._connection().execute(sql, params or []).fetchall()
        except self._errors as exc:
            raise self._read_error(exc) from None
        return rows

    def _fetchone(self, sql: str, params: list[Any] | None = None) -> tuple[Any, ...] | None:
        try:
            row: tuple[Any, ...] | None = self._connection().execute(sql, params or []).fetchone()
        except self._errors as exc:
            raise self._read_error(exc) from None
        return row

    def _read_error(self, exc: Exception) -> AuditStoreError:
        msg = f"cannot read audit log {self.path!r}: {self._describe(exc)}"
        sqlite_error = exc if isinstance(exc, sqlite3.Error) else None
        return AuditStoreError(msg, path=self.path, sqlite_error=sqlite_error)


def _wrong_version(path: str, version: int) -> AuditStoreError:
    if version == 0:
        msg = f"{path!r} is an empty SQLite database, not an audit log yet"
        kind = "foreign"
    elif version < MIN_READABLE_VERSION:
        msg = (
            f"audit log {path!r} has schema version {version} and this code reads "
            f"{MIN_READABLE_VERSION} to {SCHEMA_VERSION}; open it once for writing to "
            "upgrade it in place (AuditLog.open(path, readonly=False), or start an "
            "Auditor on it)"
        )
        kind = "older"
    else:
        msg = (
            f"audit log {path!r} has schema version {version}, newer than this code "
            f"understands ({SCHEMA_VERSION}); upgrade actors to read it"
        )
        kind = "newer"
    return AuditStoreError(msg, path=path, kind=kind)


def _event_types(event_type: str | Collection[str] | None) -> list[str] | None:
    if event_type is None:
        return None
    types = [event_type] if isinstance(event_type, str) else list(event_type)
    known = lifecycle_event_types()
    unknown = [t for t in types if t not in known]
    if unknown or not types:
        msg = f"event_type must be one or more of {', '.join(sorted(known))}, got {event_type!r}"
        raise ValueError(msg)
    return sorted(set(types))


def _aware(what: str, moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        msg = f"{what} must be a datetime, got {type(moment).__name__} {moment!r}"
        raise TypeError(msg)
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"{what} must be a timezone-aware datetime (e.g. with tzinfo=UTC), got {moment!r}"
        raise ValueError(msg)
    return moment


def _text(what: str, value: Any) -> str:
    if not isinstance(value, str):
        msg = f"{what} must be a str, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    return value


def _count(what: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        msg = f"{what} must be an int >= {minimum}, got {value!r}"
        raise ValueError(msg)
    return value
