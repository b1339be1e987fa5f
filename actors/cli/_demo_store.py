"""The event store part of ``actors demo``: orders appended, projected, fulfilled.

One supervision tree, started beside the demo application::

    store_demo (rest_for_one)
    ├── demo_store    the event store (in memory); every append is broadcast
    │                 on ex_esdb_events, topic event_stream:<stream>
    ├── group         creates the persistent subscription group "fulfilment"
    ├── feed          appends orders (placed, paid, shipped) every tick
    ├── projection    a Listener on $all counting orders by status, its
    │                 checkpoint in the same SQLite transaction as its counts
    └── packers       three competing consumers of "fulfilment": one acks,
                      one crashes now and then (its supervisor restarts it
                      and its in-flight orders go to the others), one nacks
                      fragile orders (retry) and poisoned ones (park)

:func:`start_store_demo` starts it; :func:`store_summary` collects what
happened and :func:`print_store_summary` prints it under the demo's summary.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any, Final, TextIO

import attrs

import actors
import supervision as sv
from actors import eventstore, gater
from actors.eventstore import ALL, EventData, EventStore, Listener, ProjectionDB

__all__ = ["StoreSummary", "print_store_summary", "start_store_demo", "store_summary"]

STORE_NAME: Final = "demo_store"
GROUP: Final = "fulfilment"
TREE: Final = "store_demo"
PACKERS: Final = (("packer-1", "acks"), ("packer-2", "crashes"), ("picky", "nacks"))


class _Counts:
    """Counters that outlive the restarts of the actors that bump them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_packer: dict[str, Counter[str]] = {name: Counter() for name, _ in PACKERS}

    def bump(self, packer: str, what: str) -> None:
        with self._lock:
            self.by_packer[packer][what] += 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {name: dict(counts) for name, counts in self.by_packer.items()}


class OrderFeed(actors.GenServer):
    """Appends what an order system would, every ``tick`` seconds."""

    def init(self, tick: float) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        self.tick = tick
        self.rng = random.Random(11)
        self.orders = 0
        self.store = EventStore.connect(STORE_NAME, self.system)
        actors.send_after(self.ref, ("tick",), tick)

    def handle_info(self, message: Any) -> None:
        """Runs in a pool worker."""
        match message:
            case ("tick",):
                for _ in range(self.rng.randint(1, 3)):
                    self._order()
                actors.send_after(self.ref, ("tick",), self.tick)

    def _order(self) -> None:
        self.orders += 1
        n, rng = self.orders, self.rng
        details = {"order": n, "fragile": rng.random() < 0.1, "poison": rng.random() < 0.03}
        events = [EventData("OrderPlaced", details)]
        if rng.random() < 0.8:
            events.append(EventData("OrderPaid", {"order": n}))
        self.store.append(f"order-{n}", events, eventstore.NO_STREAM)


class OrderProjection(Listener):
    """Orders by status; the checkpoint commits with the counts (exactly once)."""

    def on_init(self) -> None:
        self.db = ProjectionDB(":memory:", "orders")
        self.db.connection.execute(
            "CREATE TABLE status (type TEXT PRIMARY KEY, count INTEGER NOT NULL)"
        )
        self.caught_up_at: int | None = None

    def get_last_event(self, stream: str) -> int:
        return self.db.last_event(stream)

    def process_push(self, event: Any, stream: str) -> tuple[str, int]:
        with self.db.transaction(stream, event.position) as conn:
            conn.execute(
                "INSERT INTO status VALUES (?, 1) "
                "ON CONFLICT (type) DO UPDATE SET count = count + 1",
                (event.type,),
            )
        return ("ok", event.position)

    def caught_up(self) -> None:
        self.caught_up_at = self.last_event

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """Runs in a pool worker, or in the caller's thread when the actor is idle."""
        match request:
            case ("summary",):
                rows = self.db.connection.execute("SELECT type, count FROM status ORDER BY type")
                return dict(rows.fetchall()), self.last_event
        return super().handle_call(request, caller)

    def terminate(self, reason: Any) -> None:
        """Runs in a pool worker, or in the thread of an inline call that ended it."""
        self.db.close()


