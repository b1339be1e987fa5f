"""Many threads at once: nothing lost, nothing doubled, every rule still holds."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import actors
from actors import eventbus
from actors.eventbus import DuplicateEvent, Event, EventBus
from actors.testing import Probe
from tests.eventbus.listeners import Listener


def _in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads started together; their results
    (or exceptions) in order."""
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    return results


def _drain(*listeners: Any) -> None:
    """Return once each listener has handled every shadow already sent to it
    (a call is answered after the messages before it) and the bus has
    written the marks they made."""
    for listener in listeners:
        actors.call(listener, ("act", "complete"))


def test_concurrent_notifies_and_marking_listeners_lose_and_double_nothing(
    bus: EventBus, probe: Probe
) -> None:
    topics = [f"topic_{i}" for i in range(4)]
    for topic in topics:
        eventbus.register_topic(topic)
    listeners = [Listener.start(probe, action) for action in ("complete", "skip", "fetch")]
    for listener in listeners:
        eventbus.subscribe((listener, ["topic_"]))
    system = bus.system

    def notify_many(thread: int) -> list[int | None]:
        return [
            eventbus.notify(Event(f"{thread}-{i}", topics[i % 4], {"n": i}), system=system)
            for i in range(50)
        ]

    results = _in_threads(8, notify_many)
    _drain(*listeners)
    bus.sync()

    assert [[3] * 50] * 8 == results
    metrics = bus.metrics()
    assert (400, 1200, 800, 400, 400, 0) == (
        metrics.notified,
        metrics.delivered,
        metrics.completed,
        metrics.skipped,
        metrics.finished,
        metrics.unprocessed,
    )
    assert [8 * 13, 8 * 13, 8 * 12, 8 * 12] == [t.finished for t in metrics.topics]
    assert [[]] * 4 == [bus.watchers(t) for t in topics]
    assert metrics.transactions < 400 + 1200  # notifies and marks were grouped


def test_concurrent_notifies_of_one_id_store_it_once(bus: EventBus, probe: Probe) -> None:
    eventbus.register_topic("t")
    eventbus.subscribe((Listener.start(probe, "hold"), [".*"]))
    system = bus.system

    def notify_all_ids(thread: int) -> list[str]:
        outcomes = []
        for i in range(20):
            try:
                eventbus.notify(Event(i, "t", {"by": thread}), system=system)
                outcomes.append("stored")
            except DuplicateEvent:
                outcomes.append("duplicate")
        return outcomes

    results = _in_threads(8, notify_all_ids)

    for i in range(20):
        assert 1 == [r[i] for r in results].count("stored")
    assert list(range(20)) == [w.id for w in bus.watchers("t")]
    assert 140 == bus.metrics().topic("t").rejected  # type: ignore[union-attr]


def test_concurrent_marks_by_one_subscriber_count_once(bus: EventBus, probe: Probe) -> None:
    eventbus.register_topic("t")
    listener = Listener.start(probe, "hold")
    other = Listener.start(probe, "hold")
    eventbus.subscribe((listener, [".*"]))
    eventbus.subscribe((other, [".*"]))
    for i in range(10):
        eventbus.notify(Event(i, "t", i))
    system = bus.system

    results = _in_threads(
        8,
        lambda _: [
            eventbus.mark_as_completed((listener, ("t", i)), wait=True, system=system)
            for i in range(10)
        ],
    )

    for i in range(10):
        assert ["applied"] + ["duplicate"] * 7 == sorted(r[i] for r in results)
    assert [(other,)] * 10 == [w.pending for w in bus.watchers("t")]


def test_subscribers_coming_and_going_during_notifies_leave_nothing_behind(
    bus: EventBus, probe: Probe
) -> None:
    eventbus.register_topic("t")
    steady = Listener.start(probe, "complete")
    eventbus.subscribe((steady, [".*"]))
    churners = [Listener.start(probe, "complete") for _ in range(4)]
    system = bus.system

    def work(thread: int) -> int:
        if thread == 0:
            for i in range(200):
                eventbus.notify(Event(i, "t", i), system=system)
            return 200
        churner = churners[thread - 1]
        for _ in range(50):
            eventbus.subscribe((churner, [".*"]), system=system)
            eventbus.unsubscribe(churner, system=system)
        return 0

    assert [200, 0, 0, 0, 0] == _in_threads(5, work)
    _drain(steady, *churners)
    bus.sync()

    metrics = bus.metrics()
    assert (200, 0) == (metrics.finished, metrics.unprocessed)
    assert metrics.delivered == metrics.completed
    assert [steady] == eventbus.subscribers("t")
