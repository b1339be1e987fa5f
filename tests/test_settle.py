"""settle(system): negative checks without arbitrary waits."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import actors
from actors.testing import ANY, Probe, settle


class Relay(actors.GenServer):
    """Passes a countdown along a ring of relays, then reports to a probe."""

    def init(self, probe: Any) -> None:
        self.probe = probe
        self.next: Any = None

    def handle_info(self, message: Any) -> None:
        match message:
            case ("next", ref):
                self.next = ref
            case ("hop", 0):
                actors.send(self.probe, "done")
            case ("hop", n):
                actors.send(self.next, ("hop", n - 1))


def test_settle_returns_only_after_every_hop_has_happened(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    ring = [Relay.start(probe) for _ in range(20)]
    for ref, nxt in zip(ring, ring[1:] + ring[:1], strict=True):
        actors.send(ref, ("next", nxt))

    actors.send(ring[0], ("hop", 5_000))
    settle(actor_system)

    # Nothing can still be on its way: the check needs no waiting.
    assert ["done"] == probe.flush()
    probe.refute(ANY, timeout=0)


def test_settle_names_the_actor_that_keeps_the_system_busy(actor_system_factory: Any) -> None:
    system = actor_system_factory(stall_threshold=None)
    gate = threading.Event()

    class Stuck(actors.GenServer):
        inline_calls = False

        def handle_info(self, message: Any) -> None:
            gate.wait(10)

    ref = Stuck.start(name="stuck", system=system)
    actors.send(ref, "go")
    try:
        with pytest.raises(AssertionError, match=r"not settle within 0\.2s: busy <Stuck 'stuck'"):
            settle(system, timeout=0.2)
    finally:
        gate.set()
    settle(system)
