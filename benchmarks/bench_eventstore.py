"""Event store: appends, catch-up reads, live delivery, persistent subscriptions.

Each figure beside its baseline in the same run:

* ``eventstore_append_single`` / ``eventstore_append_batch100``: events/s
  appended through ``EventStore.append`` (file, ``synchronous=FULL``, one
  transaction per call) against a bare ``sqlite3`` ``executemany`` of the
  same rows into the same schema, one transaction per batch; and against
  the ``eventsourcing`` package's SQLite recorder where it is installed
  (``pip install -e '.[bench]'``; reported missing otherwise).
* ``eventstore_catch_up``: events/s delivered by ``read_and_stay_subscribed``
  to an actor until ``caught_up``, against a bare ``SELECT`` + ``json.loads``
  of the same rows.
* ``eventstore_live_latency_p50`` / ``_p99``: append-to-delivery latency of a
  live subscription, against the latency of the append call alone.
* ``eventstore_persistent_1`` / ``_4``: events/s acked by 1 and 4 competing
  consumers, against the catch-up subscription's delivery rate.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _harness import Latch, Record, log, median_p99, per_second

import actors
from actors import eventstore as es
from actors.eventstore import EventData, EventStore, SqliteBackend
from actors.testing import ANY, Probe

INSERT = (
    "INSERT INTO events (position, stream, version, event_id, type, data, metadata, format, "
    "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _payload(i: int) -> dict[str, Any]:
    return {"order": i, "customer": f"c-{i % 97}", "amount": 12.5, "items": ["a", "b"]}


def _store_appends(path: Path, total: int, batch: int) -> float:
    with actors.ActorSystem() as system:
        store = EventStore.open(path, system=system, trim_interval=None)
        batches = [
            [EventData("OrderPlaced", _payload(i + j)) for j in range(batch)]
            for i in range(0, total, batch)
        ]
        start = time.perf_counter()
        for events in batches:
            store.append("orders", events)
        elapsed = time.perf_counter() - start
        store.close()
    return elapsed


def _bare_appends(path: Path, total: int, batch: int) -> float:
    """The same events written by hand: each payload turned into JSON and
    inserted with ``executemany``, one ``BEGIN IMMEDIATE`` transaction per
    batch, on the same schema and pragmas (WAL, ``synchronous=FULL``). The
    encoding is timed too, as the store's is: an application holds dicts."""
    SqliteBackend(path).close()  # the same schema
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    payloads = [(str(uuid.uuid4()), _payload(i)) for i in range(total)]
    start = time.perf_counter()
    for i in range(0, total, batch):
        rows = [
            (
                n,
                "orders",
                n,
                event_id,
                "OrderPlaced",
                json.dumps(data, separators=(",", ":")),
                None,
                0,
                1_700_000_000_000_000,
            )
            for n, (event_id, data) in enumerate(payloads[i : i + batch], start=i)
        ]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(INSERT, rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def _eventsourcing_appends(path: Path, total: int, batch: int) -> float | None:
    try:
        from eventsourcing.persistence import StoredEvent
        from eventsourcing.sqlite import SQLiteAggregateRecorder, SQLiteDatastore
    except ImportError:
        return None
    datastore = SQLiteDatastore(str(path))
    recorder = SQLiteAggregateRecorder(datastore)
    recorder.create_table()
    originator = uuid.uuid4()
    events = [
        StoredEvent(originator, i + 1, "orders:OrderPlaced", json.dumps(_payload(i)).encode())
        for i in range(total)
    ]
    start = time.perf_counter()
    for i in range(0, total, batch):
        recorder.insert_events(events[i : i + batch])
    elapsed = time.perf_counter() - start
    datastore.close()
    return elapsed


def bench_appends(scale: float) -> Iterator[Record]:
    for name, batch, total in (
        ("eventstore_append_single", 1, max(100, int(2000 * scale))),
        ("eventstore_append_batch100", 100, max(1000, int(30_000 * scale))),
    ):
        with tempfile.TemporaryDirectory() as folder:
            ours = _store_appends(Path(folder, "store.db"), total, batch)
            bare = _bare_appends(Path(folder, "bare.db"), total, batch)
            theirs = _eventsourcing_appends(Path(folder, "es.db"), total, batch)
        extra: dict[str, Any] = {"events": total, "batch": batch}
        if theirs is None:
            extra["eventsourcing"] = "missing (pip install eventsourcing)"
        else:
            extra["eventsourcing_events_per_s"] = round(per_second(total, theirs))
            extra["ratio_to_eventsourcing"] = round(theirs / ours, 3)
        yield Record(
            name,
            per_second(total, ours),
            "events/s",
            "bare sqlite3: json.dumps + executemany, same rows and schema",
            per_second(total, bare),
            "higher",
            extra,
        )


class _Counter(actors.GenServer):
    def init(self, total: int, done: Latch) -> None:
        self.total, self.done, self.seen = total, done, 0

    def handle_info(self, message: Any) -> None:
        match message:
            case ("on_event", _):
                self.seen += 1
                if self.seen == self.total:
                    self.done.count_down()


def _fill(store: EventStore, total: int) -> None:
    for i in range(0, total, 500):
        store.append("orders", [EventData("OrderPlaced", _payload(i + j)) for j in range(500)])


def bench_catch_up(scale: float) -> Iterator[Record]:
    total = max(2000, int(100_000 * scale))
    with tempfile.TemporaryDirectory() as folder, actors.ActorSystem() as system:
        path = Path(folder, "store.db")
        store = EventStore.open(path, system=system, trim_interval=None)
        _fill(store, total)
        done = Latch(1)
        counter = _Counter.start(total, done)
        start = time.perf_counter()
        es.read_and_stay_subscribed(store, "orders", 0, counter)
        done.wait()
        ours = time.perf_counter() - start
        store.close()
        conn = sqlite3.connect(path)
        bare = float("inf")
        for _ in range(2):  # the faster of two: a warm cache, as ours had
            start = time.perf_counter()
            decoded = []
            for first in range(0, total, 500):
                rows = conn.execute(
                    "SELECT position, stream, version, event_id, type, data, metadata, created "
                    "FROM events WHERE stream = 'orders' AND version >= ? ORDER BY version "
                    "LIMIT 500",
                    (first,),
                ).fetchall()
                decoded.extend(json.loads(row[5]) for row in rows)
            bare = min(bare, time.perf_counter() - start)
        conn.close()
        assert len(decoded) == total
    yield Record(
        "eventstore_catch_up",
        per_second(total, ours),
        "events/s",
        "bare SELECT + json.loads of the same rows, in the same pages",
        per_second(total, bare),
        "higher",
        {"events": total},
    )


def bench_live_latency(scale: float) -> Iterator[Record]:
    samples = max(50, int(500 * scale))
    with tempfile.TemporaryDirectory() as folder, actors.ActorSystem() as system:
        store = EventStore.open(Path(folder, "store.db"), system=system, trim_interval=None)
        with Probe(system) as probe:
            es.subscribe_to(store, "live", probe)
            delivery, append = [], []
            for i in range(samples):
                start = time.perf_counter()
                store.append("live", EventData("Tick", {"i": i}))
                appended = time.perf_counter()
                probe.expect(("on_event", ANY), timeout=10)
                delivery.append(time.perf_counter() - start)
                append.append(appended - start)
        store.close()
    ours50, ours99 = median_p99(delivery)
    base50, base99 = median_p99(append)
    for name, ours, base in (
        ("eventstore_live_latency_p50", ours50, base50),
        ("eventstore_live_latency_p99", ours99, base99),
    ):
        yield Record(
            name,
            ours * 1e6,
            "µs",
            "the append call alone (commit with fsync)",
            base * 1e6,
            "lower",
            {"samples": samples},
        )


class _Acker(actors.GenServer):
    def init(self, store: EventStore, done: Latch, counts: list[int], total: int) -> None:
        self.done, self.counts, self.total = done, counts, total
        self.subscription = es.connect_to_persistent_subscription(
            store, "bench", "orders", self.ref, buffer_size=50
        )

    def handle_info(self, message: Any) -> None:
        match message:
            case ("on_event", event, correlation):
                es.ack(self.subscription, event, correlation)
                with _LOCK:
                    self.counts[0] += 1
                    if self.counts[0] == self.total:
                        self.done.count_down()


_LOCK = threading.Lock()


def bench_persistent(scale: float) -> Iterator[Record]:
    total = max(1000, int(10_000 * scale))
    with tempfile.TemporaryDirectory() as folder, actors.ActorSystem() as system:
        store = EventStore.open(Path(folder, "store.db"), system=system, trim_interval=None)
        _fill(store, total)
        done = Latch(1)
        counter = _Counter.start(total, done)
        start = time.perf_counter()
        es.read_and_stay_subscribed(store, "orders", 0, counter)
        done.wait()
        catch_up = time.perf_counter() - start
        for consumers in (1, 4):
            group = f"bench-{consumers}"
            store.create_persistent_subscription("orders", "bench", start_from=0)
            done = Latch(1)
            counts = [0]
            start = time.perf_counter()
            ackers = [_Acker.start(store, done, counts, total) for _ in range(consumers)]
            done.wait()
            elapsed = time.perf_counter() - start
            for acker in ackers:
                actors.stop(acker)
            store.delete_persistent_subscription("orders", "bench")
            log(f"  {group}: {per_second(total, elapsed):.0f} events/s")
            yield Record(
                f"eventstore_persistent_{consumers}",
                per_second(total, elapsed),
                "events/s",
                "catch-up subscription delivery of the same events",
                per_second(total, catch_up),
                "higher",
                {"events": total, "consumers": consumers},
            )
        store.close()


def run_all(scale: float) -> Iterator[Record]:
    yield from bench_appends(scale)
    yield from bench_catch_up(scale)
    yield from bench_live_latency(scale)
    yield from bench_persistent(scale)


BENCHMARKS = {
    "eventstore_appends": bench_appends,
    "eventstore_catch_up": bench_catch_up,
    "eventstore_live_latency": bench_live_latency,
    "eventstore_persistent": bench_persistent,
}

if __name__ == "__main__":
    import sys

    from _harness import emit

    emit(run_all(0.1 if "--quick" in sys.argv else 1.0))
