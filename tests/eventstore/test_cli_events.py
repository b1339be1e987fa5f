"""``actors events`` and ``actors subscriptions``, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import actors
from actors import eventstore as es
from actors.audit import AuditLog
from actors.eventstore import EventData, EventStore
from actors.testing import ANY, Probe
from tests.eventstore.conftest import PgSchema

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "actors", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("events") / "events.db"
    with actors.ActorSystem() as system, Probe(system) as probe:
        store = EventStore.open(path, system=system)
        store.append("people", [EventData("PersonCreated", {"name": "Pera"}), EventData("X", [1])])
        store.append("orders", EventData("OrderPlaced", {"id": 7, "note": "caf\u00e9"}))
        store.delete_stream("orders", hard=True)
        store.append("people", EventData("PersonRenamed", {"name": "Zika"}))
        store.create_persistent_subscription("people", "mailer")
        sub = es.connect_to_persistent_subscription(store, "mailer", "people", probe)
        for _ in range(3):
            _, event, correlation = probe.expect(("on_event", ANY, ANY))
            if event.version == 1:
                es.nack(sub, event, correlation, "park")
            elif event.version == 0:
                es.ack(sub, event, correlation)
        actors.call(sub.manager, ("statistics",))
        store.close()
    return path


def test_events_lists_streams(store_file: Path):
    result = run("events", str(store_file))

    assert 0 == result.returncode, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["stream", "state", "events", "last", "version", "last", "position"]
    assert ["orders", "hard_deleted", "0", "0", "-1"] == lines[2].split()
    assert ["people", "live", "3", "2", "3"] == lines[3].split()


def test_events_prints_a_stream_as_a_table_and_as_json(store_file: Path):
    table = run("events", str(store_file), "people")
    lines = run("events", str(store_file), "people", "--json")

    assert 0 == table.returncode, table.stderr
    assert ["PersonCreated", "X", "PersonRenamed"] == [
        line.split()[3] for line in table.stdout.splitlines()[1:]
    ]
    events = [json.loads(line) for line in lines.stdout.splitlines()]
    assert [(0, "PersonCreated", {"name": "Pera"}), (2, "PersonRenamed", {"name": "Zika"})] == [
        (e["version"], e["type"], e["data"]) for e in (events[0], events[2])
    ]
    assert {"stream", "version", "position", "id", "type", "created", "data", "metadata"} == set(
        events[0]
    )


def test_events_all(store_file: Path):
    result = run("events", str(store_file), "$all", "--json")

    assert [0, 1, 3] == [json.loads(line)["position"] for line in result.stdout.splitlines()]


def test_subscriptions_show_lag_in_flight_and_parked(store_file: Path):
    result = run("subscriptions", str(store_file), "--json")

    assert 0 == result.returncode, result.stderr
    (group,) = [json.loads(line) for line in result.stdout.splitlines()]
    # The store was closed cleanly: the unacked message waits for the next consumer.
    assert ("people", "mailer", 0, 1, 1, 0) == (
        group["stream"],
        group["group"],
        group["in_flight"],
        group["waiting"],
        group["parked"],
        group["consumers"],
    )
    table = run("subscriptions", str(store_file))
    assert "mailer" in table.stdout
    assert "parked" in table.stdout.splitlines()[0]


def test_replay_parked(store_file: Path):
    result = run("subscriptions", str(store_file), "--replay-parked", "people", "mailer")

    assert 0 == result.returncode, result.stderr
    assert "replayed 1 parked message of group 'mailer' on 'people'" == result.stdout.strip()
    after = json.loads(run("subscriptions", str(store_file), "--json").stdout)
    assert (0, 2) == (after["parked"], after["waiting"])


def test_follow_prints_new_events_as_they_come(tmp_path: Path):
    path = tmp_path / "follow.db"
    with actors.ActorSystem() as system:
        store = EventStore.open(path, system=system)
        store.append("live", EventData("First", 1))
        follower = subprocess.Popen(
            [sys.executable, "-m", "actors", "events", str(path), "live", "--json", "--follow"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert follower.stdout is not None
            assert "First" == json.loads(follower.stdout.readline())["type"]
            store.append("live", [EventData("Second", 2), EventData("Third", 3)])
            assert ["Second", "Third"] == [
                json.loads(follower.stdout.readline())["type"] for _ in range(2)
            ]
        finally:
            follower.kill()
            follower.communicate(timeout=30)
        store.close()


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("events", "/nonexistent/events.db"), 1, "no event store at"),
        (("events", "{store}", "nobody"), 1, "stream 'nobody' not found"),
        (("events", "{store}", "orders"), 1, "stream 'orders' is deleted"),
        (("events", "{junk}"), 1, "cannot open event store"),
        (("events", "{store}", "--follow"), 2, "--follow needs a STREAM"),
        (("subscriptions", "{store}", "--replay-parked", "people"), 2, "expected 2 arguments"),
        (("subscriptions", "{store}", "--replay-parked", "people", "x"), 1, "no persistent"),
        (("subscriptions", "/nonexistent/events.db"), 1, "no event store at"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_status(
    store_file: Path, tmp_path: Path, args: tuple[str, ...], status: int, message: str
):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"junk" * 500)
    argv = [a.format(store=store_file, junk=junk) for a in args]

    result = run(*argv)

    assert status == result.returncode
    assert 1 == len(result.stderr.strip().splitlines()), result.stderr
    assert message in result.stderr


def test_the_demo_writes_its_audit_log_to_postgresql(pg_schema: PgSchema) -> None:
    import psycopg

    with psycopg.connect(pg_schema.server) as conn:
        user = conn.info.user
    url = pg_schema.url
    if "@" not in url.split("//", 1)[1].split("/", 1)[0]:  # no credentials of its own
        url = url.replace("postgresql://", f"postgresql://{user}:s3cret@", 1)

    result = run("demo", "--duration", "2", "--audit", url)

    assert 0 == result.returncode, result.stderr
    run_line = next(line for line in result.stdout.splitlines() if line.startswith("audit log:"))
    assert "lifecycle events in this run" in run_line
    assert "s3cret" not in result.stdout  # a password is never printed
    with AuditLog.open(pg_schema.url) as log:
        counts = log.event_counts()
    assert counts.get("crashed", 0) >= 1
    assert counts.get("started", 0) >= 10


def test_the_demo_names_a_postgresql_schema_it_cannot_use(pg_schema: PgSchema) -> None:
    missing = pg_schema.url.replace(f"schema={pg_schema.name}", "schema=t_never_created")

    result = run("demo", "--duration", "1", "--audit", missing)

    assert (1, "") == (result.returncode, result.stdout)
    assert "actors store init" in result.stderr
    assert 1 == len(result.stderr.strip().splitlines())
