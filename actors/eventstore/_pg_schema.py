"""The PostgreSQL event store's schema: versioned, explicit migrations.

A store lives in one PostgreSQL schema (default ``actors``). Its table
``schema_migrations`` lists the migrations applied (version, description,
when). Nothing creates or changes tables implicitly: ``actors store init
URL`` creates the schema and applies every migration, ``actors store
migrate URL`` applies the ones missing, ``actors store status URL`` says
where a schema stands. The backend refuses a schema that is missing, older
(run ``migrate``) or newer than this code (upgrade ``actors-otp``).

Migrations run in one transaction under an advisory lock on the schema's
name, so two ``init`` commands racing each other apply them once.

Version 1, the tables (text columns that are sorted or compared use the
``"C"`` collation: byte order, the same order as the SQLite store):

* ``es_meta``: one row, ``last_position`` and ``commit_seq``. Every append
  and delete locks this row (``SELECT ... FOR UPDATE``) before it assigns
  positions, and holds the lock until it commits: positions are assigned,
  and become visible, in commit order (see ``_postgres.py``).
* ``events``: ``position`` (primary key), ``stream``/``version`` (unique),
  ``event_id`` (unique), the JSON text and the codec's format flags,
  ``created`` in microseconds since the epoch.
* ``streams``: last version, state (0 live, 1 soft-deleted, 2
  hard-deleted), metadata, and ``changed_seq``/``changed_by``: the commit
  that last touched the stream and the store instance that made it (what
  a listener that lost notifications reads to catch up).
* ``groups``, ``inflight``, ``parked``, ``consumers``: persistent
  subscription state. An ``inflight`` row without an ``owner`` waits for a
  (re)delivery; ``pin`` is the hash of the source stream (for the
  ``pinned`` strategy across processes).
* ``instances``: every open backend (a store process or a tool) with a
  heartbeat in server time; consumers and claims name their instance, so
  a dead process's registrations stop counting.

Version 2, the EventBus's tables (``actors.eventbus`` on PostgreSQL):
``eventbus_topics`` (in registration order), ``eventbus_events`` (an
unprocessed event: its id as text with ``id_is_int``, so ``1`` and ``"1"``
stay two ids; its codec JSON; how many subscribers are still ``pending``)
and ``eventbus_deliveries`` (one row per subscriber of an event, its status
``NULL``, ``'completed'`` or ``'skipped'``).

Version 3, the audit log's tables (``actors.audit`` on PostgreSQL), the
same as the SQLite audit file's at its version 4: ``lifecycle_events`` and
``audit_events`` numbered by the one counter in ``audit_sequence`` (locked
by each batch until it commits, so ``seq`` is gap-free in commit order
across every process writing the log), and ``audit_runs``.
"""

from __future__ import annotations

from typing import Any, Final

import psycopg

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SchemaStatus",
    "apply_migrations",
    "installed_version",
    "quote_schema",
    "schema_status",
]

_V1: Final = """
CREATE TABLE {s}.es_meta (
    id integer PRIMARY KEY CHECK (id = 1),
    last_position bigint NOT NULL,
    commit_seq bigint NOT NULL
);
INSERT INTO {s}.es_meta (id, last_position, commit_seq) VALUES (1, -1, 0);
CREATE TABLE {s}.events (
    position bigint PRIMARY KEY,
    stream text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    event_id text COLLATE "C" NOT NULL,
    type text COLLATE "C" NOT NULL,
    data text NOT NULL,
    metadata text,
    format integer NOT NULL,
    created bigint NOT NULL
);
CREATE UNIQUE INDEX events_by_stream ON {s}.events (stream, version);
CREATE UNIQUE INDEX events_by_id ON {s}.events (event_id);
CREATE TABLE {s}.streams (
    stream text COLLATE "C" PRIMARY KEY,
    last_version bigint NOT NULL,
    state smallint NOT NULL DEFAULT 0,
    truncate_before bigint NOT NULL DEFAULT 0,
    max_count bigint,
    max_age double precision,
    custom text,
    changed_seq bigint NOT NULL DEFAULT 0,
    changed_by text
);
CREATE INDEX streams_by_change ON {s}.streams (changed_seq);
CREATE TABLE {s}.groups (
    stream text COLLATE "C" NOT NULL,
    grp text COLLATE "C" NOT NULL,
    settings text NOT NULL,
    next_key bigint NOT NULL,
    checkpoint bigint NOT NULL,
    created bigint NOT NULL,
    PRIMARY KEY (stream, grp)
);
CREATE TABLE {s}.inflight (
    stream text COLLATE "C" NOT NULL,
    grp text COLLATE "C" NOT NULL,
    key bigint NOT NULL,
    position bigint NOT NULL,
    owner text,
    instance text,
    deadline double precision,
    retry_count integer NOT NULL,
    pin bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (stream, grp, key)
);
CREATE INDEX inflight_by_instance ON {s}.inflight (instance);
CREATE TABLE {s}.parked (
    stream text COLLATE "C" NOT NULL,
    grp text COLLATE "C" NOT NULL,
    key bigint NOT NULL,
    position bigint NOT NULL,
    reason text NOT NULL,
    retry_count integer NOT NULL,
    parked_at bigint NOT NULL,
    PRIMARY KEY (stream, grp, key)
);
CREATE TABLE {s}.consumers (
    stream text COLLATE "C" NOT NULL,
    grp text COLLATE "C" NOT NULL,
    consumer text COLLATE "C" NOT NULL,
    instance text NOT NULL,
    connected bigint NOT NULL,
    PRIMARY KEY (stream, grp, consumer)
);
CREATE TABLE {s}.instances (
    instance text COLLATE "C" PRIMARY KEY,
    host text NOT NULL,
    pid integer NOT NULL,
    role text NOT NULL,
    started timestamptz NOT NULL DEFAULT now(),
    heartbeat timestamptz NOT NULL DEFAULT now()
);
"""

