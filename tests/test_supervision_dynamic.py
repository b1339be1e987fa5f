"""DynamicSupervisor: children on demand, restarts, limits, concurrent shutdown."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import actors
import supervision as sv
from actors.testing import ANY, Probe
from tests.supervised import Boom, Worker, exit_child, started


def test_start_child_restart_and_terminate(actor_system: actors.ActorSystem, probe: Probe) -> None:
    sup = sv.DynamicSupervisor.start(name="dyn", system=actor_system)

    ref = sv.start_child(sup, sv.child_spec("ignored-id", Worker, probe, "w"))
    assert ref is started(probe, "w")
    assert [(None, ref, "worker")] == sv.which_children(sup)

    exit_child(ref, Boom("crash"))
    again = started(probe, "w")
    assert again is not ref
    assert [(None, again, "worker")] == sv.which_children(sup)

    sv.terminate_child(sup, again)
    assert [] == sv.which_children(sup)
    with pytest.raises(sv.NotFound):
        sv.terminate_child(sup, again)


def test_non_restarted_children_are_dropped(actor_system: actors.ActorSystem, probe: Probe) -> None:
    sup = sv.DynamicSupervisor.start(system=actor_system)
    ref = sv.start_child(sup, sv.child_spec("t", Worker, probe, "t", restart="transient"))

    exit_child(ref, "normal")
    probe.monitor(ref)
    probe.expect(("DOWN", ANY, "process", ref, "normal"))

    assert {"specs": 0, "active": 0, "supervisors": 0, "workers": 0} == sv.count_children(sup)


def test_max_children(actor_system: actors.ActorSystem, probe: Probe) -> None:
    sup = sv.DynamicSupervisor.start(max_children=2, system=actor_system)
    sv.start_child(sup, sv.child_spec("a", Worker, probe, "a"))
    sv.start_child(sup, sv.child_spec("b", Worker, probe, "b"))

    with pytest.raises(sv.MaxChildren):
        sv.start_child(sup, sv.child_spec("c", Worker, probe, "c"))


def test_extra_arguments_come_first(actor_system: actors.ActorSystem, probe: Probe) -> None:
    sup = sv.DynamicSupervisor.start(extra_arguments=(probe,), system=actor_system)

    ref = sv.start_child(sup, sv.child_spec("x", Worker, "extra"))

    assert ref is started(probe, "extra")


def test_static_only_operations_are_not_supported(actor_system: actors.ActorSystem) -> None:
    sup = sv.DynamicSupervisor.start(system=actor_system)

    for operation in (sv.restart_child, sv.delete_child, sv.get_childspec):
        with pytest.raises(sv.NotSupported):
            operation(sup, "some-id")
    with pytest.raises(sv.NotSupported):
        sv.terminate_child(sup, "some-id")


def test_children_are_stopped_all_at_once(actor_system: actors.ActorSystem, probe: Probe) -> None:
    """Each child's terminate holds until all of them were asked to stop:
    one at a time, this would time out and kill them."""
    n = 5
    barrier = threading.Barrier(n, timeout=10)

    class Together(actors.GenServer):
        runtime = "thread"

        def init(self) -> None:
            self.trap_exits = True

        def terminate(self, reason: Any) -> None:
            with actors.blocking():
                barrier.wait()
            actors.send(probe, ("terminated", reason))

    sup = sv.DynamicSupervisor.start(system=actor_system)
    for i in range(n):
        sv.start_child(sup, sv.child_spec(i, Together, shutdown=5))

    actors.stop(sup, timeout=10)

    assert [("terminated", "shutdown")] * n == probe.messages()


def test_intensity_applies(actor_system: actors.ActorSystem, probe: Probe) -> None:
    sup = sv.DynamicSupervisor.start(max_restarts=1, system=actor_system)
    probe.monitor(sup)
    ref = sv.start_child(sup, sv.child_spec("w", Worker, probe, "w"))
    started(probe, "w")
    exit_child(ref, Boom("one"))

    exit_child(started(probe, "w"), Boom("two"))

    probe.expect(("DOWN", ANY, "process", sup, "shutdown"))


def test_significant_children_are_refused(actor_system: actors.ActorSystem, probe: Probe) -> None:
    sup = sv.DynamicSupervisor.start(system=actor_system)

    with pytest.raises(ValueError, match="significant"):
        sv.start_child(
            sup, sv.child_spec("s", Worker, probe, "s", restart="temporary", significant=True)
        )
