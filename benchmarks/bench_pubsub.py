"""Broadcasts through pub/sub instances beside direct delivery
(``actors.send`` to each of the same actors) in the same run.

* ``broadcast_fanout_N/{exact,pattern}``: a bare instance with the default
  policy, on an exact topic and on a ``*`` pattern (cost <= 1.3x direct).
* ``gater_broadcast_N/<instance>``: each of the ten gater instances
  (``actors.gater.start``, their own default policies), through the module
  API ``pubsub.broadcast(name, topic, message)``, at 1,000 and 10,000
  subscribers (100 and 1,000 with ``--quick``); cost <= 1.1x direct, i.e.
  ratio >= 0.91.
* ``policy_broadcast_N/<policy>``: a bare instance per delivery policy
  (``block`` with a bound, ``drop_oldest``, ``drop_newest``, ``reject``,
  unbounded), same API and target, with room in every mailbox.
* ``policy_overflow_1000/<policy>``: the same instances with a mailbox bound
  of :data:`TIGHT_LIMIT`, so drops, rejections and waits really happen.

After every broadcast run the instance's books are checked against what the
subscribers really handled: ``received + dropped + failed + rejected + dead
== published x subscribers`` (``books_balance``). ``sent_equation`` is the
instance's own identity, ``delivered + dropped + failed + rejected + dead ==
published x subscribers``: it holds for every policy, ``drop_oldest``
included, because taking a queued message back moves its count from
delivered to dropped (``sent_excess`` shows any difference).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from _harness import Latch, Record, Tally, median, per_second

import actors
from actors import gater, pubsub
from actors.pubsub import PubSubManager, instances

DELIVERIES = 500_000
SIZES = (10, 1_000, 10_000)

POLICY_DELIVERIES = 200_000
"""Deliveries per run of a gater or policy case (messages = this / subscribers)."""
POLICY_SIZES = (1_000, 10_000)
POLICY_REPEATS = 3
"""Pairs of runs (direct, then broadcast) per case; the medians are compared."""
POLICIES: dict[str, dict[str, Any]] = {
    "block": {"mailbox_limit": 100_000, "overflow": "block", "block_timeout": 5.0},
    "drop_oldest": {"mailbox_limit": 10_000, "overflow": "drop_oldest"},
    "drop_newest": {"mailbox_limit": 10_000, "overflow": "drop_newest"},
    "reject": {"mailbox_limit": 10_000, "overflow": "reject"},
    "unbounded": {"mailbox_limit": None},
}
TIGHT_LIMIT = 8
"""Mailbox bound of the overflow cases: small enough that a publisher
outruns its subscribers."""
OVERFLOW_SUBSCRIBERS = 1_000
OVERFLOW_MESSAGES = 100
"""Broadcasts per overflow run, ``--quick`` too: fewer would not fill mailboxes."""


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


class Counter(actors.GenServer):
    """A subscriber reused across runs: armed before each one, counts ticks."""

    def init(self) -> None:
        self.count = 0
        self.expected = -1
        self.latch: Latch | None = None

    def handle_info(self, message: Any) -> None:
        match message:
            case ("tick", _):
                self.count += 1
                if self.count == self.expected and self.latch is not None:
                    self.latch.count_down()
            case ("arm", expected, latch, armed):
                self.count = 0
                self.expected = expected
                self.latch = latch
                armed.count_down()
            case ("report", tally):
                tally.report(self.count)


def _arm(refs: list[actors.Ref[Any]], expected: int) -> Latch:
    """Reset every subscriber's count; returns the latch of this run."""
    latch, armed = Latch(len(refs)), Latch(len(refs))
    for ref in refs:
        actors.send(ref, ("arm", expected, latch, armed))
    armed.wait()
    return latch


def _received(refs: list[actors.Ref[Any]]) -> int:
    """What the subscribers really handled since they were armed."""
    tally = Tally(len(refs))
    for ref in refs:
        actors.send(ref, ("report", tally))
    tally.wait()
    return tally.total


def _timed_direct(refs: list[actors.Ref[Any]], m: int) -> float:
    latch = _arm(refs, m)
    gc.collect()
    send = actors.send
    start = time.perf_counter()
    for j in range(m):
        message = ("tick", j)
        for ref in refs:
            send(ref, message)
    latch.wait()
    return per_second(len(refs) * m, time.perf_counter() - start)


