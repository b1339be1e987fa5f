"""cast throughput, call latency and spawn+stop cost, against raw pykka and
the Erlang VM (measured by ``erlang/beam_baseline.escript`` in the same run).

Calls: ``call_thread_to_actor`` is a plain thread calling a pooled actor,
``call_actor_to_actor`` a pooled actor calling another pooled actor; both are
timed call by call after a warm-up (median and p99) and set beside the BEAM's
``gen_server:call`` round trip between two processes, measured the same way
(the raw ``!``/``receive`` pair is reported with it).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import _beam
import pykka
from _harness import Record, median, median_p99, per_second, versus

import actors

CALL_WARMUP = 1_000
SPAWN_BATCHES = 5


class Echo(actors.GenServer):
    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        return request

    def handle_cast(self, request: Any) -> None:
        pass


class CallTimer(actors.GenServer):
    """Times calls from inside a pooled actor: the actor-to-actor round trip."""

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("time_calls", target, n, warmup):
                call = actors.call
                for i in range(warmup):
                    call(target, i)
                clock = time.perf_counter
                samples = []
                append = samples.append
                for i in range(n):
                    start = clock()
                    call(target, i)
                    append(clock() - start)
                return samples
        return super().handle_call(request, caller)


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


def _beam_calls(n: int) -> dict[str, float | _beam.Missing]:
    result = _beam.measure("call", calls=n, warmup=CALL_WARMUP)
    return {
        "median": _beam.figure(result, "call_gen_server", "median_us"),
        "p99": _beam.figure(result, "call_gen_server", "p99_us"),
        "raw_median": _beam.figure(result, "call_send_receive", "median_us"),
        "raw_p99": _beam.figure(result, "call_send_receive", "p99_us"),
    }


def _shown(value: float | _beam.Missing) -> float | None:
    return None if isinstance(value, _beam.Missing) else round(value, 3)


def call_latency(scale: float) -> Iterator[Record]:
    n = int(20_000 * scale)
    beam = _beam_calls(n)
    with actors.ActorSystem() as system:
        ref = Echo.start(system=system)
        for i in range(CALL_WARMUP):
            actors.call(ref, i)
        ours = []
        for i in range(n):
            start = time.perf_counter()
            actors.call(ref, i)
            ours.append(time.perf_counter() - start)
        timer = CallTimer.start(system=system)
        a2a: list[float] = actors.call(timer, ("time_calls", ref, n, CALL_WARMUP), timeout=600)
    pref = PykkaEcho.start()
    try:
        for i in range(CALL_WARMUP):
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
    a2a_median, a2a_p99 = median_p99(a2a)
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
    raw = {"beam_send_receive_median_us": _shown(beam["raw_median"])}
    for figure, median_us, p99_us, target in (
        ("call_thread_to_actor", our_median * 1e6, our_p99 * 1e6, "<= 15x"),
        ("call_actor_to_actor", a2a_median * 1e6, a2a_p99 * 1e6, "<= 5x"),
    ):
        yield versus(
            f"{figure}_median/beam",
            median_us,
            "us",
            "BEAM gen_server:call (median)",
            beam["median"],
            "lower",
            {"calls": n, **raw, "target": target},
        )
        yield versus(
            f"{figure}_p99/beam",
            p99_us,
            "us",
            "BEAM gen_server:call (p99)",
            beam["p99"],
            "lower",
            {"calls": n, "beam_send_receive_p99_us": _shown(beam["raw_p99"])},
        )


def spawn_stop(scale: float) -> Iterator[Record]:
    """Start + stop (waiting until it exited), per actor: the median of
    :data:`SPAWN_BATCHES` batches, beside raw pykka and the BEAM."""
    per_batch = int(4_000 * scale)
    n_pykka = max(200, per_batch * SPAWN_BATCHES // 20)
    beam = _beam.measure("spawn", n=per_batch, warmup=500, batches=SPAWN_BATCHES)
    batches = []
    with actors.ActorSystem() as system:
        for _ in range(500):
            actors.stop(Echo.start(system=system))
        for _ in range(SPAWN_BATCHES):
            start = time.perf_counter()
            for _ in range(per_batch):
                actors.stop(Echo.start(system=system))
            batches.append((time.perf_counter() - start) / per_batch)
    ours = median(batches)
    start = time.perf_counter()
    for _ in range(n_pykka):
        PykkaEcho.start().stop(block=True)
    theirs = (time.perf_counter() - start) / n_pykka
    actors_n = per_batch * SPAWN_BATCHES
    yield Record(
        "spawn_stop",
        ours * 1e6,
        "us/actor",
        "pykka start+stop",
        theirs * 1e6,
        "lower",
        {"actors": actors_n, "pykka_actors": n_pykka, "target": "<= 0.1x"},
    )
    yield versus(
        "spawn_stop/beam",
        ours * 1e6,
        "us/actor",
        "BEAM spawn_monitor + exit + DOWN",
        _beam.figure(beam, "spawn_exit", "us_per_process"),
        "lower",
        {
            "actors": actors_n,
            "beam_spawn_stop_message_us": _shown(
                _beam.figure(beam, "spawn_stop_message", "us_per_process")
            ),
            "beam_gen_server_start_stop_us": _shown(
                _beam.figure(beam, "gen_server_start_stop", "us_per_process")
            ),
            "target": "<= 2x",
        },
    )


BENCHMARKS = {
    "cast_throughput": cast_throughput,
    "call_latency": call_latency,
    "spawn_stop": spawn_stop,
}
