"""The event store on PostgreSQL, each figure beside bare psycopg in the same run.

* ``postgres_append_batch100``: ``EventStore.append`` of 100 events per
  call, against psycopg ``executemany`` of the same rows into the same
  table, 100 per transaction (the ``COPY`` figure of the same rows is in
  the line too, with its ratio).
* ``postgres_delivery_latency_p50`` / ``_p99``: append in this process
  at 1,000 events/s (5 events every 5 ms), ``subscribe_to`` in another
  process; from just before the append call to the subscriber's receipt
  (``time.monotonic`` is one clock for every process of a machine).
  Baseline: bare psycopg in the same pattern, ``INSERT`` of the same rows
  and ``NOTIFY`` in one transaction, ``LISTEN`` in another process.
* ``postgres_persistent_1`` / ``_3``: 1 and 3 consumer processes acking
  every event of one persistent subscription, against one process's
  catch-up subscription reading the same events.

The server is ``ACTORS_BENCH_PG_URL`` (default
``postgresql://127.0.0.1:5432/test``); each figure uses a fresh schema,
dropped afterwards. Without a server or psycopg nothing is measured (one
line on stderr says why).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _harness import Record, log, median_p99, per_second

import actors
from actors.eventstore import EventData, EventStore

PG_URL = os.environ.get("ACTORS_BENCH_PG_URL", "postgresql://127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]
COLUMNS = "position, stream, version, event_id, type, data, metadata, format, created"

CHILD = r"""
import json, sys, time
import actors
from actors import eventstore as es
from actors.eventstore import EventStore
from actors.testing import ANY, Probe

role, url, total = sys.argv[1], sys.argv[2], int(sys.argv[3])

def say(**fields):
    print(json.dumps(fields), flush=True)

if role == "bare-listen":
    import psycopg
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("LISTEN bench")
    say(ready=True)
    latencies = []
    while len(latencies) < total:
        for note in conn.notifies(timeout=30, stop_after=1):
            now = time.monotonic()
            sent, count = note.payload.split()
            latencies.extend([now - float(sent)] * int(count))
    say(latencies=latencies)
    sys.exit(0)

with actors.ActorSystem() as system, EventStore.open(url, system=system) as store:
    probe = Probe(system)
    if role == "subscribe":
        es.subscribe_to(store, "live", probe)
        say(ready=True)
        latencies = []
        while len(latencies) < total:
            _, event = probe.expect(("on_event", ANY), 30.0)
            latencies.append(time.monotonic() - event.data["t"])
        say(latencies=latencies)
    elif role == "consume":
        import threading
        say(ready=True)
        sys.stdin.readline()
        stopped = threading.Event()
        threading.Thread(target=lambda: (sys.stdin.read(), stopped.set()), daemon=True).start()
        sub = es.connect_to_persistent_subscription(store, "bench", "orders", probe,
                                                    buffer_size=50)
        acked = told = 0
        while not stopped.is_set():
            try:
                _, event, correlation = probe.expect(("on_event", ANY, ANY), 0.01)
            except AssertionError:
                if acked != told:  # idle: say where we are
                    say(acked=acked)
                    told = acked
                continue
            es.ack(sub, event, correlation)
            acked += 1
            if acked % 250 == 0:
                say(acked=acked)
                told = acked
    elif role == "catch-up":
        say(ready=True)
        sys.stdin.readline()
        es.read_and_stay_subscribed(store, "orders", 0, probe)
        for _ in range(total):
            probe.expect(("on_event", ANY), 30.0)
        say(done=True)
