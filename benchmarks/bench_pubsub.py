"""broadcast_fanout_N: a broadcast through a pub/sub instance to N subscribers,
on an exact topic and on a ``*`` pattern, beside direct delivery
(``actors.send`` to each of the same actors) in the same run.

Target: the pub/sub layer costs at most 1.3x direct delivery, i.e. the
ratio (ours / direct, in deliveries per second) is at least 0.77.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from typing import Any

from _harness import Latch, Record, per_second

import actors
from actors.pubsub import PubSubManager

DELIVERIES = 500_000
SIZES = (10, 1_000, 10_000)


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


def _run(n: int, m: int, mode: str) -> float:
    with actors.ActorSystem() as system:
        latch = Latch(n)
        refs = [Subscriber.start(m, latch, system=system) for _ in range(n)]
        bus = PubSubManager.of(system).ensure("bench")  # default policy: bounded, block
        if mode == "exact":
            for ref in refs:
                bus.subscribe("bench:topic", ref)
        elif mode == "pattern":
            for ref in refs:
                bus.subscribe("bench:*", ref)
        gc.collect()
        start = time.perf_counter()
        if mode == "direct":
            send = actors.send
            for j in range(m):
                message = ("tick", j)
                for ref in refs:
                    send(ref, message)
        else:
            broadcast = bus.broadcast
            for j in range(m):
                broadcast("bench:topic", ("tick", j))
        latch.wait()
        return per_second(n * m, time.perf_counter() - start)


def broadcast_fanout(scale: float) -> Iterator[Record]:
    for n in SIZES:
        m = max(2, int(DELIVERIES * scale) // n)
        direct = _run(n, m, "direct")
        for mode in ("exact", "pattern"):
            rate = _run(n, m, mode)
            yield Record(
                f"broadcast_fanout_{n}/{mode}",
                rate,
                "deliveries/s",
                "direct actors.send to the same subscribers",
                direct,
                "higher",
                {"subscribers": n, "messages": m, "target": ">= 0.77 (cost <= 1.3x)"},
            )


BENCHMARKS = {"broadcast_fanout": broadcast_fanout}
