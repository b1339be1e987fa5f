"""AsyncGenServer: coroutine callbacks with the core's OTP semantics."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import actors
import supervision as sv
from actors.testing import ANY, Probe


class Account(actors.AsyncGenServer):
    async def init(self, balance: int = 0) -> None:
        await asyncio.sleep(0)
        self.balance = balance
        self.busy = False
        self.overlaps = 0
        self.log: list[Any] = []

    async def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("balance",):
                return self.balance
            case ("whoami",):
                return actors.current(), threading.current_thread().name
            case ("loop",):
                return asyncio.get_running_loop()
            case ("overlaps",):
                return self.overlaps, self.log
            case ("stop_with", reply):
                self.stop("normal")
                return reply
            case ("continue",):
                self.continue_with("after")
                return "continuing"
            case ("crash",):
                raise KeyError("no such account")
            case ("hold", event):
                await event.wait()
                return "released"
        return None

    async def handle_cast(self, request: Any) -> None:
        match request:
            case ("deposit", n):
                if self.busy:
                    self.overlaps += 1
                self.busy = True
                await asyncio.sleep(0)  # other coroutines may run here, not this actor
                self.balance += n
                self.log.append(n)
                self.busy = False
            case ("crash",):
                raise RuntimeError("cast crashed")

    def handle_info(self, message: Any) -> None:  # a plain callback stays plain
        match message:
            case ("report", probe):
                actors.send(probe, ("balance", self.balance, threading.current_thread().name))

    async def handle_continue(self, arg: Any) -> None:
        self.log.append(("continued", arg))


def expect_event(events: Probe, event_type: str, name: str) -> actors.ProcessLifecycle:
    while True:
        event: actors.ProcessLifecycle = events.receive(5)
        if (event.event_type, event.name) == (event_type, name):
            return event


def test_coroutine_callbacks_run_on_the_systems_loop_as_the_actor(
    actor_system: actors.ActorSystem,
) -> None:
    ref = Account.start(10, system=actor_system)
    me, thread = actors.call(ref, ("whoami",))
    assert ref == me
    assert f"actors-{actor_system.name}-asyncio" == thread


def test_messages_are_handled_one_at_a_time_in_order(actor_system: actors.ActorSystem) -> None:
    ref = Account.start(system=actor_system)
    for n in range(1, 51):
        actors.cast(ref, ("deposit", n))
    assert (0, list(range(1, 51))) == actors.call(ref, ("overlaps",))
    assert sum(range(1, 51)) == actors.call(ref, ("balance",))


def test_plain_callbacks_run_in_the_turn(actor_system: actors.ActorSystem, probe: Probe) -> None:
    ref = Account.start(5, system=actor_system)
    actors.send(ref, ("report", probe))
    _, balance, thread = probe.expect(("balance", ANY, ANY))
    assert 5 == balance
    assert "asyncio" not in thread


def test_stop_and_continue_from_a_coroutine(actor_system: actors.ActorSystem) -> None:
    ref = Account.start(system=actor_system)
    assert "continuing" == actors.call(ref, ("continue",))
    assert (0, [("continued", "after")]) == actors.call(ref, ("overlaps",))
    assert "bye" == actors.call(ref, ("stop_with", "bye"))
    assert ref.actor_stopped.wait(5)


def test_a_raise_crashes_it_monitors_get_down_callers_get_call_error(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    ref = Account.start(system=actor_system)
    mref = probe.monitor(ref)
    with pytest.raises(actors.CallError) as caught:
        actors.call(ref, ("crash",))
    assert isinstance(caught.value.reason, KeyError)
    _, _, _, _, reason = probe.expect(("DOWN", mref, "process", ref, ANY))
    assert isinstance(reason, KeyError)


def test_a_crashing_cast_fails_the_queued_callers(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    ref = Account.start(system=actor_system)
    mref = probe.monitor(ref)
    actors.cast(ref, ("crash",))
    message = probe.expect(("DOWN", mref, "process", ref, ANY))
    assert "cast crashed" == str(message[4])
    with pytest.raises(actors.CallError):
        actors.call(ref, ("balance",))


def test_under_a_supervisor_it_crashes_and_restarts_on_the_same_loop(
    actor_system: actors.ActorSystem, events: Probe
) -> None:
    tree = sv.Supervisor.start(
        [sv.child_spec("account", Account, 7, name="account")],
        max_restarts=3,
        max_seconds=5,
        system=actor_system,
    )
    first = actors.whereis("account", actor_system)
    loop = actors.call("account", ("loop",), system=actor_system)
    with pytest.raises(actors.CallError):
        actors.call("account", ("crash",), system=actor_system)
    expect_event(events, "restarted", "account")
    second = actors.whereis("account", actor_system)
    assert first != second
    assert 7 == actors.call("account", ("balance",), system=actor_system)
    assert loop is actors.call("account", ("loop",), system=actor_system)
    assert [("account", ANY, "worker")] == [
        (cid, ref, kind) for cid, ref, kind in sv.which_children(tree)
    ]


def test_kill_cancels_the_running_coroutine(actor_system: actors.ActorSystem) -> None:
    cancelled = threading.Event()
    entered = threading.Event()

    class Waiter(actors.AsyncGenServer):
        async def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            entered.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise

    ref = Waiter.start(system=actor_system)
    outcome: list[Any] = []

    def caller() -> None:
        try:
            actors.call(ref, "wait", timeout=10)
        except actors.CallError as exc:
            outcome.append(exc.reason)

    thread = threading.Thread(target=caller)
    thread.start()
    with Probe(actor_system) as probe:
        probe.monitor(ref)
        assert entered.wait(5)  # the call's coroutine awaits: kill it now
        actors.exit(ref, "kill")
        probe.expect(("DOWN", ANY, "process", ref, actors.KILLED))
    thread.join(5)
    assert [actors.KILLED] == outcome
    assert cancelled.wait(5)


def test_async_terminate_runs_at_shutdown(actor_system_factory: Any) -> None:
    system = actor_system_factory()
    seen: list[Any] = []

    class Closer(actors.AsyncGenServer):
        async def init(self) -> None:
            self.trap_exits = True

        async def terminate(self, reason: Any) -> None:
            await asyncio.sleep(0)
            seen.append((reason, threading.current_thread().name))

    Closer.start(system=system)
    assert system.shutdown(timeout=10)
    assert [("shutdown", f"actors-{system.name}-asyncio")] == seen
    assert not any("asyncio" in t.name for t in threading.enumerate())


def test_a_failing_async_init_is_a_start_error(actor_system: actors.ActorSystem) -> None:
    class Broken(actors.AsyncGenServer):
        async def init(self) -> None:
            await asyncio.sleep(0)
            raise ConnectionError("no database")

    with pytest.raises(actors.StartError) as caught:
        Broken.start(name="broken", system=actor_system)
    assert isinstance(caught.value.cause, ConnectionError)
    assert actors.whereis("broken", actor_system) is None


def test_the_system_loop_is_started_on_first_use(actor_system: actors.ActorSystem) -> None:
    assert not any("asyncio" in t.name for t in threading.enumerate())
    ref = Account.start(system=actor_system)
    assert any(t.name == f"actors-{actor_system.name}-asyncio" for t in threading.enumerate())
    actors.stop(ref)


@pytest.mark.asyncio
async def test_astart_runs_callbacks_on_the_callers_loop(
    actor_system: actors.ActorSystem,
) -> None:
    loop = asyncio.get_running_loop()
    ref = await Account.astart(3, system=actor_system, loop=loop)
    me, thread = await actors.acall(ref, ("whoami",))
    assert (ref, threading.current_thread().name) == (me, thread)
    assert loop is await actors.acall(ref, ("loop",))
    await actors.astop(ref)


@pytest.mark.asyncio
async def test_start_from_the_loop_it_would_wait_for_is_refused(
    actor_system: actors.ActorSystem,
) -> None:
    loop = asyncio.get_running_loop()
    with pytest.raises(actors.StartError) as caught:
        Account.start(system=actor_system, loop=loop)
    assert "astart" in str(caught.value.cause)


def test_bad_loop_argument(actor_system: actors.ActorSystem) -> None:
    with pytest.raises(TypeError, match="event loop"):
        Account.start(system=actor_system, loop="not a loop")  # type: ignore[arg-type]


def test_inline_calls_are_off(actor_system: actors.ActorSystem) -> None:
    class Opted(actors.AsyncGenServer):
        inline_calls = True

        async def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            return threading.current_thread().name

    assert Opted.inline_calls is False
    ref = Opted.start(system=actor_system)
    assert threading.current_thread().name != actors.call(ref, "where")
