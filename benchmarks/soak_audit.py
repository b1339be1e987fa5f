"""Soak the lifecycle audit log: load, faults and bad inputs; what was lost.

    python benchmarks/soak_audit.py            # bounded: a few seconds (CI)
    python benchmarks/soak_audit.py --full     # by hand: minutes
    python benchmarks/soak_audit.py --only sigkill

Prints one JSON line per case with its figures (load held, faults survived,
bad inputs tried, what was lost) and exits with status 1 if anything
acknowledged or accepted was lost unaccounted, the bus went down, or the
auditor crashed. Cases:

* ``sigkill``: a crash storm plus audit publishing under the gater auditor,
  the process killed with SIGKILL at a random moment, several times;
  every event the auditor acknowledged (after COMMIT) must be on disk.
* ``clean_shutdown``: the real gater tree under the same load, then an
  ordinary exit from ``with ActorSystem()``; every lifecycle event emitted
  while the auditor ran is on disk or counted as dropped at the mailbox
  limit, every audit broadcast delivered to it is on disk.
* ``bad_inputs``: crash reasons with lone surrogates, payloads nested 1,200
  deep, megabyte payloads, records with fields of the wrong type, objects
  whose ``repr`` raises; the gater must stay up and store each one.
* ``faults``: a corrupt file at start, the file deleted while in use, a
  malformed page found while writing; the bus must start and every event
  after the fault must be on disk.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import random
import resource
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import actors  # noqa: E402
import supervision as sv  # noqa: E402
from actors import gater, pubsub  # noqa: E402
from actors.audit import AuditLog, SqliteAuditStore, flush, stats  # noqa: E402
from actors.gater import instances  # noqa: E402
from actors.lowlevel import lookup  # noqa: E402

BAD_NAME = os.fsdecode(b"export-\xff\xfe.csv")


class Crasher(actors.GenServer):
    """Crashes right after every start (a crash storm under its supervisor)."""

    def init(self, reason: str = "crash storm") -> None:
        self.reason = reason
        actors.send(self.ref, ("crash",))

    def handle_info(self, message: Any) -> None:
        raise RuntimeError(self.reason)


def _storm(system: actors.ActorSystem, reason: str = "crash storm") -> Any:
    return sv.Supervisor.start(
        [sv.child_spec("crasher", Crasher, reason, name="crasher")],
        max_restarts=1_000_000_000,
        max_seconds=1,
        name="storm",
        system=system,
    )


def _publisher(system: actors.ActorSystem, stop: threading.Event, counts: dict[str, int]) -> None:
    """Publish audit events as fast as the audit instance takes them."""
    for n in itertools.count():
        if stop.is_set():
            return
        result = pubsub.broadcast(
            instances.AUDIT,
            "audit_trail:soak",
            ("soak_change", {"n": n, "who": "soak"}),
            system=system,
        )
        key = "audit_delivered" if result and getattr(result, "delivered", 0) else "audit_failed"
        counts[key] = counts.get(key, 0) + 1
        if key == "audit_failed":
            counts.setdefault("first_failure", repr(result))  # type: ignore[arg-type]


# Child processes ---------------------------------------------------------------------------


def child_sigkill(path: str) -> None:
    """Run the load and print ``commit <count> <last_seq>`` after each commit."""
    logging.disable(logging.CRITICAL)
    system = actors.ActorSystem("soak-kill")
    gater.start(system, audit=False, broadcasters=False)

    def report(count: int, last: int) -> None:
        sys.stdout.write(f"commit {count} {last}\n")
        sys.stdout.flush()

    gater.GaterAuditor.start(path, name=gater.AUDITOR_NAME, on_commit=report, system=system)
    actors.call(gater.AUDITOR_NAME, ("connect",), system=system)
    _storm(system)
    counts: dict[str, int] = {}
    threading.Thread(
        target=_publisher, args=(system, threading.Event(), counts), daemon=True
    ).start()
    threading.Event().wait()  # until SIGKILL


def child_clean(path: str, seconds: float) -> None:
    """Run the load in the real gater tree, then leave the system block; print
    what was emitted and counted as one JSON line."""
    logging.disable(logging.CRITICAL)
    emitted_alive = itertools.count()
    emitted_after = itertools.count()
    largest = [0]
    with actors.ActorSystem("soak-clean") as system:

        def count(event: actors.ProcessLifecycle) -> None:
            # While the auditor holds its name, its listener is attached.
            if lookup(gater.AUDITOR_NAME, system) is not None:
                next(emitted_alive)
            else:
                next(emitted_after)

        system.add_lifecycle_listener(count)  # before the tree: every event is counted
        gater.start(system, audit=path, broadcasters=False)
        auditor = actors.whereis(gater.AUDITOR_NAME, system)
        stop = threading.Event()
        counts: dict[str, int] = {}
        publisher = threading.Thread(target=_publisher, args=(system, stop, counts))
        publisher.start()
        storm = _storm(system)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            largest[0] = max(largest[0], auditor.message_queue_len())
            time.sleep(0.01)
        stop.set()
        publisher.join()
        actors.stop(storm)
        queued = auditor.message_queue_len()
        drain_started = time.monotonic()
        before = stats(auditor, timeout=60, system=system)  # answered once the mailbox drained
        drain_s = time.monotonic() - drain_started
        leave = time.monotonic()
    shutdown_s = time.monotonic() - leave
    print(
        json.dumps(
            {
                "emitted_while_auditor_ran": next(emitted_alive),
                "emitted_after_auditor": next(emitted_after),
                "audit_delivered": counts.get("audit_delivered", 0),
                "audit_failed": counts.get("audit_failed", 0),
                "first_failure": counts.get("first_failure"),
                "mailbox_dropped": before.mailbox_dropped,
                "backlog_dropped": before.dropped,
                "largest_mailbox": largest[0],
                "shutdown_s": round(shutdown_s, 3),
                "drained": queued,
                "drain_s": round(drain_s, 3),
                "committed_per_s": round(before.committed / (seconds + drain_s)),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        ),
        flush=True,
    )


# Cases ---------------------------------------------------------------------------------------


def _child(*args: str, **popen: Any) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen([sys.executable, __file__, *args], cwd=ROOT, env=env, **popen)


def case_sigkill(rounds: int, run_for: tuple[float, float], work: Path) -> dict[str, Any]:
    kills = []
    for n in range(rounds):
        path = work / f"kill-{n}.db"
        proc = _child(
            "--child-sigkill", str(path), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        # The kill clock starts at the child's first acknowledged commit: on a loaded machine
        # its start-up (imports, opening the log) can take longer than the whole window.
        run_window = random.uniform(*run_for)
        started_by = time.monotonic() + 60.0
        kill_at: float | None = None
        acknowledged = 0
        buffer = b""
        while time.monotonic() < (kill_at if kill_at is not None else started_by):
            deadline = kill_at if kill_at is not None else started_by
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                match line.split():
                    case [b"commit", _, last]:
                        acknowledged = int(last)
                        if kill_at is None:
                            kill_at = time.monotonic() + run_window
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        with AuditLog.open(path) as log:
            seqs = [seq for seq, _ in log.entries()] + [e.seq or 0 for e in log.audit_events()]
            last_seq = log.last_seq()
        on_disk = set(seqs)
        lost = sum(1 for seq in range(1, acknowledged + 1) if seq not in on_disk)
        torn = last_seq != len(on_disk) or on_disk != set(range(1, last_seq + 1))
        kills.append(
            {"acknowledged": acknowledged, "on_disk": len(on_disk), "lost": lost, "torn": torn}
        )
    return {
        "case": "sigkill",
        "kills": rounds,
        "acknowledged": sum(k["acknowledged"] for k in kills),
        "on_disk": sum(k["on_disk"] for k in kills),
        "acknowledged_lost": sum(k["lost"] for k in kills),
        "torn_logs": sum(k["torn"] for k in kills),
        "ok": all(k["lost"] == 0 and not k["torn"] and k["acknowledged"] > 0 for k in kills),
    }


def case_clean_shutdown(seconds: float, work: Path) -> dict[str, Any]:
    path = work / "clean.db"
    result = subprocess.run(
        [sys.executable, __file__, "--child-clean", str(path), str(seconds)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=seconds * 4 + 120,
    )
    if result.returncode != 0:
        return {"case": "clean_shutdown", "ok": False, "error": result.stderr[-2000:]}
    report = json.loads(result.stdout.strip().splitlines()[-1])
    with AuditLog.open(path) as log:
        lifecycle = sum(log.event_counts().values())
        audit = len(log.audit_events(tag="soak_change"))
        (run,) = log.runs()
    expected = report["emitted_while_auditor_ran"] - report["mailbox_dropped"]
    lost_lifecycle = expected - lifecycle
    lost_audit = report["audit_delivered"] - audit
    return {
        "case": "clean_shutdown",
        "seconds": seconds,
        "lifecycle_emitted": report["emitted_while_auditor_ran"],
        "lifecycle_on_disk": lifecycle,
        "lifecycle_dropped_counted": report["mailbox_dropped"],
        "lifecycle_lost_unaccounted": lost_lifecycle,
        "lifecycle_after_auditor_stopped": report["emitted_after_auditor"],
        "audit_published": report["audit_delivered"],
        "audit_on_disk": audit,
        "audit_lost": lost_audit,
        "audit_publishes_failed": report["audit_failed"],
        "audit_first_failure": report["first_failure"],
        "backlog_dropped": report["backlog_dropped"],
        "committed_per_s": report["committed_per_s"],
        "largest_mailbox": report["largest_mailbox"],
        "mailbox_drained": report["drained"],
        "drain_s": report["drain_s"],
        "shutdown_s": report["shutdown_s"],
        "peak_rss_mib": report["peak_rss_mib"],
        "run_closed": run.closed_at is not None,
        "ok": lost_lifecycle == 0 and lost_audit == 0 and run.closed_at is not None,
    }


class BadName(actors.GenServer):
    def handle_cast(self, request: Any) -> None:
        raise RuntimeError(f"cannot read {BAD_NAME}")


class NoRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def case_bad_inputs(scale: int, work: Path) -> dict[str, Any]:
    path = work / "bad.db"
    logging.disable(logging.CRITICAL)
    tried: dict[str, int] = {}
    with actors.ActorSystem("soak-bad") as system:
        gater.start(system, audit=path, broadcasters=False)
        auditor = actors.whereis(gater.AUDITOR_NAME, system)
        done = threading.Semaphore(0)

        def restarted(event: actors.ProcessLifecycle) -> None:
            if event.event_type == "restarted" and event.name == "reader":
                done.release()

        system.add_lifecycle_listener(restarted)
        sv.Supervisor.start(
            [sv.child_spec("reader", BadName, name="reader")],
            max_restarts=1_000_000,
            max_seconds=1,
            name="readers",
            system=system,
        )
        crashes = 20 * scale
        for _ in range(crashes):
            actors.cast("reader", "read", system=system)
            done.acquire(timeout=10)
        tried["surrogate_crash_reasons"] = crashes
        deep: Any = "bottom"
        for _ in range(1200):
            deep = {"next": deep}
        big = "x" * 1_000_000
        kinds = {
            "deep_1200": lambda n: ("deep", {"n": n, "tree": deep}),
            "megabyte": lambda n: ("big", {"n": n, "body": big}),
            "surrogate_payload": lambda n: ("file", {"n": n, BAD_NAME: BAD_NAME}),
            "no_repr": lambda n: ("weird", {"n": n, "obj": NoRepr()}),
        }
        for kind, make in kinds.items():
            count = (2 if kind == "megabyte" else 10) * scale
            for n in range(count):
                pubsub.broadcast(instances.AUDIT, "audit_trail:bad", make(n), system=system)
            tried[kind] = count
        wrong = 5 * scale
        for n in range(wrong):
            bad = actors.ProcessLifecycle(
                event_type="crashed",
                component=n,  # type: ignore[arg-type]
                actor_id=None,  # type: ignore[arg-type]
                name=NoRepr(),  # type: ignore[arg-type]
                restart_count=2**80,
                timestamp="never",  # type: ignore[arg-type]
            )
            actors.send(auditor, ("process_lifecycle_event", bad), system=system)
        tried["wrong_types"] = wrong
        after = flush(auditor, timeout=60, system=system)
        same_auditor = auditor == actors.whereis(gater.AUDITOR_NAME, system)
        running = sum(1 for i in instances.ALL if actors.whereis(i, system) is not None)
    logging.disable(logging.NOTSET)
    with AuditLog.open(path) as log:
        stored_crashes = len(log.query(name="reader", event_type="crashed"))
        stored = {tag: len(log.audit_events(tag=tag)) for tag in ("deep", "big", "file", "weird")}
        stored_wrong = sum(1 for e in log.query(event_type="crashed") if e.actor_id == "")
    tags = ("deep", "big", "file", "weird")
    lost = (
        (crashes - stored_crashes)
        + (wrong - stored_wrong)
        + sum(tried[k] - stored[t] for k, t in zip(kinds, tags, strict=True))
    )
    return {
        "case": "bad_inputs",
        "tried": tried,
        "tried_total": sum(tried.values()),
        "stored_truncated": after.truncated,
        "stored_escaped": after.escaped,
        "stored_malformed": after.malformed,
        "lost": lost,
        "wrong_type_records_stored": stored_wrong,
        "auditor_restarts": 0 if same_auditor else 1,
        "instances_running": running,
        "ok": lost == 0 and same_auditor and running == len(instances.ALL),
    }


def case_faults(scale: int, work: Path) -> dict[str, Any]:
    logging.disable(logging.CRITICAL)
    survived: dict[str, bool] = {}
    lost = 0
    # 1. A corrupt file at start: the bus starts, the file is moved aside.
    path = work / "corrupt.db"
    path.write_bytes(b"not sqlite" * 1000)
    with actors.ActorSystem("soak-fault-1") as system:
        gater.start(system, audit=path, broadcasters=False)
        running = sum(1 for i in instances.ALL if actors.whereis(i, system) is not None)
        for n in range(100 * scale):
            pubsub.broadcast(
                instances.AUDIT, "audit_trail:f", ("after_fault", {"n": n}), system=system
            )
        moved = flush(gater.AUDITOR_NAME, system=system).moved_aside
    with AuditLog.open(path) as log:
        got = len(log.audit_events(tag="after_fault"))
    lost += 100 * scale - got
    survived["corrupt_at_start"] = running == len(instances.ALL) and len(moved) == 1
    # 2. The file deleted while in use; 3. a malformed page found while writing.
    for fault in ("deleted", "malformed"):
        path = work / f"{fault}.db"

        def small_cache(target: Path = path) -> SqliteAuditStore:
            store = SqliteAuditStore(target)
            store._conn.execute("PRAGMA cache_size=1")  # type: ignore[union-attr]  # read pages from disk
            return store

        with actors.ActorSystem(f"soak-fault-{fault}") as system:
            auditor = gater.GaterAuditor.start(store=small_cache, listen=False, system=system)
            for n in range(2000):
                actors.send(auditor, ("before_fault", {"n": n}))
            flush(auditor, system=system)
            if fault == "deleted":
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            else:
                conn = sqlite3.connect(path)
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.close()
                with path.open("r+b") as file:
                    for page in range(1, path.stat().st_size // 4096):
                        file.seek(page * 4096)
                        file.write(b"\xde\xad\xbe\xef" * 1024)
            for n in range(100 * scale):
                actors.send(auditor, ("after_fault", {"n": n}))
            after = flush(auditor, system=system)
        with AuditLog.open(path) as log:
            got = len(log.audit_events(tag="after_fault"))
        lost += 100 * scale - got
        survived[fault] = after.pending == 0 and got == 100 * scale
    logging.disable(logging.NOTSET)
    return {
        "case": "faults",
        "faults": list(survived),
        "survived": sum(survived.values()),
        "events_after_fault_lost": lost,
        "ok": all(survived.values()) and lost == 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="full size (minutes), not CI's")
    parser.add_argument("--only", action="append", default=[], help="cases containing this")
    parser.add_argument("--child-sigkill", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--child-clean", nargs=2, metavar=("PATH", "S"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_sigkill:
        child_sigkill(args.child_sigkill)
        return 0
    if args.child_clean:
        child_clean(args.child_clean[0], float(args.child_clean[1]))
        return 0
    full = args.full
    cases = {
        "sigkill": lambda work: case_sigkill(
            10 if full else 2, (2.0, 10.0) if full else (0.5, 1.5), work
        ),
        "clean_shutdown": lambda work: case_clean_shutdown(60.0 if full else 2.0, work),
        "bad_inputs": lambda work: case_bad_inputs(50 if full else 1, work),
        "faults": lambda work: case_faults(10 if full else 1, work),
    }
    ok = True
    with tempfile.TemporaryDirectory(prefix="actors-soak-") as tmp:
        for name, case in cases.items():
            if args.only and not any(part in name for part in args.only):
                continue
            started = time.monotonic()
            figures = case(Path(tmp))
            figures["size"] = "full" if full else "bounded"
            figures["elapsed_s"] = round(time.monotonic() - started, 2)
            print(json.dumps(figures), flush=True)
            ok = ok and bool(figures.get("ok"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
