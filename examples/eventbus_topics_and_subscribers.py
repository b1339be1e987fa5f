"""EventBus topics and subscribers, as in event_bus's README.

Topics come from the config and from ``register_topic``; listeners are
actors subscribed with regex patterns, alone or with a config.

    python examples/eventbus_topics_and_subscribers.py
"""

from __future__ import annotations

from typing import Any

import actors
from actors import eventbus
from actors.eventbus import EventBus


class MyEventListener(actors.GenServer):
    def handle_info(self, message: Any) -> None:
        pass


class AnotherListener(actors.GenServer):
    def handle_info(self, message: Any) -> None:
        pass


def main() -> None:
    # config :event_bus, topics: [:message_received, :another_event_occured]
    config = {"eventbus": {"topics": ["message_received", "another_event_occured"]}}
    with actors.ActorSystem(config=config):
        EventBus.start()  # ":memory:" here; give a file path to keep events
        print("topics from the config:", eventbus.topics())

        eventbus.register_topic("webhook_received")
        print("after register_topic('webhook_received'):", eventbus.topics())
        # Warning: it also deletes the topic's unprocessed events.
        eventbus.unregister_topic("webhook_received")
        print("after unregister_topic('webhook_received'):", eventbus.topics())
        print("topic_exist('metrics_updated'):", eventbus.topic_exist("metrics_updated"))

        listener = MyEventListener.start(name="my_event_listener")
        another = AnotherListener.start()

        # To catch every event topic:
        eventbus.subscribe(("my_event_listener", [".*"]))
        # To catch specific topics (anchored at the start; "$" for the whole name):
        eventbus.subscribe((another, ["purchase_", "booking_confirmed$", "flight_passed$"]))
        # A listener with a config is its own subscriber:
        config_listener: tuple[actors.Ref[AnotherListener], dict[str, Any]] = (another, {})
        eventbus.subscribe((config_listener, [".*"]))

        for topic in ("purchase_made", "booking_confirmed", "booking_confirmed_late"):
            eventbus.register_topic(topic)

        print("subscribers():")
        for subscriber, patterns in eventbus.subscribers():
            print(f"  {_name(subscriber)}: {patterns}")
        for topic in ("purchase_made", "booking_confirmed_late", "hello_received"):
            names = [_name(s) for s in eventbus.subscribers(topic)]
            print(f"subscribers({topic!r}): {names}")

        eventbus.unsubscribe("my_event_listener")
        eventbus.unsubscribe(config_listener)
        print("after unsubscribing two:", [_name(s) for s, _ in eventbus.subscribers()])
        actors.stop(listener)


def _name(subscriber: Any) -> str:
    if isinstance(subscriber, tuple):
        return f"({_name(subscriber[0])}, {subscriber[1]!r})"
    if isinstance(subscriber, actors.Ref):
        return subscriber.actor_class.__name__
    return repr(subscriber)


if __name__ == "__main__":
    main()