def _counts(instance: pubsub.PubSub) -> dict[str, int]:
    stats = instance.statistics()
    return {
        "published": stats.published,
        "delivered": stats.delivered,
        "dropped": stats.dropped,
        "failed": stats.failed,
        "rejected": stats.rejected,
        "dead": stats.dead,
    }


def _books(before: dict[str, int], after: dict[str, int], n: int, received: int) -> dict[str, Any]:
    """The instance's counters over one run, checked against ``received``."""
    delta = {key: after[key] - before[key] for key in after}
    offered = delta["published"] * n
    lost = delta["dropped"] + delta["failed"] + delta["rejected"] + delta["dead"]
    return {
        **delta,
        "received": received,
        "books_balance": received + lost == offered,
        "sent_equation": delta["delivered"] + lost == offered,
        "sent_excess": delta["delivered"] + lost - offered,
    }


def _timed_broadcast(
    refs: list[actors.Ref[Any]], m: int, instance: pubsub.PubSub, topic: str
) -> tuple[float, dict[str, Any]]:
    """``pubsub.broadcast(name, ...)`` m times; the rate and the run's books."""
    n = len(refs)
    name = instance.name
    latch = _arm(refs, m)
    before = _counts(instance)
    gc.collect()
    broadcast = pubsub.broadcast
    start = time.perf_counter()
    for j in range(m):
        broadcast(name, topic, ("tick", j))
    latch.wait()
    rate = per_second(n * m, time.perf_counter() - start)
    return rate, _books(before, _counts(instance), n, _received(refs))


def _compare(
    prefix: str,
    cases: dict[str, pubsub.PubSub],
    refs: list[actors.Ref[Any]],
    m: int,
    repeats: int,
    extra: Callable[[str], dict[str, Any]],
) -> Iterator[Record]:
    """For each case, ``repeats`` pairs of (direct, broadcast) runs."""
    direct: dict[str, list[float]] = {key: [] for key in cases}
    broadcast: dict[str, list[float]] = {key: [] for key in cases}
    books: dict[str, list[dict[str, Any]]] = {key: [] for key in cases}
    # The subscribers and tables are long-lived: keep them out of the
    # collections run before each timed run (a full one costs ~0.15 s here).
    gc.collect()
    gc.freeze()
    try:
        for _ in range(repeats):
            for key, instance in cases.items():
                direct[key].append(_timed_direct(refs, m))
                rate, run_books = _timed_broadcast(refs, m, instance, _topic(instance.name))
                broadcast[key].append(rate)
                books[key].append(run_books)
    finally:
        gc.unfreeze()
    for key in cases:
        yield Record(
            f"{prefix}/{key}",
            median(broadcast[key]),
            "deliveries/s",
            "direct actors.send to the same subscribers",
            median(direct[key]),
            "higher",
            {
                "subscribers": len(refs),
                "messages": m,
                "repeats": repeats,
                "samples": [round(x) for x in broadcast[key]],
                "direct_samples": [round(x) for x in direct[key]],
                **extra(key),
                **_summed_books(books[key]),
                "target": ">= 0.91 (cost <= 1.1x)",
            },
        )


def _summed_books(runs: list[dict[str, Any]]) -> dict[str, Any]:
    summed: dict[str, Any] = {
        key: sum(run[key] for run in runs)
        for key in ("published", "received", "delivered", "dropped", "failed", "rejected", "dead")
    }
    summed["books_balance"] = all(run["books_balance"] for run in runs)
    summed["sent_equation"] = all(run["sent_equation"] for run in runs)
    summed["sent_excess"] = sum(run["sent_excess"] for run in runs)
    return summed


def _topic(name: str) -> str:
    return f"{name}:bench"


def _subscribe_all(system: actors.ActorSystem, n: int, names: list[str]) -> list[actors.Ref[Any]]:
    refs = [Counter.start(system=system) for _ in range(n)]
    for name in names:
        for ref in refs:
            pubsub.subscribe(name, _topic(name), ref)
    return refs


def _quiet() -> logging.Logger:
    """Reject and timeout warnings are expected here; they are counted instead."""
    logger = logging.getLogger("actors.pubsub")
    logger.setLevel(logging.ERROR)
    return logger