_V2: Final = """
CREATE TABLE {s}.eventbus_topics (
    topic text COLLATE "C" PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    registered_at double precision NOT NULL
);
CREATE TABLE {s}.eventbus_events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic text COLLATE "C" NOT NULL,
    event_id text COLLATE "C" NOT NULL,
    id_is_int boolean NOT NULL,
    body text NOT NULL,
    stored_at double precision NOT NULL,
    pending integer NOT NULL CHECK (pending > 0),
    UNIQUE (topic, event_id, id_is_int)
);
CREATE TABLE {s}.eventbus_deliveries (
    event_seq bigint NOT NULL,
    position integer NOT NULL,
    subscriber text COLLATE "C" NOT NULL,
    status text CHECK (status IN ('completed', 'skipped')),
    PRIMARY KEY (event_seq, subscriber)
);
"""

_V3: Final = """
CREATE TABLE {s}.audit_sequence (
    id integer PRIMARY KEY CHECK (id = 1),
    last_seq bigint NOT NULL
);
INSERT INTO {s}.audit_sequence (id, last_seq) VALUES (1, 0);
CREATE TABLE {s}.lifecycle_events (
    seq bigint PRIMARY KEY,
    ts_ms bigint NOT NULL,
    event_type text COLLATE "C" NOT NULL,
    component text COLLATE "C" NOT NULL,
    actor_id text COLLATE "C" NOT NULL,
    name text COLLATE "C",
    node text COLLATE "C" NOT NULL DEFAULT '',
    reason text COLLATE "C",
    exception_type text COLLATE "C",
    traceback text,
    supervisor text COLLATE "C",
    child_id text COLLATE "C",
    restart_count integer NOT NULL DEFAULT 0,
    run_id text COLLATE "C"
);
CREATE INDEX lifecycle_events_ts ON {s}.lifecycle_events (ts_ms);
CREATE INDEX lifecycle_events_name ON {s}.lifecycle_events (name);
CREATE INDEX lifecycle_events_type ON {s}.lifecycle_events (event_type, ts_ms);
CREATE INDEX lifecycle_events_run ON {s}.lifecycle_events (run_id, seq);
CREATE INDEX lifecycle_events_child ON {s}.lifecycle_events (child_id);
CREATE TABLE {s}.audit_events (
    seq bigint PRIMARY KEY,
    ts_ms bigint NOT NULL,
    tag text COLLATE "C" NOT NULL,
    kind text COLLATE "C" NOT NULL,
    topic text COLLATE "C",
    payload text NOT NULL,
    run_id text COLLATE "C"
);
CREATE INDEX audit_events_ts ON {s}.audit_events (ts_ms);
CREATE INDEX audit_events_tag ON {s}.audit_events (tag, ts_ms);
CREATE INDEX audit_events_run ON {s}.audit_events (run_id, seq);
CREATE TABLE {s}.audit_runs (
    run_id text COLLATE "C" PRIMARY KEY,
    node text NOT NULL DEFAULT '',
    host text NOT NULL DEFAULT '',
    pid integer,
    opened_ms bigint NOT NULL,
    first_seq bigint NOT NULL,
    closed_ms bigint,
    closed_seq bigint
)
"""

