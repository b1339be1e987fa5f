"""Failures: listeners that crash or vanish, a bus actor that crashes, a store
that refuses writes, and bad input."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import actors
import supervision as sv
from actors import eventbus
from actors.eventbus import (
    SERVER_NAME,
    DuplicateEvent,
    Event,
    EventBus,
    EventBusStoreError,
    ListenerDown,
    SqliteBackend,
    UnknownTopic,
)
from actors.testing import ANY, Probe
from tests.eventbus.listeners import Listener

# Crash = skipped ---------------------------------------------------------------------


def test_a_listener_that_crashes_on_an_event_has_it_skipped_and_is_reported(
    bus: EventBus, probe: Probe, downs: Probe
) -> None:
    eventbus.register_topic("t")
    good = Listener.start(probe, "complete")
    bad = Listener.start(probe, "crash")
    eventbus.subscribe((good, [".*"]))
    eventbus.subscribe((bad, [".*"]))

    eventbus.notify(Event("e", "t", 1))

    _, report = downs.expect(("down", ListenerDown))
    assert bad == report.listener
    assert bad.id == report.actor_id
    assert "RuntimeError: listener crashed on 'e'" == report.reason
    assert ((bad, "t", "e"),) == report.skipped
    probe.expect(("handled", good, ANY))
    bus.sync()
    assert [] == eventbus.watchers("t")  # the good one completed, the bad one was skipped
    metrics = eventbus.metrics()
    assert (1, 1, 1, 1) == (
        metrics.completed,
        metrics.skipped,
        metrics.finished,
        metrics.listeners_down,
    )
    # A ref can never come back: the crashed listener is unsubscribed.
    assert [good] == eventbus.subscribers("t")


def test_every_delivery_a_crashed_listener_held_is_skipped(
    bus: EventBus, probe: Probe, downs: Probe
) -> None:
    eventbus.register_topic("t")
    listener = Listener.start(probe, "hold")
    other = Listener.start(probe, "hold")
    eventbus.subscribe((listener, [".*"]))
    eventbus.subscribe(((listener, {"copy": 2}), [".*"]))
    eventbus.subscribe((other, [".*"]))
    for i in range(3):
        eventbus.notify(Event(i, "t", i))
    eventbus.mark_as_completed((listener, ("t", 0)), wait=True)

    actors.call(listener, ("act", "crash"))
    eventbus.notify(Event(3, "t", 3))

    _, report = downs.expect(("down", ListenerDown))
    copy = (listener, {"copy": 2})
    assert (
        (copy, "t", 0),
        (listener, "t", 1),
        (copy, "t", 1),
        (listener, "t", 2),
        (copy, "t", 2),
        (listener, "t", 3),
        (copy, "t", 3),
    ) == report.skipped
    bus.sync()
    watchers = eventbus.watchers("t")
    assert [0, 1, 2, 3] == [w.id for w in watchers]
    assert [(other,)] * 4 == [w.pending for w in watchers]
    # The listener is gone and owes nothing: it is listed by its actor id.
    assert (listener.id,) == watchers[0].completers
    assert ((listener.id, {"copy": 2}),) == watchers[0].skippers
    metrics = eventbus.metrics()
    assert (7, 1) == (metrics.skipped, metrics.listeners_down)
    # Gone and owing nothing: no longer listed.
    assert [other] == [x.subscriber for x in metrics.listeners]


def test_a_listener_that_stops_normally_while_holding_deliveries_has_them_skipped(
    bus: EventBus, probe: Probe, downs: Probe
) -> None:
    eventbus.register_topic("t")
    listener = Listener.start(probe, "hold")
    eventbus.subscribe((listener, [".*"]))
    eventbus.notify(Event("e", "t", 1))
    probe.expect(("handled", listener, ANY))

    actors.stop(listener)

    _, report = downs.expect(("down", ListenerDown))
    assert "normal" == report.reason
    bus.sync()
    assert None is eventbus.fetch_event(("t", "e"))


def test_a_listener_exiting_with_nothing_held_is_not_reported(
    bus: EventBus, probe: Probe, downs: Probe
) -> None:
    eventbus.register_topic("t")
    listener = Listener.start(probe, "complete")
    eventbus.subscribe((listener, [".*"]))
    eventbus.notify(Event("e", "t", 1))
    probe.expect(("handled", listener, ANY))
    watcher = Probe()
    watcher.monitor(listener)

    actors.stop(listener)
    watcher.expect(("DOWN", ANY, "process", ANY, "normal"))
    bus.sync()

    downs.refute(("down", ANY))
    assert [] == eventbus.subscribers()
    assert 0 == eventbus.metrics().listeners_down


def test_a_supervised_named_listener_keeps_its_subscription_across_restarts(
    bus: EventBus, probe: Probe, downs: Probe, events: Probe
) -> None:
    eventbus.register_topic("t")
    tree = sv.Supervisor.start([sv.child_spec("orders", Listener, probe, "crash", name="orders")])
    eventbus.subscribe(("orders", [".*"]))
    first = actors.whereis("orders")

    eventbus.notify(Event(1, "t", 1))

    _, report = downs.expect(("down", ListenerDown))
    assert ("orders", first.id, (("orders", "t", 1),)) == (
        report.listener,
        report.actor_id,
        report.skipped,
    )
    events.expect(lambda e: e.event_type == "restarted" and e.name == "orders")
    actors.call(sv.handle(tree, "orders"), ("act", "complete"))
    eventbus.notify(Event(2, "t", 2))
    second = probe.expect(("handled", ANY, ("event", "t", 2)))[1]
    assert first != second
    bus.sync()
    assert ["orders"] == eventbus.subscribers("t")
    assert [] == eventbus.watchers("t")


def test_a_named_listener_that_is_not_running_is_skipped_at_once(
    bus: EventBus, caplog: pytest.LogCaptureFixture
) -> None:
    eventbus.register_topic("t")
    eventbus.subscribe(("nobody_home", [".*"]))

    assert 1 == eventbus.notify(Event("e", "t", 1))

    bus.sync()
    assert None is eventbus.fetch_event(("t", "e"))
    metrics = eventbus.metrics()
    assert (1, 1) == (metrics.undeliverable, metrics.listener("nobody_home").skipped_on_exit)  # type: ignore[union-attr]
    assert "no live actor for 'nobody_home'" in caplog.text


def test_a_failing_hook_does_not_stop_the_others_or_the_bus(
    bus: EventBus, probe: Probe, downs: Probe
) -> None:
    def broken(report: ListenerDown) -> None:
        raise RuntimeError("hook broke")

    eventbus.on_listener_down(broken)
    eventbus.register_topic("t")
    eventbus.subscribe((Listener.start(probe, "crash"), [".*"]))

    eventbus.notify(Event("e", "t", 1))

    downs.expect(("down", ListenerDown))
    assert 0 == eventbus.notify(Event("e2", "t", 1))


def test_a_removed_hook_is_not_called(bus: EventBus, probe: Probe, downs: Probe) -> None:
    with Probe() as removed:
        remove = eventbus.on_listener_down(lambda r: removed.deliver(r))
        remove()
        eventbus.register_topic("t")
        eventbus.subscribe((Listener.start(probe, "crash"), [".*"]))
        eventbus.notify(Event("e", "t", 1))

        downs.expect(("down", ListenerDown))
        removed.refute()


# The bus actor crashes -------------------------------------------------------------


def _crash_the_bus(events: Probe) -> None:
    old = actors.whereis(SERVER_NAME)
    actors.exit(old, "kill")
    events.expect(lambda e: e.event_type == "restarted" and e.name == SERVER_NAME, 5)
    assert actors.whereis(SERVER_NAME) not in (None, old)


@pytest.mark.parametrize("store", ["file", "memory"])
def test_a_restarted_bus_keeps_topics_subscriptions_events_and_who_holds_them(
    actor_system, tmp_path: Path, probe: Probe, events: Probe, store: str
) -> None:
    path = tmp_path / "bus.db" if store == "file" else ":memory:"
    bus = EventBus.start(path, topics=["t"])
    with Probe() as downs:
        bus.on_listener_down(lambda r: downs.deliver(("down", r)))
        holder = Listener.start(probe, "hold")
        completer = Listener.start(probe, "hold")
        eventbus.subscribe((holder, [".*"]))
        eventbus.subscribe((completer, [".*"]))
        eventbus.notify(Event("e", "t", {"kept": True}))

        _crash_the_bus(events)

        assert ["t"] == eventbus.topics()
        assert [holder, completer] == eventbus.subscribers("t")
        assert {"kept": True} == eventbus.fetch_event_data(("t", "e"))
        assert 1 == eventbus.metrics().restarts
        # The new incarnation watches the holders of the old one's deliveries.
        actors.call(holder, ("act", "crash"))
        eventbus.notify(Event("e2", "t", 2))
        _, report = downs.expect(("down", ListenerDown))
        assert {("t", "e"), ("t", "e2")} == {(t, i) for _, t, i in report.skipped}
        assert "finished" == eventbus.mark_as_completed((completer, ("t", "e")), wait=True)
    bus.stop()


# The store refuses writes ---------------------------------------------------------


class FlakyBackend:
    """An in-memory SQLite backend whose writes can be made to fail."""

    shared = False
    description = "flaky"

    def __init__(self) -> None:
        self.inner = SqliteBackend()
        self.failing: str | None = None
        self.healed_write = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def write(self, events, marks):
        if self.failing is not None:
            raise EventBusStoreError(f"cannot write: {self.failing}")
        result = self.inner.write(events, marks)
        if marks:
            self.healed_write.set()
        return result


def test_a_refused_write_fails_the_waiting_notify_and_marks_are_retried(
    manual_system, clock: actors.ManualClock
) -> None:
    backend = FlakyBackend()
    bus = EventBus.start(backend, system=manual_system, topics=["t"])
    with Probe(manual_system) as probe:
        listener = Listener.start(probe, "hold", system=manual_system)
        bus.subscribe((listener, [".*"]))
        bus.notify(Event("e", "t", 1))
        backend.healed_write.clear()
        backend.failing = "disk I/O error"

        with pytest.raises(EventBusStoreError, match="disk I/O error"):
            bus.notify(Event("lost", "t", 1))
        bus.mark_as_completed((listener, ("t", "e")))
        bus.sync()  # its write fails too; the mark is kept for a retry

        assert {"t": 1} == {t.topic: t.unprocessed for t in bus.metrics().topics}
        backend.failing = None
        clock.advance(5.0)  # retries back off, to at most 5 s apart
        assert backend.healed_write.wait(5)

        bus.sync()
        assert None is bus.fetch_event(("t", "e"))
        assert None is bus.fetch_event(("t", "lost"))
        assert 1 <= bus.metrics().store_failures
    bus.stop()
    backend.inner.close()


# Bad input --------------------------------------------------------------------------


def _state(bus: EventBus) -> tuple[Any, ...]:
    metrics = bus.metrics()
    return (
        bus.topics(),
        bus.subscribers(),
        [(w.id, w.subscribers, w.completers, w.skippers) for w in bus.watchers("t")],
        bus.fetch_event(("t", "e")),
        (metrics.notified, metrics.completed, metrics.skipped, metrics.unprocessed),
    )


@pytest.mark.parametrize(
    ("call", "error", "text"),
    [
        (
            lambda: eventbus.notify({"id": "x"}),  # type: ignore[arg-type]
            TypeError,
            "takes an actors.eventbus.Event, got dict",
        ),
        (lambda: eventbus.notify(Event("x", "nope", 1)), UnknownTopic, "'nope' is not registered"),
        (lambda: eventbus.notify(Event("x", "nope", 1), wait=False), UnknownTopic, "'nope'"),
        (lambda: eventbus.notify(Event("e", "t", "again")), DuplicateEvent, "already stored"),
        (lambda: Event("x", "t", {"s": {1}}), TypeError, r"holds a set .* @ \$\.data\.s"),
        (lambda: eventbus.register_topic(""), ValueError, "must not be empty"),
        (lambda: eventbus.register_topic(7), TypeError, "a topic must be a str, got int"),  # type: ignore[arg-type]
        (lambda: eventbus.topic_exist(None), TypeError, "a topic must be a str"),  # type: ignore[arg-type]
        (lambda: eventbus.subscribe("listener"), TypeError, r"one \(subscriber, patterns\) tuple"),  # type: ignore[arg-type]
        (lambda: eventbus.subscribe(("a", "b", [".*"])), TypeError, "patterns"),  # type: ignore[arg-type]
        (lambda: eventbus.subscribe(("a", ".*")), TypeError, r"write \['\.\*'\]"),  # type: ignore[arg-type]
        (lambda: eventbus.subscribe(("a", [])), ValueError, "at least one topic pattern"),
        (lambda: eventbus.subscribe((42, [".*"])), TypeError, "a listener must be a Ref"),
        (lambda: eventbus.subscribe((("w", 1, 2), [".*"])), TypeError, "a 3-tuple"),
        (lambda: eventbus.subscribe(((("w", 1), {}), [".*"])), TypeError, "by its ref"),
        (lambda: eventbus.subscribe((("a", {1, 2}), [".*"])), TypeError, "config .* must be JSON"),
        (lambda: eventbus.fetch_event("t"), TypeError, r"a \(topic, id\) tuple, got str"),  # type: ignore[arg-type]
        (lambda: eventbus.fetch_event(("t", None)), TypeError, "id must be a str or an int"),  # type: ignore[arg-type]
        (lambda: eventbus.mark_as_completed("a"), TypeError, r"\(subscriber, \(topic, id\)\)"),  # type: ignore[arg-type]
        (lambda: eventbus.mark_as_completed(("a", ("t",))), TypeError, r"\(topic, id\) tuple"),
        (lambda: eventbus.mark_as_skipped((1, "t", "e")), TypeError, "a listener must be"),
        (lambda: eventbus.watchers(3), TypeError, "a topic must be a str"),  # type: ignore[arg-type]
        (lambda: eventbus.unsubscribe([]), TypeError, "a listener must be"),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    bus: EventBus, probe: Probe, call, error, text
) -> None:
    eventbus.register_topic("t")
    eventbus.subscribe((probe, [".*"]))
    eventbus.notify(Event("e", "t", "first"))
    before = _state(bus)

    with pytest.raises(error, match=text):
        call()

    bus.sync()
    assert before == _state(bus)


def test_subscribing_an_actor_that_has_exited_is_refused(bus: EventBus, probe: Probe) -> None:
    listener = Listener.start(probe)
    actors.stop(listener)

    with pytest.raises(ValueError, match="that actor has exited"):
        eventbus.subscribe((listener, [".*"]))


def test_a_duplicate_sent_without_waiting_is_logged_and_counted(
    bus: EventBus, probe: Probe, caplog: pytest.LogCaptureFixture
) -> None:
    eventbus.register_topic("t")
    eventbus.subscribe((probe, [".*"]))
    eventbus.notify(Event("e", "t", "first"))

    eventbus.notify(Event("e", "t", "second"), wait=False)

    bus.sync()
    assert "first" == eventbus.fetch_event_data(("t", "e"))
    assert 1 == eventbus.metrics().topic("t").rejected  # type: ignore[union-attr]
    assert "already stored on topic 't'" in caplog.text


def test_without_a_bus_every_function_says_so(actor_system) -> None:
    for call in (
        lambda: eventbus.topics(),
        lambda: eventbus.register_topic("t"),
        lambda: eventbus.notify(Event("e", "t", 1)),
        lambda: eventbus.fetch_event(("t", "e")),
        lambda: eventbus.EventSource.notify({"topic": "t"}, lambda: 1),
    ):
        with pytest.raises(eventbus.NotRunning, match="start one with"):
            call()


def test_a_store_that_cannot_be_opened_fails_the_start_with_the_reason(
    actor_system, actor_system_factory, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database" * 100)

    with pytest.raises(EventBusStoreError, match="cannot open EventBus store"):
        EventBus.start(path)
    with pytest.raises(TypeError, match="must be a path"):
        EventBus.start(3.5)
    with pytest.raises(ValueError, match="unknown keys"):
        EventBus.start(system=actor_system_factory(config={"eventbus": {"topicz": []}}))


def test_a_named_listener_stopped_on_purpose_gets_what_it_held_when_it_is_back(
    bus: EventBus, probe: Probe, downs: Probe, events: Probe
) -> None:
    # A shutdown is not a crash: the next actor holding the name is sent
    # what the previous one held, before the new shadows.
    eventbus.register_topic("t")
    tree = sv.Supervisor.start([sv.child_spec("orders", Listener, probe, "hold", name="orders")])
    eventbus.subscribe(("orders", [".*"]))
    eventbus.notify(Event(1, "t", 1))
    probe.expect(("handled", ANY, ("event", "t", 1)))

    sv.terminate_child(tree, "orders")
    bus.sync()
    assert [("orders",)] == [w.pending for w in eventbus.watchers("t")]
    sv.restart_child(tree, "orders")
    actors.call("orders", ("act", "complete"))
    eventbus.notify(Event(2, "t", 2))

    assert [("event", "t", 1), ("event", "t", 2)] == [
        probe.expect(("handled", ANY, ANY))[2] for _ in range(2)
    ]
    bus.sync()
    assert [] == eventbus.watchers("t")
    downs.refute(("down", ANY))
