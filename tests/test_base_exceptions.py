"""SystemExit and KeyboardInterrupt crash the actor whose callback raised
them, and nothing else: no pool worker dies, nothing is left half dead
(issue #11 item 9). Every test runs on both runtimes."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import actors
import supervision as sv
from actors.testing import ANY, Probe, settle

INTERRUPTS = [SystemExit("bye"), KeyboardInterrupt()]
IDS = ["SystemExit", "KeyboardInterrupt"]


class Echo(actors.GenServer):
    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        return request


class Raises(actors.GenServer):
    """Raises the given BaseException from the callback a message names."""

    def init(self, exc: BaseException, where: str = "") -> None:
        self.exc = exc
        self.where = where

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        if request == "raise":
            raise self.exc
        return "ok"

    def handle_info(self, message: Any) -> None:
        if message == "raise":
            raise self.exc

    def handle_cast(self, request: Any) -> None:
        if request == "stop":
            self.stop("normal")

    def terminate(self, reason: Any) -> None:
        if self.where == "terminate":
            raise self.exc


def _call_from_a_thread(ref: Any, request: Any) -> BaseException | None:
    box: list[BaseException | None] = [None]

    def run() -> None:
        try:
            actors.call(ref, request, timeout=10)
        except BaseException as exc:
            box[0] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(20)
    return box[0]


def test_ctrl_c_in_a_callback_the_main_thread_runs_crashes_it_and_interrupts(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    ref = Raises.start(KeyboardInterrupt(), runtime="pooled")
    probe.monitor(ref)

    # An idle pooled actor's call runs in the calling (main) thread.
    with pytest.raises(KeyboardInterrupt):
        actors.call(ref, "raise")

    probe.expect(("DOWN", ANY, "process", ref, KeyboardInterrupt))
    _still_serving(actor_system)


def _still_serving(system: actors.ActorSystem) -> None:
    echo = Echo.start(system=system)
    assert "ping" == actors.call(echo, "ping", timeout=5)


@pytest.mark.parametrize("exc", INTERRUPTS, ids=IDS)
def test_a_callback_raising_it_crashes_that_actor_only(
    actor_system: actors.ActorSystem, probe: Probe, exc: BaseException
) -> None:
    workers = actor_system.statistics().pool_workers
    ref = Raises.start(exc, name="raiser")
    probe.monitor(ref)

    # From a plain thread: in the main thread a callback run inline by the
    # caller would pass a KeyboardInterrupt on to the program (Ctrl-C).
    raised = _call_from_a_thread(ref, "raise")

    assert isinstance(raised, actors.CallError)
    assert type(exc) is type(raised.reason)
    probe.expect(("DOWN", ANY, "process", ref, type(exc)))
    assert actors.whereis("raiser") is None
    _still_serving(actor_system)
    assert workers <= actor_system.statistics().pool_workers


@pytest.mark.parametrize("exc", INTERRUPTS, ids=IDS)
def test_a_terminate_raising_it_still_finishes_the_exit(
    actor_system: actors.ActorSystem, probe: Probe, exc: BaseException
) -> None:
    ref = Raises.start(exc, "terminate", name="stopper")
    probe.monitor(ref)

    actors.cast(ref, "stop")

    probe.expect(("DOWN", ANY, "process", ref, type(exc)))
    assert actors.whereis("stopper") is None
    _still_serving(actor_system)


def test_two_actors_raising_it_freeze_nothing(
    actor_system_factory: Any,
) -> None:
    system = actor_system_factory(pool_size=2)
    probe = Probe(system)
    refs = [Raises.start(SystemExit(n), system=system) for n in range(2)]
    for ref in refs:
        probe.monitor(ref)
        actors.send(ref, "raise")
    for ref in refs:
        probe.expect(("DOWN", ANY, "process", ref, SystemExit))

    _still_serving(system)


@pytest.mark.parametrize("exc", INTERRUPTS, ids=IDS)
def test_a_lifecycle_listener_raising_it_leaves_the_event_s_source_whole(
    actor_system: actors.ActorSystem, probe: Probe, exc: BaseException
) -> None:
    def listener(event: actors.ProcessLifecycle) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise exc

    actor_system.add_lifecycle_listener(listener)
    ref = Raises.start(ValueError("plain"))
    probe.monitor(ref)

    actors.send(ref, "raise")  # crashes in a worker: its "crashed" event raises

    probe.expect(("DOWN", ANY, "process", ref, ValueError))
    _still_serving(actor_system)


class FailsSecondStart(actors.GenServer):
    def init(self, probe: Any, starts: list[int]) -> None:
        starts[0] += 1
        if starts[0] == 2:
            raise SystemExit("the restart gave up")
        actors.send(probe, ("started", starts[0], self.ref))

    def handle_info(self, message: Any) -> None:
        if message == "crash":
            raise ValueError("crash")


def test_a_child_init_raising_it_during_a_restart_does_not_crash_the_supervisor(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    starts = [0]
    sup = sv.Supervisor.start([sv.child_spec("c", FailsSecondStart, probe, starts)])
    _, _, ref = probe.expect(("started", 1, ANY))
    probe.monitor(sup)

    actors.send(ref, "crash")

    # The second start raised SystemExit: counted as a failed start and
    # retried; the third start works and the supervisor carries on.
    probe.expect(("started", 3, ANY))
    assert [("c", ANY, "worker")] == sv.which_children(sup)
    settle(actor_system)
    probe.refute(("DOWN", ANY, "process", sup, ANY), timeout=0)


def test_an_init_raising_it_fails_the_start_with_start_error(
    actor_system: actors.ActorSystem,
) -> None:
    class Quits(actors.GenServer):
        def init(self) -> None:
            raise SystemExit("no")

    def start_elsewhere(box: list[Any]) -> None:
        try:
            Quits.start(system=actor_system, name="quits")
        except BaseException as exc:
            box.append(exc)

    box: list[Any] = []
    thread = threading.Thread(target=start_elsewhere, args=(box,))
    thread.start()
    thread.join(10)

    assert isinstance(box[0], actors.StartError)
    assert isinstance(box[0].cause, SystemExit)
    assert actors.whereis("quits") is None