MIGRATIONS: Final[tuple[tuple[int, str, str], ...]] = (
    (1, "event store: streams, $all, persistent subscription groups, instances", _V1),
    (2, "EventBus: topics, unprocessed events and their watchers", _V2),
    (3, "audit log: lifecycle and audit events numbered by one sequence, runs", _V3),
)
"""``(version, description, SQL)`` in order; ``{s}`` is the quoted schema."""

SCHEMA_VERSION: Final = MIGRATIONS[-1][0]
"""The schema version this code reads and writes."""


def quote_schema(schema: str) -> str:
    """The schema as an SQL identifier (names are checked by the URL parser)."""
    return '"' + schema.replace('"', '""') + '"'


def installed_version(conn: psycopg.Connection[Any], schema: str) -> int | None:
    """The schema's version: ``None`` if it has no migrations table, ``0``
    if the table is empty."""
    row = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f"{quote_schema(schema)}.schema_migrations",)
    ).fetchone()
    if row is None or not row[0]:
        return None
    found = conn.execute(
        f"SELECT coalesce(max(version), 0) FROM {quote_schema(schema)}.schema_migrations"
    ).fetchone()
    return int(found[0]) if found is not None else 0


def apply_migrations(
    conn: psycopg.Connection[Any], schema: str, *, create: bool
) -> tuple[int | None, list[int]]:
    """Apply the missing migrations in one transaction.

    Args:
        conn: an autocommit connection.
        create: create the schema and the migrations table if missing
            (``init``); without it a missing schema is an error (``migrate``).

    Returns:
        The version before (``None``: not initialised) and the versions applied.

    Raises:
        LookupError: not initialised and ``create`` is false.
        RuntimeError: the schema is newer than this code, or exists and
            holds tables that are not an event store's.
    """
    s = quote_schema(schema)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"actors-store:{schema}",))
        before = installed_version(conn, schema)
        if before is None:
            if not create:
                msg = f"schema {schema!r} is not initialised"
                raise LookupError(msg)
            others = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchone()
            if others is not None and others[0]:
                msg = f"schema {schema!r} exists and holds tables that are not an event store's"
                raise RuntimeError(msg)
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
            conn.execute(
                f"CREATE TABLE {s}.schema_migrations (version integer PRIMARY KEY, "
                "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
        current = before or 0
        if current > SCHEMA_VERSION:
            msg = (
                f"schema {schema!r} has version {current}, newer than this code's "
                f"{SCHEMA_VERSION}: upgrade actors-otp"
            )
            raise RuntimeError(msg)
        applied = []
        for version, description, sql in MIGRATIONS:
            if version <= current:
                continue
            for statement in sql.format(s=s).split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                f"INSERT INTO {s}.schema_migrations (version, description) VALUES (%s, %s)",
                (version, description),
            )
            applied.append(version)
    return before, applied


class SchemaStatus(dict[str, Any]):
    """What ``actors store status`` prints (a dict, JSON-ready)."""


def schema_status(
    conn: psycopg.Connection[Any], schema: str, instance_timeout: float
) -> SchemaStatus:
    """Version, migrations, sizes and live instances of a store schema."""
    s = quote_schema(schema)
    version = installed_version(conn, schema)
    status = SchemaStatus(schema=schema, version=version, code_version=SCHEMA_VERSION)
    if version is None:
        status["state"] = "not initialised"
        return status
    status["state"] = (
        "up to date"
        if version == SCHEMA_VERSION
        else ("needs migrate" if version < SCHEMA_VERSION else "newer than this code")
    )
    status["migrations"] = [
        {"version": v, "description": d, "applied_at": a.isoformat()}
        for v, d, a in conn.execute(
            f"SELECT version, description, applied_at FROM {s}.schema_migrations ORDER BY version"
        )
    ]
    if version < 1 or version > SCHEMA_VERSION:
        return status
    row = conn.execute(
        f"SELECT m.last_position, m.commit_seq, (SELECT count(*) FROM {s}.events), "
        f"(SELECT count(*) FROM {s}.streams), (SELECT count(*) FROM {s}.groups) "
        f"FROM {s}.es_meta m"
    ).fetchone()
    assert row is not None
    status.update(
        last_position=row[0], commits=row[1], events=row[2], streams=row[3], groups=row[4]
    )
    status["instances"] = [
        {"instance": i, "role": r, "host": h, "pid": p, "started": st.isoformat()}
        for i, r, h, p, st in conn.execute(
            f"SELECT instance, role, host, pid, started FROM {s}.instances "
            "WHERE heartbeat > now() - make_interval(secs => %s) ORDER BY started",
            (instance_timeout,),
        )
    ]
    return status
