"""The supervisor API: introspection and child management with OTP's errors."""

from __future__ import annotations

from typing import Any

import pytest

import actors
import supervision as sv
from actors.testing import ANY, Probe
from tests.supervised import Boom, Worker, exit_child, started


@pytest.fixture
def sup(actor_system: actors.ActorSystem, probe: Probe) -> Any:
    ref = sv.Supervisor.start(
        [sv.child_spec("a", Worker, probe, "a"), sv.child_spec("b", Worker, probe, "b")],
        name="sup",
        system=actor_system,
    )
    started(probe, "a")
    started(probe, "b")
    return ref


def test_which_and_count_children(sup: Any) -> None:
    children = sv.which_children(sup)

    assert ["a", "b"] == [c[0] for c in children]
    assert all(isinstance(c[1], actors.Ref) and c[2] == "worker" for c in children)
    assert {"specs": 2, "active": 2, "supervisors": 0, "workers": 2} == sv.count_children(sup)


def test_start_child_appends_and_reports_conflicts(sup: Any, probe: Probe) -> None:
    ref = sv.start_child(sup, sv.child_spec("c", Worker, probe, "c"))

    assert ref is started(probe, "c")
    assert ["a", "b", "c"] == [c[0] for c in sv.which_children(sup)]
    with pytest.raises(sv.ChildAlreadyStarted) as running:
        sv.start_child(sup, sv.child_spec("c", Worker, probe, "c"))
    assert running.value.ref is ref
    assert "already_started" == running.value.reason
    sv.terminate_child(sup, "c")
    with pytest.raises(sv.AlreadyPresent):
        sv.start_child(sup, sv.child_spec("c", Worker, probe, "c"))


def test_start_child_failure_discards_the_spec(sup: Any, probe: Probe) -> None:
    with pytest.raises(sv.ChildStartError) as info:
        sv.start_child(sup, sv.child_spec("bad", Worker, probe, "bad", fail_init=lambda: True))

    assert "bad" == info.value.child_id
    assert ["a", "b"] == [c[0] for c in sv.which_children(sup)]


def test_restart_and_delete_child_errors(sup: Any, probe: Probe) -> None:
    with pytest.raises(sv.Running):
        sv.restart_child(sup, "a")
    with pytest.raises(sv.Running):
        sv.delete_child(sup, "a")
    with pytest.raises(sv.NotFound):
        sv.restart_child(sup, "zzz")
    with pytest.raises(sv.NotFound):
        sv.terminate_child(sup, "zzz")

    sv.terminate_child(sup, "a")
    again = sv.restart_child(sup, "a")
    assert again is started(probe, "a")
    sv.terminate_child(sup, "a")
    sv.delete_child(sup, "a")
    assert ["b"] == [c[0] for c in sv.which_children(sup)]


def test_terminate_child_by_ref(sup: Any, probe: Probe) -> None:
    ref = sv.which_children(sup)[0][1]

    sv.terminate_child(sup, ref)

    assert ("a", None, "worker") == sv.which_children(sup)[0]


def test_restarting_state_is_visible_and_guards_operations(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    probe = Probe(manual_system)
    sup = sv.Supervisor.start(
        [sv.child_spec("w", Worker, probe, "w", backoff=(10, 60))], system=manual_system
    )
    ref = started(probe, "w")
    probe.monitor(ref)
    exit_child(ref, Boom("back off"))
    probe.expect(("DOWN", ANY, "process", ref, ANY))  # links (the supervisor) hear first

    assert [("w", "restarting", "worker")] == sv.which_children(sup)
    with pytest.raises(sv.Restarting):
        sv.restart_child(sup, "w")
    with pytest.raises(sv.Restarting):
        sv.delete_child(sup, "w")


def test_get_childspec(sup: Any) -> None:
    spec = sv.get_childspec(sup, "a")

    assert ("a", Worker, "permanent") == (spec.id, spec.start, spec.restart)


def test_a_bad_request_does_not_crash_the_supervisor(sup: Any) -> None:
    with pytest.raises(TypeError, match="ChildSpec"):
        sv.start_child(sup, {"id": "not a spec"})  # type: ignore[arg-type]

    assert sup.is_alive()


def test_tree_describes_nested_supervisors(actor_system: actors.ActorSystem, probe: Probe) -> None:
    inner = sv.child_spec(
        "inner", sv.Supervisor, [sv.child_spec("leaf", Worker, probe, "leaf")], type="supervisor"
    )
    top = sv.Supervisor.start(
        [inner, sv.child_spec("w", Worker, probe, "w")], name="top", system=actor_system
    )
    exit_child(started(probe, "w"), Boom("once"))
    started(probe, "w")

    root = sv.tree(top)

    assert ("top", "supervisor", "running") == (root.name, root.type, root.state)
    assert [("inner", "supervisor", 0), ("w", "worker", 1)] == [
        (n.id, n.type, n.restarts) for n in root.children
    ]
    assert ["leaf"] == [n.id for n in root.children[0].children]
    text = sv.format_tree(root)
    assert "└── w [worker: running, 1 restart]" in text
    assert "│   └── leaf [worker: running]" in text


def test_a_child_handle_follows_restarts(sup: Any, probe: Probe) -> None:
    events = Probe(sup.system)
    sup.system.add_lifecycle_listener(events.deliver)
    handle = sv.handle(sup, "a")
    before = sv.which_children(sup)[0][1]

    assert "a" == actors.call(handle, ("ping",))
    exit_child(before, Boom("restart me"))
    after = started(probe, "a")
    events.expect(lambda e: e.event_type == "restarted")  # the supervisor has recorded it

    assert after is not before
    assert "a" == actors.call(handle, ("ping",))
    with pytest.raises(actors.CallError, match="noproc"):
        actors.call(sv.handle(sup, "missing"), ("ping",))


def test_supervisor_is_an_actor_that_can_be_named_and_monitored(sup: Any, probe: Probe) -> None:
    probe.monitor("sup")

    actors.stop("sup", system=sup.system)

    probe.expect(("DOWN", ANY, "process", sup, "normal"))
