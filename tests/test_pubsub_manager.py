"""PubSubManager: atomic get-or-create, ownership, restarts keep subscriptions."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import actors
import supervision as sv
from actors import Ok
from actors.pubsub import PubSub, PubSubManager
from actors.testing import ANY, Probe


def _restarted(events: Probe, name: str, first: actors.Ref[Any]) -> None:
    """Wait until an incarnation after ``first`` of the actor registered as
    ``name`` has started."""
    events.expect(
        lambda e: (
            isinstance(e, actors.ProcessLifecycle)
            and (e.event_type, e.name) == ("started", name)
            and e.actor_id != first.id
        ),
        timeout=5,
    )


def test_there_is_one_manager_per_system(actor_system_factory: Any) -> None:
    one, two = actor_system_factory(), actor_system_factory()

    assert PubSubManager.of(one) is PubSubManager.of(one)
    assert PubSubManager.of(one) is not PubSubManager.of(two)


def test_ensure_is_an_atomic_get_or_create(actor_system: actors.ActorSystem) -> None:
    manager = PubSubManager.of(actor_system)
    barrier = threading.Barrier(8)
    handles: list[PubSub] = []

    def ensure() -> None:
        barrier.wait()
        handles.append(manager.ensure("contested"))

    threads = [threading.Thread(target=ensure) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert 8 == len(handles)
    assert {id(handles[0])} == {id(h) for h in handles}
    assert 1 == len([r for r in actor_system.actors() if r.name == "contested"])
    assert {"contested": handles[0]} == manager.instances()


def test_the_instance_actor_is_registered_under_the_instance_name(
    actor_system: actors.ActorSystem,
) -> None:
    bus = PubSubManager.of(actor_system).ensure("named")

    assert bus.ref is actors.whereis("named", actor_system)


def test_the_first_supervisor_owns_it_and_a_second_gets_an_ignored_child(
    actor_system: actors.ActorSystem,
) -> None:
    manager = PubSubManager.of(actor_system)
    spec = sv.child_spec("bus", manager.start_link_instance, "shared")
    first = sv.Supervisor.start([spec], system=actor_system)
    second = sv.Supervisor.start([spec], system=actor_system)
    instance = manager.get("shared")
    assert instance is not None
    owner_ref = instance.ref

    assert [("bus", owner_ref, "worker")] == sv.which_children(first)
    assert [("bus", None, "worker")] == sv.which_children(second)
    actors.stop(second)
    assert instance.running
    assert owner_ref is instance.ref


def test_subscriptions_survive_a_restart_of_the_instance_actor(
    actor_system: actors.ActorSystem, probe: Probe, events: Probe
) -> None:
    manager = PubSubManager.of(actor_system)
    bus = manager.ensure("durable")
    bus.subscribe("t", probe)
    first = bus.ref
    assert first is not None
    probe.monitor(first)

    actors.exit(first, "kill")
    probe.expect(("DOWN", ANY, "process", first, "killed"))
    assert Ok(delivered=1) == bus.broadcast("t", "during the gap")
    assert "during the gap" == probe.expect("during the gap")
    other = Probe(actor_system)
    bus.subscribe("t", other)  # while restarting: it does not wait, nor fail
    _restarted(events, "durable", first)

    assert bus.ref is not first
    assert Ok(delivered=2) == bus.broadcast("t", "after")
    assert 1 == bus.statistics().restarts


def test_the_new_incarnation_still_cleans_up_exited_subscribers(
    actor_system: actors.ActorSystem, probe: Probe, events: Probe
) -> None:
    bus = PubSubManager.of(actor_system).ensure("cleaner")
    leaver, late = Probe(actor_system), Probe(actor_system)
    bus.subscribe("t", leaver)
    first = bus.ref
    assert first is not None
    probe.monitor(first)
    actors.exit(first, "kill")
    probe.expect(("DOWN", ANY, "process", first, "killed"))
    bus.subscribe("t", late)  # made while no incarnation runs
    _restarted(events, "cleaner", first)

    leaver.close()
    late.close()
    assert bus.sync()  # the DOWNs were handled

    assert [] == bus.subscribers("t")
    assert 2 == bus.statistics().dead_cleaned


def test_a_supervised_instance_is_restarted_by_its_supervisor(
    actor_system: actors.ActorSystem, probe: Probe, events: Probe
) -> None:
    manager = PubSubManager.of(actor_system)
    sup = sv.Supervisor.start(
        [sv.child_spec("bus", manager.start_link_instance, "owned")], system=actor_system
    )
    bus = manager.get("owned")
    assert bus is not None
    bus.subscribe("t", probe)
    first = bus.ref
    assert first is not None

    probe.monitor(first)
    actors.exit(first, "kill")  # it traps exits: only an untrappable kill takes it down
    probe.expect(("DOWN", ANY, "process", first, "killed"))
    _restarted(events, "owned", first)

    assert [("bus", bus.ref, "worker")] == sv.which_children(sup)
    assert bus.ref is not first
    assert Ok(delivered=1) == bus.broadcast("t", "still subscribed")


def test_unknown_or_empty_instance_names_are_rejected(actor_system: actors.ActorSystem) -> None:
    manager = PubSubManager.of(actor_system)

    for bad in ("", None, 42):
        with pytest.raises(ValueError, match="non-empty str"):
            manager.ensure(bad)  # type: ignore[arg-type]


def test_an_instance_the_manager_owns_is_never_abandoned_however_often_it_crashes(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    """Issue #11: after 4 crashes in 5 s the hand-rolled keeper left the
    instance in "restarting" forever; the manager's DynamicSupervisor spaces
    the restarts with backoff instead and keeps restarting it."""
    probe = Probe(manual_system)
    manual_system.add_lifecycle_listener(probe.deliver)
    bus = PubSubManager.of(manual_system).ensure("flaky")
    subscriber = Probe(manual_system)
    bus.subscribe("t", subscriber)

    def wait_for(event_type: str) -> None:
        while True:
            event = probe.expect(actors.ProcessLifecycle, timeout=5)
            if (event.event_type, event.name) == (event_type, "flaky"):
                return

    manager = PubSubManager.of(manual_system)
    wait_for("started")  # the first incarnation
    for _ in range(8):
        ref = bus.ref
        assert ref is not None
        probe.monitor(ref)
        actors.exit(ref, "kill")
        probe.expect(("DOWN", ANY, "process", ref, "killed"), timeout=5)
        # The supervisor has the EXIT; once it answers, its backoff timer is set.
        assert [(None, "restarting", "worker")] == sv.which_children(manager.supervisor)
        clock.advance(10)  # past the longest backoff
        wait_for("started")

    assert "running" == bus.state
    assert Ok(delivered=1) == bus.broadcast("t", "still here")
    assert "still here" == subscriber.receive()


def test_subscribing_while_the_instance_actor_dies_never_raises(
    actor_system: actors.ActorSystem, events: Probe
) -> None:
    """Issue #11: subscribe could raise CallError("killed") when the
    instance died mid-call. Subscribing does not call the instance actor:
    eight threads keep subscribing while it is killed, and every
    subscription they made works, and is watched by the next incarnation."""
    bus = PubSubManager.of(actor_system).ensure("contested_subscribe")
    first = bus.ref
    assert first is not None
    subscribers = [Probe(actor_system) for _ in range(8)]
    barrier = threading.Barrier(9)
    errors: list[BaseException] = []

    def subscribe_many(p: Probe) -> None:
        barrier.wait()
        try:
            for i in range(50):
                bus.subscribe(f"t{i}", p)
        except BaseException as exc:  # the test reports any
            errors.append(exc)

    threads = [threading.Thread(target=subscribe_many, args=(p,)) for p in subscribers]
    for t in threads:
        t.start()
    barrier.wait()
    actors.exit(first, "kill")
    for t in threads:
        t.join(30)
    _restarted(events, "contested_subscribe", first)

    assert [] == errors
    assert 8 * 50 == bus.statistics().subscriptions
    assert Ok(delivered=8) == bus.broadcast("t49", "everyone")
    subscribers[0].close()  # the new incarnation watches it: cleaned up
    assert bus.sync()
    assert 7 * 50 == bus.statistics().subscriptions


def test_a_subscribe_in_flight_when_the_instance_is_killed_still_succeeds(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    """Issue #11, deterministically: the subscribe was a call queued to the
    instance actor, and killing the actor failed it with CallError("killed").
    Subscribing no longer calls it."""
    bus = PubSubManager.of(actor_system).ensure("killed_mid_call")
    first = bus.ref
    assert first is not None
    assert bus.sync()
    proc = first._process
    assert proc.acquire()  # the instance actor runs nothing meanwhile
    outcome: list[Any] = []

    def subscribe() -> None:
        try:
            bus.subscribe("t", probe)
            outcome.append("ok")
        except Exception as exc:  # the test reports any
            outcome.append(exc)

    subscriber = threading.Thread(target=subscribe)
    subscriber.start()
    subscriber.join(0.5)  # before: still waiting for the instance's reply
    actors.exit(first, "kill")
    if proc.release():
        proc.submit()
    subscriber.join(10)

    assert ["ok"] == outcome
    assert Ok(delivered=1) == bus.broadcast("t", "subscribed")
