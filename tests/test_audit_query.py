"""AuditLog: filtered queries over lifecycle and audit events, and summaries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from actors import ProcessLifecycle
from actors.audit import AuditEvent, AuditLog, AuditStoreError, SqliteAuditStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ev(event_type: str, name: str | None, seconds: float, **fields: Any) -> ProcessLifecycle:
    fields.setdefault("component", "Worker")
    fields.setdefault("actor_id", f"urn:{name}:{seconds}")
    fields.setdefault("node", "n1@host")
    return ProcessLifecycle(event_type=event_type, name=name, timestamp=at(seconds), **fields)


# A small history: "db" crashes twice and is restarted, "cache" starts and
# stops, an unnamed child of "pool" is restarted once, "web" is still up.
HISTORY = [
    ev("started", "db", 0, component="Database", supervisor="app"),
    ev("started", "cache", 1, component="Cache", supervisor="app"),
    ev("started", "web", 2, component="Web", supervisor="app"),
    ev("crashed", "db", 10, component="Database", supervisor="app", reason="OSError: disk"),
    ev("started", "db", 10.5, component="Database", supervisor="app"),
    ev(
        "restarted",
        "db",
        10.5,
        component="Database",
        supervisor="app",
        child_id="db",
        restart_count=1,
    ),
    ev("crashed", None, 20, component="PoolWorker", supervisor="pool", reason="OSError: disk"),
    ev(
        "restarted",
        None,
        20,
        component="PoolWorker",
        supervisor="pool",
        child_id="w3",
        restart_count=1,
    ),
    ev("crashed", "db", 30, component="Database", supervisor="app", reason="TimeoutError"),
    ev("started", "db", 31, component="Database", supervisor="app"),
    ev(
        "restarted",
        "db",
        31,
        component="Database",
        supervisor="app",
        child_id="db",
        restart_count=2,
    ),
    ev("stopped", "cache", 40, component="Cache", supervisor="app", reason="shutdown"),
]
AUDIT = [
    AuditEvent(tag="data_change", kind="DataChange", payload={"id": 1}, timestamp=at(5)),
    AuditEvent(
        tag="admin_action",
        kind="dict",
        payload={"who": "root"},
        timestamp=at(15),
        topic="admin_actions",
    ),
    AuditEvent(tag="data_change", kind="DataChange", payload={"id": 2}, timestamp=at(25)),
]


@pytest.fixture
def log(tmp_path: Path) -> Iterator[AuditLog]:
    path = tmp_path / "audit.db"
    with SqliteAuditStore(path) as store:
        store.append_batch(HISTORY[:6])
        store.append_batch([AUDIT[0], *HISTORY[6:9], AUDIT[1], AUDIT[2], *HISTORY[9:]])
    with AuditLog.open(path) as opened:
        yield opened


def kinds(events: list[ProcessLifecycle]) -> list[tuple[str, str | None]]:
    return [(e.event_type, e.name) for e in events]


def test_every_lifecycle_event_comes_back_equal_and_in_order(log: AuditLog) -> None:
    assert HISTORY == log.query()


def test_since_is_inclusive_and_until_exclusive(log: AuditLog) -> None:
    assert [
        ("crashed", "db"),
        ("started", "db"),
        ("restarted", "db"),
    ] == kinds(log.query(since=at(10), until=at(20)))


def test_filters_by_event_type_name_component_and_supervisor_combine(log: AuditLog) -> None:
    assert [("crashed", "db"), ("crashed", None), ("crashed", "db")] == kinds(
        log.query(event_type="crashed")
    )
    assert [("crashed", None), ("restarted", None)] == kinds(
        log.query(event_type={"crashed", "restarted"}, supervisor="pool")
    )
    assert [("started", "cache"), ("stopped", "cache")] == kinds(log.query(component="Cache"))
    assert [("started", "db"), ("started", "db"), ("started", "db")] == kinds(
        log.query(event_type="started", name="db")
    )
    assert [("restarted", None)] == kinds(log.query(child_id="w3"))


def test_limit_takes_the_oldest_or_with_latest_the_newest_still_oldest_first(
    log: AuditLog,
) -> None:
    assert [("started", "db"), ("started", "cache")] == kinds(log.query(limit=2))
    assert [("restarted", "db"), ("stopped", "cache")] == kinds(log.query(limit=2, latest=True))
    assert [] == log.query(limit=0)


def test_entries_carry_the_seq_and_can_resume_after_one(log: AuditLog) -> None:
    seqs = [seq for seq, _ in log.entries()]
    resumed = log.entries(after_seq=seqs[-3])

    assert seqs == sorted(seqs)
    assert 15 == log.last_seq()
    assert seqs[-2:] == [seq for seq, _ in resumed]


def test_bad_filters_are_refused_with_a_clear_error(log: AuditLog) -> None:
    with pytest.raises(ValueError, match="event_type must be one or more of"):
        log.query(event_type="crash")
    with pytest.raises(ValueError, match="timezone-aware"):
        log.query(since=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="limit"):
        log.query(limit=-1)
    with pytest.raises(ValueError, match="by"):
        log.restart_counts(by="node")  # type: ignore[arg-type]


def test_audit_events_filter_by_tag_topic_and_time(log: AuditLog) -> None:
    changes = log.audit_events(tag="data_change")
    admin = log.audit_events(topic="admin_actions")

    assert [{"id": 1}, {"id": 2}] == [e.payload for e in changes]
    assert ["DataChange", "DataChange"] == [e.kind for e in changes]
    assert [("admin_action", at(15), "admin_actions")] == [
        (e.tag, e.timestamp, e.topic) for e in admin
    ]
    assert [{"id": 2}] == [e.payload for e in log.audit_events(since=at(20))]
    assert [{"id": 2}] == [e.payload for e in log.audit_events(limit=1, latest=True)]


def test_restart_counts_by_name_fall_back_to_child_id_for_unnamed_children(
    log: AuditLog,
) -> None:
    assert {"db": 2, "w3": 1} == log.restart_counts()
    assert {"Database": 2, "PoolWorker": 1} == log.restart_counts(by="component")
    assert {"db": 1} == log.restart_counts(since=at(30))


def test_crash_reasons_are_counted_most_frequent_first(log: AuditLog) -> None:
    assert [("OSError: disk", 2), ("TimeoutError", 1)] == log.crash_reasons()
    assert [("OSError: disk", 2)] == log.crash_reasons(limit=1)
    assert [("OSError: disk", 1), ("TimeoutError", 1)] == log.crash_reasons(name="db")


def test_event_counts_per_type(log: AuditLog) -> None:
    assert {"started": 5, "crashed": 3, "restarted": 3, "stopped": 1} == log.event_counts()


def test_uptime_of_a_restarted_actor_counts_from_its_latest_start(log: AuditLog) -> None:
    uptime = log.uptime("db")

    assert uptime is not None
    assert (3, 2, at(31), None, True) == (
        uptime.incarnations,
        uptime.restarts,
        uptime.started_at,
        uptime.ended_at,
        uptime.running,
    )
    # Still up: measured to the newest timestamp in the log, or to "now".
    assert (at(40), timedelta(seconds=9)) == (uptime.as_of, uptime.up_for)
    assert timedelta(seconds=69) == log.uptime("db", now=at(100)).up_for  # type: ignore[union-attr]


def test_uptime_of_a_stopped_actor_ends_at_its_stop(log: AuditLog) -> None:
    uptime = log.uptime("cache", now=at(100))

    assert uptime is not None
    assert (False, at(40), "stopped", "shutdown", timedelta(seconds=39)) == (
        uptime.running,
        uptime.ended_at,
        uptime.end_event,
        uptime.end_reason,
        uptime.up_for,
    )


def test_uptime_of_a_name_never_started_is_none(log: AuditLog) -> None:
    assert log.uptime("nobody") is None


def test_a_closed_log_says_so(log: AuditLog) -> None:
    log.close()
    log.close()

    with pytest.raises(AuditStoreError, match="closed"):
        log.query()


def test_an_empty_log_answers_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    SqliteAuditStore(path).close()

    with AuditLog.open(path) as log:
        assert ([], [], {}, [], 0) == (
            log.query(),
            log.audit_events(),
            log.restart_counts(),
            log.crash_reasons(),
            log.last_seq(),
        )
