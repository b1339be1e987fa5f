"""A process that notifies events until it is killed (run by test_bus_durability).

    python -m tests.eventbus.durability_child <db path>

It subscribes a named listener that never marks (its deliveries stay
pending in the store) and a listener by ref, then notifies events 0, 1, 2...
with ``wait=True``, printing ``acked <i>`` after each commit.
"""

from __future__ import annotations

import sys
from typing import Any

import actors
from actors import eventbus
from actors.eventbus import Event, EventBus


class Holder(actors.GenServer):
    def handle_info(self, message: Any) -> None:
        pass  # never marks: its deliveries must survive in the store


def main(path: str) -> None:
    with actors.ActorSystem("child"):
        EventBus.start(path, topics=["orders"])
        Holder.start(name="archiver")
        eventbus.subscribe(("archiver", ["orders"]))
        eventbus.subscribe((Holder.start(), [".*"]))
        print("ready", flush=True)
        i = 0
        while True:
            eventbus.notify(Event(i, "orders", {"order": i, "lines": ["a", "b"]}))
            print(f"acked {i}", flush=True)
            i += 1


if __name__ == "__main__":
    main(sys.argv[1])
