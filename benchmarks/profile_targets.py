"""The slow paths of the benchmark suite, each in a loop, to run under a profiler.

    py-spy record -r 500 -f raw -o calls.txt -- python benchmarks/profile_targets.py call_a2a
    python benchmarks/profile_top.py calls.txt          # top frames, % of samples
    pyinstrument benchmarks/profile_targets.py broadcast_metrics

Targets (each runs about ``--seconds`` of work after its setup):

* ``call_a2a``: a pooled actor calling another pooled actor;
* ``call_thread``: a plain thread calling a pooled actor;
* ``broadcast_metrics`` / ``broadcast_security``: ``pubsub.broadcast`` on
  ``ex_esdb_metrics`` (drop_oldest) or ``ex_esdb_security`` (bounded block)
  to 10,000 subscribers, started with the gater tree;
* ``direct_10000``: direct ``actors.send`` to the same 10,000 subscribers;
* ``spawn_stop``: ``GenServer.start`` then ``actors.stop``;
* ``fanout_1000`` / ``fanout_100000``: ``bench_fanout``'s direct fan-out
  (1,000 messages to 1,000 fresh subscribers, or 10 to 100,000), repeated.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_core import Echo

import actors


class Caller(actors.GenServer):
    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("loop", target, seconds):
                deadline = time.perf_counter() + seconds
                calls = 0
                while time.perf_counter() < deadline:
                    for i in range(100):
                        actors.call(target, i)
                    calls += 100
                return calls
        return super().handle_call(request, caller)


def call_a2a(seconds: float) -> str:
    with actors.ActorSystem() as system:
        echo = Echo.start(system=system)
        caller = Caller.start(system=system)
        calls = actors.call(caller, ("loop", echo, seconds), timeout=seconds + 60)
    return f"{calls} calls, {seconds / calls * 1e6:.1f} us each"


def call_thread(seconds: float) -> str:
    with actors.ActorSystem() as system:
        echo = Echo.start(system=system)
        deadline = time.perf_counter() + seconds
        calls = 0
        while time.perf_counter() < deadline:
            for i in range(100):
                actors.call(echo, i)
            calls += 100
    return f"{calls} calls, {seconds / calls * 1e6:.1f} us each"


def _broadcast(name: str | None, seconds: float, n: int = 10_000) -> str:
    # Imported here: the message catalogue's import would otherwise fill the
    # profiles of the other targets.
    from bench_pubsub import Counter, _arm, _topic

    from actors import gater, pubsub
    from actors.pubsub import instances

    with actors.ActorSystem() as system:
        gater.start(system, audit=False, broadcasters=False)
        refs = [Counter.start(system=system) for _ in range(n)]
        target = name or instances.METRICS
        for ref in refs:
            pubsub.subscribe(target, _topic(target), ref)
        deadline = time.perf_counter() + seconds
        rounds = 0
        send = actors.send
        while time.perf_counter() < deadline:
            latch = _arm(refs, 20)
            for j in range(20):
                if name is None:
                    message = ("tick", j)
                    for ref in refs:
                        send(ref, message)
                else:
                    pubsub.broadcast(name, _topic(name), ("tick", j))
            latch.wait()
            rounds += 1
    return f"{rounds * 20 * n} deliveries"


def spawn_stop(seconds: float) -> str:
    with actors.ActorSystem() as system:
        deadline = time.perf_counter() + seconds
        count = 0
        while time.perf_counter() < deadline:
            for _ in range(100):
                actors.stop(Echo.start(system=system))
            count += 100
    return f"{count} actors, {seconds / count * 1e6:.1f} us each"


def _fanout(n: int, seconds: float) -> str:
    from bench_fanout import DELIVERIES, ours

    deadline = time.perf_counter() + seconds
    rates = []
    while time.perf_counter() < deadline:
        rates.append(ours(n, DELIVERIES // n))
    return f"{len(rates)} runs, {sum(rates) / len(rates):,.0f} deliveries/s"


TARGETS = {
    "call_a2a": call_a2a,
    "call_thread": call_thread,
    "broadcast_metrics": lambda s: _broadcast("ex_esdb_metrics", s),
    "broadcast_security": lambda s: _broadcast("ex_esdb_security", s),
    "direct_10000": lambda s: _broadcast(None, s),
    "spawn_stop": spawn_stop,
    "fanout_1000": lambda s: _fanout(1_000, s),
    "fanout_100000": lambda s: _fanout(100_000, s),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", choices=sorted(TARGETS))
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    cpu = time.process_time()
    wall = time.perf_counter()
    done = TARGETS[args.target](args.seconds)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{done}; CPU {cpu:.1f}s of {wall:.1f}s wall ({100 * cpu / wall:.0f}%)", file=sys.stderr)


if __name__ == "__main__":
    main()