class Packer(actors.GenServer):
    """A competing consumer of the fulfilment group; ``behaviour`` says how."""

    def init(self, packer: str, behaviour: str, counts: _Counts, crash_every: int) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        self.packer, self.behaviour, self.counts = packer, behaviour, counts
        self.crash_every = crash_every
        self.seen = 0
        self.subscription = eventstore.connect_to_persistent_subscription(
            STORE_NAME, GROUP, ALL, self.ref, buffer_size=5
        )

    def handle_info(self, message: Any) -> None:
        """Runs in a pool worker."""
        match message:
            case ("on_event", event, correlation):
                self.seen += 1
                if self.behaviour == "crashes" and self.seen % self.crash_every == 0:
                    self.counts.bump(self.packer, "crashed")
                    msg = f"{self.packer} dropped order {event.data['order']}"
                    raise RuntimeError(msg)
                data = event.data
                if self.behaviour == "nacks" and data.get("poison"):
                    eventstore.nack(self.subscription, event, correlation, "park", "poisoned")
                    self.counts.bump(self.packer, "parked")
                elif self.behaviour == "nacks" and data.get("fragile"):
                    eventstore.nack(self.subscription, event, correlation, "retry", "fragile")
                    self.counts.bump(self.packer, "retried")
                else:
                    eventstore.ack(self.subscription, event, correlation)
                    self.counts.bump(self.packer, "acked")


def _create_group() -> None:
    """An ignored child: makes the group before the consumers connect."""
    store = EventStore.connect(STORE_NAME)
    if not any(g.group == GROUP for g in store.list_persistent_subscriptions()):
        store.create_persistent_subscription(ALL, GROUP, max_retry_count=3, message_timeout=2)


def start_store_demo(system: actors.ActorSystem, *, tick: float = 0.1) -> _Counts:
    """Start the store demo's tree in ``system``; returns its shared counters."""
    counts = _Counts()
    packers = [
        sv.child_spec(name, Packer, name, behaviour, counts, 17, name=name)
        for name, behaviour in PACKERS
    ]
    sv.Supervisor.start(
        [
            EventStore.child_spec(
                ":memory:", name=STORE_NAME, on_appended=[gater.on_appended_broadcaster(system)]
            ),
            sv.child_spec("group", _create_group),
            sv.child_spec("feed", OrderFeed, tick, name="order_feed"),
            sv.child_spec("projection", OrderProjection, STORE_NAME, ALL, name="order_projection"),
            sv.child_spec(
                "packers",
                sv.Supervisor,
                packers,
                max_restarts=100,
                max_seconds=5,
                name="packers",
                type="supervisor",
            ),
        ],
        strategy="rest_for_one",
        max_restarts=10,
        max_seconds=5,
        name=TREE,
        system=system,
    )
    return counts


@attrs.frozen
class StoreSummary:
    events: int
    streams: int
    statuses: dict[str, int]
    projected_to: int
    packers: dict[str, dict[str, int]]
    delivered_lag: int
    in_flight: int
    parked: int


def store_summary(system: actors.ActorSystem, counts: _Counts) -> StoreSummary | None:
    """What the store demo did; ``None`` if its store is not running."""
    try:
        store = EventStore.connect(STORE_NAME, system)
        statuses, projected_to = actors.call("order_projection", ("summary",), system=system)
        group = store.persistent_subscription_info(ALL, GROUP)
        return StoreSummary(
            events=store.last_position() + 1,
            streams=len(store.list_streams()),
            statuses=statuses,
            projected_to=projected_to,
            packers=counts.snapshot(),
            delivered_lag=group.lag,
            in_flight=group.in_flight,
            parked=group.parked,
        )
    except (eventstore.EventStoreError, actors.CallError, actors.NoProcError):
        return None


def print_store_summary(out: TextIO, summary: StoreSummary | None) -> None:
    if summary is None:
        print("\nevent store: not running", file=out)
        return
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(summary.statuses.items()))
    print(
        f"\nevent store (in memory): {summary.events} events in {summary.streams} streams, "
        "each broadcast on ex_esdb_events",
        file=out,
    )
    print(f"  projection    {statuses} (checkpoint at position {summary.projected_to})", file=out)
    for name, behaviour in PACKERS:
        done = summary.packers.get(name, {})
        parts = [
            f"{what} {done[what]}"
            for what in ("acked", "retried", "parked", "crashed")
            if done.get(what)
        ]
        print(f"  {name:<12}  {behaviour:<8} {', '.join(parts) or 'nothing yet'}", file=out)
    print(
        f"  group {GROUP!r}: {summary.in_flight} in flight, {summary.parked} parked, "
        f"lag {summary.delivered_lag}",
        file=out,
    )
