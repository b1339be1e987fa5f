"""MyFanoutListener: forward live events (to web sockets, say); no history,
no checkpoint (Extreme.FanoutListener's example).

python examples/eventstore_fanout_listener.py
"""

from __future__ import annotations

from typing import Any

import actors
import supervision as sv
from actors.eventstore import EventData, EventStore, FanoutListener
from actors.testing import ANY, Probe

EVENT_STORE = "MyApp.EventStore"


def push_event(socket: Any, data: Any, event_type: str) -> str:
    """MyApp.MyPusher: transform and push the events clients care about."""
    if event_type == "PersonCreated":
        print(f"Transform and push event with data: {data}")
        actors.send(socket, ("pushed", data["name"]))
    return "ok"  # just acknowledge events we are not interested in


class MyFanoutListener(FanoutListener):
    def on_init(self, socket: Any) -> None:
        self.socket = socket

    def process_push(self, event: Any) -> str:
        print(f"Forward to web socket event {event.event_type}")
        return push_event(self.socket, event.data, event.event_type)


def main() -> None:
    with actors.ActorSystem() as system, Probe(system) as socket:
        app = sv.Supervisor.start(
            [
                EventStore.child_spec(":memory:", name=EVENT_STORE),
                sv.child_spec(
                    "fanout",
                    MyFanoutListener,
                    EVENT_STORE,
                    "people",
                    socket,
                    name="MyFanoutListener",
                ),
            ],
            name="MyApp.Supervisor",
        )
        store = EventStore.connect(EVENT_STORE)
        store.append("people", EventData("PersonCreated", {"name": "Pera"}))
        store.append("people", EventData("PersonVisited", {"page": "/"}))
        store.append("people", EventData("PersonCreated", {"name": "Zika"}))
        pushed = [socket.expect(("pushed", ANY))[1] for _ in range(2)]
        print(f"the web socket got: {', '.join(pushed)}")
        actors.stop(app)


if __name__ == "__main__":
    main()