"""


def _payload(i: int) -> dict[str, Any]:
    return {"order": i, "customer": f"c-{i % 97}", "amount": 12.5, "items": ["a", "b"]}


def _available() -> bool:
    try:
        import psycopg
    except ImportError:
        log("postgres benchmarks skipped: psycopg is missing (pip install -e '.[postgres]')")
        return False
    try:
        with psycopg.connect(PG_URL, connect_timeout=5):
            return True
    except psycopg.Error as exc:
        log(f"postgres benchmarks skipped: no server at {PG_URL} ({str(exc).strip()[:120]})")
        return False


@contextmanager
def _schema() -> Iterator[str]:
    """A fresh, initialised store schema; yields its URL."""
    import psycopg

    from actors.eventstore.postgres import apply_migrations

    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        apply_migrations(conn, name, create=True)
    try:
        yield f"{PG_URL}?schema={name}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


class _Child:
    def __init__(self, role: str, url: str, total: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, role, url, str(total)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def line(self, key: str) -> Any:
        assert self.proc.stdout is not None
        while True:
            text = self.proc.stdout.readline()
            if not text:
                msg = f"benchmark child exited without {key!r}"
                raise RuntimeError(msg)
            found = json.loads(text)
            if key in found:
                return found[key]

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


# Appends -------------------------------------------------------------------------------------


def _batches(total: int, batch: int) -> list[list[EventData]]:
    return [
        [EventData("OrderPlaced", _payload(i + j)) for j in range(batch)]
        for i in range(0, total, batch)
    ]


def _rows(total: int) -> list[tuple[Any, ...]]:
    return [
        (
            i,
            "orders",
            i,
            str(uuid.uuid4()),
            "OrderPlaced",
            json.dumps(_payload(i), separators=(",", ":")),
            None,
            0,
            1_700_000_000_000_000,
        )
        for i in range(total)
    ]


def _bare_round(
    conn: Any, table: str, rows: list[tuple[Any, ...]], batch: int, copy: bool
) -> float:
    start = time.perf_counter()
    for i in range(0, len(rows), batch):
        with conn.transaction(), conn.cursor() as cur:
            if copy:
                with cur.copy(f"COPY {table} ({COLUMNS}) FROM STDIN") as out:
                    for row in rows[i : i + batch]:
                        out.write_row(row)
            else:
                cur.executemany(
                    f"INSERT INTO {table} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    rows[i : i + batch],
                )
    return time.perf_counter() - start


def bench_appends(scale: float) -> Iterator[Record]:
    """Ours, executemany and COPY take turns, round by round, so the
    machine's noise (a shared disk) falls on all three alike."""
    if not _available():
        return
    import psycopg

    from actors.eventstore.postgres import parse_postgres_url

    rounds, batch = 6, 100
    per_round = max(1000, int(5000 * scale)) // batch * batch
    total = rounds * per_round
    elapsed = {"ours": 0.0, "executemany": 0.0, "copy": 0.0}
    with (
        _schema() as ours_url,
        _schema() as bare_url,
        _schema() as copy_url,
        actors.ActorSystem() as system,
    ):
        if True:
            store = EventStore.open(ours_url, system=system, trim_interval=None)
            bare = parse_postgres_url(bare_url)
            copy = parse_postgres_url(copy_url)
            with (
                psycopg.connect(bare.conninfo, autocommit=True) as bare_conn,
                psycopg.connect(copy.conninfo, autocommit=True) as copy_conn,
            ):
                for r in range(rounds):
                    batches = _batches(per_round, batch)
                    start = time.perf_counter()
                    for events in batches:
                        store.append("orders", events)
                    elapsed["ours"] += time.perf_counter() - start
                    rows = _rows(per_round)
                    rows = [
                        (r * per_round + row[0], *row[1:2], r * per_round + row[2], *row[3:])
                        for row in rows
                    ]
                    elapsed["executemany"] += _bare_round(
                        bare_conn, f'"{bare.schema}".events', rows, batch, copy=False
                    )
                    elapsed["copy"] += _bare_round(
                        copy_conn, f'"{copy.schema}".events', rows, batch, copy=True
                    )
            store.close()
    yield Record(
        "postgres_append_batch100",
        per_second(total, elapsed["ours"]),
        "events/s",
        "bare psycopg executemany, same rows and table, 100 per transaction",
        per_second(total, elapsed["executemany"]),
        "higher",
        {
            "events": total,
            "batch": batch,
            "rounds": rounds,
            "copy_events_per_s": round(per_second(total, elapsed["copy"])),
            "ratio_to_copy": round(elapsed["copy"] / elapsed["ours"], 3),
        },
    )


# Cross-process delivery ------------------------------------------------------------------------


