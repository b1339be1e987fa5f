"""GenServer callbacks, replies, stopping from inside, continue, idle timeout."""

from __future__ import annotations

from typing import Any

import pytest

import actors
from actors._server import ServerProcess
from actors.lowlevel import process_of
from actors.testing import ANY, Probe, settle
from tests.servers import Counter, Forwarder


def test_call_cast_and_info_reach_their_callbacks(actor_system: actors.ActorSystem) -> None:
    counter = Counter.start(10, system=actor_system)

    actors.cast(counter, ("add", 5))
    actors.send(counter, ("add", 100))

    assert 115 == actors.call(counter, ("get",))


def test_handled_counts_every_message_its_turns_took(actor_system: actors.ActorSystem) -> None:
    counter = Counter.start(system=actor_system)
    proc = process_of(counter)
    assert isinstance(proc, ServerProcess)
    assert 0 == proc.handled  # init is not a message

    for _ in range(50):
        actors.cast(counter, ("add", 1))
        actors.send(counter, ("add", 1))
    for _ in range(20):
        actors.call(counter, ("get",))  # inline when idle, queued otherwise: both count

    assert 120 == proc.handled
    assert 100 == actors.call(counter, ("get",))
    assert 121 == proc.handled


def test_init_receives_positional_and_keyword_arguments(actor_system: actors.ActorSystem) -> None:
    class Pair(actors.GenServer):
        def init(self, a: int, *, b: int) -> None:
            self.pair = (a, b)

        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            return self.pair

    ref = Pair.start(1, b=2, system=actor_system)

    assert (1, 2) == actors.call(ref, "get")


def test_registered_name_is_usable_everywhere_a_ref_is(actor_system: actors.ActorSystem) -> None:
    ref = Counter.start(name="counter", system=actor_system)

    actors.cast("counter", ("add", 2), system=actor_system)
    actors.send("counter", ("add", 3), system=actor_system)

    assert ref is actors.whereis("counter", actor_system)
    assert 5 == actors.call("counter", ("get",), system=actor_system)
    assert "counter" == ref.name


def test_deferred_reply_from_another_actor(actor_system: actors.ActorSystem, probe: Probe) -> None:
    class Deferring(actors.GenServer):
        def init(self) -> None:
            self.waiting: list[actors.Caller] = []

        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            match request:
                case "wait":
                    self.waiting.append(caller)
                    actors.send(probe, ("waiting", len(self.waiting)))
                    return actors.NO_REPLY
                case "release":
                    for waiter in self.waiting:
                        actors.reply(waiter, "released")
                    return len(self.waiting)

    server = Deferring.start(system=actor_system)

    class Waiter(actors.GenServer):
        def init(self) -> None:
            self.continue_with("go")

        def handle_continue(self, arg: Any) -> None:
            actors.send(probe, ("answer", actors.call(server, "wait")))

    Waiter.start(system=actor_system)
    Waiter.start(system=actor_system)
    probe.expect(("waiting", 2))

    assert 2 == actors.call(server, "release")
    assert ("answer", "released") == probe.expect(("answer", ANY))
    assert ("answer", "released") == probe.expect(("answer", ANY))


