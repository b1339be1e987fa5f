"""Exit signals act at once on idle actors, and a doomed actor's name is
free (issue #11 item 12): a killed supervisor is restarted with the same
registered names even on the pooled runtime."""

from __future__ import annotations

import threading
from typing import Any

import actors
import supervision as sv
from actors.testing import ANY, Probe, settle
from tests.supervised import Worker


class Busy(actors.GenServer):
    """Blocks in one callback until released (deliberately not compensated)."""

    def init(self, entered: threading.Event, release: threading.Event) -> None:
        self.entered = entered
        self.release = release

    def handle_info(self, message: Any) -> None:
        self.entered.set()
        self.release.wait(10)


class Linked(actors.GenServer):
    def init(self, previous: Any) -> None:
        if previous is not None:
            actors.link(previous)


def _workers(probe: Probe) -> list[sv.ChildSpec]:
    return [sv.child_spec(f"w{i}", Worker, probe, f"w{i}", name=f"worker-{i}") for i in range(3)]


def test_a_killed_child_supervisor_restarts_with_its_workers_names(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    sub = sv.child_spec("sub", sv.Supervisor, _workers(probe), name="sub", type="supervisor")
    top = sv.Supervisor.start([sub], max_restarts=10, max_seconds=60, name="top")
    probe.monitor(top)
    for _ in range(3):
        probe.expect(("started", ANY, ANY))

    for _round in range(5):
        actors.exit("sub", "kill")
        for _ in range(3):
            probe.expect(("started", ANY, ANY))
        assert {f"worker-{i}" for i in range(3)} <= set(actor_system.registered())

    assert [("sub", ANY, "supervisor")] == sv.which_children(top)
    settle(actor_system)
    probe.refute(("DOWN", ANY, "process", top, ANY), timeout=0)


def test_an_idle_actor_exits_when_the_signal_arrives(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    ref = Worker.start(probe, "idle", name="idle")
    probe.expect(("started", "idle", ANY))

    actors.exit(ref, "boom")

    # Already gone when exit() returns: no turn had to run first.
    assert not ref.is_alive()
    assert actors.whereis("idle") is None
    assert "boom" == ref.exit_reason


def test_a_doomed_busy_actor_gives_up_its_name_at_once(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    entered, release = threading.Event(), threading.Event()
    old = Busy.start(entered, release, name="svc", runtime="thread")
    probe.monitor(old)
    actors.send(old, "work")
    entered.wait(5)

    actors.exit(old, "replaced")  # it is mid-callback: it exits when that returns
    new = Worker.start(probe, "svc", name="svc")
    release.set()

    probe.expect(("DOWN", ANY, "process", old, "replaced"))
    assert new == actors.whereis("svc")


def test_a_long_chain_of_links_goes_down_without_deep_recursion(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    previous = None
    chain = []
    for _ in range(2_000):
        previous = Linked.start(previous)
        chain.append(previous)
    probe.monitor(chain[-1])

    actors.exit(chain[0], "cascade")

    probe.expect(("DOWN", ANY, "process", chain[-1], "cascade"), timeout=30)
    assert not any(ref.is_alive() for ref in chain)
