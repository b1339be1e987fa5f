"""fanout_N: one publisher sends M messages to each of N GenServer subscribers.

Each subscriber's ``handle_info`` matches the tuple and counts. Baselines in
the same run: raw pykka (a ThreadingActor per subscriber, ``tell``) where it
can run (N <= 5,000), and blinker's synchronous ``Signal.send`` to N
receivers doing the same work, the upper reference.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from typing import Any

import blinker
import pykka
from _harness import Latch, Record, per_second

import actors

DELIVERIES = 1_000_000
PYKKA_DELIVERIES = 100_000
SIZES = (10, 1_000, 10_000, 100_000)


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


def blinker_sync(n: int, m: int) -> float:
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
    rates: dict[int, float] = {}
    for n in SIZES:
        m = max(1, int(DELIVERIES * scale) // n)
        rate = ours(n, m)
        rates[n] = rate
        extra = {"subscribers": n, "messages": m}
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
        yield Record(
            f"fanout_{n}/blinker",
            rate,
            "deliveries/s",
            "blinker Signal.send (sync)",
            blinker_sync(n, m),
            "higher",
            {**extra, "target": ">= 1x" if n == 1000 else None},
        )
    # Cost per delivery must stay linear: 100k subscribers vs 1k.
    yield Record(
        "fanout_100000_per_delivery",
        1e6 / rates[100_000],
        "us/delivery",
        "fanout_1000 per delivery",
        1e6 / rates[1_000],
        "lower",
        {"target": "<= 2x"},
    )


BENCHMARKS = {"fanout": fanout}