def _paced(total: int, per_tick: int, tick: float, send: Any) -> None:
    start = time.monotonic()
    for k in range(total // per_tick):
        due = start + k * tick
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        send(k)


def bench_delivery_latency(scale: float) -> Iterator[Record]:
    if not _available():
        return
    import psycopg

    total, per_tick, tick = max(500, int(5000 * scale)), 5, 0.005
    with _schema() as url:
        child = _Child("subscribe", url, total)
        try:
            child.line("ready")
            with actors.ActorSystem() as system:
                store = EventStore.open(url, system=system, trim_interval=None)

                def append(k: int) -> None:
                    now = time.monotonic()
                    store.append(
                        "live", [EventData("Tick", {"t": now, "i": k}) for _ in range(per_tick)]
                    )

                _paced(total, per_tick, tick, append)
                ours = child.line("latencies")
                store.close()
        finally:
            child.close()
    with _schema() as url:
        from actors.eventstore.postgres import parse_postgres_url

        target = parse_postgres_url(url)
        child = _Child("bare-listen", target.conninfo, total)
        rows = _rows(total)
        try:
            child.line("ready")
            with psycopg.connect(target.conninfo, autocommit=True) as conn:

                def insert(k: int) -> None:
                    now = time.monotonic()
                    with conn.transaction():
                        conn.cursor().executemany(
                            f'INSERT INTO "{target.schema}".events ({COLUMNS}) VALUES '
                            "(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                            rows[k * per_tick : (k + 1) * per_tick],
                        )
                        conn.execute("SELECT pg_notify('bench', %s)", (f"{now} {per_tick}",))

                _paced(total, per_tick, tick, insert)
                bare = child.line("latencies")
        finally:
            child.close()
    ours50, ours99 = median_p99(ours)
    bare50, bare99 = median_p99(bare)
    for name, value, base in (
        ("postgres_delivery_latency_p50", ours50, bare50),
        ("postgres_delivery_latency_p99", ours99, bare99),
    ):
        yield Record(
            name,
            value * 1000,
            "ms",
            "bare psycopg INSERT + NOTIFY, LISTEN in another process, same pacing",
            base * 1000,
            "lower",
            {"events": total, "rate_per_s": round(per_tick / tick), "target_p99_ms": 20},
        )


# Persistent subscriptions -----------------------------------------------------------------------


def _fill(url: str, total: int) -> None:
    with actors.ActorSystem() as system:
        store = EventStore.open(url, system=system, trim_interval=None)
        for i in range(0, total, 500):
            store.append("orders", [EventData("OrderPlaced", _payload(i + j)) for j in range(500)])
        store.create_persistent_subscription("orders", "bench", start_from=0)
        store.close()


def _consume(url: str, processes: int, total: int) -> float:
    children = [_Child("consume", url, total) for _ in range(processes)]
    try:
        for child in children:
            child.line("ready")
        acked = [0] * processes
        done = threading.Event()
        lock = threading.Lock()

        def follow(i: int) -> None:
            while not done.is_set():
                try:
                    count = children[i].line("acked")
                except RuntimeError:
                    return  # it was stopped
                with lock:
                    acked[i] = count
                    if sum(acked) >= total:
                        done.set()

        start = time.perf_counter()
        for child in children:
            child.send("go\n")
        threads = [
            threading.Thread(target=follow, args=(i,), daemon=True) for i in range(processes)
        ]
        for thread in threads:
            thread.start()
        done.wait(timeout=300)
        return time.perf_counter() - start
    finally:
        for child in children:
            child.close()


def bench_persistent(scale: float) -> Iterator[Record]:
    if not _available():
        return
    total = max(1000, int(10_000 * scale))
    with _schema() as url:
        _fill(url, total)
        child = _Child("catch-up", url, total)
        try:
            child.line("ready")
            start = time.perf_counter()
            child.send("go\n")
            child.line("done")
            catch_up = time.perf_counter() - start
        finally:
            child.close()
    for processes in (1, 3):
        with _schema() as url:
            _fill(url, total)
            elapsed = _consume(url, processes, total)
        log(f"  {processes} consumer processes: {per_second(total, elapsed):.0f} events/s")
        yield Record(
            f"postgres_persistent_{processes}",
            per_second(total, elapsed),
            "events/s",
            "catch-up subscription delivery of the same events, one process",
            per_second(total, catch_up),
            "higher",
            {"events": total, "consumer_processes": processes},
        )


def run_all(scale: float) -> Iterator[Record]:
    yield from bench_appends(scale)
    yield from bench_delivery_latency(scale)
    yield from bench_persistent(scale)


BENCHMARKS = {
    "postgres_appends": bench_appends,
    "postgres_delivery_latency": bench_delivery_latency,
    "postgres_persistent": bench_persistent,
}

if __name__ == "__main__":
    from _harness import emit

    emit(run_all(0.1 if "--quick" in sys.argv else 1.0))
