"""Pub/sub soak: nothing lost, nothing frozen, memory bounded.

    python soak/pubsub_soak.py            # a bounded run: a few seconds
    python soak/pubsub_soak.py --full     # 1,000,000 broadcasts, a longer chaos phase

Prints one JSON line per phase, then a summary line; exits 1 if a check
failed. The phases:

* ``never_drop``: broadcasts on ``ex_esdb_security`` (the gater's
  never-drop policy, with a small mailbox bound so the publisher really waits)
  to a slow and a fast subscriber. Checks: every broadcast ``Ok``, both
  subscribers received every message in order, the instance's books
  balance, and the resident memory stays bounded (peak RSS reported).
* ``chaos``: threads subscribing, unsubscribing and killing subscribers,
  publishers broadcasting on every policy, and the instance actors killed
  under them. Checks: no unexpected exception anywhere (refusing to
  subscribe an actor that is not running is the one expected error), the
  books of every instance balance, and afterwards every instance still
  delivers to exactly the live subscribers in its table.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import actors
from actors import gater, pubsub
from actors.gater import instances
from actors.pubsub import PubSub, PubSubManager

RSS_BUDGET = 64 * 1024 * 1024
"""How much the never-drop phase may grow the resident set (bytes)."""


def rss_bytes() -> int:
    """This process's resident set size now (Linux), else its peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class Sampler:
    """Samples RSS every ``interval`` seconds on a thread; keeps the peak."""

    def __init__(self, interval: float = 0.05) -> None:
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.peak = max(self.peak, rss_bytes())

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())
        return self.peak


class Checker(actors.GenServer):
    """Checks that it receives 0, 1, 2, ... in order; ``work`` spins per
    message to make it slow. ``("report",)`` answers with what it saw."""

    def init(self, work: int, done: threading.Event, expected: int) -> None:
        self.work, self.done, self.expected = work, done, expected
        self.next = 0
        self.out_of_order = 0

    def handle_info(self, message: Any) -> None:
        match message:
            case ("auth_event", n):
                if n != self.next:
                    self.out_of_order += 1
                self.next = n + 1
                for _ in range(self.work):  # a consumer slower than the publisher
                    pass
                if self.next == self.expected:
                    self.done.set()

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        return {"received": self.next, "out_of_order": self.out_of_order}


def never_drop(broadcasts: int) -> dict[str, Any]:
    with actors.ActorSystem("soak-never-drop") as system:
        gater.start(
            system,
            {instances.SECURITY: {"mailbox_limit": 1_000}},
            audit=False,
            broadcasters=False,
        )
        slow_done, fast_done = threading.Event(), threading.Event()
        slow = Checker.start(3_000, slow_done, broadcasts, system=system, runtime="thread")
        fast = Checker.start(0, fast_done, broadcasts, system=system, runtime="thread")
        for ref in (slow, fast):
            pubsub.subscribe(instances.SECURITY, "auth_events", ref, system=system)
        bus = PubSubManager.of(system).get(instances.SECURITY)
        assert bus is not None
        baseline = rss_bytes()
        sampler = Sampler()
        started = time.perf_counter()
        errors = 0
        broadcast = pubsub.broadcast
        for n in range(broadcasts):
            if not broadcast(instances.SECURITY, "auth_events", ("auth_event", n), system=system):
                errors += 1
        published_in = time.perf_counter() - started
        finished = slow_done.wait(600) and fast_done.wait(600)
        elapsed = time.perf_counter() - started
        peak = sampler.stop()
        slow_seen = actors.call(slow, ("report",))
        fast_seen = actors.call(fast, ("report",))
        stats = bus.statistics()
    booked = stats.delivered + stats.dropped + stats.failed + stats.rejected + stats.dead
    lost = 2 * broadcasts - slow_seen["received"] - fast_seen["received"]
    checks = {
        "all_ok": errors == 0,
        "finished": finished,
        "nothing_lost": lost == 0,
        "order_kept": slow_seen["out_of_order"] == fast_seen["out_of_order"] == 0,
        "books_balance": booked == 2 * stats.published == 2 * broadcasts,
        "rss_bounded": peak - baseline < RSS_BUDGET,
    }
    return {
        "phase": "never_drop",
        "instance": instances.SECURITY,
        "broadcasts": broadcasts,
        "subscribers": {"slow": slow_seen, "fast": fast_seen},
        "errors": errors,
        "lost": lost,
        "delivered": stats.delivered,
        "failed": stats.failed,
        "seconds": round(elapsed, 2),
        "publish_seconds": round(published_in, 2),
        "broadcasts_per_second": round(broadcasts / elapsed),
        "rss_baseline_mib": round(baseline / 2**20, 1),
        "rss_peak_mib": round(peak / 2**20, 1),
        "rss_growth_mib": round((peak - baseline) / 2**20, 1),
        "checks": checks,
        "ok": all(checks.values()),
    }


