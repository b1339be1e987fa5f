"""Shutdown protocol (B.7): order, timeouts, kills, terminate for trapping children."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

import actors
import supervision as sv
from actors.testing import ANY, Probe, ThreadWatch, settle
from tests.supervised import Worker, started


def test_children_stop_one_at_a_time_in_reverse_start_order(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sup = sv.Supervisor.start(
        [sv.child_spec(tag, Worker, probe, tag, trap=True) for tag in "abcd"], system=actor_system
    )
    for tag in "abcd":
        started(probe, tag)

    actors.stop(sup, "shutdown")

    assert ["d", "c", "b", "a"] == [m[1] for m in probe.messages() if m[0] == "terminated"]
    assert all(m[2] == "shutdown" for m in probe.messages() if m[0] == "terminated")


def test_non_trapping_children_die_without_terminate(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sup = sv.Supervisor.start([sv.child_spec("w", Worker, probe, "w")], system=actor_system)
    ref = started(probe, "w")
    probe.monitor(ref)

    actors.stop(sup)

    probe.expect(("DOWN", ANY, "process", ref, "shutdown"))
    settle(actor_system)
    probe.refute(("terminated", "w", ANY), timeout=0)


def test_a_child_that_does_not_stop_in_time_is_killed(
    actor_system: actors.ActorSystem, probe: Probe, caplog: pytest.LogCaptureFixture
) -> None:
    hold = threading.Event()
    sup = sv.Supervisor.start(
        [
            sv.child_spec(
                "slow", Worker, probe, "slow", trap=True, hold_terminate=hold, shutdown=0.1
            )
        ],
        name="sup",
        system=actor_system,
    )
    ref = started(probe, "slow")
    probe.monitor(ref)

    actors.stop(sup, timeout=5)

    probe.expect(("DOWN", ANY, "process", ref, "killed"))
    assert any("did not stop within 0.1s; killing it" in r.message for r in caplog.records)
    hold.set()  # the zombie terminate finishes and its message goes nowhere


def test_brutal_kill_does_not_wait(actor_system: actors.ActorSystem, probe: Probe) -> None:
    hold = threading.Event()
    sup = sv.Supervisor.start(
        [
            sv.child_spec(
                "w", Worker, probe, "w", trap=True, hold_terminate=hold, shutdown="brutal_kill"
            )
        ],
        system=actor_system,
    )
    ref = started(probe, "w")
    probe.monitor(ref)

    actors.stop(sup, timeout=5)

    probe.expect(("DOWN", ANY, "process", ref, "killed"))
    settle(actor_system)
    probe.refute(("terminated", "w", ANY), timeout=0)
    hold.set()


def test_trapping_child_finishing_in_time_gets_terminate(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w", trap=True, shutdown=5)], system=actor_system
    )
    started(probe, "w")

    actors.stop(sup)

    probe.expect(("terminated", "w", "shutdown"))


def test_supervisor_children_default_to_infinity(actor_system: actors.ActorSystem) -> None:
    spec = sv.child_spec("sub", sv.Supervisor, [], type="supervisor")

    assert "infinity" == spec.shutdown
    assert 5.0 == sv.child_spec("w", Worker).shutdown


def test_nested_tree_shuts_down_depth_first_in_reverse_order(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    inner = sv.child_spec(
        "inner",
        sv.Supervisor,
        [sv.child_spec(t, Worker, probe, t, trap=True) for t in ("i1", "i2")],
        type="supervisor",
    )
    sup = sv.Supervisor.start(
        [
            sv.child_spec("a", Worker, probe, "a", trap=True),
            inner,
            sv.child_spec("z", Worker, probe, "z", trap=True),
        ],
        system=actor_system,
    )
    for tag in ("a", "i1", "i2", "z"):
        started(probe, tag)

    actors.stop(sup)

    assert ["z", "i2", "i1", "a"] == [m[1] for m in probe.messages() if m[0] == "terminated"]


def test_terminate_child_does_not_restart_or_count(manual_system: actors.ActorSystem) -> None:
    probe = Probe(manual_system)
    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w", trap=True)], max_restarts=0, system=manual_system
    )
    started(probe, "w")

    sv.terminate_child(sup, "w")
    sv.restart_child(sup, "w")
    started(probe, "w")
    sv.terminate_child(sup, "w")

    assert sup.is_alive()
    assert [("w", None, "worker")] == sv.which_children(sup)


def test_a_tree_of_1000_children_shuts_down_leaving_nothing_behind(
    actor_system_factory: Callable[..., actors.ActorSystem],
) -> None:
    watch = ThreadWatch()
    system = actor_system_factory()
    probe = Probe(system)
    branches = [
        sv.child_spec(
            f"branch-{b}",
            sv.Supervisor,
            [sv.child_spec(f"w-{b}-{i}", Worker, probe, f"w-{b}-{i}") for i in range(100)],
            type="supervisor",
        )
        for b in range(10)
    ]
    sup = sv.Supervisor.start(branches, strategy="one_for_all", system=system)
    assert 1011 == len(system.actors())
    assert {"specs": 10, "active": 10, "supervisors": 10, "workers": 0} == sv.count_children(sup)

    assert system.shutdown(timeout=60)

    assert [] == system.actors()
    assert [] == watch.leaked()