def _policy(name: str) -> str:
    config = instances.DEFAULTS[name]
    bound = "unbounded" if config.mailbox_limit is None else f"limit {config.mailbox_limit}"
    return f"{config.overflow}, {bound}"


def gater_broadcast(scale: float) -> Iterator[Record]:
    """The ten gater instances and a bare instance per policy, through
    ``pubsub.broadcast(name, ...)``, against direct sends."""
    _quiet()
    repeats = POLICY_REPEATS if scale >= 1 else 1
    for size in POLICY_SIZES:
        # --quick: a tenth of the subscribers (subscribing costs ~50 us each,
        # and every subscriber subscribes to fifteen instances).
        n = max(10, int(size * scale))
        m = max(2, int(POLICY_DELIVERIES * scale) // n)
        with actors.ActorSystem() as system:
            tree = gater.start(system, audit=False, broadcasters=False)
            manager = PubSubManager.of(system)
            bare = {
                policy: manager.ensure(f"bench_{policy}", **config)
                for policy, config in POLICIES.items()
            }
            names = [*instances.ALL, *(instance.name for instance in bare.values())]
            refs = _subscribe_all(system, n, names)
            ten = {name: manager.get(name) for name in instances.ALL}
            assert all(instance is not None for instance in ten.values())
            yield from _compare(
                f"gater_broadcast_{n}",
                {name: inst for name, inst in ten.items() if inst is not None},
                refs,
                m,
                repeats,
                lambda name: {"policy": _policy(name)},
            )
            yield from _compare(
                f"policy_broadcast_{n}",
                bare,
                refs,
                m,
                repeats,
                lambda policy: {"policy": dict(POLICIES[policy])},
            )
            _stop_instances(manager, tree)


def _stop_instances(manager: PubSubManager, tree: actors.Ref[Any] | None = None) -> None:
    """Stop the instances before their subscribers: thousands of subscribers
    exiting at once would otherwise keep every instance actor busy dropping
    their subscriptions one DOWN at a time while the system shuts down."""
    if tree is not None:
        actors.stop(tree, "shutdown", timeout=60)
    for name in manager.instances():
        manager.stop(name, timeout=60)


def _timed_overflow(
    refs: list[actors.Ref[Any]], m: int, instance: pubsub.PubSub
) -> tuple[float, dict[str, Any]]:
    """Broadcast m messages into small mailboxes, then a direct report
    request to each subscriber (behind whatever is still queued): the clock
    stops when every subscriber has reported what it handled."""
    n = len(refs)
    _arm(refs, -1)
    before = _counts(instance)
    gc.collect()
    topic = _topic(instance.name)
    name = instance.name
    broadcast = pubsub.broadcast
    start = time.perf_counter()
    for j in range(m):
        broadcast(name, topic, ("tick", j))
    tally = Tally(n)
    for ref in refs:
        actors.send(ref, ("report", tally))
    tally.wait()
    rate = per_second(n * m, time.perf_counter() - start)
    return rate, _books(before, _counts(instance), n, tally.total)


def policy_overflow(scale: float) -> Iterator[Record]:
    """Each policy with mailboxes that really fill up: are the books exact?"""
    _quiet()
    n = OVERFLOW_SUBSCRIBERS
    m = OVERFLOW_MESSAGES
    with actors.ActorSystem() as system:
        manager = PubSubManager.of(system)
        cases = {
            policy: manager.ensure(
                f"bench_tight_{policy}",
                **{**config, "mailbox_limit": None if policy == "unbounded" else TIGHT_LIMIT},
            )
            for policy, config in POLICIES.items()
        }
        refs = _subscribe_all(system, n, [instance.name for instance in cases.values()])
        for policy, instance in cases.items():
            direct = _timed_direct(refs, m)
            rate, books = _timed_overflow(refs, m, instance)
            yield Record(
                f"policy_overflow_{n}/{policy}",
                rate,
                "deliveries/s",
                "direct actors.send to the same subscribers",
                direct,
                "higher",
                {
                    "subscribers": n,
                    "messages": m,
                    "mailbox_limit": None if policy == "unbounded" else TIGHT_LIMIT,
                    **books,
                    "target": "books_balance",
                },
            )
        _stop_instances(manager)


BENCHMARKS = {
    "broadcast_fanout": broadcast_fanout,
    "gater_broadcast": gater_broadcast,
    "policy_overflow": policy_overflow,
}
