"""The PostgreSQL store shared by real OS processes (``python -c``), some SIGKILLed.

Each child prints JSON lines on its own stdout (a pipe per process, so
killing one never garbles another's); the parent waits on those lines,
never on a timer. A child stops when its stdin is closed.

* 3 writer processes append to the same streams while 2 readers follow
  ``$all`` (one polling the backend, one through ``read_and_stay_subscribed``):
  each reader sees every event once, at positions 0..N-1, in the order of
  the final ``$all``.
* 3 consumer processes on one persistent subscription, one of them
  holding its messages unacked and then SIGKILLed: every event is acked
  exactly once by the others or (``max_retry_count=0``) parked, none lost.
* ``max_subscriber_count`` counts consumers of all processes; a killed
  process's consumer stops counting once its heartbeat is stale.
* ``pinned``: each source stream's events go to one process.
* A Listener process killed mid-stream and started again resumes after
  its checkpoint: the projection holds every event exactly once.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import actors
from actors import eventstore as es
from actors.eventstore import ALL, EventData, EventStore, MaxSubscribersReached, ProjectionDB
from actors.testing import Probe
from tests.eventstore.conftest import PgSchema

pytestmark = pytest.mark.slow


@pytest.fixture
def actor_runtime() -> str:
    """The parent's runtime does not matter here (the children run the
    default one): one run per test instead of one per runtime."""
    return "pooled"


ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import datetime, json, os, random, sys, threading
import actors
from actors import eventstore as es
from actors.eventstore import ALL, EventData, EventStore, Listener, ProjectionDB, encode_event
from actors.testing import ANY, Probe

def say(**fields):
    print(json.dumps(fields), flush=True)

role, url, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
stopped = threading.Event()

def watch_stdin():
    sys.stdin.read()  # returns when the parent closes it (or dies)
    stopped.set()

if role == "writer":
    from actors.eventstore._postgres import PostgresBackend
    backend = PostgresBackend(url, listen=False)
    rnd = random.Random(args["seed"])
    say(ready=True)
    sys.stdin.readline()  # the start signal: all writers go at once
    n = 0
    while n < args["count"]:
        size = min(rnd.randint(1, 5), args["count"] - n)
        events = [encode_event(EventData("W", {"w": args["seed"], "n": n + i}))
                  for i in range(size)]
        backend.append(f"shared-{rnd.randrange(3)}", events, -2,
                       datetime.datetime.now(datetime.UTC))
        n += size
    backend.close()
    say(done=n)
    sys.exit(0)

threading.Thread(target=watch_stdin, daemon=True).start()

if role == "reader-poll":
    from actors.eventstore._postgres import PostgresBackend
    backend = PostgresBackend(url, listen=False)
    say(ready=True)
    seen, position = [], 0
    while len(seen) < args["total"] and not stopped.is_set():
        page = backend.read_all(position, 50, False, None)
        seen.extend((e.position, e.id) for e in page.events)
        position = page.next_position
    backend.close()
    say(seen=seen)
    sys.exit(0)

with actors.ActorSystem() as system, EventStore.open(url, system=system) as store:
    if role == "reader-sub":
        probe = Probe(system)
        es.read_and_stay_subscribed(store, ALL, 0, probe)
        probe.expect(("caught_up",), 10.0)
        say(ready=True)
        seen = []
        while len(seen) < args["total"]:
            message = probe.expect(("on_event", ANY), 30.0)
            seen.append((message[1].position, message[1].id))
        say(seen=seen)

    elif role == "consumer":
        probe = Probe(system)
        try:
            sub = es.connect_to_persistent_subscription(
                store, args["group"], args["stream"], probe, buffer_size=args["buffer"])
        except es.MaxSubscribersReached:
            say(refused=True)
            sys.exit(0)
        say(connected=True, pid=os.getpid())
        while not stopped.is_set():
            try:
                _, event, correlation = probe.expect(("on_event", ANY, ANY), 0.2)
            except AssertionError:
                continue
            key = event.position if args["stream"] == ALL else event.version
            if args.get("hold"):
                say(held=key)  # never acked: this one gets SIGKILLed
            else:
                es.ack(sub, event, correlation)
                say(acked=key, stream=event.stream, version=event.version, pid=os.getpid())
        es.disconnect(sub)

    elif role == "listener":
        class People(Listener):
            def on_init(self, db):
                self.db = db
                db.connection.execute("CREATE TABLE IF NOT EXISTS people (name TEXT)")

            def get_last_event(self, stream):
                last = self.db.last_event(stream)
                say(resumed_after=last)
                return last

            def process_push(self, event, stream):
                with self.db.transaction(stream, event.version) as conn:
                    conn.execute("INSERT INTO people VALUES (?)", (event.data["name"],))
                say(projected=event.version)
                return ("ok", event.version)

        db = ProjectionDB(args["db"], "People")
        People.start(store, "people", db, name="People")
        stopped.wait()
        actors.stop("People")
        db.close()
"""


