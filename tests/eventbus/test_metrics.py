"""Metrics snapshots per topic and per listener, and periodic publishing."""

from __future__ import annotations

from pathlib import Path

import actors
from actors import eventbus
from actors.eventbus import Event, EventBus, EventBusMetrics
from actors.testing import ANY, Probe
from tests.eventbus.listeners import Listener


def test_counts_gauges_and_lag_per_topic_and_per_listener(
    manual_system, clock: actors.ManualClock, tmp_path: Path
) -> None:
    bus = EventBus.start(tmp_path / "bus.db", system=manual_system, topics=["a", "b", "quiet"])
    with Probe(manual_system) as probe:
        first = Listener.start(probe, "hold", system=manual_system)
        second = Listener.start(probe, "hold", system=manual_system)
        bus.subscribe((first, ["a", "b"]))
        bus.subscribe(((second, {"n": 2}), ["a$"]))
        bus.notify(Event(1, "a", None))
        clock.advance(5)
        bus.notify(Event(2, "a", None))
        bus.notify(Event(1, "b", None))
        bus.notify(Event(1, "quiet", None))
        clock.advance(1)
        bus.mark_as_completed((first, ("a", 1)), wait=True)
        bus.mark_as_skipped(((second, {"n": 2}), ("a", 1)), wait=True)

        metrics = bus.metrics()

    a, b, quiet = metrics.topics
    assert ("a", 2, 2, 0, 0, 4, 1, 1, 1, 1) == (
        a.topic,
        a.subscribers,
        a.notified,
        a.no_subscribers,
        a.rejected,
        a.delivered,
        a.completed,
        a.skipped,
        a.finished,
        a.unprocessed,
    )
    assert 1.0 == a.lag  # event 2 was stored a second ago; event 1 is done
    assert (1, 1, 1, 6.0 - 5.0) == (b.notified, b.delivered, b.unprocessed, b.lag)
    assert (0, 1, 0, 0.0) == (quiet.subscribers, quiet.no_subscribers, quiet.unprocessed, quiet.lag)
    one, two = metrics.listeners
    assert (first, ("a", "b"), ("a", "b"), 3, 1, 0, 0, 2, 1.0) == (
        one.subscriber,
        one.patterns,
        one.topics,
        one.delivered,
        one.completed,
        one.skipped,
        one.skipped_on_exit,
        one.unprocessed,
        one.lag,
    )
    assert ((second, {"n": 2}), ("a",), 1, 1, 1.0) == (
        two.subscriber,
        two.topics,
        two.skipped,
        two.unprocessed,
        two.lag,
    )
    assert (3, 5, 1, 1, 1, 2) == (
        metrics.notified,
        metrics.delivered,
        metrics.completed,
        metrics.skipped,
        metrics.finished,
        metrics.unprocessed,
    )
    assert clock.now() == metrics.timestamp
    assert two == metrics.listener((second, {"n": 2}))
    assert None is metrics.listener(second)
    assert b == metrics.topic("b")
    bus.stop()


def test_unprocessed_events_found_at_start_count_with_their_age(
    manual_system, clock: actors.ManualClock, tmp_path: Path
) -> None:
    path = tmp_path / "bus.db"
    bus = EventBus.start(path, system=manual_system, topics=["t"])
    with Probe(manual_system) as probe:
        archiver = Listener.start(probe, "hold", name="archiver", system=manual_system)
        bus.subscribe(("archiver", [".*"]))
        bus.notify(Event("e", "t", None))
        probe.expect(("handled", archiver, ANY))
        bus.stop()
        clock.advance(3)

        bus = EventBus.start(path, system=manual_system)
        metrics = bus.metrics()

        assert (1, 3.0) == (metrics.topic("t").unprocessed, metrics.topic("t").lag)  # type: ignore[union-attr]
        [owed] = metrics.listeners
        assert ("archiver", (), 1, 3.0) == (
            owed.subscriber,
            owed.patterns,
            owed.unprocessed,
            owed.lag,
        )
        # When it subscribes again, it is sent what it is owed.
        bus.subscribe(("archiver", [".*"]))
        probe.expect(("handled", archiver, ("event", "t", "e")))
    bus.stop()


def test_a_metrics_publisher_gets_a_snapshot_every_interval_until_removed(
    manual_system, clock: actors.ManualClock, tmp_path: Path
) -> None:
    bus = EventBus.start(tmp_path / "bus.db", system=manual_system, topics=["t"])
    with Probe(manual_system) as probe:
        remove = bus.add_metrics_publisher(lambda m: probe.deliver(("metrics", m)), interval=10)

        clock.advance(10)
        _, first = probe.expect(("metrics", EventBusMetrics))
        clock.advance(10)
        _, second = probe.expect(("metrics", EventBusMetrics))
        remove()
        clock.advance(10)

        probe.refute(("metrics", ANY))
        assert ["t"] == [t.topic for t in first.topics]
        assert first.timestamp < second.timestamp
    bus.stop()


def test_a_failing_publisher_is_counted_and_keeps_its_schedule(
    manual_system, clock: actors.ManualClock, tmp_path: Path
) -> None:
    bus = EventBus.start(tmp_path / "bus.db", system=manual_system)
    with Probe(manual_system) as probe:
        calls = []

        def flaky(metrics: EventBusMetrics) -> None:
            calls.append(metrics)
            probe.deliver(("called", len(calls)))
            if len(calls) == 1:
                raise RuntimeError("publisher broke")

        bus.add_metrics_publisher(flaky, interval=1)
        clock.advance(1)
        probe.expect(("called", 1))
        clock.advance(1)
        probe.expect(("called", 2))
    bus.stop()


def test_publishers_are_refused_bad_arguments(bus: EventBus) -> None:
    import pytest

    with pytest.raises(TypeError, match="publish must be callable"):
        bus.add_metrics_publisher("nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive number of seconds"):
        bus.add_metrics_publisher(print, interval=0)
    assert [] == eventbus.topics()
