"""restart_latency and supervised spawn, against raw pykka in the same run.

Logging of crashes is switched off while measuring: the figures compare the
restart machinery, not the cost of formatting tracebacks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pykka
from _harness import Record, median_p99

import actors
import supervision as sv


class Crashy(actors.GenServer):
    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        return request

    def handle_cast(self, request: Any) -> None:
        raise RuntimeError("crash on purpose")


class PykkaEcho(pykka.ThreadingActor):
    def on_receive(self, message: Any) -> Any:
        return message


def _quiet() -> None:
    for name in ("actors", "supervision"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def restart_latency(scale: float) -> Iterator[Record]:
    """Crash → the restarted child answers a call."""
    _quiet()
    n = max(50, int(2_000 * scale))
    samples = []
    with actors.ActorSystem() as system:
        restarted = threading.Event()

        def on_event(event: actors.ProcessLifecycle) -> None:
            if event.event_type == "restarted":
                restarted.set()

        system.add_lifecycle_listener(on_event)
        sv.Supervisor.start(
            [sv.child_spec("c", Crashy, name="crashy")],
            max_restarts=n + 10,
            max_seconds=3600,
            system=system,
        )
        for i in range(n):
            restarted.clear()
            start = time.perf_counter()
            actors.cast("crashy", "crash", system=system)
            restarted.wait(10)
            actors.call("crashy", i, system=system)
            samples.append(time.perf_counter() - start)
    baseline = []
    for i in range(max(20, n // 5)):
        start = time.perf_counter()
        ref = PykkaEcho.start()
        ref.ask(i)
        baseline.append(time.perf_counter() - start)
        ref.stop()
    ours_median, ours_p99 = median_p99(samples)
    base_median, base_p99 = median_p99(baseline)
    extra = {"restarts": n}
    yield Record(
        "restart_latency_median",
        ours_median * 1e6,
        "us",
        "pykka start + first ask",
        base_median * 1e6,
        "lower",
        extra,
    )
    yield Record(
        "restart_latency_p99",
        ours_p99 * 1e6,
        "us",
        "pykka start + first ask",
        base_p99 * 1e6,
        "lower",
        extra,
    )


def supervised_spawn(scale: float) -> Iterator[Record]:
    """start_child + terminate_child on a DynamicSupervisor, per child."""
    _quiet()
    n = max(200, int(5_000 * scale))
    with actors.ActorSystem() as system:
        sup = sv.DynamicSupervisor.start(system=system)
        spec = sv.child_spec("w", Crashy)
        start = time.perf_counter()
        for _ in range(n):
            ref = sv.start_child(sup, spec)
            sv.terminate_child(sup, ref)
        ours = (time.perf_counter() - start) / n
    n_pykka = max(100, n // 10)
    start = time.perf_counter()
    for _ in range(n_pykka):
        PykkaEcho.start().stop(block=True)
    theirs = (time.perf_counter() - start) / n_pykka
    yield Record(
        "spawn_supervised",
        ours * 1e6,
        "us/child",
        "pykka start+stop",
        theirs * 1e6,
        "lower",
        {"children": n},
    )


BENCHMARKS = {"restart_latency": restart_latency, "spawn_supervised": supervised_spawn}