class Sink(actors.GenServer):
    def handle_info(self, message: Any) -> None:
        pass


CHAOS_POLICIES: dict[str, dict[str, Any]] = {
    "chaos_block": {"mailbox_limit": 8, "overflow": "block", "block_timeout": 0.01},
    "chaos_drop_oldest": {"mailbox_limit": 8, "overflow": "drop_oldest"},
    "chaos_drop_newest": {"mailbox_limit": 8, "overflow": "drop_newest"},
    "chaos_reject": {"mailbox_limit": 8, "overflow": "reject"},
    "chaos_unbounded": {"mailbox_limit": None},
}
TOPICS = ("t:a", "t:b", "t:c:1")
KEYS = (*TOPICS, "t:*", "t:c:*")


def chaos(seconds: float) -> dict[str, Any]:
    with actors.ActorSystem("soak-chaos") as system:
        manager = PubSubManager.of(system)
        buses = [manager.ensure(name, **config) for name, config in CHAOS_POLICIES.items()]
        pool: list[Any] = [Sink.start(system=system) for _ in range(64)]
        pool_lock = threading.Lock()
        deadline = time.monotonic() + seconds
        unexpected: list[str] = []
        counts = {"subscribe": 0, "unsubscribe": 0, "broadcast": 0, "kills": 0, "expected": 0}
        counts_lock = threading.Lock()
        # Per instance: broadcasts made, and the outcomes their results reported.
        made = {bus.name: 0 for bus in buses}
        reported = {bus.name: 0 for bus in buses}

        def count(key: str) -> None:
            with counts_lock:
                counts[key] += 1

        def guarded(work: Callable[[random.Random], None], seed: int) -> Callable[[], None]:
            def run() -> None:
                rng = random.Random(seed)
                while time.monotonic() < deadline:
                    try:
                        work(rng)
                    except actors.NoProcError:
                        count("expected")  # subscribing an actor that has exited
                    except Exception as exc:
                        unexpected.append(f"{type(exc).__name__}: {exc}")

            return run

        def subscriber(rng: random.Random) -> Any:
            with pool_lock:
                return rng.choice(pool)

        def subscribing(rng: random.Random) -> None:
            bus = rng.choice(buses)
            bus.subscribe(rng.choice(KEYS), subscriber(rng))
            count("subscribe")

        def unsubscribing(rng: random.Random) -> None:
            bus = rng.choice(buses)
            bus.unsubscribe(rng.choice(KEYS), subscriber(rng))
            count("unsubscribe")

        def publishing(rng: random.Random) -> None:
            bus = rng.choice(buses)
            result = bus.broadcast(rng.choice(TOPICS), ("tick", rng.random()))
            if not result and result.reason not in ("timeout", "mailbox_full"):
                unexpected.append(f"broadcast: {result!r}")
            outcomes = sum(
                result.details.get(key, 0)
                for key in ("delivered", "dropped", "dead", "failed", "rejected")
            )
            with counts_lock:
                made[bus.name] += 1
                reported[bus.name] += outcomes
            count("broadcast")

        def killing(rng: random.Random) -> None:
            if rng.random() < 0.05:
                ref = rng.choice(buses).ref
                if ref is not None:
                    actors.exit(ref, "kill")  # the manager's supervisor restarts it
            else:
                index = rng.randrange(len(pool))
                with pool_lock:
                    victim = pool[index]
                    pool[index] = Sink.start(system=system)
                actors.exit(victim, "kill")
            count("kills")
            time.sleep(0.002)  # a kill every few ms, not a kill storm

        workers = [
            threading.Thread(target=guarded(work, seed))
            for seed, work in enumerate(
                [subscribing, subscribing, unsubscribing, publishing, publishing, killing]
            )
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(seconds + 60)
        frozen = any(worker.is_alive() for worker in workers)
        stats = {bus.name: bus.statistics() for bus in buses}
        final = [_settle_and_check(bus, system) for bus in buses]
        clean = system.shutdown(timeout=30)
    # What the instance booked equals what its broadcasts reported, target
    # by target (drop_oldest's results also count the messages it took back,
    # so there the books are checked by the Hypothesis test instead), and
    # every broadcast was counted once.
    booked = {
        name: s.delivered + s.dropped + s.failed + s.rejected + s.dead for name, s in stats.items()
    }
    checks = {
        "no_unexpected_exceptions": not unexpected,
        "nothing_frozen": not frozen,
        "instances_deliver_afterwards": all(ok for ok, _ in final),
        "every_broadcast_counted": all(stats[name].published == made[name] for name in made),
        "books_match_results": all(
            booked[name] == reported[name] for name in made if name != "chaos_drop_oldest"
        ),
        "clean_shutdown": clean,
    }
    return {
        "phase": "chaos",
        "seconds": seconds,
        "operations": counts,
        "unexpected": unexpected[:10],
        "unexpected_count": len(unexpected),
        "restarts": {name: s.restarts for name, s in stats.items()},
        "dead_cleaned": sum(s.dead_cleaned for s in stats.values()),
        "final_check": [detail for _, detail in final],
        "booked": booked,
        "reported": reported,
        "checks": checks,
        "ok": all(checks.values()),
    }


def _settle_and_check(bus: PubSub, system: actors.ActorSystem) -> tuple[bool, dict[str, Any]]:
    """Wait for the instance to run and handle its DOWNs, then check that a
    broadcast accounts for exactly the subscriptions in its table and finds
    none of an exited subscriber (each one was cleaned up). A subscriber
    subscribed more often than its mailbox bound cannot take one broadcast
    whole: those copies are refused by its policy, and counted."""
    for _ in range(500):  # a killed instance may still be in its restart backoff
        if bus.sync():
            break
        time.sleep(0.01)
    topic = TOPICS[0]
    expected = len(bus.subscribers(topic))
    result = bus.broadcast(topic, ("final",))
    details = result.details
    reached = sum(details.get(key, 0) for key in ("delivered", "dead", "failed", "rejected"))
    dropped = details.get("dropped", 0)
    if bus.config.overflow == "drop_oldest":
        # Its "dropped" also counts older messages taken back to make room
        # for this one (which was delivered): the new ones dropped are a part.
        accounted = reached <= expected <= reached + dropped
    else:
        accounted = reached + dropped == expected
    ok = accounted and "dead" not in details and result.delivered > 0
    return ok, {"instance": bus.name, "targets": expected, "result": repr(result)}


def main(argv: list[str] | None = None) -> int:
    # The warnings of stalls, rejections and restarts are the point of the
    # chaos phase: they are counted in its line instead.
    logging.getLogger("actors").setLevel(logging.ERROR)
    logging.getLogger("supervision").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="1,000,000 broadcasts, 30 s of chaos")
    args = parser.parse_args(argv)
    phases = [
        never_drop(1_000_000 if args.full else 20_000),
        chaos(30.0 if args.full else 2.0),
    ]
    for phase in phases:
        print(json.dumps(phase), flush=True)
    ok = all(phase["ok"] for phase in phases)
    print(json.dumps({"summary": "pubsub_soak", "full": args.full, "ok": ok}), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
