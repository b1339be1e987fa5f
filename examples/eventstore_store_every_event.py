"""A durable "store every event" subscriber: a persistent subscription on
``$all`` whose consumer archives each event to a JSON-lines file and acks it
only then. The store remembers the position: after a restart of the whole
program the archiver goes on where it stopped, and nothing is archived
twice or lost (Extreme's "receive and acknowledge" example).

python examples/eventstore_store_every_event.py
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import actors
from actors import eventstore
from actors.eventstore import ALL, EventData, EventStore, GroupExists
from actors.testing import ANY, Probe


class Archiver(actors.GenServer):
    """Appends every event of the store to ``archive``; acks after the write."""

    def init(self, store: EventStore, archive: Path, report: Any) -> None:
        self.archive, self.report = archive, report
        self.subscription = eventstore.connect_to_persistent_subscription(
            store, "archive", ALL, self.ref, buffer_size=50
        )

    def handle_info(self, message: Any) -> None:
        match message:
            case ("on_event", event, correlation_id):
                line = {
                    "position": event.position,
                    "stream": event.stream,
                    "type": event.type,
                    "data": event.data,
                }
                with self.archive.open("a") as f:
                    f.write(json.dumps(line) + "\n")
                eventstore.ack(self.subscription, event, correlation_id)
                actors.send(self.report, ("archived", event.position))


def run(folder: Path, new_events: list[tuple[str, str]]) -> None:
    """One run of the program: open the store, archive what comes."""
    with (
        actors.ActorSystem() as system,
        EventStore.open(folder / "events.db") as store,
        Probe(system) as report,
    ):
        try:
            store.create_persistent_subscription(ALL, "archive")
        except GroupExists:
            pass  # made by the first run: its position is kept in the store
        Archiver.start(store, folder / "archive.jsonl", report)
        for stream, name in new_events:
            store.append(stream, EventData("Happened", {"name": name}))
        for _ in new_events:
            report.expect(("archived", ANY))
        print(f"  run archived {len(new_events)} new events")


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    print("first run")
    run(folder, [("people", "Pera"), ("orders", "o-1"), ("people", "Mika")])
    print("second run (a new process would do the same: the position is in the file)")
    run(folder, [("orders", "o-2"), ("people", "Zika")])
    lines = [json.loads(line) for line in (folder / "archive.jsonl").read_text().splitlines()]
    print(f"archive: {[(e['position'], e['stream'], e['data']['name']) for e in lines]}")
    assert [0, 1, 2, 3, 4] == [e["position"] for e in lines], "each event exactly once"


if __name__ == "__main__":
    main()
