"""ActorSystem: isolation, shutdown order, leaks, lifecycle events, timers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

import actors
from actors.testing import ANY, Probe, ThreadWatch, settle
from tests.servers import Counter, Forwarder


def test_names_are_isolated_between_systems(
    actor_system_factory: Callable[..., actors.ActorSystem],
) -> None:
    one, two = actor_system_factory(), actor_system_factory()

    a = Counter.start(1, name="same", system=one)
    b = Counter.start(2, name="same", system=two)

    assert a is actors.whereis("same", one)
    assert b is actors.whereis("same", two)
    assert 1 == actors.call("same", ("get",), system=one)
    assert 2 == actors.call("same", ("get",), system=two)


def test_actors_started_inside_an_actor_join_its_system(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    parent = Forwarder.start(probe, system=actor_system)

    child = actors.call(parent, ("start_link", Counter, ()))

    assert actor_system is child.system


def test_shutdown_stops_actors_in_reverse_start_order(
    actor_system_factory: Callable[..., actors.ActorSystem],
) -> None:
    system = actor_system_factory()
    probe = Probe(system)
    for name in ("first", "second", "third"):
        Forwarder.start(probe, name=name, system=system)

    assert system.shutdown()

    terminated = [m[1] for m in probe.messages() if m[0] == "terminate"]
    assert ["third", "second", "first"] == terminated
    assert all(m[2] == "shutdown" for m in probe.messages() if m[0] == "terminate")
    assert [] == system.actors()


@pytest.mark.parametrize("runtime", ["pooled", "thread"])
def test_context_manager_leaves_no_thread_behind(runtime: str) -> None:
    before = threading.active_count()
    watch = ThreadWatch()

    with actors.ActorSystem(runtime=runtime) as system:
        refs = [Counter.start(i, system=system) for i in range(20)]
        actors.send_after(refs[0], ("add", 1), 0.0, system=system)
        assert 20 == len(system.actors())

    assert [] == watch.leaked()
    assert before == threading.active_count()


def test_shutdown_kills_an_actor_that_does_not_stop_in_time(
    actor_system_factory: Callable[..., actors.ActorSystem],
) -> None:
    system = actor_system_factory(runtime="thread")
    released = threading.Event()

    class Stubborn(actors.GenServer):
        def terminate(self, reason: Any) -> None:
            released.wait(10)

    ref = Stubborn.start(system=system)

    assert not system.shutdown(timeout=0.2)
    assert not ref.is_alive()
    assert "killed" == ref.exit_reason
    released.set()


def test_no_new_actor_once_shutdown_has_begun(
    actor_system_factory: Callable[..., actors.ActorSystem],
) -> None:
    system = actor_system_factory()
    system.shutdown()

    with pytest.raises(actors.StartError, match="shutting down"):
        Counter.start(system=system)


def test_shutdown_from_inside_an_actor_is_refused(actor_system: actors.ActorSystem) -> None:
    class Suicidal(actors.GenServer):
        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            try:
                self.system.shutdown()
            except RuntimeError as e:
                return str(e)
            return "shut down"

    ref = Suicidal.start(system=actor_system)

    assert "wait on itself" in actors.call(ref, "go")


def test_default_system_serves_scripts() -> None:
    system = actors.default_system()
    try:
        ref = Counter.start(5)
        assert system is ref.system
        assert 5 == actors.call(ref, ("get",))
    finally:
        system.shutdown()
    assert actors.default_system() is not system
    actors.default_system().shutdown()


def test_statistics_is_a_frozen_snapshot(actor_system: actors.ActorSystem) -> None:
    Counter.start(name="stat", system=actor_system)

    stats = actor_system.statistics()

    assert 1 == stats.actors
    assert 1 == stats.registered_names
    with pytest.raises(AttributeError):
        stats.actors = 5  # type: ignore[misc]


def test_dead_letters_count_sends_to_exited_actors(actor_system: actors.ActorSystem) -> None:
    ref = Counter.start(system=actor_system)
    actors.stop(ref)

    assert not actors.send(ref, "late")
    actors.cast(ref, ("add", 1))

    assert 2 == actor_system.dead_letters


def test_lifecycle_events_for_start_stop_and_crash(
    actor_system_factory: Callable[..., actors.ActorSystem], clock: actors.ManualClock
) -> None:
    system = actor_system_factory(clock=clock, node="node-a")
    events = Probe(system)
    system.add_lifecycle_listener(events.deliver)

    ref = Counter.start(name="audited", system=system)
    clock.advance(1.5)
    actors.stop(ref, "shutdown")
    crasher = Counter.start(system=system)
    actors.cast(crasher, ("crash", "oops"))

    started = events.expect(lambda e: e.event_type == "started")
    stopped = events.expect(lambda e: e.event_type == "stopped")
    crashed = events.expect(lambda e: e.event_type == "crashed")
    assert ("audited", "Counter", ref.id, "node-a", None) == (
        started.name,
        started.component,
        started.actor_id,
        started.node,
        started.reason,
    )
    assert datetime(2026, 1, 1, tzinfo=UTC) == started.timestamp
    assert datetime(2026, 1, 1, 0, 0, 1, 500000, tzinfo=UTC) == stopped.timestamp
    assert "shutdown" == stopped.reason
    assert (crasher.id, "RuntimeError: oops", "RuntimeError") == (
        crashed.actor_id,
        crashed.reason,
        crashed.exception_type,
    )
    assert "Traceback" in crashed.traceback
    assert crashed.pid == crashed.actor_id
    assert "Counter" == crashed.module


def test_a_failing_lifecycle_listener_does_not_break_actors(
    actor_system: actors.ActorSystem,
) -> None:
    def broken(event: actors.ProcessLifecycle) -> None:
        raise RuntimeError("listener bug")

    remove = actor_system.add_lifecycle_listener(broken)
    ref = Counter.start(system=actor_system)
    remove()

    assert 0 == actors.call(ref, ("get",))


def test_send_after_fires_on_the_system_clock(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    probe = Probe(manual_system)
    actors.send_after(probe, "tick", 5.0)

    clock.advance(4.9)
    settle(manual_system)
    probe.refute("tick", timeout=0)
    clock.advance(0.1)

    assert "tick" == probe.expect("tick")


def test_cancel_timer_returns_the_time_left(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    probe = Probe(manual_system)
    timer = actors.send_after(probe, "never", 10.0)
    clock.advance(4.0)

    assert 6.0 == actors.cancel_timer(timer)
    assert actors.cancel_timer(timer) is None
    clock.advance(10.0)
    settle(manual_system)
    probe.refute("never", timeout=0)


def test_send_after_to_a_name_resolves_when_it_fires(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    actors.send_after("late-comer", ("add", 3), 1.0, system=manual_system)
    ref = Counter.start(name="late-comer", system=manual_system)

    clock.advance(1.0)

    probe = Probe(manual_system)
    actors.send_after(probe, "after", 0.0)
    probe.expect("after")
    assert 3 == actors.call(ref, ("get",))


def test_timer_to_an_exited_actor_is_dropped_silently(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    ref = Counter.start(system=manual_system)
    actors.send_after(ref, ("add", 1), 1.0)
    actors.stop(ref)
    probe = Probe(manual_system)

    clock.advance(2.0)
    actors.send_after(probe, "flushed", 0.0)
    probe.expect("flushed")

    assert 0 == manual_system.dead_letters


def test_manual_clock_never_goes_backwards() -> None:
    clock = actors.ManualClock()

    with pytest.raises(ValueError, match="non-negative"):
        clock.advance(-1)


def test_listeners_receive_process_lifecycle_records(
    actor_system: actors.ActorSystem, events: Probe
) -> None:
    Counter.start(system=actor_system)

    assert isinstance(events.expect(ANY), actors.ProcessLifecycle)


def test_crash_tracebacks_keep_frames_and_causes() -> None:
    from actors._tracebacks import format_crash

    def inner() -> None:
        raise KeyError("missing")

    try:
        try:
            inner()
        except KeyError as e:
            raise RuntimeError("wrapped") from e
    except RuntimeError as exc:
        text = format_crash(exc)

    assert (
        text.index("KeyError: 'missing'")
        < text.index("direct cause")
        < text.index("RuntimeError: wrapped")
    )
    assert 'in inner\n    raise KeyError("missing")' in text
    assert "^^^" not in text
