"""The EventBus's rules: topics, subscribers, notify, fetch, marks, the watcher."""

from __future__ import annotations

from pathlib import Path

import pytest

import actors
from actors import eventbus
from actors.eventbus import Event, EventBus
from actors.testing import ANY, Probe
from tests.eventbus.listeners import Listener

# Topics ------------------------------------------------------------------------------


def test_topics_register_once_and_list_in_registration_order(bus: EventBus) -> None:
    for topic in ("metrics_received", "metrics_summed", "metrics_received", "t3"):
        eventbus.register_topic(topic)

    assert ["metrics_received", "metrics_summed", "t3"] == eventbus.topics()
    assert eventbus.topic_exist("t3")
    assert not eventbus.topic_exist("metrics_updated")


def test_topics_come_from_the_config_and_from_start(actor_system_factory, tmp_path: Path) -> None:
    system = actor_system_factory(config={"eventbus": {"topics": ["message_received"]}})
    bus = EventBus.start(tmp_path / "bus.db", system=system, topics=["another_event_occured"])

    assert ["message_received", "another_event_occured"] == bus.topics()


def test_registered_topics_are_kept_in_the_store(actor_system, tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    first = EventBus.start(path)
    first.register_topic("webhook_received")
    first.stop()

    second = EventBus.start(path)

    assert ["webhook_received"] == second.topics()


def test_unregister_drops_the_topics_unprocessed_events_and_keeps_patterns(
    bus: EventBus, probe: Probe
) -> None:
    eventbus.register_topic("webhook_received")
    listener = Listener.start(probe, "hold")
    eventbus.subscribe((listener, ["webhook_"]))
    eventbus.notify(Event("w1", "webhook_received", {"n": 1}))
    probe.expect(("handled", ANY, ANY))

    eventbus.unregister_topic("webhook_received")

    assert not eventbus.topic_exist("webhook_received")
    assert None is eventbus.fetch_event(("webhook_received", "w1"))
    assert [] == eventbus.watchers("webhook_received")
    assert [listener] == [s for s, _ in eventbus.subscribers()]
    # Registering it again re-attaches the subscriber, and starts empty.
    eventbus.register_topic("webhook_received")
    assert [listener] == eventbus.subscribers("webhook_received")
    assert "unknown_event" == eventbus.mark_as_completed(
        (listener, ("webhook_received", "w1")), wait=True
    )


def test_unregistering_an_unknown_topic_does_nothing(bus: EventBus) -> None:
    eventbus.unregister_topic("never_registered")

    assert [] == eventbus.topics()


# Subscriptions ----------------------------------------------------------------------


def test_subscribers_list_in_subscription_order_and_resubscribing_replaces_patterns(
    bus: EventBus, probe: Probe
) -> None:
    a = Listener.start(probe)
    b = Listener.start(probe)
    eventbus.subscribe((a, [".*"]))
    eventbus.subscribe(((b, {}), ["hello_"]))
    eventbus.subscribe((a, ["purchase_", "booking_confirmed$"]))

    assert [(a, ["purchase_", "booking_confirmed$"]), ((b, {}), ["hello_"])] == (
        eventbus.subscribers()
    )


def test_subscribers_of_a_topic_are_those_whose_patterns_match_it(
    bus: EventBus, probe: Probe
) -> None:
    for topic in ("purchase_made", "booking_confirmed", "booking_confirmed_late", "hello"):
        eventbus.register_topic(topic)
    everything = Listener.start(probe)
    specific = Listener.start(probe)
    eventbus.subscribe((everything, [".*"]))
    eventbus.subscribe((specific, ["purchase_", "booking_confirmed$", "flight_passed$"]))

    assert [everything, specific] == eventbus.subscribers("purchase_made")
    assert [everything, specific] == eventbus.subscribers("booking_confirmed")
    assert [everything] == eventbus.subscribers("booking_confirmed_late")
    assert [] == eventbus.subscribers("not_registered")


def test_patterns_that_do_not_compile_together_match_no_topic(
    bus: EventBus, probe: Probe, caplog: pytest.LogCaptureFixture
) -> None:
    eventbus.register_topic("purchase_made")
    listener = Listener.start(probe)
    eventbus.subscribe((listener, ["purchase_", "("]))

    assert [] == eventbus.subscribers("purchase_made")
    assert [(listener, ["purchase_", "("])] == eventbus.subscribers()
    assert "do not compile as one expression" in caplog.text


def test_listener_and_listener_with_config_are_different_subscribers(
    bus: EventBus, probe: Probe
) -> None:
    eventbus.register_topic("t")
    listener = Listener.start(probe, "hold")
    eventbus.subscribe((listener, [".*"]))
    eventbus.subscribe(((listener, {"a": 1}), [".*"]))
    eventbus.subscribe(((listener, {"a": 2}), [".*"]))

    assert 3 == eventbus.notify(Event("e", "t", None))
    got = [probe.expect(("handled", listener, ANY))[2] for _ in range(3)]
    assert [
        ("event", "t", "e"),
        ("event", {"a": 1}, "t", "e"),
        ("event", {"a": 2}, "t", "e"),
    ] == got

    eventbus.unsubscribe(listener)
    assert [(listener, {"a": 1}), (listener, {"a": 2})] == eventbus.subscribers("t")
    eventbus.unsubscribe((listener, {"a": 1}))
    assert [(listener, {"a": 2})] == eventbus.subscribers("t")


def test_config_identity_is_json_equality(bus: EventBus, probe: Probe) -> None:
    listener = Listener.start(probe)
    eventbus.subscribe(((listener, {"b": [1, 2], "a": 1}), [".*"]))
    eventbus.subscribe(((listener, {"a": 1, "b": (1, 2)}), ["x"]))

    # One subscriber, listed as last given.
    assert [((listener, {"a": 1, "b": (1, 2)}), ["x"])] == eventbus.subscribers()


def test_a_topic_registered_after_subscribing_is_matched_before_register_returns(
    bus: EventBus, probe: Probe
) -> None:
    # event_bus recomputes subscriptions in a cast: a notify right after
    # register_topic could find nobody subscribed.
    listener = Listener.start(probe)
    eventbus.subscribe((listener, ["order_"]))

    for i in range(30):
        eventbus.register_topic(f"order_{i}")
        assert 1 == eventbus.notify(Event(i, f"order_{i}", i))

    assert 30 == len([probe.expect(("handled", listener, ANY)) for _ in range(30)])


def test_a_subscribe_right_before_notify_is_seen(bus: EventBus, probe: Probe) -> None:
    eventbus.register_topic("t")

    for i in range(20):
        listener = Listener.start(probe)
        eventbus.subscribe((listener, ["t$"]))
        assert i + 1 == eventbus.notify(Event(i, "t", i))


def test_a_registered_name_is_a_listener_looked_up_at_each_delivery(
    bus: EventBus, probe: Probe
) -> None:
    eventbus.register_topic("t")
    first = Listener.start(probe, name="orders")
    eventbus.subscribe(("orders", [".*"]))
    eventbus.notify(Event(1, "t", None))
    probe.expect(("handled", first, ("event", "t", 1)))
    actors.stop(first)

    second = Listener.start(probe, name="orders")
    eventbus.notify(Event(2, "t", None))

    probe.expect(("handled", second, ("event", "t", 2)))
    assert ["orders"] == eventbus.subscribers("t")


# Notify, fetch and marks -----------------------------------------------------------


def test_notify_without_subscribers_stores_nothing(bus: EventBus) -> None:
    eventbus.register_topic("lonely")

    assert 0 == eventbus.notify(Event("e", "lonely", {"a": 1}))
    assert None is eventbus.fetch_event(("lonely", "e"))
    assert [] == eventbus.watchers("lonely")
    assert 1 == eventbus.metrics().topic("lonely").no_subscribers  # type: ignore[union-attr]


def test_notify_stores_the_event_and_sends_every_subscriber_its_shadow(
    bus: EventBus, probe: Probe
) -> None:
    eventbus.register_topic("bye_received")
    a = Listener.start(probe, "hold")
    b = Listener.start(probe, "hold")
    eventbus.subscribe((a, [".*"]))
    eventbus.subscribe(((b, {"region": "eu"}), ["bye_"]))
    event = Event("124", "bye_received", {"user_id": 1, "goal": "exit"}, "1")

    assert 2 == eventbus.notify(event)

    probe.expect(("handled", a, ("event", "bye_received", "124")))
    probe.expect(("handled", b, ("event", {"region": "eu"}, "bye_received", "124")))
    assert event == eventbus.fetch_event(("bye_received", "124"))
    assert {"user_id": 1, "goal": "exit"} == eventbus.fetch_event_data(("bye_received", "124"))


def test_shadows_are_sent_in_subscription_order(bus: EventBus, probe: Probe) -> None:
    # One mailbox (the probe's) shows the order in which the bus sends.
    eventbus.register_topic("t")
    eventbus.subscribe(((probe, 2), [".*"]))
    eventbus.subscribe((probe, [".*"]))
    eventbus.subscribe(((probe, 1), [".*"]))
    eventbus.subscribe(((probe, 2), ["t"]))  # keeps its place

    eventbus.notify(Event("e", "t", None))

    assert [("event", 2, "t", "e"), ("event", "t", "e"), ("event", 1, "t", "e")] == [
        probe.receive() for _ in range(3)
    ]


def test_the_event_is_deleted_once_every_subscriber_completed_or_skipped(
    bus: EventBus, probe: Probe
) -> None:
    eventbus.register_topic("t")
    completer = Listener.start(probe, "hold")
    skipper = Listener.start(probe, "hold")
    eventbus.subscribe((completer, [".*"]))
    eventbus.subscribe(((skipper, {}), [".*"]))
    eventbus.notify(Event("e", "t", 1))

    assert "applied" == eventbus.mark_as_completed((completer, ("t", "e")), wait=True)
    [watcher] = eventbus.watchers("t")
    assert (completer, (skipper, {})) == watcher.subscribers
    assert (completer,) == watcher.completers
    assert () == watcher.skippers
    assert ((skipper, {}),) == watcher.pending
    assert Event("e", "t", 1) == eventbus.fetch_event(("t", "e"))

    assert "finished" == eventbus.mark_as_skipped(((skipper, {}), "t", "e"), wait=True)
    assert [] == eventbus.watchers("t")
    assert None is eventbus.fetch_event(("t", "e"))
    assert None is eventbus.fetch_event_data(("t", "e"))


def test_listeners_that_complete_release_events_without_the_test_marking(
    bus: EventBus, probe: Probe
) -> None:
    eventbus.register_topic("t")
    for action in ("complete", "skip", "fetch"):
        eventbus.subscribe((Listener.start(probe, action), [".*"]))

    for i in range(10):
        eventbus.notify(Event(i, "t", {"i": i}))
    fetched = [probe.expect(("fetched", ANY, ANY))[2] for _ in range(10)]
    for _ in range(30):
        probe.expect(("handled", ANY, ANY))
    bus.sync()

    assert [Event(i, "t", {"i": i}) for i in range(10)] == fetched
    assert [] == eventbus.watchers("t")
    metrics = eventbus.metrics()
    assert (10, 30, 20, 10, 10, 0) == (
        metrics.notified,
        metrics.delivered,
        metrics.completed,
        metrics.skipped,
        metrics.finished,
        metrics.unprocessed,
    )


def test_a_subscriber_marking_twice_does_not_release_the_event_for_the_others(
    bus: EventBus, probe: Probe
) -> None:
    # event_bus only compares counts: a double completion released the event.
    eventbus.register_topic("t")
    fast = Listener.start(probe, "hold")
    slow = Listener.start(probe, "hold")
    eventbus.subscribe((fast, [".*"]))
    eventbus.subscribe((slow, [".*"]))
    eventbus.notify(Event("e", "t", 1))

    assert ["applied", "duplicate", "duplicate"] == [
        eventbus.mark_as_completed((fast, ("t", "e")), wait=True),
        eventbus.mark_as_completed((fast, ("t", "e")), wait=True),
        eventbus.mark_as_skipped((fast, ("t", "e")), wait=True),
    ]
    assert Event("e", "t", 1) == eventbus.fetch_event(("t", "e"))
    assert 2 == eventbus.metrics().duplicate_marks


def test_marks_by_non_subscribers_and_of_unknown_events_are_ignored_and_counted(
    bus: EventBus, probe: Probe
) -> None:
    eventbus.register_topic("t")
    subscriber = Listener.start(probe, "hold")
    stranger = Listener.start(probe, "hold")
    eventbus.subscribe((subscriber, [".*"]))
    eventbus.notify(Event("e", "t", 1))

    assert "not_subscriber" == eventbus.mark_as_completed((stranger, ("t", "e")), wait=True)
    # The same actor with a config is another subscriber.
    assert "not_subscriber" == eventbus.mark_as_completed(((subscriber, {}), ("t", "e")), wait=True)
    assert "unknown_event" == eventbus.mark_as_completed((subscriber, ("t", "nope")), wait=True)
    assert "unknown_event" == eventbus.mark_as_completed((subscriber, ("other", "e")), wait=True)

    assert Event("e", "t", 1) == eventbus.fetch_event(("t", "e"))
    metrics = eventbus.metrics()
    assert (2, 2) == (metrics.stray_marks, metrics.unknown_marks)


def test_marks_without_waiting_are_applied_in_order_with_later_calls(
    bus: EventBus, probe: Probe
) -> None:
    eventbus.register_topic("t")
    listener = Listener.start(probe, "hold")
    eventbus.subscribe((listener, [".*"]))
    for i in range(50):
        eventbus.notify(Event(i, "t", i))

    for i in range(50):
        assert None is eventbus.mark_as_completed((listener, ("t", i)))

    assert [] == eventbus.watchers("t")


def test_notify_without_waiting_delivers_the_same(bus: EventBus, probe: Probe) -> None:
    eventbus.register_topic("t")
    listener = Listener.start(probe)
    eventbus.subscribe((listener, [".*"]))

    for i in range(100):
        assert None is eventbus.notify(Event(i, "t", i), wait=False)

    assert list(range(100)) == [probe.expect(("handled", listener, ANY))[2][2] for _ in range(100)]
    bus.sync()
    assert (100, 0) == (eventbus.metrics().finished, eventbus.metrics().unprocessed)


def test_an_id_may_be_reused_once_its_event_is_processed(bus: EventBus, probe: Probe) -> None:
    eventbus.register_topic("t")
    listener = Listener.start(probe, "hold")
    eventbus.subscribe((listener, [".*"]))
    eventbus.notify(Event("e", "t", "first"))
    eventbus.mark_as_completed((listener, ("t", "e")), wait=True)

    assert 1 == eventbus.notify(Event("e", "t", "second"))
    assert "second" == eventbus.fetch_event_data(("t", "e"))


def test_an_unsubscribed_listener_may_still_mark_what_it_holds(bus: EventBus, probe: Probe) -> None:
    eventbus.register_topic("t")
    listener = Listener.start(probe, "hold")
    eventbus.subscribe((listener, [".*"]))
    eventbus.notify(Event("e", "t", 1))
    eventbus.unsubscribe(listener)

    assert 0 == eventbus.notify(Event("e2", "t", 1))
    assert "finished" == eventbus.mark_as_completed((listener, ("t", "e")), wait=True)


def test_chained_notify_from_inside_a_listener(bus: EventBus, probe: Probe) -> None:
    # event_bus's Calculator notifies from inside process/1.
    class Summer(actors.GenServer):
        def handle_info(self, message):
            match message:
                case ("event", "metrics_received", event_id):
                    numbers = eventbus.fetch_event_data(("metrics_received", event_id))
                    eventbus.notify(Event(event_id, "metrics_summed", sum(numbers)))
                    eventbus.mark_as_completed((self.ref, ("metrics_received", event_id)))

    eventbus.register_topic("metrics_received")
    eventbus.register_topic("metrics_summed")
    eventbus.subscribe((Summer.start(), ["metrics_received$"]))
    eventbus.subscribe((probe, ["metrics_summed$"]))

    eventbus.notify(Event("m1", "metrics_received", [1, 2, 3]))

    assert ("event", "metrics_summed", "m1") == probe.receive()
    assert 6 == eventbus.fetch_event_data(("metrics_summed", "m1"))


def test_the_module_functions_follow_the_current_system(actor_system_factory, tmp_path) -> None:
    one = actor_system_factory()
    two = actor_system_factory()
    EventBus.start(tmp_path / "one.db", system=one, topics=["a"])
    EventBus.start(tmp_path / "two.db", system=two, topics=["b"])

    with actors.lowlevel.using_system(one):
        assert ["a"] == eventbus.topics()
    assert ["b"] == eventbus.topics(system=two)


def test_a_second_bus_in_one_system_is_refused(bus: EventBus, tmp_path: Path) -> None:
    with pytest.raises(eventbus.EventBusError, match="already running"):
        EventBus.start(tmp_path / "other.db")


def test_a_stopped_bus_is_not_running_and_can_be_started_again(
    actor_system, tmp_path: Path
) -> None:
    bus = EventBus.start(tmp_path / "bus.db", topics=["t"])
    bus.stop()
    bus.stop()

    assert not bus.running
    with pytest.raises(eventbus.NotRunning, match="no EventBus is running"):
        eventbus.topics()
    assert ["t"] == EventBus.start(tmp_path / "bus.db").topics()
