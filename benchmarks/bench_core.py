"""cast throughput, call latency and spawn+stop cost, against raw pykka."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pykka
from _harness import Record, median_p99, per_second

import actors


class Echo(actors.GenServer):
    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        return request

    def handle_cast(self, request: Any) -> None:
        pass


class PykkaEcho(pykka.ThreadingActor):
    def on_receive(self, message: Any) -> Any:
        return message


def _best(samples: list[float]) -> float:
    return max(samples)


def cast_throughput(scale: float) -> Iterator[Record]:
    n = int(200_000 * scale)
    ours, theirs = [], []
    with actors.ActorSystem() as system:
        ref = Echo.start(system=system)
        for _ in range(3):
            start = time.perf_counter()
            for i in range(n):
                actors.cast(ref, i)
            actors.call(ref, "flush", timeout=60)
            ours.append(per_second(n, time.perf_counter() - start))
    pref = PykkaEcho.start()
    try:
        for _ in range(3):
            start = time.perf_counter()
            for i in range(n):
                pref.tell(i)
            pref.ask("flush", timeout=60)
            theirs.append(per_second(n, time.perf_counter() - start))
    finally:
        pref.stop()
    yield Record(
        "cast_throughput",
        _best(ours),
        "msgs/s",
        "pykka tell",
        _best(theirs),
        "higher",
        {"messages": n, "target": ">= 5x"},
    )


def call_latency(scale: float) -> Iterator[Record]:
    n = int(20_000 * scale)
    with actors.ActorSystem() as system:
        ref = Echo.start(system=system)
        for i in range(1000):
            actors.call(ref, i)
        ours = []
        for i in range(n):
            start = time.perf_counter()
            actors.call(ref, i)
            ours.append(time.perf_counter() - start)
    pref = PykkaEcho.start()
    try:
        for i in range(1000):
            pref.ask(i)
        theirs = []
        for i in range(n):
            start = time.perf_counter()
            pref.ask(i)
            theirs.append(time.perf_counter() - start)
    finally:
        pref.stop()
    our_median, our_p99 = median_p99(ours)
    their_median, their_p99 = median_p99(theirs)
    yield Record(
        "call_latency_median",
        our_median * 1e6,
        "us",
        "pykka ask",
        their_median * 1e6,
        "lower",
        {"calls": n, "target": "<= 1x"},
    )
    yield Record(
        "call_latency_p99", our_p99 * 1e6, "us", "pykka ask", their_p99 * 1e6, "lower", {"calls": n}
    )


def spawn_stop(scale: float) -> Iterator[Record]:
    n = int(20_000 * scale)
    n_pykka = max(200, n // 20)
    with actors.ActorSystem() as system:
        for _ in range(500):
            actors.stop(Echo.start(system=system))
        start = time.perf_counter()
        for _ in range(n):
            actors.stop(Echo.start(system=system))
        ours = (time.perf_counter() - start) / n
    start = time.perf_counter()
    for _ in range(n_pykka):
        PykkaEcho.start().stop(block=True)
    theirs = (time.perf_counter() - start) / n_pykka
    yield Record(
        "spawn_stop",
        ours * 1e6,
        "us/actor",
        "pykka start+stop",
        theirs * 1e6,
        "lower",
        {"actors": n, "pykka_actors": n_pykka, "target": "<= 0.1x"},
    )


BENCHMARKS = {
    "cast_throughput": cast_throughput,
    "call_latency": call_latency,
    "spawn_stop": spawn_stop,
}
