"""Two processes, one PostgreSQL event store: a writer here, a projection
listener in another OS process that sees each append within milliseconds
(LISTEN/NOTIFY) and resumes after its checkpoint when started again.

python examples/eventstore_two_processes.py [postgresql://user@host/db]

Needs the postgres extra (pip install 'actors-otp[postgres]') and a server;
the default is postgresql://127.0.0.1:5432/test in a schema made for this
run and dropped at the end. With your own URL, its schema is kept (create it
with `actors store init URL`; this example does that too).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

import actors
from actors.cli import main as actors_cli
from actors.eventstore import EventData, EventStore, Listener, ProjectionDB

DEFAULT_SERVER = "postgresql://127.0.0.1:5432/test"


class PeopleProjection(Listener):
    """Keeps a table of people in its own SQLite file, with the checkpoint."""

    def on_init(self, db: ProjectionDB, done: threading.Event) -> None:
        self.db, self.done = db, done
        db.connection.execute("CREATE TABLE IF NOT EXISTS people (id TEXT PRIMARY KEY, name TEXT)")

    def get_last_event(self, stream: str) -> int:
        last = self.db.last_event(stream)
        say(f"listener: starting after event {last}")
        return last

    def process_push(self, event: Any, stream: str) -> tuple[str, int]:
        with self.db.transaction(stream, event.version) as conn:
            if event.type == "PersonCreated":
                conn.execute(
                    "INSERT INTO people VALUES (?, ?)", (event.data["id"], event.data["name"])
                )
            elif event.type == "PersonRenamed":
                conn.execute(
                    "UPDATE people SET name = ? WHERE id = ?",
                    (event.data["name"], event.data["id"]),
                )
        say(f"listener: projected #{event.version} {event.type} {event.data}")
        if event.type == "BatchClosed":
            self.done.set()
        return ("ok", event.version)


def say(text: str) -> None:
    print(f"[pid {os.getpid()}] {text}", flush=True)


def run_listener(url: str, projection: str) -> None:
    """The other process: project until the writer's BatchClosed event."""
    done = threading.Event()
    with (
        actors.ActorSystem(),
        EventStore.open(url) as store,
        ProjectionDB(projection, "PeopleProjection") as db,
    ):
        PeopleProjection.start(store, "people", db, done, name="PeopleProjection")
        if not done.wait(30.0):
            raise SystemExit("listener: no BatchClosed event within 30 s")
        actors.stop("PeopleProjection")
        names = [row[0] for row in db.connection.execute("SELECT name FROM people ORDER BY id")]
        say(f"listener: people now {names}")


class ListenerProcess:
    """The listener as another OS process; its lines are relayed here."""

    def __init__(self, url: str, projection: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--listener", url, projection],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.subscribed = threading.Event()
        self.relay = threading.Thread(target=self._relay)
        self.relay.start()

    def _relay(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            print(line, end="", flush=True)
            if "starting after" in line:
                self.subscribed.set()
        self.subscribed.set()

    def wait(self) -> None:
        code = self.proc.wait(timeout=60)
        self.relay.join()
        if code != 0:
            raise SystemExit("the listener process failed")


def main() -> None:
    own_url = len(sys.argv) > 1
    url = sys.argv[1] if own_url else f"{DEFAULT_SERVER}?schema=example_{uuid.uuid4().hex[:8]}"
    if actors_cli(["store", "init", url]) != 0:
        raise SystemExit(1)
    try:
        with tempfile.TemporaryDirectory() as folder, actors.ActorSystem():
            projection = str(Path(folder, "people.db"))
            with EventStore.open(url) as store:
                listener = ListenerProcess(url, projection)
                listener.subscribed.wait(30.0)
                store.append(
                    "people",
                    [
                        EventData("PersonCreated", {"id": "1", "name": "Pera Peric"}),
                        EventData("PersonCreated", {"id": "2", "name": "Zika Zikic"}),
                        EventData("BatchClosed", {"batch": 1}),
                    ],
                )
                say("writer: appended 3 events; the listener process sees them live")
                listener.wait()

                store.append(
                    "people",
                    [
                        EventData("PersonRenamed", {"id": "2", "name": "Zika Zikic-Peric"}),
                        EventData("BatchClosed", {"batch": 2}),
                    ],
                )
                say("writer: appended 2 more while no listener ran; starting it again")
                ListenerProcess(url, projection).wait()
                say(f"writer: the store's last position is {store.last_position()}")
    finally:
        if not own_url:
            drop_schema(url)


def drop_schema(url: str) -> None:
    import psycopg

    from actors.eventstore.postgres import parse_postgres_url

    target = parse_postgres_url(url)
    with psycopg.connect(target.conninfo, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{target.schema}" CASCADE')


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--listener":
        run_listener(sys.argv[2], sys.argv[3])
    else:
        main()
