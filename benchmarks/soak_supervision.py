"""Soak supervision: crash storms on both runtimes; nothing leaks, the
supervisor stays responsive.

    python benchmarks/soak_supervision.py            # bounded: a few seconds (CI)
    python benchmarks/soak_supervision.py --full     # by hand: a minute per runtime

For each runtime a supervisor with 50 workers (``max_restarts`` high enough
never to give up) has its workers crash as fast as they can be restarted
while a probe keeps calling the supervisor (``which_children``). Afterwards
every actor is stopped and the figures are checked: restarts per second,
the supervisor's call latency during the storm (p50/p99), leaked actors
(live after the system shut down), leaked threads. Prints one JSON line per
runtime and exits with status 1 if anything leaked or a call failed.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import actors  # noqa: E402
import supervision as sv  # noqa: E402
from actors.testing import ThreadWatch  # noqa: E402

WORKERS = 50


class Crasher(actors.GenServer):
    """Crashes on every message it is sent."""

    def handle_info(self, message: Any) -> None:
        raise RuntimeError(f"crash {message!r}")


def storm(runtime: str, seconds: float) -> dict[str, Any]:
    watch = ThreadWatch()
    restarts = 0
    latencies: list[float] = []
    failures: list[str] = []
    with actors.ActorSystem(name=f"soak-{runtime}", runtime=runtime) as system:
        counted = threading.Event()

        def count(event: actors.ProcessLifecycle) -> None:
            nonlocal restarts
            if event.event_type == "restarted":
                restarts += 1
                counted.set()

        system.add_lifecycle_listener(count)
        sup = sv.Supervisor.start(
            [sv.child_spec(i, Crasher, shutdown=1.0) for i in range(WORKERS)],
            max_restarts=10_000_000,
            max_seconds=1,
        )
        deadline = time.monotonic() + seconds
        round_ = 0
        while time.monotonic() < deadline:
            round_ += 1
            for _, ref, _ in sv.which_children(sup):
                if isinstance(ref, actors.Ref):
                    actors.send(ref, round_)
            started = time.perf_counter()
            try:
                sv.which_children(sup, timeout=10)
            except actors.ActorError as exc:
                failures.append(repr(exc))
            latencies.append(time.perf_counter() - started)
        elapsed = seconds
        alive_before_shutdown = len(system.actors())
    leaked_threads = [t.name for t in watch.leaked()]
    leaked_actors = len(system.actors())
    latencies.sort()
    return {
        "name": f"crash_storm/{runtime}",
        "seconds": elapsed,
        "workers": WORKERS,
        "restarts": restarts,
        "restarts_per_s": round(restarts / elapsed, 1),
        "supervisor_call_p50_ms": round(statistics.median(latencies) * 1e3, 3),
        "supervisor_call_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1e3, 3),
        "failed_calls": len(failures),
        "actors_during_storm": alive_before_shutdown,
        "leaked_actors": leaked_actors,
        "leaked_threads": leaked_threads,
        "ok": not failures and not leaked_actors and not leaked_threads and restarts > 0,
    }


def main(argv: list[str] | None = None) -> int:
    # Every crash is logged with its traceback at ERROR: a storm would bury
    # the figures (and cost more than the restarts themselves).
    for name in ("actors", "supervision"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="a minute per runtime")
    args = parser.parse_args(argv)
    seconds = 60.0 if args.full else 2.0
    ok = True
    for runtime in ("pooled", "thread"):
        record = storm(runtime, seconds)
        print(json.dumps(record), flush=True)
        ok = ok and record["ok"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
