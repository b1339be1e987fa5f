"""Backoff restarts and per-exception deciders (Akka's ideas)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import actors
import supervision as sv
from actors.testing import ANY, Probe, settle
from tests.supervised import Boom, Worker, exit_child, started


@given(
    min_s=st.floats(min_value=0.01, max_value=10),
    factor=st.floats(min_value=1, max_value=100),
    jitter=st.floats(min_value=0, max_value=1),
    attempt=st.integers(min_value=0, max_value=200),
    unit=st.floats(min_value=0, max_value=0.999999),
)
def test_backoff_delay_formula(
    min_s: float, factor: float, jitter: float, attempt: int, unit: float
) -> None:
    backoff = sv.Backoff(min_s, min_s * factor, jitter)
    base = min(backoff.max_s, min_s * 2.0 ** min(attempt, 60))

    delay = backoff.delay(attempt, unit)

    assert base * (1 + unit * jitter) == pytest.approx(delay)
    assert min_s <= delay <= backoff.max_s * (1 + jitter)


def test_backoff_delays_grow_and_reset_on_the_manual_clock(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    probe = Probe(manual_system)
    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w", backoff=sv.Backoff(1, 4, reset_after=30))],
        max_restarts=100,
        max_seconds=1000,
        system=manual_system,
    )
    ref = started(probe, "w")
    for expected_delay in (1, 2, 4, 4):
        assert [("w", "restarting", "worker")] == _crash(probe, ref, sup, "flapping")
        clock.advance(expected_delay - 0.5)
        settle(manual_system)
        probe.refute(("started", "w", ANY), timeout=0)
        clock.advance(0.5)
        ref = started(probe, "w")

    clock.advance(30)  # stayed up long enough: the next delay starts over
    _crash(probe, ref, sup, "after a quiet period")
    clock.advance(1)
    started(probe, "w")


def _crash(probe: Probe, ref: Any, sup: Any, why: str) -> list[tuple[Any, Any, str]]:
    """Crash the child; returns which_children once the supervisor has seen it.

    Links are told before monitors, so after our DOWN the supervisor's EXIT is
    queued ahead of the which_children call.
    """
    probe.monitor(ref)
    exit_child(ref, Boom(why))
    probe.expect(("DOWN", ANY, "process", ref, ANY))
    return sv.which_children(sup)


@pytest.mark.parametrize(
    ("directive", "restarted"), [("restart", True), ("stop", False), ("escalate", False)]
)
def test_decider_directives(
    actor_system: actors.ActorSystem, probe: Probe, directive: str, restarted: bool
) -> None:
    def decider(exc: BaseException) -> str:
        return directive if isinstance(exc, Boom) else "restart"

    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w")], decider=decider, system=actor_system
    )
    probe.monitor(sup)

    exit_child(started(probe, "w"), Boom("decide"))

    if restarted:
        started(probe, "w")
    else:
        settle(actor_system)
        probe.refute(("started", "w", ANY), timeout=0)
    if directive == "escalate":
        probe.expect(("DOWN", ANY, "process", sup, Boom))
    else:
        assert sup.is_alive()


def test_decider_resume_keeps_state_and_drops_the_failing_message(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    class Accumulator(actors.GenServer):
        def init(self) -> None:
            self.total = 0
            actors.send(probe, ("started", "acc", self.ref))

        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            match request:
                case ("add", n):
                    if n < 0:
                        raise ValueError("negative")
                    self.total += n
                    return self.total

    def decider(exc: BaseException) -> str:
        return "resume" if isinstance(exc, ValueError) else "restart"

    sv.Supervisor.start([sv.child_spec("acc", Accumulator)], decider=decider, system=actor_system)
    ref = started(probe, "acc")
    actors.call(ref, ("add", 5))

    with pytest.raises(actors.CallError) as info:
        actors.call(ref, ("add", -1))

    assert isinstance(info.value.reason, ValueError)
    assert 7 == actors.call(ref, ("add", 2))  # same incarnation, state kept
    assert ref.is_alive()
    settle(actor_system)
    probe.refute(("started", "acc", ANY), timeout=0)


def test_a_decider_that_raises_means_restart(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    def decider(exc: BaseException) -> str:
        raise RuntimeError("decider bug")

    sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w")], decider=decider, system=actor_system
    )

    exit_child(started(probe, "w"), Boom("crash"))

    started(probe, "w")
