"""An EventBus listener, as in event_bus's "Sample Listener Implementation".

A listener is an actor: the shadow ``("event", topic, id)`` (or
``("event", config, topic, id)`` for a listener subscribed with a config)
arrives in ``handle_info``; it fetches the event, does its work, and marks
it completed or skipped. When every subscriber is done, the event and its
watcher are deleted. A listener that crashes has its event skipped.

    python examples/eventbus_listener.py
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

import actors
from actors import eventbus
from actors.eventbus import Event, EventBus


class MyEventListener(actors.GenServer):
    """Processes bye_received and hello_received; skips every other topic."""

    def init(self, name: str) -> None:
        self.label = name
        self.processed: list[Any] = []

    def handle_info(self, message: Any) -> None:
        match message:
            # if your listener does not have a config
            case ("event", "bye_received" | "hello_received" as topic, event_id):
                event = eventbus.fetch_event((topic, event_id))
                self.processed.append(event.data if event else None)
                print(f"  {self.label}: processed {topic} {event_id}: {self.processed[-1]}")
                eventbus.mark_as_completed((self.ref, (topic, event_id)))
            case ("event", topic, event_id):
                print(f"  {self.label}: skipped {topic} {event_id}")
                eventbus.mark_as_skipped((self.ref, topic, event_id))
            # if your listener has a config
            case ("event", config, "bye_received" as topic, event_id):
                data = eventbus.fetch_event_data((topic, event_id))
                print(f"  {self.label} {config}: processed {topic} {event_id}: {data}")
                eventbus.mark_as_completed(((self.ref, config), topic, event_id))
            case ("event", config, topic, event_id):
                print(f"  {self.label} {config}: skipped {topic} {event_id}")
                eventbus.mark_as_skipped(((self.ref, config), topic, event_id))

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("processed",):
                return self.processed
            case _:
                return super().handle_call(request, caller)


class Fragile(actors.GenServer):
    """Crashes on every event: the bus skips what it held and reports it."""

    def handle_info(self, message: Any) -> None:
        raise RuntimeError(f"cannot handle {message!r}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, actors.ActorSystem():
        bus = EventBus.start(Path(tmp) / "app.db", topics=["hello_received", "bye_received"])
        eventbus.register_topic("metrics_updated")
        listener = MyEventListener.start("listener")
        with_config = MyEventListener.start("listener-with-config")
        eventbus.subscribe((listener, [".*"]))
        eventbus.subscribe(((with_config, {"region": "eu"}), ["bye_", "metrics_"]))

        event = Event("123", "hello_received", {"message": "Hello"}, transaction_id="1")
        another_event = Event("124", "bye_received", {"user_id": 1, "goal": "exit"}, "1")
        print("notify hello_received 123 ->", eventbus.notify(event), "subscriber(s)")
        print("notify bye_received 124 ->", eventbus.notify(another_event), "subscriber(s)")
        print("notify metrics_updated 1 ->", eventbus.notify(Event(1, "metrics_updated", 42)))
        actors.call(listener, ("processed",))  # it has handled what was sent before
        actors.call(with_config, ("processed",))
        bus.sync()  # and the bus has written their marks

        done = eventbus.fetch_event(("bye_received", "124"))
        print("fetch_event(('bye_received', '124')) once everyone is done:", done)

        # A listener that never marks keeps the event in the store: the
        # watcher shows who is done and who is not.
        holder = Holder.start()
        eventbus.subscribe((holder, ["hello_"]))
        eventbus.notify(Event("125", "hello_received", {"message": "Hello again"}))
        actors.call(listener, ("processed",))
        bus.sync()
        for watcher in eventbus.watchers("hello_received"):
            print(
                f"unprocessed {watcher.topic} {watcher.id}: "
                f"{len(watcher.subscribers)} subscribers, {len(watcher.completers)} completed, "
                f"{len(watcher.skippers)} skipped, {len(watcher.pending)} pending"
            )
        data = eventbus.fetch_event_data(("hello_received", "125"))
        print("fetch_event_data(('hello_received', '125')):", data)

        eventbus.unsubscribe(holder)
        print(
            "the holder completes it at last:",
            eventbus.mark_as_completed((holder, ("hello_received", "125")), wait=True),
        )

        # Crash = skipped: the event is not left behind, and it is reported.
        reports: list[eventbus.ListenerDown] = []
        reported = threading.Event()

        def on_listener_down(report: eventbus.ListenerDown) -> None:  # the bus's thread
            reports.append(report)
            reported.set()

        eventbus.on_listener_down(on_listener_down)
        eventbus.subscribe((Fragile.start(), ["bye_"]))
        eventbus.notify(Event("126", "bye_received", {"user_id": 2}))
        reported.wait(10)
        actors.call(listener, ("processed",))
        actors.call(with_config, ("processed",))
        bus.sync()
        print(f"a listener crashed ({reports[0].reason}); skipped: {reports[0].skipped}")
        print(
            "fetch_event(('bye_received', '126')):", eventbus.fetch_event(("bye_received", "126"))
        )
        metrics = eventbus.metrics()
        print(
            f"metrics: {metrics.notified} notified, {metrics.completed} completed, "
            f"{metrics.skipped} skipped, {metrics.finished} finished, "
            f"{metrics.unprocessed} unprocessed, {metrics.listeners_down} listener down"
        )


class Holder(actors.GenServer):
    def handle_info(self, message: Any) -> None:
        print(f"  holder: received {message}, not marking it yet")


if __name__ == "__main__":
    main()
