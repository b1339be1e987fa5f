"""Event store basics: write events with an expected version, read them back,
subscribe to live events, delete streams (Extreme's ``execute`` examples).

python examples/eventstore_basics.py
"""

from __future__ import annotations

import actors
from actors import eventstore
from actors.eventstore import ANY, NO_STREAM, EventData, EventStore, WrongExpectedVersion
from actors.testing import ANY as ANYTHING
from actors.testing import Probe


def write_events(store: EventStore, stream: str = "people") -> None:
    events = [
        EventData("PersonCreated", {"name": "Pera Peric"}),
        EventData("PersonChangedName", {"name": "Zika"}),
    ]
    result = store.append(stream, events, expected_version=NO_STREAM)
    print(
        f"wrote {result.written} events to {stream!r}: next expected version "
        f"{result.next_expected_version}, position {result.position}"
    )


def main() -> None:
    with actors.ActorSystem() as system, EventStore.open(":memory:") as store:
        write_events(store)
        try:
            store.append("people", EventData("PersonCreated", {"name": "Mika"}), NO_STREAM)
        except WrongExpectedVersion as exc:
            print(f"refused: {exc}")

        for event in store.read_stream("people"):
            print(f"  people/{event.version} {event.type} {event.data}")
        last = store.read_event("people", -1)
        print(f"last event: {last.type} at version {last.version}")

        with Probe(system) as subscriber:
            eventstore.subscribe_to(store, "people", subscriber)
            store.append("people", EventData("PersonMoved", {"city": "Novi Sad"}), ANY)
            _, event = subscriber.expect(("on_event", ANYTHING))
            print(f"live: {event.type} {event.data}")

        store.delete_stream("people")  # soft: can be written again, numbering continues
        again = store.append("people", EventData("PersonCreated", {"name": "Pera"}), NO_STREAM)
        print(f"recreated after a soft delete at version {again.next_expected_version}")
        store.delete_stream("people", hard=True)
        print("hard deleted:", store.stream_info("people").state)


if __name__ == "__main__":
    main()
