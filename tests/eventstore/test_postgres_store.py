"""The event store on PostgreSQL: opening by URL, schema checks, errors, passwords.

Two stores opened on the same schema (two names in one system) are two
backend instances that share nothing but the server: what one appends,
the other's subscribers see through its commit feed (``LISTEN``/``NOTIFY``).
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import actors
from actors import eventstore as es
from actors.cli import main as cli_main
from actors.eventstore import (
    ALL,
    NO_STREAM,
    EventData,
    EventStore,
    StoreUnavailable,
    WrongExpectedVersion,
)
from actors.eventstore._pg_listen import parse_payload
from actors.eventstore._postgres import PostgresBackend
from actors.eventstore.postgres import SCHEMA_VERSION, mask_url, parse_postgres_url
from actors.testing import ANY, Probe
from tests.eventstore.conftest import T0, PgSchema, batch


def people(n: int, start: int = 0) -> list[EventData]:
    return [EventData("PersonCreated", {"n": start + i}) for i in range(n)]


def receive_events(probe: Probe, n: int, timeout: float = 5.0) -> list[Any]:
    got: list[Any] = []
    while len(got) < n:
        got.append(probe.expect(("on_event", ANY), timeout)[1])
    return got


@pytest.fixture
def two_stores(
    actor_system: actors.ActorSystem, pg_schema: PgSchema
) -> Iterator[tuple[EventStore, EventStore]]:
    url = f"{pg_schema.url}&poll_interval=0.2"
    with (
        EventStore.open(url, system=actor_system, name="a") as a,
        EventStore.open(url, system=actor_system, name="b") as b,
    ):
        yield a, b


# Opening ----------------------------------------------------------------------------------


def test_a_store_opened_by_url_appends_reads_and_subscribes(
    actor_system: actors.ActorSystem, pg_schema: PgSchema, probe: Probe
):
    with EventStore.open(pg_schema.url, system=actor_system) as store:
        store.append("people", people(2), NO_STREAM)
        es.read_and_stay_subscribed(store, "people", 0, probe)
        history = receive_events(probe, 2)
        probe.expect(("caught_up",))
        store.append("people", people(1, start=2), 1)

        assert [0, 1] == [e.version for e in history]
        assert [2] == [e.data["n"] for e in receive_events(probe, 1)]
        assert [0, 1, 2] == [e.position for e in store.read_all()]
        with pytest.raises(WrongExpectedVersion):
            store.append("people", people(1), 0)


def test_a_commit_in_one_store_wakes_subscribers_of_another(
    two_stores: tuple[EventStore, EventStore], probe: Probe
):
    a, b = two_stores
    es.subscribe_to(b, "people", probe)
    es.read_and_stay_subscribed(b, ALL, 0, probe)
    probe.expect(("caught_up",))

    a.append("people", people(3))

    live = receive_events(probe, 6)
    assert [0, 0, 1, 1, 2, 2] == sorted(e.version for e in live)


def test_a_persistent_subscription_runs_on_postgres(
    actor_system: actors.ActorSystem, pg_schema: PgSchema, probe: Probe
):
    with EventStore.open(pg_schema.url, system=actor_system) as store:
        store.append("people", people(3))
        store.create_persistent_subscription("people", "g", max_retry_count=1)
        sub = es.connect_to_persistent_subscription(store, "g", "people", probe, buffer_size=5)

        keys = []
        for _ in range(3):
            _, event, correlation = probe.expect(("on_event", ANY, ANY), 5.0)
            keys.append(event.version)
            es.ack(sub, event, correlation)
        es.subscription_statistics(sub)
        state = store.persistent_subscription_info("people", "g")

        assert [0, 1, 2] == keys
        assert (0, 0, 1) == (state.in_flight, state.waiting, state.consumers)


# Schema checks -----------------------------------------------------------------------------


def test_an_uninitialised_schema_is_refused_with_the_command_to_run(pg_server: str):
    url = f"{pg_server}?schema=never_initialised_here"

    with pytest.raises(StoreUnavailable, match="actors store init") as caught:
        PostgresBackend(url)

    assert "never_initialised_here" in str(caught.value)


def test_a_newer_schema_is_refused(pg_schema: PgSchema):
    pg_schema.execute(
        "INSERT INTO {s}.schema_migrations (version, description) VALUES (99, 'future')"
    )

    with pytest.raises(StoreUnavailable, match=f"newer than this code's {SCHEMA_VERSION}: upgrade"):
        PostgresBackend(pg_schema.url)


def test_a_server_that_is_down_is_a_clear_error_not_a_hang():
    with pytest.raises(StoreUnavailable, match=r"unreachable .*pg_isready") as caught:
        PostgresBackend("postgresql://nobody:hunter2@127.0.0.1:1/test", connect_timeout=2)

    assert "hunter2" not in str(caught.value)
    assert "nobody:***@127.0.0.1:1" in str(caught.value)


def test_bad_urls_and_options_are_value_errors_naming_them():
    with pytest.raises(ValueError, match="schema must be a lower-case identifier"):
        parse_postgres_url("postgresql://u:pw@h/db?schema=Robert');DROP")
    with pytest.raises(ValueError, match=r"poll_interval='soon'.*u:\*\*\*@h"):
        PostgresBackend("postgresql://u:pw@h/db?poll_interval=soon")


# Passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://bob:s3cret@db:5432/x", "postgresql://bob:***@db:5432/x"),
        ("postgres://bob:p%40ss@db/x?sslmode=require", "postgres://bob:***@db/x?sslmode=require"),
        ("postgresql://bob@db/x", "postgresql://bob@db/x"),
        ("postgresql://db/x?password=s3cret&user=bob", "postgresql://db/x?password=***&user=bob"),
    ],
)
def test_mask_url(url: str, masked: str):
    assert masked == mask_url(url)


def test_the_password_appears_in_no_repr_url_log_or_error(
    actor_system: actors.ActorSystem,
    pg_schema: PgSchema,
    caplog: pytest.LogCaptureFixture,
):
    # Trust authentication accepts any password: a real one would behave the same.
    url = pg_schema.url.replace("postgresql://", "postgresql://root:Sup3rSecret@", 1)
    caplog.set_level(logging.DEBUG, logger="actors.eventstore")
    with EventStore.open(url, system=actor_system) as store:
        store.append("s", people(1))
        backend = store._core().backend
        pg_schema.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            backend.application_name,  # type: ignore[attr-defined]
        )
        store.append("s", people(1))  # retried on a new connection, and logged
        with pytest.raises(WrongExpectedVersion) as conflict:
            store.append("s", people(1), 0)
        shown = [repr(store), store.url, repr(backend), backend.url, str(conflict.value)]
        masked = store.url
    shown += [record.getMessage() for record in caplog.records]

    assert any("retrying on a new connection" in text for text in shown)
    assert [] == [text for text in shown if "Sup3rSecret" in text]
    assert "root:***@" in masked


# The commit feed ------------------------------------------------------------------------------


def test_payloads_are_parsed_and_malformed_ones_ignored():
    assert ("commit", 7, 41, "h:1:ab", "my stream") == parse_payload("7 41 h:1:ab my stream")
    assert ("wake", -1, -1, "h:1:ab", "$all") == parse_payload("wake - h:1:ab $all")
    assert parse_payload("garbage") is None
    assert parse_payload("x 1 h s") is None


def test_a_dropped_feed_connection_loses_no_live_event(
    two_stores: tuple[EventStore, EventStore], pg_schema: PgSchema, probe: Probe
):
    a, b = two_stores
    es.read_and_stay_subscribed(b, "people", 0, probe)
    probe.expect(("extreme", "warn", "no_stream", "people"))
    probe.expect(("caught_up",))
    backend = b._core().backend
    stop = threading.Event()
    written: list[int] = []
    seen: list[Any] = []

    def writer() -> None:
        while not stop.is_set() and len(written) < 400:
            written.append(a.append("people", people(1, start=len(written))).position)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(3):  # terminate the feed's connection three times mid-stream
            pid = backend.feed_backend_pid  # type: ignore[attr-defined]
            pg_schema.execute("SELECT pg_terminate_backend(%s)", pid)
            seen += receive_events(probe, 20)
        # ... then every connection of the subscriber's store: its reads too.
        pg_schema.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            backend.application_name,  # type: ignore[attr-defined]
        )
        seen += receive_events(probe, 20)
    finally:
        stop.set()
        thread.join()
    seen += receive_events(probe, len(written) - len(seen), timeout=10.0)
    probe.refute(("on_event", ANY))

    stats = backend.feed_stats()  # type: ignore[attr-defined]
    assert stats.reconnects >= 4
    assert list(range(len(written))) == [e.data["n"] for e in seen]  # all, once, in order


def test_appends_survive_their_connections_being_terminated(
    actor_system: actors.ActorSystem, pg_schema: PgSchema
):
    with EventStore.open(pg_schema.url, system=actor_system) as store:
        backend = store._core().backend
        acknowledged: list[str] = []
        progress = threading.Condition()
        stop = threading.Event()

        def writer() -> None:
            while not stop.is_set():
                event = EventData("E", {"i": len(acknowledged)})
                store.append("s", event)
                with progress:
                    acknowledged.append(str(event.id))
                    progress.notify_all()

        thread = threading.Thread(target=writer)
        thread.start()
        killed = []
        try:
            for _ in range(20):
                with progress:
                    target = len(acknowledged) + 5

                    def reached(target: int = target) -> bool:
                        return len(acknowledged) >= target

                    assert progress.wait_for(reached, 10.0)
                # Whatever its connections are doing: mid-transaction, mid-commit, idle.
                killed += pg_schema.execute(
                    "SELECT state, pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = %s",
                    backend.application_name,  # type: ignore[attr-defined]
                )
        finally:
            stop.set()
            thread.join()
        stored = [e.id for e in store.read_stream("s", 0, 100_000)]

    assert len(killed) >= 20
    assert acknowledged == stored  # every acknowledged append, once, in order


def test_a_commit_whose_notification_was_lost_is_found_by_polling(pg_schema: PgSchema):
    reader = pg_schema.backend(poll_interval=0.1)
    seen: list[tuple[tuple[str, ...], int]] = []
    got = threading.Event()

    def record(streams: tuple[str, ...], last: int) -> None:
        seen.append((streams, last))
        got.set()

    reader.on_commit(record)
    try:
        # What an append of another process commits, minus its NOTIFY.
        pg_schema.execute(
            "WITH m AS (UPDATE {s}.es_meta SET last_position = last_position + 1, "
            "commit_seq = commit_seq + 1 RETURNING last_position, commit_seq), "
            "e AS (INSERT INTO {s}.events SELECT m.last_position, 'quiet', 0, 'id-q', 'T', "
            "'{{}}', NULL, 0, 0 FROM m) INSERT INTO {s}.streams (stream, last_version, "
            "changed_seq, changed_by) SELECT 'quiet', 0, m.commit_seq, 'elsewhere' FROM m"
        )
        assert got.wait(5.0)
        event = reader.read_event("quiet", 0, T0)
    finally:
        reader.close()

    assert [(("quiet",), 0)] == seen
    assert (0, "id-q") == (event.position, event.id)


# Command line ------------------------------------------------------------------------------


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_store_init_migrate_status(pg_server: str):
    schema = PgSchema.__new__(PgSchema)
    schema.name, schema.server = "t_cli_init", pg_server
    url = f"{pg_server}?schema=t_cli_init"
    schema.drop()
    try:
        before = run_cli("store", "status", url)
        refused = run_cli("store", "migrate", url)
        created = run_cli("store", "init", url)
        again = run_cli("store", "init", url)
        migrated = run_cli("store", "migrate", url)
        backend = PostgresBackend(url)
        backend.append("s", batch(2), -2, T0)
        code, out, _ = run_cli("store", "status", url, "--json")
        backend.close()
    finally:
        schema.drop()

    assert (1, "schema 't_cli_init': not initialised") == (
        before[0],
        before[1].splitlines()[0].split(" ", 1)[1],
    )
    assert (1, "run `actors store init URL`") == (refused[0], refused[2].strip()[-27:])
    assert (0, f"(version {SCHEMA_VERSION})") == (created[0], created[1].strip()[-11:])
    assert (0, 0) == (again[0], migrated[0])
    assert "up to date" in again[1]
    status = json.loads(out)
    assert (0, SCHEMA_VERSION, "up to date", 2, 1) == (
        code,
        status["version"],
        status["state"],
        status["events"],
        status["streams"],
    )


def test_store_commands_report_a_missing_server_and_bad_urls():
    down = run_cli("store", "status", "postgresql://u:pw9@127.0.0.1:1/test")
    bad = run_cli("store", "init", "postgresql://h/db?schema=NO")

    assert 1 == down[0]
    assert "u:***@127.0.0.1:1" in down[2]
    assert "pw9" not in down[2]
    assert 2 == bad[0]
    assert "lower-case identifier" in bad[2]


def test_actors_events_and_subscriptions_read_a_postgres_store(pg_schema: PgSchema):
    backend = pg_schema.backend()
    try:
        backend.append("people", batch(3), NO_STREAM, T0)
        from actors.eventstore import PersistentSettings

        backend.create_group("people", "g", PersistentSettings(), T0)
        backend.claim("people", "g", "m", 1, T0)
    finally:
        backend.close()

    streams = run_cli("events", pg_schema.url)
    events = run_cli("events", pg_schema.url, "people", "--json")
    groups = run_cli("subscriptions", pg_schema.url, "--json")
    from actors.cli._events_cmd import run_events

    err = io.StringIO()
    missing = run_events(
        pg_schema.url, "nobody", as_json=False, follow=False, out=io.StringIO(), err=err
    )

    assert 0 == streams[0]
    assert "people" in streams[1]
    assert (0, [0, 1, 2]) == (events[0], [json.loads(x)["version"] for x in events[1].splitlines()])
    group = json.loads(groups[1])
    assert (0, "g", 1) == (groups[0], group["group"], group["in_flight"])
    assert 1 == missing
    assert "'nobody'" in err.getvalue()
