"""Bad supervisor input fails at start time with a clear error, never half-started."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import actors
import supervision as sv
from actors.testing import Probe
from tests.supervised import Worker


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"strategy": "one_for_some"}, ValueError, "unknown strategy 'one_for_some'"),
        ({"max_restarts": -1}, ValueError, "max_restarts must be an integer >= 0"),
        ({"max_restarts": 1.5}, ValueError, "max_restarts"),
        ({"max_seconds": 0}, ValueError, "max_seconds must be"),
        ({"auto_shutdown": "sometimes"}, ValueError, "unknown auto_shutdown"),
        ({"decider": "not callable"}, TypeError, "decider must be callable"),
    ],
)
def test_bad_supervisor_options(
    actor_system: actors.ActorSystem, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        sv.Supervisor.start([], system=actor_system, **kwargs)

    assert [] == actor_system.actors()


def test_duplicate_child_ids_start_nothing(actor_system: actors.ActorSystem, probe: Probe) -> None:
    specs = [
        sv.child_spec("same", Worker, probe, "one"),
        sv.child_spec("same", Worker, probe, "two"),
    ]

    with pytest.raises(ValueError, match="duplicate child id 'same'"):
        sv.Supervisor.start(specs, system=actor_system)

    assert [] == actor_system.actors()
    assert [] == probe.messages()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"restart": "sometimes"}, ValueError, "restart must be one of"),
        ({"shutdown": -1}, ValueError, "shutdown must be seconds"),
        ({"shutdown": "later"}, ValueError, "shutdown must be seconds"),
        ({"shutdown": float("inf")}, ValueError, "shutdown must be seconds"),
        ({"type": "manager"}, ValueError, "type must be 'worker' or 'supervisor'"),
        ({"backoff": (0, 1)}, ValueError, "backoff min_s must be a positive"),
        ({"backoff": (5, 1)}, ValueError, "must not be below min_s"),
        ({"backoff": (1, 5, 2)}, ValueError, "jitter must be between 0 and 1"),
    ],
)
def test_bad_child_specs(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        sv.child_spec("c", Worker, **kwargs)


def test_start_must_be_callable_and_ids_hashable() -> None:
    with pytest.raises(TypeError, match="start must be a GenServer class or a callable"):
        sv.child_spec("c", "Worker")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="hashable"):
        sv.child_spec(["unhashable"], Worker)


def test_children_must_be_specs(actor_system: actors.ActorSystem) -> None:
    with pytest.raises(TypeError, match="ChildSpec"):
        sv.Supervisor.start([("id", Worker)], system=actor_system)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="list of ChildSpec"):
        sv.Supervisor.start(sv.child_spec("c", Worker), system=actor_system)  # type: ignore[arg-type]


def test_a_start_returning_something_else_is_a_clear_child_start_error(
    actor_system: actors.ActorSystem,
) -> None:
    with pytest.raises(
        sv.ChildStartError, match="start returned str 'oops'; it must return a started Ref"
    ):
        sv.Supervisor.start([sv.child_spec("odd", lambda: "oops")], system=actor_system)

    assert [] == actor_system.actors()


def test_a_child_that_never_stops_is_a_bounded_wait(actor_system: actors.ActorSystem) -> None:
    release = threading.Event()

    class Stubborn(actors.GenServer):
        def init(self) -> None:
            self.trap_exits = True

        def terminate(self, reason: Any) -> None:
            with actors.blocking():
                release.wait(30)  # ignores the supervisor's 0.2 s

    sup = sv.Supervisor.start(
        [sv.child_spec("stubborn", Stubborn, shutdown=0.2)], system=actor_system
    )
    child = sv.which_children(sup)[0][1]

    actors.stop(sup, timeout=5)  # returns: the child was killed after 0.2 s

    assert "killed" == child.exit_reason
    release.set()


def test_dynamic_supervisor_options(actor_system: actors.ActorSystem) -> None:
    with pytest.raises(ValueError, match="max_children"):
        sv.DynamicSupervisor.start(max_children=-1, system=actor_system)
    with pytest.raises(TypeError, match="extra_arguments"):
        sv.DynamicSupervisor.start(extra_arguments="abc", system=actor_system)  # type: ignore[arg-type]
