"""Durability with real OS processes: a notifier SIGKILLed mid-stream loses
nothing it acknowledged, and the next process resumes its deliveries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from actors import eventbus
from actors.eventbus import EventBus
from actors.testing import ANY, Probe
from tests.eventbus.listeners import Listener

ROOT = Path(__file__).resolve().parents[2]


def _run_and_kill(path: Path, acks: int) -> list[int]:
    """Start the child, SIGKILL it after ``acks`` acknowledged notifies."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.eventbus.durability_child", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acked: list[int] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("acked "):
                acked.append(int(line.split()[1]))
                if len(acked) == acks:
                    os.kill(child.pid, signal.SIGKILL)
                    break
    finally:
        child.kill()
        _, err = child.communicate(timeout=30)
    assert -signal.SIGKILL == child.returncode, err
    return acked


def test_a_killed_notifier_loses_no_acknowledged_event_and_deliveries_resume(
    actor_system, tmp_path: Path, probe: Probe
) -> None:
    path = tmp_path / "app.db"
    acked = _run_and_kill(path, acks=40)

    bus = EventBus.start(path)
    stored = [w.id for w in bus.watchers("orders")]
    # Everything acknowledged is there. The child may have committed a few
    # more before the kill reached it (it runs ahead of our reading), in order.
    assert acked == stored[: len(acked)]
    assert list(range(len(stored))) == stored
    for i in acked:
        assert {"order": i, "lines": ["a", "b"]} == eventbus.fetch_event_data(("orders", i))
    # The ref listener died with its process: its deliveries were skipped at
    # start; the named one may come back, so its deliveries wait for it.
    metrics = eventbus.metrics()
    assert len(stored) == metrics.orphans_skipped
    assert [("archiver",)] * len(stored) == [w.pending for w in bus.watchers("orders")]

    archiver = Listener.start(probe, "complete", name="archiver")
    eventbus.subscribe(("archiver", ["orders"]))

    handled = [probe.expect(("handled", archiver, ANY))[2][2] for _ in stored]
    assert stored == handled
    bus.sync()
    assert [] == bus.watchers("orders")
    assert 0 == eventbus.metrics().unprocessed


def test_a_named_listener_marks_what_another_process_stored(actor_system, tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    first = _run_and_kill(path, acks=5)
    bus = EventBus.start(path)
    stored = [w.id for w in bus.watchers("orders")]

    # A named subscriber is the same subscriber in every process.
    outcomes = [eventbus.mark_as_completed(("archiver", ("orders", i)), wait=True) for i in stored]

    assert first == stored[: len(first)]
    assert ["finished"] * len(stored) == outcomes
    assert [] == bus.watchers("orders")
    bus.stop()
    # Processed ids may be used again: a second run starts from 0 once more.
    second = _run_and_kill(path, acks=3)
    bus = EventBus.start(path)
    assert second == [w.id for w in bus.watchers("orders")][: len(second)]
