"""A call to an idle pooled actor runs its turn in the caller's thread: the
rules must hold exactly as on a worker (one message at a time, in order,
crashes and kills as OTP's)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import actors
from actors.testing import ANY, Probe
from tests.concurrently import run_concurrently


class Ledger(actors.GenServer):
    """Records who is inside a callback; any overlap is a violation."""

    runtime = "pooled"

    def init(self) -> None:
        self.inside = threading.Lock()
        self.overlaps = 0
        self.seen: dict[int, list[int]] = {}
        self.threads: set[str] = set()

    def _enter(self) -> None:
        if not self.inside.acquire(blocking=False):
            self.overlaps += 1
            return
        # Widen the window in which a second thread could get in.
        for _ in range(50):
            pass
        self.inside.release()

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        self._enter()
        self.threads.add(threading.current_thread().name)
        match request:
            case ("add", sender, n):
                self.seen.setdefault(sender, []).append(n)
                return n
            case ("report",):
                return self.overlaps, self.seen, set(self.threads)
            case ("crash",):
                raise ValueError("asked to crash")
        return super().handle_call(request, caller)

    def handle_cast(self, request: Any) -> None:
        self._enter()
        match request:
            case ("add", sender, n):
                self.seen.setdefault(sender, []).append(n)


def test_callers_and_senders_in_many_threads_never_overlap_and_keep_order(
    actor_system: actors.ActorSystem,
) -> None:
    ledger = Ledger.start()

    def caller(sender: int) -> None:
        for n in range(400):
            if sender % 2:
                actors.call(ledger, ("add", sender, n), timeout=30)
            else:
                actors.cast(ledger, ("add", sender, n))

    errors = run_concurrently(caller, [(i,) for i in range(8)])
    overlaps, seen, threads_seen = actors.call(ledger, ("report",), timeout=30)
    assert [] == errors
    assert 0 == overlaps
    assert {i: list(range(400)) for i in range(8)} == seen
    # Some calls ran in the callers' own threads (inline), some on workers.
    assert any(not name.startswith("actors-") for name in threads_seen)


def test_a_crash_in_an_inline_call_is_an_ordinary_crash(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    ledger = Ledger.start(name="ledger")
    probe.monitor(ledger)

    with pytest.raises(actors.CallError) as raised:
        actors.call(ledger, ("crash",))

    assert isinstance(raised.value.reason, ValueError)
    probe.expect(("DOWN", ANY, "process", ledger, ValueError))
    assert actors.whereis("ledger") is None


class Slow(actors.GenServer):
    """Runs its call in the caller's thread and waits there for a gate."""

    runtime = "pooled"

    def init(self, gate: threading.Event, entered: threading.Event) -> None:
        self.gate = gate
        self.entered = entered

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        self.entered.set()
        self.gate.wait(10)
        return request


def test_a_kill_during_an_inline_turn_makes_the_actor_unreachable_at_once(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    gate, entered = threading.Event(), threading.Event()
    ref = Slow.start(gate, entered, name="slow")
    probe.monitor(ref)
    outcome: list[Any] = []

    def call() -> None:
        try:
            outcome.append(actors.call(ref, "work", timeout=30))
        except actors.CallError as exc:
            outcome.append(exc.reason)

    caller = threading.Thread(target=call)
    caller.start()
    assert entered.wait(5)

    actors.exit(ref, "kill")

    # Unreachable at once, even though its callback still runs in the
    # caller's thread; the caller learns it when that callback returns.
    probe.expect(("DOWN", ANY, "process", ref, "killed"))
    assert actors.whereis("slow") is None
    assert not actors.send(ref, "anyone?")
    gate.set()
    caller.join(10)
    assert ["killed"] == outcome


def test_an_inline_call_longer_than_its_timeout_fails_and_the_actor_stops_inlining(
    actor_system: actors.ActorSystem,
) -> None:
    class Busy(actors.GenServer):
        runtime = "pooled"

        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            if request == "late":
                threading.Event().wait(0.3)  # the work: longer than the caller waits
            return request

    ref = Busy.start()

    with pytest.raises(actors.CallError) as raised:
        actors.call(ref, "late", timeout=0.05)

    assert "timeout" == raised.value.reason
    # From now on its calls go through a worker, so timeouts act on time.
    assert "again" == actors.call(ref, "again", timeout=5)


class Cycle(actors.GenServer):
    runtime = "pooled"

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("via", other, back):
                return actors.call(other, ("back", back), timeout=0.2)
            case ("back", target):
                return actors.call(target, ("ping",), timeout=0.2)
            case ("ping",):
                return "pong"
        return super().handle_call(request, caller)


def test_calls_that_cycle_time_out_as_in_otp_instead_of_hanging(
    actor_system: actors.ActorSystem,
) -> None:
    a, b = Cycle.start(), Cycle.start()

    # a -> b -> a: a is busy in its own call, so b waits for it: OTP's
    # deadlock, broken by the timeout.
    with pytest.raises(actors.CallError) as raised:
        actors.call(a, ("via", b, a), timeout=5)

    assert isinstance(raised.value.reason, actors.CallError)
    assert "timeout" == raised.value.reason.reason


def test_a_deep_chain_of_calls_does_not_exhaust_the_stack(
    actor_system: actors.ActorSystem,
) -> None:
    class Hop(actors.GenServer):
        runtime = "pooled"

        def init(self, after: Any) -> None:
            self.after = after

        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            if self.after is None:
                return request + 1
            return actors.call(self.after, request + 1, timeout=30)

    after = None
    for _ in range(300):
        after = Hop.start(after)

    assert 300 == actors.call(after, 0, timeout=60)


def test_a_thread_runtime_actor_is_never_run_inline(actor_system: actors.ActorSystem) -> None:
    class Where(actors.GenServer):
        runtime = "thread"

        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            return threading.current_thread() is threading.main_thread()

    assert actors.call(Where.start(), "where?") is False
