"""A bad audit file never stops the bus: the auditor starts failing, alerts,
and retries or moves the file aside; a file deleted or corrupted while in
use is noticed and replaced."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import actors
from actors import gater, pubsub
from actors.audit import AuditLog, Auditor, SqliteAuditStore, flush, move_aside, stats
from actors.pubsub import PubSubManager, instances
from actors.testing import ANY, Probe

T0 = datetime(2026, 1, 1, tzinfo=UTC)
GARBAGE = b"definitely not sqlite" * 200


class Steady(actors.GenServer):
    pass


def lifecycle(i: int) -> actors.ProcessLifecycle:
    return actors.ProcessLifecycle(
        event_type="started", component="Worker", actor_id=f"urn:{i}", name=f"w{i}", timestamp=T0
    )


def send_events(auditor: Any, first: int, count: int) -> None:
    for i in range(first, first + count):
        actors.send(auditor, ("process_lifecycle_event", lifecycle(i)))


def advance(clock: actors.ManualClock, system: actors.ActorSystem, seconds: float) -> None:
    with Probe(system) as marker:
        actors.send_after(marker, ("settled",), seconds, system=system)
        clock.advance(seconds)
        marker.expect(("settled",))


def names(path: Path) -> list[str | None]:
    with AuditLog.open(path) as log:
        return [e.name for e in log.query()]


@pytest.fixture
def alerts(manual_system: actors.ActorSystem) -> Iterator[Probe]:
    with Probe(manual_system) as probe:
        yield probe


@pytest.fixture
def start(manual_system: actors.ActorSystem, alerts: Probe) -> Callable[..., Any]:
    def start(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault(
            "on_alert", lambda severity, msg, ctx: alerts.deliver((severity, msg, ctx))
        )
        return Auditor.start(*args, system=manual_system, **kwargs)

    return start


# At start --------------------------------------------------------------------------------


def test_the_gater_starts_on_a_corrupt_file_moves_it_aside_and_audits_in_a_new_one(
    actor_system: actors.ActorSystem, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "audit.db"
    path.write_bytes(GARBAGE)

    with caplog.at_level(logging.ERROR, logger="actors.audit"):
        gater.start(actor_system, audit=path, broadcasters=False)
    actors.stop(Steady.start(name="after", system=actor_system))
    after = flush(gater.AUDITOR_NAME, system=actor_system)

    running = [i for i in instances.ALL if actors.whereis(i, actor_system) is not None]
    (moved,) = tmp_path.glob("audit.db.corrupt-*")
    alerts = PubSubManager.of(actor_system).get(instances.ALERTS)
    assert alerts is not None
    assert list(instances.ALL) == running
    assert GARBAGE == moved.read_bytes()
    assert (str(moved),) == after.moved_aside
    with AuditLog.open(path) as log:
        assert ["started", "stopped"] == [e.event_type for e in log.query(name="after")]
    assert 1 == alerts.statistics().per_topic["audit_log"].published
    assert any(
        "is corrupt" in r.getMessage() and str(moved) in r.getMessage() for r in caplog.records
    )


def test_alerts_raised_before_ex_esdb_alerts_runs_are_held_and_sent_when_it_does(
    actor_system: actors.ActorSystem, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    path.write_bytes(GARBAGE)
    auditor: Any = gater.GaterAuditor.start(path, listen=False, system=actor_system)
    PubSubManager.of(actor_system).ensure(instances.ALERTS)
    probe = Probe(actor_system)
    pubsub.subscribe(instances.ALERTS, "audit_log", probe, system=actor_system)

    actors.call(auditor, ("connect",))

    _, alert = probe.expect(("system_alert", ANY), timeout=5)
    assert ("error", "Audit log") == (alert.severity, alert.title)
    assert "is corrupt" in alert.description
    assert "moved_to" in alert.metadata


def test_with_on_corrupt_retry_the_file_stays_events_wait_in_memory_and_the_retry_opens_it(
    manual_system: actors.ActorSystem,
    clock: actors.ManualClock,
    alerts: Probe,
    start: Callable[..., Any],
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.db"
    path.write_bytes(GARBAGE)
    auditor = start(path, on_corrupt="retry")
    send_events(auditor, 0, 5)
    failing = stats(auditor)
    _, message, context = alerts.expect(("error", ANY, ANY))

    path.unlink()  # someone repairs it (here: removes it)
    advance(clock, manual_system, failing.retry_delay)  # type: ignore[arg-type]
    recovered = stats(auditor)

    alerts.expect(("info", ANY, ANY))
    assert (True, False, 5, 1) == (
        failing.failing,
        failing.store_open,
        failing.pending,
        failing.failures,
    )
    assert "cannot be opened" in message
    assert "file is not a database" in message
    assert "corrupt" == context["kind"]
    assert (False, True, 0, 5) == (
        recovered.failing,
        recovered.store_open,
        recovered.pending,
        recovered.committed,
    )
    assert [f"w{i}" for i in range(5)] == names(path)
    assert [] == list(tmp_path.glob("*.corrupt-*"))


def test_another_applications_database_is_never_moved_only_retried(
    manual_system: actors.ActorSystem,
    clock: actors.ManualClock,
    alerts: Probe,
    start: Callable[..., Any],
    tmp_path: Path,
) -> None:
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER)")
    conn.commit()
    conn.close()

    auditor = start(path)  # on_corrupt="move_aside" by default
    send_events(auditor, 0, 2)
    first = stats(auditor)
    advance(clock, manual_system, first.retry_delay)  # type: ignore[arg-type]
    second = stats(auditor)

    _, message, _ = alerts.expect(("error", ANY, ANY))
    assert "not an audit log" in message
    assert (False, 2, 2, 0.1) == (
        first.store_open,
        second.pending,
        second.failures,
        second.retry_delay,
    )
    assert [] == list(tmp_path.glob("*.corrupt-*"))
    assert auditor.is_alive()


@pytest.mark.parametrize("where", ["directory", "missing parent"])
def test_a_path_that_cannot_be_a_file_fails_softly(
    manual_system: actors.ActorSystem,
    alerts: Probe,
    start: Callable[..., Any],
    tmp_path: Path,
    where: str,
) -> None:
    path = tmp_path if where == "directory" else tmp_path / "no" / "such" / "audit.db"

    auditor = start(path)
    send_events(auditor, 0, 1)
    after = stats(auditor)

    alerts.expect(("error", ANY, ANY))
    assert (True, False, 1) == (after.failing, after.store_open, after.pending)


# While running --------------------------------------------------------------------------------


def test_a_file_deleted_while_in_use_is_noticed_reported_and_started_anew(
    manual_system: actors.ActorSystem, alerts: Probe, start: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    auditor = start(path)
    send_events(auditor, 0, 3)
    flush(auditor)

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    send_events(auditor, 3, 4)
    after = flush(auditor)

    _, message, _ = alerts.expect(("error", ANY, ANY))
    assert "deleted or replaced while in use" in message
    assert [f"w{i}" for i in range(3, 7)] == names(path)
    assert (7, 0) == (after.committed, after.pending)


def small_cache_store(path: Path) -> Callable[[], SqliteAuditStore]:
    """A store that keeps one page in memory, so that it reads pages from
    the file (and finds what was overwritten there) at every write."""

    def make() -> SqliteAuditStore:
        store = SqliteAuditStore(path)
        store._conn.execute("PRAGMA cache_size=1")  # type: ignore[union-attr]
        return store

    return make


def test_a_malformed_page_found_while_writing_moves_the_file_aside_and_keeps_the_batch(
    manual_system: actors.ActorSystem, alerts: Probe, start: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    auditor = start(store=small_cache_store(path))
    for n in range(20):
        send_events(auditor, n * 100, 100)
        flush(auditor)
    checkpoint = sqlite3.connect(path)
    checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    checkpoint.close()
    size = path.stat().st_size
    with path.open("r+b") as file:  # a disk that returned garbage for every page but the first
        for page in range(1, size // 4096):
            file.seek(page * 4096)
            file.write(b"\xde\xad\xbe\xef" * 1024)

    send_events(auditor, 5000, 3)
    after = flush(auditor)

    _, message, _ = alerts.expect(("error", ANY, ANY))
    (moved,) = tmp_path.glob("audit.db.corrupt-*")
    assert "malformed" in message
    assert (str(moved),) == after.moved_aside
    assert ["w5000", "w5001", "w5002"] == names(path)
    assert 0 == after.pending


def test_move_aside_takes_the_wal_and_shm_files_along(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    for suffix, content in (("", b"main"), ("-wal", b"wal"), ("-shm", b"shm")):
        Path(f"{path}{suffix}").write_bytes(content)

    first = move_aside(path, T0)
    path.write_bytes(b"again")
    second = move_aside(path, T0)

    assert f"{path}.corrupt-20260101T000000" == first
    assert f"{first}-2" == second
    assert [b"main", b"wal", b"shm"] == [
        Path(f"{first}{suffix}").read_bytes() for suffix in ("", "-wal", "-shm")
    ]
    assert not any(os.path.exists(f"{path}{s}") for s in ("", "-wal", "-shm"))