def test_stop_inside_handle_call_runs_terminate_before_the_reply(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    class Stopper(actors.GenServer):
        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            self.stop("normal")
            return "bye"

        def terminate(self, reason: Any) -> None:
            actors.send(probe, ("terminate", reason))

    ref = Stopper.start(system=actor_system)
    probe.monitor(ref)

    assert "bye" == actors.call(ref, "stop")
    # terminate ran before the reply was sent, so its message is already here.
    assert [("terminate", "normal")] == probe.messages()[:1]
    probe.expect(("DOWN", ANY, "process", ref, "normal"))


def test_stop_inside_handle_cast_stops_after_the_current_message(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    ref = Forwarder.start(probe, system=actor_system)
    probe.expect(("init", ref))
    probe.monitor(ref)

    actors.cast(ref, ("stop", "shutdown"))
    actors.send(ref, "never handled")

    probe.expect(("terminate", None, "shutdown"))
    probe.expect(("DOWN", ANY, "process", ref, "shutdown"))
    settle(actor_system)
    probe.refute(("info", ANY), timeout=0)
    assert 1 == actor_system.dead_letters


def test_handle_continue_runs_before_the_next_message(actor_system: actors.ActorSystem) -> None:
    class Continuing(actors.GenServer):
        def init(self) -> None:
            self.log: list[str] = ["init"]
            self.continue_with("from init")

        def handle_continue(self, arg: Any) -> None:
            self.log.append(arg)
            if arg == "from cast":
                self.continue_with("chained")

        def handle_cast(self, request: Any) -> None:
            self.log.append(request)
            self.continue_with("from cast")

        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            return list(self.log)

    ref = Continuing.start(system=actor_system)
    actors.cast(ref, "cast")

    assert ["init", "from init", "cast", "from cast", "chained"] == actors.call(ref, "log")


def test_continue_with_outside_a_callback_is_refused(actor_system: actors.ActorSystem) -> None:
    class Idle(actors.GenServer):
        pass

    ref = Idle.start(system=actor_system)
    actor = ref._process.actor
    assert actor is not None

    with pytest.raises(RuntimeError, match="continue_with"):
        actor.continue_with("x")


def test_idle_timeout_sends_timeout_info_after_quiet_period(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    probe = Probe(manual_system)

    class Sleepy(actors.GenServer):
        def init(self) -> None:
            self.idle_timeout = 30.0

        def handle_info(self, message: Any) -> None:
            actors.send(probe, message)

        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            return "pong"

    ref = Sleepy.start(system=manual_system)
    clock.advance(20)
    assert "pong" == actors.call(ref, "ping")  # activity resets the idle period
    clock.advance(20)
    settle(manual_system)
    probe.refute(("timeout",), timeout=0)

    clock.advance(10)

    assert ("timeout",) == probe.expect(("timeout",))
    clock.advance(30)
    assert ("timeout",) == probe.expect(("timeout",))


def test_self_stop_with_shutdown_tuple_reason(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    ref = Counter.start(system=actor_system)
    probe.monitor(ref)

    assert "done" == actors.call(ref, ("stop", ("shutdown", "rebalance"), "done"))

    probe.expect(("DOWN", ANY, "process", ref, ("shutdown", "rebalance")))
    assert not ref.is_alive()


def test_ref_knows_its_name_system_and_exit_reason(actor_system: actors.ActorSystem) -> None:
    ref = Counter.start(name="named", system=actor_system)

    assert actor_system is ref.system
    assert ref.exit_reason is None

    actors.stop(ref, "shutdown")

    assert "shutdown" == ref.exit_reason
    assert "Counter" in repr(ref)
    assert "'named'" in repr(ref)


def test_idle_timeout_declared_on_the_class(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    probe = Probe(manual_system)

    class Ticking(actors.GenServer):
        idle_timeout = 5

        def handle_info(self, message: Any) -> None:
            actors.send(probe, message)

    ref = Ticking.start(system=manual_system)
    clock.advance(5)

    assert ("timeout",) == probe.expect(("timeout",))
    assert 5.0 == ref._process.idle_timeout


def test_idle_timeout_can_be_turned_off(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    probe = Probe(manual_system)

    class Once(actors.GenServer):
        def init(self) -> None:
            self.idle_timeout = 1.0

        def handle_info(self, message: Any) -> None:
            self.idle_timeout = None
            actors.send(probe, message)

    Once.start(system=manual_system)
    clock.advance(1)
    probe.expect(("timeout",))
    clock.advance(10)

    settle(manual_system)
    probe.refute(("timeout",), timeout=0)


@pytest.mark.parametrize("bad", [0, -1, "soon", True])
def test_idle_timeout_must_be_a_positive_number(bad: Any) -> None:
    with pytest.raises(ValueError, match="idle_timeout"):

        class Bad(actors.GenServer):
            idle_timeout = bad
