"""One stuck or blocking-heavy actor must not freeze the pool (issue #11 item 8)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import actors
from actors.testing import ANY, Probe


class Echo(actors.GenServer):
    runtime = "pooled"

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        return request


class QueuedEcho(Echo):
    """Never called inline: a call to it always waits for a worker."""

    inline_calls = False


class Stuck(actors.GenServer):
    """Blocks in a callback *without* actors.blocking(): a bug in user code."""

    runtime = "pooled"

    def init(self, gate: threading.Event, entered: threading.Event) -> None:
        self.gate = gate
        self.entered = entered

    def handle_info(self, message: Any) -> None:
        self.entered.set()
        wait_for_the_gate(self.gate)


def wait_for_the_gate(gate: threading.Event) -> None:
    gate.wait(30)


class Waiter(actors.GenServer):
    """Blocks the right way, inside actors.blocking(). Its calls run on a
    pool worker (never inline in the caller), like those of any actor that
    blocks."""

    runtime = "pooled"
    inline_calls = False

    def init(self, gate: threading.Event, entered: threading.Event, done: Any = None) -> None:
        self.gate = gate
        self.entered = entered
        self.done = done

    def handle_info(self, message: Any) -> None:
        with actors.blocking():
            self.entered.set()
            self.gate.wait(30)
        if self.done is not None:
            actors.send(self.done, ("unblocked", self.ref))

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("call", target):
                return actors.call(target, "hi", timeout=5)
            case ("block",):
                with actors.blocking():
                    return "blocked"
        return None


def test_two_stuck_callbacks_on_a_pool_of_two_are_reported_and_replaced(
    actor_system_factory: Any,
) -> None:
    system = actor_system_factory(pool_size=2, stall_threshold=0.2, runtime="pooled")
    events = Probe(system)
    system.add_lifecycle_listener(events.deliver)
    gate = threading.Event()
    stuck = []
    for n in range(2):
        entered = threading.Event()
        ref = Stuck.start(gate, entered, name=f"stuck-{n}", system=system)
        actors.send(ref, "go")
        assert entered.wait(5)
        stuck.append(ref)
    try:
        # Both workers are inside user code that never yields; a replacement
        # worker still answers (without it this call would time out).
        echo = Echo.start(system=system)
        assert "ping" == actors.call(echo, "ping", timeout=10)
        names: set[Any] = set()
        while len(names) < 2:
            event = events.expect(actors.ProcessLifecycle, timeout=10)
            if event.event_type == "stalled":
                assert "wait_for_the_gate" in (event.traceback or "")
                assert "without actors.blocking()" in (event.reason or "")
                names.add(event.name)
        assert {"stuck-0", "stuck-1"} == names
        assert 2 <= system.statistics().stalls
    finally:
        gate.set()
    for ref in stuck:
        actors.stop(ref)


def test_past_the_blocked_cap_new_blocking_calls_fail_fast(actor_system_factory: Any) -> None:
    system = actor_system_factory(pool_size=2, max_blocked=3, runtime="pooled")
    gate = threading.Event()
    probe = Probe(system)
    for _ in range(3):
        entered = threading.Event()
        actors.send(Waiter.start(gate, entered, probe, system=system), "wait")
        assert entered.wait(5)
    caller = Waiter.start(threading.Event(), threading.Event(), system=system)
    echo = QueuedEcho.start(system=system)
    try:
        with pytest.raises(actors.CallError) as raised:
            actors.call(caller, ("call", echo), timeout=10)
        # The inner call was refused before anything was sent; the error
        # reached the outer caller through the crashed actor.
        assert isinstance(raised.value.reason, actors.CallError)
        assert "pool_exhausted" == raised.value.reason.reason
        blocked = Waiter.start(threading.Event(), threading.Event(), system=system)
        with pytest.raises(actors.CallError) as refused:
            actors.call(blocked, ("block",), timeout=10)
        assert isinstance(refused.value.reason, actors.PoolExhausted)
        assert 2 <= system.statistics().refused_blocking
    finally:
        gate.set()
    for _ in range(3):
        probe.expect(("unblocked", ANY))
    # Once the blocked ones are released, calls work again.
    again = Waiter.start(threading.Event(), threading.Event(), system=system)
    probe.monitor(again)
    assert "hi" == actors.call(again, ("call", echo), timeout=10)
    probe.refute(("DOWN", ANY, "process", again, ANY), timeout=0.01)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_blocked": 0}, "max_blocked must be an int >= 1"),
        ({"max_blocked": "9"}, "max_blocked must be an int >= 1"),
        ({"stall_threshold": 0}, "stall_threshold must be seconds > 0 or None"),
        ({"stall_threshold": float("inf")}, "stall_threshold must be seconds > 0 or None"),
    ],
)
def test_pool_limits_are_checked(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        actors.ActorSystem(**kwargs)
