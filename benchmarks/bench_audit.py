"""Audit ingest: lifecycle events written and committed through the Auditor,
against a bare sqlite3 executemany of the same rows into the same schema."""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _harness import Record, per_second

import actors
from actors.audit import Auditor, SqliteAuditStore
from actors.audit._rows import LIFECYCLE_COLUMNS, lifecycle_row

BATCH = 500  # the auditor's batch size: both sides commit every 500 rows


def _events(n: int) -> list[actors.ProcessLifecycle]:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    kinds = ("started", "crashed", "restarted")
    return [
        actors.ProcessLifecycle(
            event_type=kinds[i % 3],
            component="Worker",
            actor_id=f"urn:uuid:{i:032x}",
            name=f"worker-{i % 100}",
            node="bench@localhost",
            reason="RuntimeError: boom" if i % 3 == 1 else None,
            exception_type="RuntimeError" if i % 3 == 1 else None,
            supervisor="sup",
            child_id=f"worker-{i % 100}",
            restart_count=i // 3,
            timestamp=t0 + timedelta(milliseconds=i),
        )
        for i in range(n)
    ]


def _through_auditor(events: list[actors.ProcessLifecycle], path: Path) -> float:
    """Seconds from the first send until on_commit has acknowledged them all."""
    n = len(events)
    done = threading.Event()
    committed = [0]

    def on_commit(count: int, last_seq: int) -> None:
        committed[0] += count
        if committed[0] >= n:
            done.set()

    with actors.ActorSystem() as system:
        ref = Auditor.start(path, on_commit=on_commit, system=system)
        start = time.perf_counter()
        for event in events:
            actors.send(ref, ("process_lifecycle_event", event))
        if not done.wait(600):
            msg = f"the auditor committed {committed[0]} of {n} events in 600 s"
            raise TimeoutError(msg)
        return time.perf_counter() - start


def _bare_executemany(rows: list[tuple[object, ...]], path: Path, batch: int) -> float:
    """Seconds to write ``rows`` with executemany, committing every ``batch``."""
    SqliteAuditStore(path).close()  # the same schema, migrated the same way
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    sql = (
        f"INSERT INTO lifecycle_events ({', '.join(LIFECYCLE_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(LIFECYCLE_COLUMNS))})"
    )
    start = time.perf_counter()
    for i in range(0, len(rows), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(sql, rows[i : i + batch])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def audit_ingest(scale: float) -> Iterator[Record]:
    n = max(BATCH, int(100_000 * scale))
    events = _events(n)
    rows = [(seq, *lifecycle_row(e)) for seq, e in enumerate(events, 1)]
    ours, theirs, single = [], [], []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            ours.append(per_second(n, _through_auditor(events, Path(tmp) / "ours.db")))
            theirs.append(per_second(n, _bare_executemany(rows, Path(tmp) / "bare.db", BATCH)))
            single.append(per_second(n, _bare_executemany(rows, Path(tmp) / "one.db", n)))
    yield Record(
        "audit_ingest",
        max(ours),
        "events/s",
        f"sqlite3 executemany, {BATCH} rows per commit",
        max(theirs),
        "higher",
        {
            "events": n,
            "batch": BATCH,
            "single_transaction_executemany": round(max(single)),
            "note": "ours: send -> Auditor -> committed (on_commit); theirs: pre-built rows",
        },
    )


BENCHMARKS = {"audit_ingest": audit_ingest}
