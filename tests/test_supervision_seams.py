"""Supervision sits on the core's start context: the decider runs once, in
one documented thread, and the core carries no supervisor fields; plus the
OTP edge cases of start errors and dynamic children."""

from __future__ import annotations

import math
import threading
from typing import Any

import pytest

import actors
import supervision as sv
from actors._server import ServerProcess
from actors.testing import ANY, Probe, settle
from tests.supervised import Worker, started


class Refuses(actors.GenServer):
    def init(self, reason: Any) -> None:
        self.stop(reason)


class Named(actors.GenServer):
    pass


def test_the_core_process_carries_no_supervisor_fields() -> None:
    slots = set(ServerProcess.__slots__)

    assert set() == {"decider", "child_decider", "child_id", "starting_child"} & slots


def test_the_decider_is_called_once_per_crash_in_the_crashing_child_s_thread(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    calls: list[tuple[str, str]] = []

    def decider(exc: BaseException) -> str:
        calls.append((str(exc), threading.current_thread().name))
        return "restart"

    sup = sv.Supervisor.start([sv.child_spec("w", Worker, probe, "w")], decider=decider)
    ref = started(probe, "w")
    actors.cast(ref, ("raise", ValueError("one")))
    ref = started(probe, "w")
    actors.cast(ref, ("raise", ValueError("two")))
    started(probe, "w")

    assert ["one", "two"] == [text for text, _ in calls]
    # Every call ran where the child's callback ran (a pool worker or its
    # own thread), never in the test's thread.
    assert all(name != threading.current_thread().name for _, name in calls)
    assert [("w", ANY, "worker")] == sv.which_children(sup)


def test_resume_keeps_the_state_and_the_supervisor_does_not_decide_again(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    calls: list[BaseException] = []

    def decider(exc: BaseException) -> str:
        calls.append(exc)
        return "resume"

    sv.Supervisor.start([sv.child_spec("w", Worker, probe, "w")], decider=decider)
    ref = started(probe, "w")

    with pytest.raises(actors.CallError):
        actors.call(ref, ("raise", KeyError("k")))

    assert "w" == actors.call(ref, ("ping",))
    assert 1 == len(calls)


def test_a_decider_that_raises_a_base_exception_restarts_and_keeps_the_pool(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    def decider(exc: BaseException) -> str:
        raise SystemExit("decider gave up")

    sv.Supervisor.start([sv.child_spec("w", Worker, probe, "w")], decider=decider)
    ref = started(probe, "w")

    actors.cast(ref, ("raise", ValueError("x")))
    again = started(probe, "w")

    assert "w" == actors.call(again, ("ping",))


@pytest.mark.parametrize("how", ["start", "start_child", "restart_child"])
def test_an_init_that_refuses_with_a_reason_gives_child_start_error(
    actor_system: actors.ActorSystem, how: str
) -> None:
    spec = sv.child_spec("r", Refuses, "not_today", restart="transient")
    if how == "start":
        with pytest.raises(sv.ChildStartError) as raised:
            sv.Supervisor.start([spec])
    else:
        sup = sv.Supervisor.start([])
        if how == "start_child":
            with pytest.raises(sv.ChildStartError) as raised:
                sv.start_child(sup, spec)
        else:
            sv.start_child(sup, sv.child_spec("r", Worker, Probe(), "r", restart="transient"))
            sv.terminate_child(sup, "r")
            sup_state = sv.get_childspec(sup, "r")
            assert "r" == sup_state.id
            # Swap in a spec that refuses: delete and re-add without starting.
            sv.delete_child(sup, "r")
            with pytest.raises(sv.ChildStartError) as raised:
                sv.start_child(sup, spec)

    assert ("r", "not_today") == (raised.value.child_id, raised.value.cause)


def test_a_taken_name_gives_child_already_started_with_the_holder_s_ref(
    actor_system: actors.ActorSystem,
) -> None:
    holder = Named.start(name="taken")
    spec = sv.child_spec("n", Named, name="taken")

    with pytest.raises(sv.ChildAlreadyStarted) as at_start:
        sv.Supervisor.start([spec])
    sup = sv.Supervisor.start([])
    with pytest.raises(sv.ChildAlreadyStarted) as at_start_child:
        sv.start_child(sup, spec)

    assert holder == at_start.value.ref
    assert holder == at_start_child.value.ref
    assert [] == sv.which_children(sup)


def test_start_child_refuses_a_significant_child_under_never(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sup = sv.Supervisor.start([])

    with pytest.raises(ValueError, match="bad_combination"):
        sv.start_child(
            sup, sv.child_spec("s", Worker, probe, "s", restart="transient", significant=True)
        )


@pytest.mark.parametrize("seconds", [math.inf, math.nan, -1.0, 0])
def test_non_finite_or_non_positive_windows_are_refused(
    actor_system: actors.ActorSystem, seconds: float
) -> None:
    with pytest.raises(ValueError, match="max_seconds must be a finite number"):
        sv.Supervisor.start([], max_seconds=seconds)
    with pytest.raises(ValueError, match="max_seconds must be a finite number"):
        sv.DynamicSupervisor.start(max_seconds=seconds)


def _start_then_ignore(probe: Probe, flag: list[int]) -> Any:
    flag[0] += 1
    if flag[0] > 1:
        return None
    return Worker.start(probe, "once")


def test_a_dynamic_child_whose_restart_is_ignored_leaves_no_phantom(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sup = sv.DynamicSupervisor.start()
    flag = [0]
    ref = sv.start_child(sup, sv.child_spec("x", _start_then_ignore, probe, flag))
    started(probe, "once")
    probe.monitor(ref)

    actors.cast(ref, ("raise", ValueError("crash")))
    # DOWN comes after the supervisor has the EXIT in its mailbox.
    probe.expect(("DOWN", ANY, "process", ref, ValueError))

    assert [] == sv.which_children(sup)
    assert 0 == sv.count_children(sup)["specs"]


def test_a_dynamic_child_in_its_restart_backoff_can_be_terminated_by_its_old_ref(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    probe = Probe(manual_system)
    sup = sv.DynamicSupervisor.start(system=manual_system)
    ref = sv.start_child(sup, sv.child_spec("b", Worker, probe, "b", backoff=(10, 10)))
    started(probe, "b")
    probe.monitor(ref)
    actors.cast(ref, ("raise", ValueError("crash")))
    probe.expect(("DOWN", ANY, "process", ref, ValueError))
    assert [(None, "restarting", "worker")] == sv.which_children(sup)

    sv.terminate_child(sup, ref)
    clock.advance(20)

    assert [] == sv.which_children(sup)
    settle(manual_system)
    probe.refute(("started", "b", ANY), timeout=0)


def test_get_childspec_of_a_dynamic_child_by_ref(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sup = sv.DynamicSupervisor.start(extra_arguments=(probe,))
    ref = sv.start_child(sup, sv.child_spec("d", Worker, "d"))

    spec = sv.get_childspec(sup, ref)

    assert (Worker, (probe, "d")) == (spec.start, spec.args)
    with pytest.raises(sv.NotSupported):
        sv.get_childspec(sup, "d")
