"""MyListener: a read-side projection that keeps its checkpoint in the same
SQLite transaction as its own writes, placed in a supervisor after the
store; it survives a crash and pauses/resumes (Extreme.Listener's example).

python examples/eventstore_listener.py
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import actors
import supervision as sv
from actors import eventstore
from actors.eventstore import EventData, EventStore, Listener, ProjectionDB
from actors.testing import Probe

EVENT_STORE = "MyApp.EventStore"
POISONED: list[int] = []  # the poison event fails the first time only


def process_event(conn: Any, data: Any, event_type: str) -> str:
    """MyApp.MyProcessor: act on the events we are interested in."""
    if event_type == "PersonCreated":
        conn.execute("INSERT INTO people (name) VALUES (?)", (data["name"],))
    return "ok"  # just acknowledge events we are not interested in


class MyListener(Listener):
    def on_init(self, db: ProjectionDB, progress: Any) -> None:
        self.db, self.progress = db, progress
        db.connection.execute("CREATE TABLE IF NOT EXISTS people (name TEXT)")

    # returns the last event processed on stream, -1 if none has been so far
    def get_last_event(self, stream: str) -> int:
        last = self.db.last_event(stream)
        print(f"MyListener starts after event {last}")
        return last

    def process_push(self, event: Any, stream: str) -> tuple[str, int]:
        with self.db.transaction(stream, event.event_number) as conn:
            print(f"Do some processing of event {event.event_type}")
            if event.data.get("poison") and not POISONED:
                POISONED.append(event.event_number)
                print("MyListener crashes on this event; its supervisor restarts it")
                raise RuntimeError("the projection fails once on this event")
            assert process_event(conn, event.data, event.event_type) == "ok"
        actors.send(self.progress, ("projected", event.event_number))
        return ("ok", event.event_number)

    def caught_up(self) -> None:
        print("We are up to date. YEEEY!!!")


def main() -> None:
    # The framework logs every crash with its traceback; this example narrates its own.
    logging.getLogger("actors").setLevel(logging.CRITICAL)
    logging.getLogger("supervision").setLevel(logging.CRITICAL)
    folder = Path(tempfile.mkdtemp())
    with actors.ActorSystem() as system, Probe(system) as progress:
        db = ProjectionDB(folder / "projection.db", "MyListener")
        app = sv.Supervisor.start(
            [
                EventStore.child_spec(folder / "events.db", name=EVENT_STORE),
                sv.child_spec(
                    "listener", MyListener, EVENT_STORE, "people", db, progress, name="MyListener"
                ),
            ],
            strategy="one_for_one",
            name="MyApp.Supervisor",
        )
        store = EventStore.connect(EVENT_STORE)
        store.append("people", [EventData("PersonCreated", {"name": "Pera"})])
        store.append("people", [EventData("PersonCreated", {"name": "Mika", "poison": True})])
        store.append("people", [EventData("PersonCreated", {"name": "Zika"})])
        progress.expect(("projected", 2))

        result = eventstore.pause("MyListener")
        print(f"paused: {result}")
        store.append("people", [EventData("PersonCreated", {"name": "Laza"})])
        print(f"resume: {eventstore.resume('MyListener')}")
        progress.expect(("projected", 3))

        names = [row[0] for row in db.connection.execute("SELECT name FROM people")]
        print(f"projected people: {', '.join(names)} (each exactly once, crash included)")
        actors.stop(app)
        db.close()


if __name__ == "__main__":
    main()
