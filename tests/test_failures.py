"""OTP failure semantics: crashes, call errors, start errors, kills."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import actors
from actors.testing import ANY, Probe, settle
from tests.servers import Counter, Forwarder, Gate


def test_crash_in_handle_call_fails_the_caller_emits_crashed_and_tells_monitors(
    actor_system: actors.ActorSystem, probe: Probe, events: Probe
) -> None:
    ref = Counter.start(name="victim", system=actor_system)
    mref = probe.monitor(ref)

    with pytest.raises(actors.CallError) as info:
        actors.call(ref, ("crash", "kaboom"))

    assert isinstance(info.value.reason, RuntimeError)
    assert "kaboom" == str(info.value.reason)
    assert info.value.__cause__ is info.value.reason
    *_, reason = probe.expect(("DOWN", mref, "process", ref, RuntimeError))
    assert reason is info.value.reason
    crashed = events.expect(lambda e: e.event_type == "crashed")
    assert ("victim", "Counter", "RuntimeError: kaboom", "RuntimeError") == (
        crashed.name,
        crashed.component,
        crashed.reason,
        crashed.exception_type,
    )
    assert "kaboom" in crashed.traceback
    assert not ref.is_alive()
    assert actors.whereis("victim", actor_system) is None


@pytest.mark.parametrize("how", ["cast", "info"])
def test_crash_in_cast_or_info_crashes_the_actor(
    actor_system: actors.ActorSystem, probe: Probe, how: str
) -> None:
    ref = Counter.start(system=actor_system)
    probe.monitor(ref)

    if how == "cast":
        actors.cast(ref, ("crash", "bad cast"))
    else:
        actors.send(ref, ("crash", "bad info"))

    probe.expect(("DOWN", ANY, "process", ref, RuntimeError))


def test_calls_queued_behind_a_crash_get_the_crash_reason(actor_system: actors.ActorSystem) -> None:
    gate, entered = threading.Event(), threading.Event()
    ref = Gate.start(gate, entered, system=actor_system)
    first: list[Any] = []
    blocked = threading.Thread(target=lambda: first.append(_call_reason(ref, "first")))
    blocked.start()
    entered.wait(5)
    actors.send(ref, ("crash", "queued crash"))
    queued = ref.ask(("never handled",), block=False)  # pykka's ask: enqueued now

    gate.set()
    blocked.join(5)

    assert ["first"] == first
    with pytest.raises(actors.CallError) as info:
        queued.get(timeout=5)
    assert isinstance(info.value.reason, RuntimeError)
    assert "queued crash" == str(info.value.reason)


def test_call_to_unknown_name_or_dead_actor_is_noproc(actor_system: actors.ActorSystem) -> None:
    ref = Counter.start(system=actor_system)
    actors.stop(ref)

    with pytest.raises(actors.CallError) as dead:
        actors.call(ref, ("get",))
    with pytest.raises(actors.CallError) as unknown:
        actors.call("nobody", ("get",), system=actor_system)

    assert "noproc" == dead.value.reason
    assert "noproc" == unknown.value.reason
    assert "'nobody'" in str(unknown.value)


def test_call_timeout_raises_and_the_late_reply_is_dropped(
    actor_system: actors.ActorSystem,
) -> None:
    gate = threading.Event()
    ref = Gate.start(gate, system=actor_system)

    with pytest.raises(actors.CallError) as info:
        actors.call(ref, "slow", timeout=0.05)
    gate.set()

    assert "timeout" == info.value.reason
    # The late reply "slow" never shows up as the answer to a later call.
    assert "fast" == actors.call(ref, "fast")


def test_calling_yourself_is_an_error_not_a_deadlock(actor_system: actors.ActorSystem) -> None:
    class Narcissus(actors.GenServer):
        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            try:
                actors.call(self.ref, "again")
            except actors.CallError as e:
                return e.reason
            return "unreachable"

    ref = Narcissus.start(system=actor_system)

    assert "calling_self" == actors.call(ref, "hello")


def test_init_failure_raises_start_error_and_leaves_nothing_behind(
    actor_system: actors.ActorSystem, events: Probe
) -> None:
    class Broken(actors.GenServer):
        def init(self) -> None:
            raise ValueError("no config")

    with pytest.raises(actors.StartError) as info:
        Broken.start(name="broken", system=actor_system)

    assert isinstance(info.value.cause, ValueError)
    assert info.value.__cause__ is info.value.cause
    assert actors.whereis("broken", actor_system) is None
    assert [] == actor_system.actors()
    assert "crashed" == events.expect(ANY).event_type
    settle(actor_system)
    events.refute(lambda e: e.event_type == "started", timeout=0)


def test_init_can_refuse_to_start_by_stopping(actor_system: actors.ActorSystem) -> None:
    class Refusing(actors.GenServer):
        def init(self) -> None:
            self.stop(("shutdown", "not today"))

    with pytest.raises(actors.StartError) as info:
        Refusing.start(system=actor_system)

    assert ("shutdown", "not today") == info.value.cause
    assert [] == actor_system.actors()


def test_second_actor_under_a_taken_name_gets_already_started(
    actor_system: actors.ActorSystem,
) -> None:
    first = Counter.start(name="unique", system=actor_system)

    with pytest.raises(actors.AlreadyStarted) as info:
        Counter.start(name="unique", system=actor_system)

    assert info.value.ref is first
    assert isinstance(info.value, actors.StartError)
    assert [first] == actor_system.actors()


def test_name_is_free_again_once_its_actor_has_exited(actor_system: actors.ActorSystem) -> None:
    first = Counter.start(name="reused", system=actor_system)
    actors.stop(first)

    second = Counter.start(name="reused", system=actor_system)

    assert second is actors.whereis("reused", actor_system)


def test_base_exception_in_one_actor_does_not_stop_others(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    bystander = Counter.start(system=actor_system)
    victim = Forwarder.start(probe, system=actor_system)
    probe.monitor(victim)

    actors.cast(victim, ("raise", SystemExit("bye")))

    probe.expect(("DOWN", ANY, "process", victim, SystemExit))
    assert 1 == actors.call(bystander, ("add", 1))


def test_kill_makes_a_stuck_actor_unreachable_at_once(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    gate, entered = threading.Event(), threading.Event()
    ref = Gate.start(gate, entered, name="stuck", system=actor_system)
    probe.monitor(ref)
    outcome: list[Any] = []
    caller = threading.Thread(target=lambda: outcome.append(_call_reason(ref, "blocked")))
    caller.start()
    entered.wait(5)

    actors.exit(ref, "kill")

    probe.expect(("DOWN", ANY, "process", ref, "killed"))
    assert actors.whereis("stuck", actor_system) is None
    caller.join(5)
    assert ["killed"] == outcome
    assert not actors.send(ref, "anyone?")
    gate.set()  # the zombie callback finishes; its reply goes nowhere


def test_terminate_is_not_called_on_kill(actor_system: actors.ActorSystem, probe: Probe) -> None:
    ref = Forwarder.start(probe, system=actor_system)
    probe.expect(("init", ref))
    probe.monitor(ref)

    actors.exit(ref, "kill")

    probe.expect(("DOWN", ANY, "process", ref, "killed"))
    settle(actor_system)
    probe.refute(("terminate", ANY, ANY), timeout=0)


def test_stop_reports_a_different_exit_reason(actor_system: actors.ActorSystem) -> None:
    class Messy(actors.GenServer):
        def terminate(self, reason: Any) -> None:
            raise OSError("could not flush")

    ref = Messy.start(system=actor_system)

    with pytest.raises(actors.CallError) as info:
        actors.stop(ref, "normal")

    assert isinstance(info.value.reason, OSError)
    assert isinstance(ref.exit_reason, OSError)


def test_stop_times_out_without_killing(actor_system: actors.ActorSystem) -> None:
    gate, entered = threading.Event(), threading.Event()
    ref = Gate.start(gate, entered, system=actor_system)
    holder = threading.Thread(target=lambda: _call_reason(ref, "hold"))
    holder.start()
    entered.wait(5)

    with pytest.raises(actors.CallError) as info:
        actors.stop(ref, timeout=0.05)

    assert "timeout" == info.value.reason
    assert ref.is_alive()
    gate.set()
    holder.join(5)
    assert ref._process.stopped.wait(5)
    assert "normal" == ref.exit_reason


def _call_reason(ref: Any, request: Any) -> Any:
    try:
        return actors.call(ref, request, timeout=5)
    except actors.CallError as e:
        return e.reason
