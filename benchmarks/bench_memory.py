"""memory_per_actor: RSS growth per idle actor at 100,000 idle actors.

Measured in fresh subprocesses so earlier benchmarks do not pollute the heap.
Baselines: raw pykka ThreadingActors (one thread each), at 1,000 actors; and
the Erlang VM's minimal idle process (``erlang:process_info(P, memory)``,
with the growth of ``erlang:memory(total)`` and of the VM's RSS per process
at the same count beside it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import _beam
from _harness import Record, versus

CHILD = r"""
import gc, json, sys
sys.path.insert(0, {here!r})
from _harness import rss_bytes
kind, n = sys.argv[1], int(sys.argv[2])
import actors, pykka

class Idle(actors.GenServer):
    pass

class PykkaIdle(pykka.ThreadingActor):
    pass

if kind == "ours":
    system = actors.ActorSystem(runtime="pooled")
    Idle.start(system=system)  # warm the pool and imports
    gc.collect(); before = rss_bytes()
    refs = [Idle.start(system=system) for _ in range(n)]
    gc.collect(); after = rss_bytes()
    print(json.dumps({{"before": before, "after": after}}))
    system.shutdown(timeout=120)
else:
    PykkaIdle.start().stop()
    gc.collect(); before = rss_bytes()
    refs = [PykkaIdle.start() for _ in range(n)]
    gc.collect(); after = rss_bytes()
    print(json.dumps({{"before": before, "after": after}}))
    pykka.ActorRegistry.stop_all()
"""


def _measure(kind: str, n: int) -> dict[str, int]:
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(here=here), kind, str(n)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def memory_per_actor(scale: float) -> Iterator[Record]:
    n = int(100_000 * scale)
    n_pykka = int(1_000 * scale) or 100
    ours = _measure("ours", n)
    theirs = _measure("pykka", n_pykka)
    per_ours = (ours["after"] - ours["before"]) / n
    per_theirs = (theirs["after"] - theirs["before"]) / n_pykka
    yield Record(
        "memory_per_actor",
        per_ours,
        "bytes/actor",
        "pykka ThreadingActor (RSS/actor)",
        per_theirs,
        "lower",
        {"actors": n, "pykka_actors": n_pykka},
    )
    beam = _beam.measure("memory", n=n)

    def beam_field(field: str) -> float | None:
        value = _beam.figure(beam, "memory_idle_process", field)
        return None if isinstance(value, _beam.Missing) else round(value, 1)

    yield versus(
        "memory_per_actor/beam",
        per_ours,
        "bytes/actor",
        "BEAM minimal idle process (process_info memory)",
        _beam.figure(beam, "memory_idle_process", "process_info_bytes"),
        "lower",
        {
            "actors": n,
            "beam_total_delta_bytes_per_process": beam_field("total_delta_bytes_per_process"),
            "beam_rss_delta_bytes_per_process": beam_field("rss_delta_bytes_per_process"),
            "target": "<= 1x",
        },
    )
    yield Record(
        "memory_100k_idle_actors_rss",
        ours["after"] / 2**20,
        "MiB",
        "1 GiB budget",
        1024.0,
        "lower",
        {"actors": n, "target": "< 1x"},
    )


BENCHMARKS = {"memory_per_actor": memory_per_actor}
