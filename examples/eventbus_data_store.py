"""Persist every event: a listener subscribed to [".*"] (event_bus's MyDataStore).

The bus's own store keeps an event only until every subscriber is done with
it. To keep every event for good, subscribe one listener to every topic and
let it write them elsewhere (here: an ``archive`` table in the same SQLite
file the bus uses), then mark them completed.

    python examples/eventbus_data_store.py
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import actors
from actors import eventbus
from actors.eventbus import Event, EventBus


class MyDataStore(actors.GenServer):
    """Writes every event to the ``archive`` table, then completes it."""

    runtime = "thread"  # it owns a sqlite3 connection

    def init(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA busy_timeout = 5000")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS archive (topic TEXT, event_id, body TEXT, "
            "PRIMARY KEY (topic, event_id))"
        )

    def handle_info(self, message: Any) -> None:
        match message:
            case ("event", topic, event_id):
                event = eventbus.fetch_event((topic, event_id))
                if event is not None:
                    # write your logic to save the event to a persistent store
                    self.db.execute(
                        "INSERT OR REPLACE INTO archive VALUES (?, ?, ?)",
                        (topic, event_id, eventbus.to_json(event)),
                    )
                eventbus.mark_as_completed((self.ref, (topic, event_id)))

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("count",):
                return self.db.execute("SELECT count(*) FROM archive").fetchone()[0]
            case _:
                return super().handle_call(request, caller)

    def terminate(self, reason: Any) -> None:
        self.db.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, actors.ActorSystem():
        path = Path(tmp) / "app.db"
        bus = EventBus.start(path, topics=["user_created", "order_placed", "bye_received"])
        store = MyDataStore.start(path)
        eventbus.subscribe((store, [".*"]))

        eventbus.notify(Event("u1", "user_created", {"name": "Jane"}))
        eventbus.notify(Event("o1", "order_placed", {"user": "u1", "total": 12.5}))
        eventbus.notify(Event(124, "bye_received", [{"user_id": 1}, {"goal": "exit"}]))

        print("archived events:", actors.call(store, ("count",)))
        bus.sync()
        print("still in the bus's store:", eventbus.metrics().unprocessed)
        conn = sqlite3.connect(path)
        for topic, event_id, body in conn.execute("SELECT * FROM archive ORDER BY topic"):
            print(f"  {topic} {event_id!r}: {eventbus.from_json(body).data}")
        conn.close()


if __name__ == "__main__":
    main()
