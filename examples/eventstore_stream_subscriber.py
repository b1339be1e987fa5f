"""The StreamSubscriber: read the unprocessed events and stay subscribed;
subscribe again when the subscription goes down (Extreme's
``read_and_stay_subscribed`` example).

python examples/eventstore_stream_subscriber.py
"""

from __future__ import annotations

from typing import Any

import actors
from actors import eventstore
from actors.eventstore import EventData, EventStore
from actors.testing import Probe


class StreamSubscriber(actors.GenServer):
    def init(self, store: EventStore, last_processed_event: int, progress: Any) -> None:
        self.store = store
        self.progress = progress  # where to report each processed event (a Probe here)
        self.stream = "people"
        self.last_event = last_processed_event
        self.subscription: Any = None
        actors.cast(self.ref, ("subscribe",))

    def handle_cast(self, request: Any) -> None:
        match request:
            case ("subscribe",):
                # read only unprocessed events and stay subscribed
                self.subscription = eventstore.read_and_stay_subscribed(
                    self.store, self.stream, self.last_event + 1
                )
                # we want to monitor when the subscription crashes so we can resubscribe
                self.subscription_ref = actors.monitor(self.subscription)
                print(f"subscribed from event {self.last_event + 1}")
            case _:
                super().handle_cast(request)

    def handle_info(self, message: Any) -> None:
        match message:
            case ("DOWN", ref, "process", _, reason) if ref is self.subscription_ref:
                print(f"subscription went down ({actors.format_reason(reason)}): resubscribing")
                actors.cast(self.ref, ("subscribe",))
            case ("on_event", event) if event.version > self.last_event:
                print(f"Do something with {event.type} {event.data}")
                self.last_event = event.version  # persist it where you keep your state
                actors.send(self.progress, ("processed", event.version))
            case ("caught_up",):
                print("We are up to date!")
            case ("extreme", severity, problem, stream):
                print(f"Stream {stream} issue ({severity}): {problem}")
            case _:
                pass

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("last_event",):
                return self.last_event
            case ("subscription",):
                return self.subscription
            case _:
                return super().handle_call(request, caller)


def main() -> None:
    with (
        actors.ActorSystem() as system,
        EventStore.open(":memory:", system=system) as store,
        Probe(system) as progress,
    ):
        store.append("people", [EventData("PersonCreated", {"name": n}) for n in ("Pera", "Mika")])
        subscriber = StreamSubscriber.start(store, -1, progress)
        progress.expect(("processed", 1))

        store.append("people", EventData("PersonCreated", {"name": "Zika"}))
        progress.expect(("processed", 2))

        actors.exit(actors.call(subscriber, ("subscription",)), "kill")  # simulate a crash
        store.append("people", EventData("PersonCreated", {"name": "Laza"}))
        progress.expect(("processed", 3))
        progress.refute(("processed", 2))
        print(f"processed up to event {actors.call(subscriber, ('last_event',))}, none twice")
        actors.stop(subscriber)  # before the store closes (it would resubscribe)


if __name__ == "__main__":
    main()
