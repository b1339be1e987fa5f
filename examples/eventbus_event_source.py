"""EventSource: build and notify events around the code that makes their data,
as in event_bus's "Use block builder" and "Use block notifier".

    python examples/eventbus_event_source.py
"""

from __future__ import annotations

from typing import Any

import actors
from actors import eventbus
from actors.eventbus import EventBus, EventSource


def create_user() -> dict[str, str]:
    # do some calc in here; as a result return only the event data
    return {"email": "jd@example.com", "name": "John Doe"}


def create_invalid_user() -> tuple[str, dict[str, str]]:
    return ("error", {"email": "Invalid format"})


def main() -> None:
    # It is recommended to set the optional params in the bus's config:
    config = {
        "eventbus": {
            "topics": [],
            "ttl": 30_000_000,
            "time_unit": "microsecond",
            # "id_generator": a zero-argument callable (default: 16-char base62 ids)
        }
    }
    with actors.ActorSystem(config=config):
        EventBus.start()

        params = {
            "id": "some unique id",
            "topic": "user_created",
            "transaction_id": "tx",  # optional
            "ttl": 600_000,  # optional
            "source": "my event creator",  # optional
        }
        event = EventSource.build(params, create_user)
        print("build with every param:")
        print(f"  {event}")
        print(f"  took {event.duration} microseconds")

        event = EventSource.build({"topic": "user_created"}, create_user)
        print("build without optional params (config and defaults fill them):")
        print(f"  id={event.id!r} transaction_id={event.transaction_id!r} ttl={event.ttl}")
        print(f"  source={event.source!r} (the module the code comes from)")

        params = {
            "id": "some unique id",
            "topic": "user_created",
            "error_topic": "user_create_erred",
        }
        event = EventSource.build(params, create_invalid_user)
        print("build with an error result goes to the error topic:")
        print(f"  topic={event.topic!r} data={event.data!r}")

        # Block notifier: build, notify, and return only the event data.
        eventbus.register_topic("user_created")
        eventbus.register_topic("user_create_erred")
        received: list[Any] = []
        recorder = Recorder.start(received)
        eventbus.subscribe((recorder, ["user_"]))
        params = {
            "id": "u-1",
            "topic": "user_created",
            "error_topic": "user_create_erred",
            "transaction_id": "tx",
            "ttl": 600_000,
            "source": "my event creator",
        }
        data = EventSource.notify(
            params, lambda: {"email": "jane@example.com", "name": "Mrs Jane Doe"}
        )
        print("notify returned the data:", data)
        error = EventSource.notify({**params, "id": "u-2"}, create_invalid_user)
        print("notify of a failure returned:", error)

        # The same as a context manager.
        with EventSource.notify({"topic": "user_created", "id": "u-3"}) as source:
            source.data = {"email": "max@example.com", "name": "Max"}
        print("the with-block notified:", source.result)

        actors.call(recorder, ("sync",))  # it has handled what was sent before
        for event in received:
            print(f"the recorder got {event.topic} {event.id}: {event.data}")


class Recorder(actors.GenServer):
    """Keeps the shadows it receives and completes them."""

    def init(self, into: list[Any]) -> None:
        self.into = into

    def handle_info(self, message: Any) -> None:
        match message:
            case ("event", topic, event_id):
                self.into.append(eventbus.fetch_event((topic, event_id)))
                eventbus.mark_as_completed((self.ref, (topic, event_id)))

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("sync",):  # answered after the shadows sent before it
                return None
            case _:
                return super().handle_call(request, caller)


if __name__ == "__main__":
    main()
