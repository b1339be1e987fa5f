"""SIGKILL during a stream of appends loses no acknowledged event.

A real subprocess appends single events and batches, printing each result
only after ``append`` returned; the test kills it with SIGKILL mid-stream,
reopens the file and checks every acknowledged event is there, positions
are gap-free and the file passes SQLite's integrity check.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import actors
from actors.eventstore import EventStore

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import json, sys
import actors
from actors.eventstore import EventStore, EventData

with actors.ActorSystem() as system:
    store = EventStore.open(sys.argv[1], system=system)
    print(json.dumps({"ready": True}), flush=True)
    n = 0
    while True:
        size = 1 if n % 3 else 7
        events = [EventData("Tick", {"n": n + i}) for i in range(size)]
        result = store.append(f"stream-{n % 5}", events)
        print(json.dumps({"stream": result.stream, "last": result.next_expected_version,
                          "position": result.position, "first_n": n, "size": size}), flush=True)
        n += size
"""


@pytest.mark.slow
def test_sigkill_loses_no_acknowledged_append(tmp_path: Path, actor_system: actors.ActorSystem):
    path = tmp_path / "events.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acknowledged: list[Any] = []
    try:
        assert proc.stdout is not None
        assert {"ready": True} == json.loads(proc.stdout.readline())
        while len(acknowledged) < 150:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "writer exited"
            acknowledged.append(json.loads(line))
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    assert -signal.SIGKILL == proc.returncode

    with sqlite3.connect(path) as conn:
        assert ("ok",) == conn.execute("PRAGMA integrity_check").fetchone()
    with EventStore.open(path, system=actor_system) as store:
        everything: list[Any] = []
        position = 0
        while True:
            page = store.read_all(position, 1000)
            everything.extend(page.events)
            position = page.next_position
            if page.end_of_all:
                break
        assert list(range(len(everything))) == [e.position for e in everything]
        by_n = {e.data["n"]: e for e in everything}
        for ack in acknowledged:
            for i in range(ack["size"]):
                event = by_n[ack["first_n"] + i]
                assert ack["stream"] == event.stream
            assert ack["position"] == by_n[ack["first_n"] + ack["size"] - 1].position
        # Whatever was committed after the last acknowledgement is whole batches.
        for stream in {e.stream for e in everything}:
            versions = [e.version for e in store.read_stream(stream, 0, 100_000)]
            assert list(range(len(versions))) == versions