class Child:
    """One child process and the JSON lines it printed, in order."""

    def __init__(self, role: str, url: str, **args: Any) -> None:
        self.role = role
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, role, url, json.dumps(args)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))
        self.lines.put(None)

    def expect(self, key: str, timeout: float = 30.0) -> dict[str, Any]:
        """The next line holding ``key`` (earlier lines are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = {"timeout": True}
            if line is None or "timeout" in line:
                self.kill()
                err = self.proc.stderr.read() if self.proc.stderr else ""
                raise AssertionError(f"{self.role} gave no {key!r}: {line}\n{err[-3000:]}")
            if key in line:
                return line

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def stop(self) -> int:
        """Close stdin (the child's stop signal) and wait for it."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        return self.proc.wait(timeout=60)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def close(self) -> None:
        self.kill()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass


@pytest.fixture
def children() -> Iterator[Callable[..., Child]]:
    started: list[Child] = []

    def start(role: str, url: str, **args: Any) -> Child:
        child = Child(role, url, **args)
        started.append(child)
        return child

    yield start
    for child in started:
        child.close()


def test_three_writers_and_two_readers_see_one_gap_free_order(
    pg_schema: PgSchema, children: Callable[..., Child]
):
    per_writer = 150
    total = 3 * per_writer
    readers = [
        children("reader-poll", pg_schema.url, total=total),
        children("reader-sub", pg_schema.url, total=total),
    ]
    writers = [children("writer", pg_schema.url, seed=i, count=per_writer) for i in range(3)]
    for child in [*readers, *writers]:
        child.expect("ready")
    for writer in writers:
        writer.send("go\n")
    assert [per_writer] * 3 == [w.expect("done")["done"] for w in writers]
    seen = [r.expect("seen")["seen"] for r in readers]

    backend = pg_schema.backend(listen=False)
    try:
        final = [[e.position, e.id] for e in backend.read_all(0, 10_000, False, None).events]
        per_stream = {
            s: [e.version for e in backend.read_stream(s, 0, 10_000, False, actors_now()).events]
            for s in ("shared-0", "shared-1", "shared-2")
        }
    finally:
        backend.close()

    assert list(range(total)) == [p for p, _ in final]
    assert [final, final] == seen
    assert total == sum(len(v) for v in per_stream.values())
    assert all(versions == list(range(len(versions))) for versions in per_stream.values())


def actors_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def consumer_url(schema: PgSchema) -> str:
    # A heartbeat every 0.3 s, dead after 3 s: a live process on a loaded
    # machine never looks dead, a killed one is noticed within seconds.
    return f"{schema.url}&poll_interval=0.2&instance_timeout=3&heartbeat_interval=0.3"


@pytest.mark.parametrize("max_retry_count", [1, 0])
def test_a_consumer_process_killed_mid_stream_loses_nothing(
    pg_schema: PgSchema,
    children: Callable[..., Child],
    actor_system: actors.ActorSystem,
    max_retry_count: int,
):
    total, buffer = 200, 5
    url = consumer_url(pg_schema)
    with EventStore.open(url, system=actor_system) as store:
        store.create_persistent_subscription(
            "orders", "billing", message_timeout=3, max_retry_count=max_retry_count
        )
        args = {"group": "billing", "stream": "orders", "buffer": buffer}
        victim = children("consumer", url, hold=True, **args)
        survivors = [children("consumer", url, **args) for _ in range(2)]
        for child in [victim, *survivors]:
            child.expect("connected")
        for i in range(0, total, 10):
            store.append("orders", [EventData("Ordered", {"i": i + j}) for j in range(10)])
        held = sorted(victim.expect("held")["held"] for _ in range(buffer))
        victim.kill()
        assert -signal.SIGKILL == victim.proc.returncode

        expected = total - (len(held) if max_retry_count == 0 else 0)
        acked: list[int] = []
        while len(acked) < expected:
            acked.append(next_line(survivors, "acked", 30.0)["acked"])
        if max_retry_count == 0:
            # The survivors' managers park the dead one's messages when they time out.
            deadline = time.monotonic() + 15.0
            while len(store.parked_messages("orders", "billing")) < len(held):
                assert time.monotonic() < deadline, "the held messages were never parked"
                threading.Event().wait(0.1)
        for child in survivors:
            assert 0 == child.stop()
        state = store.persistent_subscription_info("orders", "billing")
        parked_messages = store.parked_messages("orders", "billing")
    parked = [p.key for p in parked_messages]

    assert [] == [k for k, n in Counter(acked).items() if n > 1]  # acked exactly once
    if max_retry_count == 0:
        assert (held, ["message timeout"] * len(held)) == (
            parked,
            [p.reason for p in parked_messages],
        )
        assert sorted(set(range(total)) - set(held)) == sorted(acked)
    else:
        assert [] == parked
        assert list(range(total)) == sorted(acked)
        assert set(held) <= set(acked)  # redelivered to the others
    assert (0, 0, 0) == (state.in_flight, state.waiting, state.consumers)


def next_line(children_: list[Child], key: str, timeout: float) -> dict[str, Any]:
    """The next line holding ``key`` from any of the children."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in children_:
            try:
                line = child.lines.get(timeout=0.02)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"{child.role} exited: {child.proc.stderr.read()[-3000:]}")  # type: ignore[union-attr]
            if key in line:
                return line
    raise AssertionError(f"no {key!r} line within {timeout}s")


def test_max_subscriber_count_holds_across_processes(
    pg_schema: PgSchema, children: Callable[..., Child], actor_system: actors.ActorSystem
):
    url = consumer_url(pg_schema)
    with EventStore.open(url, system=actor_system) as store:
        store.create_persistent_subscription("orders", "billing", max_subscriber_count=2)
        args = {"group": "billing", "stream": "orders", "buffer": 5}
        first, second = (children("consumer", url, **args) for _ in range(2))
        first.expect("connected")
        second.expect("connected")
        third = children("consumer", url, **args)
        assert {"refused": True} == third.expect("refused")
        with Probe(actor_system) as probe, pytest.raises(MaxSubscribersReached):
            es.connect_to_persistent_subscription(store, "billing", "orders", probe)

        first.kill()
        # The killed process's consumer counts until its heartbeat is stale.
        deadline = time.monotonic() + 15.0
        with Probe(actor_system) as probe:
            while True:
                try:
                    sub = es.connect_to_persistent_subscription(store, "billing", "orders", probe)
                    break
                except MaxSubscribersReached:
                    assert time.monotonic() < deadline, "the dead consumer still counts"
                    threading.Event().wait(0.2)
            consumers = store.persistent_subscription_info("orders", "billing").consumers
            es.disconnect(sub)
        assert 0 == second.stop()

    assert 2 == consumers


def test_pinned_sends_each_stream_to_one_process(
    pg_schema: PgSchema, children: Callable[..., Child], actor_system: actors.ActorSystem
):
    url = consumer_url(pg_schema)
    streams = [f"account-{i}" for i in range(8)]
    with EventStore.open(url, system=actor_system) as store:
        store.create_persistent_subscription(ALL, "audit", consumer_strategy="pinned")
        args = {"group": "audit", "stream": ALL, "buffer": 10}
        consumers = [children("consumer", url, **args) for _ in range(2)]
        pids = [c.expect("connected")["pid"] for c in consumers]
        for round_ in range(5):
            for stream in streams:
                store.append(stream, EventData("Moved", {"round": round_}))
        got: dict[str, list[tuple[int, int]]] = {s: [] for s in streams}
        for _ in range(len(streams) * 5):
            line = next_line(consumers, "acked", 30.0)
            got[line["stream"]].append((line["version"], line["pid"]))
        for child in consumers:
            assert 0 == child.stop()

    owners = {stream: {pid for _, pid in seen} for stream, seen in got.items()}
    assert all(len(pids_) == 1 for pids_ in owners.values()), owners
    assert {p for pids_ in owners.values() for p in pids_} == set(pids)  # both got work
    assert all([v for v, _ in seen] == list(range(5)) for seen in got.values()), got


def test_a_killed_listener_process_resumes_at_its_checkpoint(
    pg_schema: PgSchema,
    children: Callable[..., Child],
    actor_system: actors.ActorSystem,
    tmp_path: Path,
):
    db_path = str(tmp_path / "projection.db")
    with EventStore.open(pg_schema.url, system=actor_system) as store:
        first = children("listener", pg_schema.url, db=db_path)
        assert -1 == first.expect("resumed_after")["resumed_after"]
        for i in range(60):
            store.append("people", EventData("PersonCreated", {"name": f"p{i}"}))
        while first.expect("projected")["projected"] < 25:
            pass
        first.kill()
        for i in range(60, 100):
            store.append("people", EventData("PersonCreated", {"name": f"p{i}"}))
        with ProjectionDB(db_path, "People") as db:
            checkpoint = db.last_event("people")

        second = children("listener", pg_schema.url, db=db_path)
        assert checkpoint == second.expect("resumed_after")["resumed_after"]
        while second.expect("projected")["projected"] < 99:
            pass
        assert 0 == second.stop()

    with ProjectionDB(db_path, "People") as db:
        names = [row[0] for row in db.connection.execute("SELECT name FROM people ORDER BY rowid")]
    assert checkpoint >= 25
    assert [f"p{i}" for i in range(100)] == names
