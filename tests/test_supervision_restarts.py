"""OTP restart semantics: restart types by exit reasons, intensity, strategies, escalation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import actors
import supervision as sv
from actors.testing import ANY, Probe, settle
from supervision import RestartIntensity
from tests.supervised import Boom, Worker, exit_child, started

REASONS = {
    "normal": "normal",
    "shutdown": "shutdown",
    "shutdown_tuple": ("shutdown", "drained"),
    "abnormal": Boom("failure"),
}
# OTP's decision table (B.3): restarted?
RESTARTED = {
    ("permanent", "normal"): True,
    ("permanent", "shutdown"): True,
    ("permanent", "shutdown_tuple"): True,
    ("permanent", "abnormal"): True,
    ("transient", "normal"): False,
    ("transient", "shutdown"): False,
    ("transient", "shutdown_tuple"): False,
    ("transient", "abnormal"): True,
    ("temporary", "normal"): False,
    ("temporary", "shutdown"): False,
    ("temporary", "shutdown_tuple"): False,
    ("temporary", "abnormal"): False,
}


@pytest.mark.parametrize(("restart", "reason_key"), sorted(RESTARTED))
def test_restart_type_by_exit_reason(
    actor_system: actors.ActorSystem, probe: Probe, restart: str, reason_key: str
) -> None:
    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w", restart=restart)], system=actor_system
    )
    first = started(probe, "w")

    exit_child(first, REASONS[reason_key])

    if RESTARTED[(restart, reason_key)]:
        assert started(probe, "w") is not first
        assert [("w", ANY, "worker")] == sv.which_children(sup)
    else:
        settle(actor_system)
        probe.refute(("started", "w", ANY), timeout=0)
        expected = [] if restart == "temporary" else [("w", None, "worker")]
        assert expected == sv.which_children(sup)


def test_killed_children_are_restarted_like_any_abnormal_exit(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w", restart="transient")], system=actor_system
    )
    first = started(probe, "w")

    actors.exit(first, "kill")

    assert started(probe, "w") is not first


def _crash_and_wait(probe: Probe, ref: Any, tag: str) -> Any:
    exit_child(ref, Boom("again"))
    return started(probe, tag)


def test_exactly_max_restarts_inside_the_window_survives_and_one_more_shuts_down(
    manual_system: actors.ActorSystem,
) -> None:
    probe = Probe(manual_system)
    events = Probe(manual_system)
    manual_system.add_lifecycle_listener(events.deliver)
    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w")],
        max_restarts=3,
        max_seconds=5,
        name="sup",
        system=manual_system,
    )
    probe.monitor(sup)
    ref = started(probe, "w")
    for _ in range(3):
        ref = _crash_and_wait(probe, ref, "w")
    assert sup.is_alive()

    exit_child(ref, Boom("fourth"))

    probe.expect(("DOWN", ANY, "process", sup, "shutdown"))
    reached = events.expect(lambda e: e.event_type == "max_restarts_reached")
    assert ("w", "sup", "Worker") == (reached.child_id, reached.supervisor, reached.component)
    events.expect(lambda e: e.event_type == "shutdown" and e.name == "sup")


def test_the_window_slides_on_the_system_clock(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    probe = Probe(manual_system)
    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w")],
        max_restarts=2,
        max_seconds=10,
        system=manual_system,
    )
    ref = started(probe, "w")
    ref = _crash_and_wait(probe, ref, "w")  # t=0
    clock.advance(6)
    ref = _crash_and_wait(probe, ref, "w")  # t=6: 2 in window
    clock.advance(4.5)
    ref = _crash_and_wait(probe, ref, "w")  # t=10.5: the t=0 restart has aged out

    assert sup.is_alive()
    probe.monitor(sup)
    exit_child(ref, Boom("third in window"))  # t=10.5: 6, 10.5, 10.5 -> 3 > 2
    probe.expect(("DOWN", ANY, "process", sup, "shutdown"))


def test_the_window_boundary_is_inclusive(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    probe = Probe(manual_system)
    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w")],
        max_restarts=1,
        max_seconds=5,
        system=manual_system,
    )
    probe.monitor(sup)
    ref = _crash_and_wait(probe, started(probe, "w"), "w")  # t=0
    clock.advance(5)

    exit_child(ref, Boom("exactly max_seconds later"))  # the t=0 restart still counts

    probe.expect(("DOWN", ANY, "process", sup, "shutdown"))


def test_zero_intensity_gives_up_on_the_first_restart(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w")], max_restarts=0, system=actor_system
    )
    probe.monitor(sup)

    exit_child(started(probe, "w"), Boom("once"))

    probe.expect(("DOWN", ANY, "process", sup, "shutdown"))


def _three(probe: Probe, *, restart: str = "permanent", c_restart: str = "permanent") -> list[Any]:
    return [
        sv.child_spec("a", Worker, probe, "a", trap=True, restart=restart),
        sv.child_spec("b", Worker, probe, "b", trap=True),
        sv.child_spec("c", Worker, probe, "c", trap=True, restart=c_restart),
    ]


def _events_after(probe: Probe) -> list[tuple[str, str]]:
    """The ("terminated"/"started", tag) messages, in order, until quiet."""
    seen: list[Any] = []
    while True:
        try:
            message = probe.expect(
                lambda m: isinstance(m, tuple) and m[0] in ("started", "terminated"), timeout=0.3
            )
        except AssertionError:
            return seen
        seen.append((message[0], message[1]))


def test_one_for_one_restarts_only_the_failed_child(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sv.Supervisor.start(_three(probe), strategy="one_for_one", system=actor_system)
    refs = {tag: started(probe, tag) for tag in "abc"}

    exit_child(refs["b"], Boom("b fails"))

    assert [("terminated", "b"), ("started", "b")] == _events_after(probe)


def test_one_for_all_stops_the_others_in_reverse_order_then_starts_all(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sv.Supervisor.start(_three(probe), strategy="one_for_all", system=actor_system)
    refs = {tag: started(probe, tag) for tag in "abc"}

    exit_child(refs["b"], Boom("b fails"))

    assert [
        ("terminated", "b"),
        ("terminated", "c"),
        ("terminated", "a"),
        ("started", "a"),
        ("started", "b"),
        ("started", "c"),
    ] == _events_after(probe)


def test_rest_for_one_restarts_the_failed_child_and_later_ones(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sv.Supervisor.start(_three(probe), strategy="rest_for_one", system=actor_system)
    refs = {tag: started(probe, tag) for tag in "abc"}

    exit_child(refs["b"], Boom("b fails"))

    assert [
        ("terminated", "b"),
        ("terminated", "c"),
        ("started", "b"),
        ("started", "c"),
    ] == _events_after(probe)


@pytest.mark.parametrize("strategy", ["one_for_all", "rest_for_one"])
def test_temporary_siblings_taken_down_are_not_restarted(
    actor_system: actors.ActorSystem, probe: Probe, strategy: str
) -> None:
    sup = sv.Supervisor.start(
        _three(probe, c_restart="temporary"), strategy=strategy, system=actor_system
    )
    refs = {tag: started(probe, tag) for tag in "abc"}

    exit_child(refs["b"], Boom("b fails"))

    events = _events_after(probe)
    assert ("terminated", "c") in events
    assert ("started", "c") not in events
    assert ["a", "b"] == [child_id for child_id, _, _ in sv.which_children(sup)]


def test_a_group_restart_counts_once(manual_system: actors.ActorSystem) -> None:
    probe = Probe(manual_system)
    sup = sv.Supervisor.start(
        _three(probe), strategy="one_for_all", max_restarts=1, system=manual_system
    )
    refs = {tag: started(probe, tag) for tag in "abc"}

    exit_child(refs["a"], Boom("one event, three restarts"))
    _events_after(probe)

    assert sup.is_alive()
    assert 3 == sv.count_children(sup)["active"]


def test_restart_emits_restarted_with_the_count(
    actor_system: actors.ActorSystem, probe: Probe, events: Probe
) -> None:
    sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w", name="worker")], name="top", system=actor_system
    )
    ref = started(probe, "w")
    ref = _crash_and_wait(probe, ref, "w")
    _crash_and_wait(probe, ref, "w")

    restarted = [events.expect(lambda e: e.event_type == "restarted") for _ in range(2)]

    assert [1, 2] == [e.restart_count for e in restarted]
    assert {("worker", "top", "w")} == {(e.name, e.supervisor, e.child_id) for e in restarted}


def test_failed_restart_attempts_count_and_exhaust_the_intensity(
    actor_system: actors.ActorSystem, probe: Probe, events: Probe
) -> None:
    broken = {"now": False}
    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w", fail_init=lambda: broken["now"])],
        max_restarts=3,
        system=actor_system,
    )
    probe.monitor(sup)
    broken["now"] = True

    exit_child(started(probe, "w"), Boom("and it will not come back"))

    probe.expect(("DOWN", ANY, "process", sup, "shutdown"))
    failures = [events.expect(lambda e: e.event_type == "child_start_failed") for _ in range(3)]
    assert all("cannot start" in (e.reason or "") for e in failures)
    events.expect(lambda e: e.event_type == "max_restarts_reached")


def test_escalation_through_two_levels(actor_system: actors.ActorSystem, probe: Probe) -> None:
    """A worker that keeps crashing exhausts its supervisor, which its parent
    restarts (counted there) until the top gives up too."""
    middle = sv.child_spec(
        "middle",
        sv.Supervisor,
        [sv.child_spec("w", Worker, probe, "w")],
        max_restarts=1,
        name="middle",
        type="supervisor",
    )
    top = sv.Supervisor.start([middle], max_restarts=1, name="top", system=actor_system)
    probe.monitor(top)

    first_middle = actors.whereis("middle", actor_system)
    ref = _crash_and_wait(probe, started(probe, "w"), "w")  # middle restarts w (1 of 1)
    exit_child(ref, Boom("middle gives up"))  # 2 > 1: middle exits "shutdown"
    ref = started(probe, "w")  # top restarted middle (1 of 1), which started w
    assert actors.whereis("middle", actor_system) is not first_middle
    assert top.is_alive()
    ref = _crash_and_wait(probe, ref, "w")

    exit_child(ref, Boom("middle gives up again"))  # top: 2 > 1

    probe.expect(("DOWN", ANY, "process", top, "shutdown"), timeout=10)


@pytest.mark.parametrize("restart", ["transient", "temporary"])
def test_escalation_stops_at_a_non_permanent_supervisor(
    actor_system: actors.ActorSystem, probe: Probe, restart: str
) -> None:
    middle = sv.child_spec(
        "middle",
        sv.Supervisor,
        [sv.child_spec("w", Worker, probe, "w")],
        max_restarts=0,
        type="supervisor",
        restart=restart,
    )
    top = sv.Supervisor.start([middle], name="top", system=actor_system)

    exit_child(started(probe, "w"), Boom("middle gives up with 'shutdown'"))

    settle(actor_system)
    probe.refute(("started", "w", ANY), timeout=0)
    assert top.is_alive()


@settings(max_examples=200, deadline=None)
@given(
    max_restarts=st.integers(min_value=0, max_value=5),
    max_seconds=st.integers(min_value=1, max_value=10),
    gaps=st.lists(st.floats(min_value=0, max_value=6, allow_nan=False), min_size=1, max_size=30),
)
def test_intensity_matches_a_reference_sliding_window(
    max_restarts: int, max_seconds: int, gaps: list[float]
) -> None:
    window = RestartIntensity(max_restarts, max_seconds)
    now = 0.0
    history: list[float] = []
    for gap in gaps:
        now += gap
        history.append(now)
        expected = sum(1 for t in history if t >= now - max_seconds) <= max_restarts

        assert expected == window.add_restart(now)


def test_supervisor_start_fails_fast_with_the_child_id_and_stops_started_ones(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    specs = [
        sv.child_spec("ok1", Worker, probe, "ok1", trap=True),
        sv.child_spec("ok2", Worker, probe, "ok2", trap=True),
        sv.child_spec("bad", Worker, probe, "bad", fail_init=lambda: True),
        sv.child_spec("never", Worker, probe, "never"),
    ]

    with pytest.raises(sv.ChildStartError) as info:
        sv.Supervisor.start(specs, name="half", system=actor_system)

    assert "bad" == info.value.child_id
    assert "bad cannot start" in str(info.value.cause)
    assert isinstance(info.value, actors.StartError)
    assert [("terminated", "ok2"), ("terminated", "ok1")] == [
        (m[0], m[1]) for m in probe.messages() if m[0] == "terminated"
    ]
    settle(actor_system)
    probe.refute(("started", "never", ANY), timeout=0)
    assert actors.whereis("half", actor_system) is None
    assert [] == actor_system.actors()


def _ignore() -> None:
    return None


def test_a_start_returning_none_is_ignored_but_kept(actor_system: actors.ActorSystem) -> None:
    sup = sv.Supervisor.start(
        [sv.child_spec("lazy", _ignore), sv.child_spec("gone", _ignore, restart="temporary")],
        system=actor_system,
    )

    assert [("lazy", None, "worker")] == sv.which_children(sup)


def test_children_started_by_a_callable_are_linked_and_supervised(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    def start_worker() -> Any:
        return Worker.start(probe, "w")

    sv.Supervisor.start([sv.child_spec("w", start_worker)], system=actor_system)
    first = started(probe, "w")

    exit_child(first, Boom("crash"))

    assert started(probe, "w") is not first


def test_significant_children_require_auto_shutdown(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    with pytest.raises(ValueError, match="bad_combination"):
        sv.Supervisor.start(
            [sv.child_spec("s", Worker, probe, "s", restart="transient", significant=True)],
            system=actor_system,
        )
    with pytest.raises(ValueError, match="bad_combination"):
        sv.child_spec("s", Worker, probe, "s", significant=True)


def test_any_significant_child_exiting_shuts_the_supervisor_down(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sup = sv.Supervisor.start(
        [
            sv.child_spec("s1", Worker, probe, "s1", restart="transient", significant=True),
            sv.child_spec("s2", Worker, probe, "s2", restart="transient", significant=True),
            sv.child_spec("other", Worker, probe, "other", trap=True),
        ],
        auto_shutdown="any_significant",
        system=actor_system,
    )
    probe.monitor(sup)
    s1 = started(probe, "s1")

    exit_child(s1, "normal")

    probe.expect(("DOWN", ANY, "process", sup, "shutdown"))
    probe.expect(("terminated", "other", "shutdown"))


def test_all_significant_waits_for_the_last_one(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sup = sv.Supervisor.start(
        [
            sv.child_spec("s1", Worker, probe, "s1", restart="temporary", significant=True),
            sv.child_spec("s2", Worker, probe, "s2", restart="temporary", significant=True),
        ],
        auto_shutdown="all_significant",
        system=actor_system,
    )
    probe.monitor(sup)
    s1, s2 = started(probe, "s1"), started(probe, "s2")

    exit_child(s1, Boom("temporary, any reason"))
    settle(actor_system)
    probe.refute(("DOWN", ANY, "process", sup, ANY), timeout=0)
    exit_child(s2, "normal")

    probe.expect(("DOWN", ANY, "process", sup, "shutdown"))


def test_auto_shutdown_ignores_a_significant_child_that_is_restarted(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sup = sv.Supervisor.start(
        [sv.child_spec("s", Worker, probe, "s", restart="transient", significant=True)],
        auto_shutdown="any_significant",
        system=actor_system,
    )

    exit_child(started(probe, "s"), Boom("abnormal: restarted"))

    started(probe, "s")
    assert sup.is_alive()


def test_auto_shutdown_ignores_terminate_child(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sup = sv.Supervisor.start(
        [sv.child_spec("s", Worker, probe, "s", restart="transient", significant=True)],
        auto_shutdown="any_significant",
        system=actor_system,
    )
    started(probe, "s")

    sv.terminate_child(sup, "s")

    assert sup.is_alive()
    assert [("s", None, "worker")] == sv.which_children(sup)


def _make(factory: Callable[..., actors.ActorSystem]) -> actors.ActorSystem:
    return factory()


def test_core_events_of_a_supervised_child_carry_its_child_id(
    actor_system: actors.ActorSystem, probe: Probe, events: Probe
) -> None:
    sv.Supervisor.start(
        [sv.child_spec("the-id", Worker, probe, "w")], name="sup", system=actor_system
    )

    exit_child(started(probe, "w"), Boom("crash"))
    started(probe, "w")

    kinds = ["started", "crashed", "started", "restarted"]
    seen = [
        events.expect(lambda e, k=k: e.event_type == k and e.component == "Worker") for k in kinds
    ]
    assert [("the-id", "sup")] * 4 == [(e.child_id, e.supervisor) for e in seen]


def test_restart_intensity_reports_the_window_as_it_slides(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    probe = Probe(manual_system)
    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w")],
        max_restarts=3,
        max_seconds=10,
        system=manual_system,
    )
    ref = started(probe, "w")
    assert sv.IntensityStatus(3, 10.0, 0, 3) == sv.restart_intensity(sup)

    ref = _crash_and_wait(probe, ref, "w")  # t=0
    clock.advance(4)
    ref = _crash_and_wait(probe, ref, "w")  # t=4
    assert sv.IntensityStatus(3, 10.0, 2, 1) == sv.restart_intensity(sup)

    clock.advance(6)  # t=10: the t=0 restart is still inside (inclusive boundary)
    assert 2 == sv.restart_intensity(sup).recent
    clock.advance(0.5)  # t=10.5: it has aged out
    assert sv.IntensityStatus(3, 10.0, 1, 2) == sv.restart_intensity(sup)


def test_a_dynamic_supervisor_reports_its_intensity_too(
    manual_system: actors.ActorSystem,
) -> None:
    probe = Probe(manual_system)
    sup = sv.DynamicSupervisor.start(max_restarts=1, max_seconds=5, system=manual_system)
    sv.start_child(sup, sv.child_spec("w", Worker, probe, "w"))
    _crash_and_wait(probe, started(probe, "w"), "w")

    assert sv.IntensityStatus(1, 5.0, 1, 0) == sv.restart_intensity(sup)
