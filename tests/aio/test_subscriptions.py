"""Subscriptions read from a coroutine: pub/sub (with the instance's
delivery policy) and the event store (catch-up, live, persistent)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import actors
from actors import eventstore, pubsub
from actors.eventstore import EventData, EventStore
from actors.pubsub import PubSubManager

pytestmark = pytest.mark.asyncio


def settle(instance: pubsub.PubSub) -> None:
    """Wait until the instance actor has cleaned up subscribers that exited
    (its DOWNs are handled before the sync call)."""
    assert instance.sync()


async def test_asubscribe_receives_broadcasts_and_leaves(actor_system: actors.ActorSystem) -> None:
    health = PubSubManager.of(actor_system).ensure("health")
    async with pubsub.asubscribe("health", "cluster:*", system=actor_system) as sub:
        assert [(sub.inbox, None)] == pubsub.subscribers(health, "cluster:node-a")
        for n in range(3):
            assert actors.Ok(delivered=1) == pubsub.broadcast(
                "health", f"cluster:node-{n}", ("node_health_updated", n), system=actor_system
            )
        got = [await sub.receive(5) for _ in range(3)]
        assert [("node_health_updated", n) for n in range(3)] == got
        assert 1 == health.statistics().subscribers
    settle(health)
    assert [] == pubsub.subscribers(health, "cluster:node-a")
    assert actors.Ok(delivered=0) == pubsub.broadcast(
        "health", "cluster:node-a", "late", system=actor_system
    )


async def test_async_for_over_a_subscription(actor_system: actors.ActorSystem) -> None:
    PubSubManager.of(actor_system).ensure("events")
    received = []
    async with pubsub.asubscribe("events", "orders", system=actor_system) as sub:
        for n in range(5):
            pubsub.broadcast("events", "orders", ("order", n), system=actor_system)
        async for message in sub:
            received.append(message)
            if len(received) == 5:
                break
    assert [("order", n) for n in range(5)] == received


async def test_the_instance_policy_bounds_a_slow_reader(actor_system: actors.ActorSystem) -> None:
    metrics = PubSubManager.of(actor_system).ensure(
        "metrics", mailbox_limit=2, overflow="drop_newest"
    )
    async with pubsub.asubscribe("metrics", "cpu", system=actor_system) as sub:
        results = [pubsub.broadcast("metrics", "cpu", n, system=actor_system) for n in range(5)]
        assert [actors.Ok(delivered=1)] * 2 == results[:2]
        assert [actors.Ok(delivered=0, dropped=1)] * 3 == results[2:]
        assert [0, 1] == [await sub.receive(5), await sub.receive(5)]
        with pytest.raises(TimeoutError):
            await sub.receive(0.01)
    assert 3 == metrics.statistics().dropped


async def test_a_block_publisher_waits_for_the_reader(actor_system: actors.ActorSystem) -> None:
    PubSubManager.of(actor_system).ensure("audit", mailbox_limit=1, overflow="block")
    async with pubsub.asubscribe("audit", "trail", system=actor_system) as sub:
        results: list[Any] = []

        def publish() -> None:
            for n in range(4):
                results.append(pubsub.broadcast("audit", "trail", n, system=actor_system))

        publisher = threading.Thread(target=publish)
        publisher.start()
        got = [await sub.receive(5) for _ in range(4)]
        await asyncio.to_thread(publisher.join, 5)
    assert [0, 1, 2, 3] == got
    assert [actors.Ok(delivered=1)] * 4 == results


async def test_per_subscription_options_and_bad_arguments(
    actor_system: actors.ActorSystem,
) -> None:
    PubSubManager.of(actor_system).ensure("logging")
    async with pubsub.asubscribe(
        "logging", "app", system=actor_system, mailbox_limit=1, overflow="reject"
    ) as sub:
        assert actors.Ok(delivered=1) == pubsub.broadcast("logging", "app", 1, system=actor_system)
        result = pubsub.broadcast("logging", "app", 2, system=actor_system)
        # The refusal names the subscriber that missed the message.
        assert (
            actors.Error("mailbox_full", delivered=0, rejected=1, undelivered=(sub.inbox,))
            == result
        )
    with pytest.raises(TypeError, match="unknown option"):
        pubsub.asubscribe("logging", "app", mailbox=3)
    with pytest.raises(pubsub.InvalidTopic):
        async with pubsub.asubscribe("logging", "", system=actor_system):
            pass
    with pytest.raises(pubsub.NoInstance):
        async with pubsub.asubscribe("nowhere", "app", system=actor_system):
            pass


@pytest.fixture
def store(actor_system: actors.ActorSystem, tmp_path: Path) -> Iterator[EventStore]:
    with EventStore.open(str(tmp_path / "events.db"), system=actor_system) as opened:
        yield opened


async def test_catch_up_then_live(store: EventStore) -> None:
    store.append("orders-1", [EventData("Placed", {"n": n}) for n in range(3)])
    async with eventstore.asubscribe(store, "orders-1", from_version=0) as sub:
        history = [await sub.receive(5) for _ in range(3)]
        assert [0, 1, 2] == [event.version for _, event in history]
        assert ("caught_up",) == await sub.receive(5)
        store.append("orders-1", EventData("Paid", {"n": 3}))
        tag, live = await sub.receive(5)
        assert ("on_event", "Paid") == (tag, live.type)
        subscription = sub.subscription
    # Leaving the block ends the subscription (it watches its subscriber).
    assert subscription.actor_stopped.wait(5)


async def test_live_only_and_the_end_of_iteration(store: EventStore) -> None:
    store.append("orders-2", EventData("Old"))
    received = []
    async with eventstore.asubscribe(store, "orders-2") as sub:
        store.append("orders-2", [EventData("New", {"n": n}) for n in range(2)])
        # Both read before the delete: a delete removes events not yet read
        # (the subscription is pull-based, as EventStoreDB's catch-up ones).
        for _ in range(2):
            tag, event = await sub.receive(5)
            received.append(event.type if tag == "on_event" else tag)
        store.delete_stream("orders-2", hard=True)
        async for message in sub:
            received.append(message[0])
    assert ["New", "New", "extreme"] == received


async def test_a_persistent_consumer_acks(store: EventStore) -> None:
    store.create_persistent_subscription("orders-3", "billing")
    store.append("orders-3", [EventData("Placed", {"n": n}) for n in range(4)])
    async with eventstore.asubscribe(store, "orders-3", group="billing", buffer_size=2) as sub:
        assert sub.connection is not None
        for _ in range(4):
            tag, event, correlation_id = await sub.receive(5)
            assert "on_event" == tag
            eventstore.ack(sub.connection, event, correlation_id)
        stats = eventstore.subscription_statistics(sub.connection)
    assert 0 == store.persistent_subscription_info("orders-3", "billing").in_flight
    assert stats is not None
    with pytest.raises(ValueError, match="not both"):
        eventstore.asubscribe(store, "orders-3", 0, group="billing")


async def test_a_subscription_to_a_missing_group_fails_on_entry(store: EventStore) -> None:
    with pytest.raises(eventstore.GroupNotFound):
        async with eventstore.asubscribe(store, "orders-4", group="nobody"):
            pass
