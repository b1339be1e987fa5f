"""fanout_N: one publisher sends M messages to each of N GenServer subscribers.

Each subscriber's ``handle_info`` matches the tuple and counts; the clock runs
from the first send until every subscriber has handled all M. Subscribers
are fresh for every run (a new actor system each time), and the figure is the
median of :data:`REPEATS` runs. Baselines in the same run: raw pykka (a
ThreadingActor per subscriber, ``tell``) where it can run (N <= 5,000);
blinker's synchronous ``Signal.send`` to N receivers doing the same work (the
``bench`` extra; reported missing without it); and the Erlang VM at 1,000,
10,000 and 100,000: one process sending to N fresh receiver processes
(``/beam``), and the same through a ``pg`` group, ``pg:get_members`` + send
per message (``/beam_pg``), measured the same way (see
``erlang/beam_baseline.escript``).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from typing import Any

import _beam
import pykka
from _harness import Latch, Missing, Record, median, per_second, versus

import actors

DELIVERIES = 1_000_000
PYKKA_DELIVERIES = 100_000
SIZES = (10, 1_000, 10_000, 100_000)
BEAM_SIZES = (1_000, 10_000, 100_000)
REPEATS = 3
"""Runs per size (fresh subscribers each); one with ``--quick``."""


class Subscriber(actors.GenServer):
    def init(self, expected: int, latch: Latch) -> None:
        self.count = 0
        self.expected = expected
        self.latch = latch

    def handle_info(self, message: Any) -> None:
        match message:
            case ("tick", _):
                self.count += 1
                if self.count == self.expected:
                    self.latch.count_down()


class PykkaSubscriber(pykka.ThreadingActor):
    def __init__(self, expected: int, latch: Latch) -> None:
        super().__init__()
        self.count = 0
        self.expected = expected
        self.latch = latch

    def on_receive(self, message: Any) -> None:
        match message:
            case ("tick", _):
                self.count += 1
                if self.count == self.expected:
                    self.latch.count_down()


class BlinkerReceiver:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, sender: Any, message: Any = None) -> None:
        match message:
            case ("tick", _):
                self.count += 1


def ours(n: int, m: int) -> float:
    with actors.ActorSystem() as system:
        latch = Latch(n)
        refs = [Subscriber.start(m, latch, system=system) for _ in range(n)]
        gc.collect()
        send = actors.send
        start = time.perf_counter()
        for j in range(m):
            message = ("tick", j)
            for ref in refs:
                send(ref, message)
        latch.wait()
        elapsed = time.perf_counter() - start
    return per_second(n * m, elapsed)


def raw_pykka(n: int, m: int) -> float:
    latch = Latch(n)
    refs = [PykkaSubscriber.start(m, latch) for _ in range(n)]
    try:
        start = time.perf_counter()
        for j in range(m):
            message = ("tick", j)
            for ref in refs:
                ref.tell(message)
        latch.wait()
        elapsed = time.perf_counter() - start
    finally:
        for ref in refs:
            ref.stop(block=False)
        for ref in refs:
            ref.actor_stopped.wait(30)
    return per_second(n * m, elapsed)


def blinker_sync(n: int, m: int) -> float | Missing:
    try:
        import blinker
    except ImportError:
        return Missing("blinker not installed (pip install -e '.[bench]')")
    signal = blinker.Signal()
    receivers = [BlinkerReceiver() for _ in range(n)]
    for receiver in receivers:
        signal.connect(receiver, weak=False)
    start = time.perf_counter()
    for j in range(m):
        signal.send(None, message=("tick", j))
    elapsed = time.perf_counter() - start
    assert all(r.count == m for r in receivers)
    return per_second(n * m, elapsed)


def fanout(scale: float) -> Iterator[Record]:
    repeats = REPEATS if scale >= 1 else 1
    deliveries = int(DELIVERIES * scale)
    beam = _beam.measure("fanout", sizes=list(BEAM_SIZES), deliveries=deliveries, repeats=repeats)
    rates: dict[int, float] = {}
    for n in SIZES:
        m = max(1, deliveries // n)
        samples = [ours(n, m) for _ in range(repeats)]
        rate = rates[n] = median(samples)
        extra = {
            "subscribers": n,
            "messages": m,
            "repeats": repeats,
            "samples": [round(x) for x in samples],
        }
        if n <= 5_000:
            pm = max(1, int(PYKKA_DELIVERIES * scale) // n)
            yield Record(
                f"fanout_{n}",
                rate,
                "deliveries/s",
                "pykka ThreadingActor tell",
                raw_pykka(n, pm),
                "higher",
                {**extra, "target": ">= 20x" if n == 1000 else None},
            )
        yield versus(
            f"fanout_{n}/blinker",
            rate,
            "deliveries/s",
            "blinker Signal.send (sync)",
            blinker_sync(n, m),
            "higher",
            {**extra, "target": ">= 1x" if n == 1000 else None},
        )
        if n in BEAM_SIZES:
            yield versus(
                f"fanout_{n}/beam",
                rate,
                "deliveries/s",
                "BEAM send to each pid",
                _beam.figure(beam, "fanout_direct", "deliveries_per_s", subscribers=n),
                "higher",
                {
                    **extra,
                    "beam_samples": _beam.samples(beam, "fanout_direct", subscribers=n),
                    "target": ">= 1x",
                },
            )
            yield versus(
                f"fanout_{n}/beam_pg",
                rate,
                "deliveries/s",
                "BEAM pg:get_members + send",
                _beam.figure(beam, "fanout_pg", "deliveries_per_s", subscribers=n),
                "higher",
                {**extra, "beam_samples": _beam.samples(beam, "fanout_pg", subscribers=n)},
            )
    # Cost per delivery must stay flat: 100k subscribers vs 1k.
    beam_small = _beam.figure(beam, "fanout_direct", "deliveries_per_s", subscribers=1_000)
    beam_large = _beam.figure(beam, "fanout_direct", "deliveries_per_s", subscribers=100_000)
    beam_ratio = (
        None
        if isinstance(beam_small, Missing) or isinstance(beam_large, Missing)
        else round(beam_small / beam_large, 4)
    )
    yield Record(
        "fanout_100000_per_delivery",
        1e6 / rates[100_000],
        "us/delivery",
        "fanout_1000 per delivery",
        1e6 / rates[1_000],
        "lower",
        {"target": "<= 1.5x", "beam_same_ratio": beam_ratio},
    )


BENCHMARKS = {"fanout": fanout}
