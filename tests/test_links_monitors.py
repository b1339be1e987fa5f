"""Monitors (DOWN exactly once) and links (exit propagation, trap_exits)."""

from __future__ import annotations

from typing import Any

import pytest

import actors
from actors.testing import ANY, Probe, settle
from tests.servers import Counter, Forwarder


def test_monitor_from_inside_an_actor_gets_down_once(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    watcher = Forwarder.start(probe, system=actor_system)
    target = Counter.start(system=actor_system)
    mref = actors.call(watcher, ("monitor", target))

    actors.stop(target, "shutdown")

    assert ("info", ("DOWN", mref, "process", target, "shutdown")) == probe.expect(("info", ANY))
    settle(actor_system)
    probe.refute(("info", ("DOWN", ANY, ANY, ANY, ANY)), timeout=0)


def test_monitoring_a_dead_actor_gives_noproc_at_once(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    target = Counter.start(system=actor_system)
    actors.stop(target)

    mref = probe.monitor(target)

    assert ("DOWN", mref, "process", target, "noproc") == probe.expect(("DOWN", ANY, ANY, ANY, ANY))


def test_monitoring_an_unknown_name_gives_noproc(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    mref = probe.monitor("ghost")

    assert ("DOWN", mref, "process", "ghost", "noproc") == probe.expect()


def test_each_monitor_gets_its_own_down(actor_system: actors.ActorSystem, probe: Probe) -> None:
    target = Counter.start(system=actor_system)
    first = probe.monitor(target)
    second = probe.monitor(target)

    actors.stop(target)

    downs = {probe.expect(("DOWN", ANY, ANY, ANY, ANY))[1] for _ in range(2)}
    assert {first, second} == downs


def test_demonitor_stops_the_down(actor_system: actors.ActorSystem, probe: Probe) -> None:
    target = Counter.start(system=actor_system)
    mref = probe.monitor(target)

    assert actors.demonitor(mref)
    actors.stop(target)

    settle(actor_system)
    probe.refute(("DOWN", ANY, ANY, ANY, ANY), timeout=0)
    assert not actors.demonitor(mref)


def test_a_dead_watcher_is_forgotten_by_its_target(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    target = Counter.start(system=actor_system)
    watcher = Forwarder.start(probe, system=actor_system)
    actors.call(watcher, ("monitor", target))
    assert 1 == target._process.monitored_by()

    actors.stop(watcher)

    assert 0 == target._process.monitored_by()


def test_abnormal_exit_propagates_through_links(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    a = Forwarder.start(probe, name="a", system=actor_system)
    b = Forwarder.start(probe, name="b", system=actor_system)
    actors.call(a, ("link", b))
    probe.monitor(a)
    probe.monitor(b)

    actors.cast(a, ("crash", "a failed"))

    _, _, _, _, reason_a = probe.expect(("DOWN", ANY, "process", a, RuntimeError))
    _, _, _, _, reason_b = probe.expect(("DOWN", ANY, "process", b, RuntimeError))
    assert reason_a is reason_b
    # b did not trap exits: it died from the signal, so terminate did not run.
    settle(actor_system)
    probe.refute(("terminate", "b", ANY), timeout=0)


def test_normal_exit_does_not_propagate(actor_system: actors.ActorSystem, probe: Probe) -> None:
    a = Forwarder.start(probe, system=actor_system)
    b = Forwarder.start(probe, system=actor_system)
    actors.call(a, ("link", b))

    actors.stop(a, "normal")

    assert b.is_alive()
    assert b is actors.call(b, ("self",))


@pytest.mark.parametrize("reason", ["shutdown", ("shutdown", "drain")])
def test_shutdown_exits_do_propagate_to_non_trapping_links(
    actor_system: actors.ActorSystem, probe: Probe, reason: Any
) -> None:
    a = Forwarder.start(probe, system=actor_system)
    b = Forwarder.start(probe, system=actor_system)
    actors.call(a, ("link", b))
    probe.monitor(b)

    actors.cast(a, ("stop", reason))

    probe.expect(("DOWN", ANY, "process", b, reason))


def test_trap_exits_turns_the_signal_into_a_message(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    trapper = Forwarder.start(probe, trap_exits=True, system=actor_system)
    worker = Counter.start(system=actor_system)
    actors.call(trapper, ("link", worker))

    actors.cast(worker, ("crash", "worker failed"))

    _, (_, sender, reason) = probe.expect(("info", ("EXIT", ANY, ANY)))
    assert sender is worker
    assert isinstance(reason, RuntimeError)
    assert trapper.is_alive()


def test_linked_probe_receives_exit_messages(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    worker = Counter.start(system=actor_system)
    probe.link(worker)

    actors.stop(worker, "normal")

    assert ("EXIT", worker, "normal") == probe.expect()


def test_linking_to_a_dead_actor_delivers_noproc(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    trapper = Forwarder.start(probe, trap_exits=True, system=actor_system)
    dead = Counter.start(system=actor_system)
    actors.stop(dead)

    actors.call(trapper, ("link", dead))

    assert ("info", ("EXIT", dead, "noproc")) == probe.expect(("info", ANY))


def test_unlink_stops_propagation(actor_system: actors.ActorSystem, probe: Probe) -> None:
    a = Forwarder.start(probe, system=actor_system)
    b = Forwarder.start(probe, system=actor_system)
    actors.call(a, ("link", b))
    actors.call(a, ("unlink", b))

    actors.cast(a, ("crash", "alone"))

    probe.monitor(a)
    probe.expect(("DOWN", ANY, "process", a, ANY))
    assert b.is_alive()


def test_exit_signal_with_a_custom_reason_kills_a_non_trapping_actor(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    target = Counter.start(system=actor_system)
    probe.monitor(target)

    actors.exit(target, "custom")

    probe.expect(("DOWN", ANY, "process", target, "custom"))


def test_exit_signal_normal_is_ignored_without_trapping(actor_system: actors.ActorSystem) -> None:
    target = Counter.start(system=actor_system)

    actors.exit(target, "normal")

    assert 1 == actors.call(target, ("add", 1))


def test_start_link_makes_the_caller_the_parent(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    parent = Forwarder.start(probe, trap_exits=True, system=actor_system)
    child = actors.call(parent, ("start_link", Forwarder, (probe,)))
    probe.expect(("init", child))

    actors.cast(parent, ("crash", "parent failed"))

    # The child did not trap exits: the parent's abnormal exit takes it down.
    probe.monitor(child)
    probe.expect(("DOWN", ANY, "process", child, ANY))


def test_trapping_child_runs_terminate_when_its_parent_exits(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    parent = Forwarder.start(probe, name="parent", system=actor_system)
    child = actors.call(parent, ("start_link", Forwarder, (probe,)))
    probe.expect(("init", child))
    child._process.trap_exits = True

    actors.cast(parent, ("stop", "shutdown"))

    assert ("terminate", None, "shutdown") == probe.expect(("terminate", None, ANY))


def test_start_link_outside_an_actor_is_refused(actor_system: actors.ActorSystem) -> None:
    with pytest.raises(RuntimeError, match="start_link"):
        Counter.start_link(system=actor_system)


def test_links_hear_an_exit_before_monitors_do(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    class Trapper(actors.GenServer):
        def init(self, target: Any) -> None:
            self.trap_exits = True
            self.seen: list[Any] = []
            actors.link(target)

        def handle_info(self, message: Any) -> None:
            self.seen.append(message[0])

        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            return list(self.seen)

    for _ in range(50):
        target = Counter.start(system=actor_system)
        trapper = Trapper.start(target, system=actor_system)
        probe.monitor(target)

        actors.exit(target, "kill")
        probe.expect(("DOWN", ANY, "process", target, "killed"))

        assert ["EXIT"] == actors.call(trapper, "seen")
