"""Persistent subscriptions: competing consumers that ack and nack; the
store keeps the position, retries, parks and replays (Extreme's
persistent subscription example).

python examples/eventstore_persistent_consumer.py
"""

from __future__ import annotations

from typing import Any

import actors
from actors import eventstore
from actors.eventstore import EventData, EventStore, MaxSubscribersReached
from actors.testing import ANY, Probe

GROUP = "person-subscription"


class Consumer(actors.GenServer):
    """Acks what it can handle; nacks with retry what it cannot."""

    def init(self, store: EventStore, report: Any, refuse: set[str]) -> None:
        self.report, self.refuse = report, refuse
        self.subscription = eventstore.connect_to_persistent_subscription(
            store, GROUP, "people", self.ref, buffer_size=5
        )

    def handle_info(self, message: Any) -> None:
        match message:
            case ("on_event", event, correlation_id):
                who = event.data["name"]
                if who in self.refuse:
                    print(f"  {self.name}: cannot handle {who}: nack retry")
                    eventstore.nack(self.subscription, event, correlation_id, "retry")
                    actors.send(self.report, ("refused", who))
                else:
                    print(f"  {self.name}: New event added to stream 'people': {who}")
                    eventstore.ack(self.subscription, event, correlation_id)
                    actors.send(self.report, ("handled", who))

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("statistics",):
                return eventstore.subscription_statistics(self.subscription)
            case _:
                return super().handle_call(request, caller)


def main() -> None:
    with (
        actors.ActorSystem() as system,
        EventStore.open(":memory:") as store,
        Probe(system) as report,
    ):
        store.create_persistent_subscription(
            "people",
            GROUP,
            start_from=0,
            message_timeout=10,
            live_buffer_size=500,
            read_batch_size=20,
            buffer_size=500,
            max_retry_count=2,
            checkpoint_after=1,
            checkpoint_max_count=500,
            checkpoint_min_count=1,
            max_subscriber_count=2,
        )
        print(f"created group {GROUP!r} on 'people' (at most 2 consumers, 2 retries)")
        Consumer.start(store, report, {"Mallory"}, name="consumer-a")
        b = Consumer.start(store, report, {"Mallory"}, name="consumer-b")
        names = ["Pera", "Mika", "Mallory", "Zika", "Laza"]
        store.append("people", [EventData("PersonCreated", {"name": n}) for n in names])
        handled = sorted(report.expect(("handled", ANY))[1] for _ in range(4))
        print(f"handled: {', '.join(handled)}")
        for _ in range(3):  # the first delivery and max_retry_count retries
            report.expect(("refused", "Mallory"))
        actors.call(b, ("statistics",))  # the last nack has been handled: Mallory is parked
        (parked,) = store.parked_messages("people", GROUP)
        assert parked.event is not None  # None only once the stream is trimmed
        print(f"parked: {parked.event.data['name']} after {parked.retry_count} retries")

        try:
            eventstore.connect_to_persistent_subscription(store, GROUP, "people", report)
        except MaxSubscribersReached as exc:
            print(f"a third consumer is refused: {exc}")
        actors.stop(b)
        Consumer.start(store, report, set(), name="consumer-c")
        print("consumer-b left, consumer-c (who handles anyone) joined; replaying parked")
        store.replay_parked_messages("people", GROUP)
        print(f"handled after the replay: {report.expect(('handled', ANY))[1]}")
        info = store.persistent_subscription_info("people", GROUP)
        print(f"group: {info.in_flight} in flight, {info.parked} parked, lag {info.lag}")


if __name__ == "__main__":
    main()
